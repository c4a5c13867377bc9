/**
 * rtnetlink change events: monitorRoute subscribes to RTNLGRP_* groups and
 * yields links, addresses, routes and neighbours as they change.
 */
import { RTM, RTNLGRP } from "../constants.js";
import { codedError } from "../errors.js";
import type { NetnsLike } from "../netns.js";
import { describe } from "../raw/index.js";
import { NetlinkConnection, ownedIterator } from "./conn.js";
import type { NetlinkMessage } from "./message.js";
import { type Link, decodeLink } from "./route-link.js";
import { type InterfaceAddress, decodeAddress } from "./route-address.js";
import { type Route, decodeRoute } from "./route.js";
import { type Neighbour, decodeNeighbour } from "./route-neighbour.js";

// ---------------------------------------------------------------------------
// Events.

/** The rtnetlink groups {@link monitorRoute} can join, by name. */
export type RouteGroup = "link" | "ipv4-address" | "ipv6-address" | "ipv4-route" | "ipv6-route" | "neighbour";

const GROUPS: Record<RouteGroup, number> = {
  link: RTNLGRP.LINK,
  "ipv4-address": RTNLGRP.IPV4_IFADDR,
  "ipv6-address": RTNLGRP.IPV6_IFADDR,
  "ipv4-route": RTNLGRP.IPV4_ROUTE,
  "ipv6-route": RTNLGRP.IPV6_ROUTE,
  neighbour: RTNLGRP.NEIGH,
};

/** One change the kernel announced. */
export type RouteEvent =
  | { kind: "link"; action: "new" | "delete"; link: Link }
  | { kind: "address"; action: "new" | "delete"; address: InterfaceAddress }
  | { kind: "route"; action: "new" | "delete"; route: Route }
  | { kind: "neighbour"; action: "new" | "delete"; neighbour: Neighbour };

/**
 * Decodes an rtnetlink notification into an event, or undefined for a
 * message type it does not know. Does not correspond to a syscall.
 * @throws NetlinkMessageError for a malformed message.
 * @see https://man7.org/linux/man-pages/man7/rtnetlink.7.html
 */
export function decodeRouteEvent(m: NetlinkMessage): RouteEvent | undefined {
  switch (m.type) {
    case RTM.NEWLINK:
    case RTM.DELLINK:
      return { kind: "link", action: m.type === RTM.NEWLINK ? "new" : "delete", link: decodeLink(m) };
    case RTM.NEWADDR:
    case RTM.DELADDR:
      return { kind: "address", action: m.type === RTM.NEWADDR ? "new" : "delete", address: decodeAddress(m) };
    case RTM.NEWROUTE:
    case RTM.DELROUTE:
      return { kind: "route", action: m.type === RTM.NEWROUTE ? "new" : "delete", route: decodeRoute(m) };
    case RTM.NEWNEIGH:
    case RTM.DELNEIGH:
      return { kind: "neighbour", action: m.type === RTM.NEWNEIGH ? "new" : "delete", neighbour: decodeNeighbour(m) };
    default:
      return undefined;
  }
}

/** Options of {@link monitorRoute}. */
export interface MonitorRouteOptions {
  /** Which changes to watch (default: all of them). */
  groups?: readonly RouteGroup[];
  /** Watch this network namespace. */
  netns?: NetnsLike;
  /** Ends the iteration (without error) when aborted. */
  signal?: AbortSignal;
}

/**
 * Opens a NETLINK_ROUTE socket joined to the chosen groups (RTNLGRP_*) and
 * returns an async iterable of the link, address, route and neighbour
 * changes the kernel announces. The socket is open (and subscribed) when this
 * returns, so a change made right after is seen. Breaking out of the loop,
 * return(), or aborting `signal` closes it (also before the first event). Does not correspond to a single syscall
 * (socket, bind, setsockopt NETLINK_ADD_MEMBERSHIP, then recvfrom in a loop).
 * @see https://man7.org/linux/man-pages/man7/rtnetlink.7.html
 * @throws TypeError ERR_INVALID_ARG_VALUE for an unknown group; SocketError (ENOENT for a
 *   missing netns); while iterating, SocketError ENOBUFS when events were lost.
 */
export function monitorRoute(options: MonitorRouteOptions = {}): AsyncGenerator<RouteEvent, void, undefined> {
  if (options === null || typeof options !== "object")
    throw codedError("ERR_INVALID_ARG_TYPE", `options must be an object, got ${describe(options)}`);
  const names = options.groups ?? (Object.keys(GROUPS) as RouteGroup[]);
  if (!Array.isArray(names) || names.length === 0)
    throw codedError("ERR_INVALID_ARG_VALUE", "options.groups must be a non-empty list");
  const groups = names.map((g) => {
    const n = Object.hasOwn(GROUPS, g as string) ? GROUPS[g as RouteGroup] : undefined;
    if (n === undefined)
      throw codedError(
        "ERR_INVALID_ARG_VALUE",
        `unknown group ${describe(g)}; known: ${Object.keys(GROUPS).join(", ")}`,
      );
    return n;
  });
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw codedError("ERR_INVALID_ARG_TYPE", `options.signal must be an AbortSignal, got ${describe(options.signal)}`);
  }
  const conn = NetlinkConnection.open("route", {
    groups,
    ...(options.netns === undefined ? {} : { netns: options.netns }),
  });
  return ownedIterator(events(conn, options.signal), () => conn.close(), options.signal);
}

async function* events(
  conn: NetlinkConnection,
  signal: AbortSignal | undefined,
): AsyncGenerator<RouteEvent, void, undefined> {
  for await (const m of conn.messages(signal ? { signal } : {})) {
    const ev = decodeRouteEvent(m);
    if (ev) yield ev;
  }
}
