/**
 * rtnetlink routes: list, add, delete, and the rtmsg decoder. (Links,
 * addresses, neighbours and the monitor are in the route-*.ts files beside it.)
 */
import { AF, ICMPV6_ROUTER_PREF, NLM_F, RTA, RTM, RTN, RTPROT, RT_SCOPE, RT_TABLE } from "../constants.js";
import { readU32 } from "../endian.js";
import { codedError } from "../errors.js";
import { describe } from "../raw/index.js";
import { AttributeDecoder, AttributeEncoder } from "./attributes.js";
import { withConnection } from "./conn.js";
import type { NetlinkMessage } from "./message.js";
import {
  RTMS,
  type RouteOptions,
  type RouteFamily,
  need,
  familyOut,
  familyIn,
  ipText,
  parsePrefix,
  checkOptions,
  lowerName,
  scopeName,
  scopeNumber,
  fromGroup,
  waitOpts,
  dumpObjects,
} from "./route-common.js";
import { indexOf, checkLinkRef } from "./route-link.js";

/** A route (RTM_NEWROUTE). */
export interface Route {
  /** The address family. */
  family: RouteFamily;
  /** "default" or "10.0.0.0/24" (a host route has the full prefix: "10.0.0.1/32"). */
  dst: string;
  /** The destination prefix length (rtm_dst_len). */
  dstLen: number;
  /** The routing table (RT_TABLE_MAIN is 254). */
  table: number;
  /** "unicast", "local", "broadcast", "blackhole" ... */
  type: string;
  /** "kernel", "boot", "static", "dhcp" ... or the number. */
  protocol: string;
  /** "global", "link", "host" ... */
  scope: string;
  /** The next hop (RTA_GATEWAY). */
  gateway?: string;
  /** Output interface index. */
  oif?: number;
  /** Input interface index (policy routes). */
  iif?: number;
  /** The preferred source address (RTA_PREFSRC). */
  prefsrc?: string;
  /** The metric. */
  priority?: number;
  /** RTM_F_* / RTNH_F_* bits. */
  flags: number;
  /** RTA_PREF of an IPv6 route: "medium", "high", "low". */
  pref?: string;
}

// ---------------------------------------------------------------------------
// Routes.

/**
 * Decodes an RTM_NEWROUTE/RTM_DELROUTE message. Does not correspond to a syscall.
 * @throws NetlinkMessageError for a malformed message.
 * @see https://man7.org/linux/man-pages/man7/rtnetlink.7.html
 */
export function decodeRoute(m: NetlinkMessage): Route {
  need(m, RTMS.size, "rtmsg");
  const d = m.data;
  const af = d[RTMS.rtm_family!]!;
  const dstLen = d[RTMS.rtm_dst_len!]!;
  const proto = d[RTMS.rtm_protocol!]!;
  const type = d[RTMS.rtm_type!]!;
  const r: Route = {
    family: familyOut(af),
    dst: "default",
    dstLen,
    table: d[RTMS.rtm_table!]!,
    type: lowerName(RTN, type) ?? String(type),
    protocol: lowerName(RTPROT, proto) ?? String(proto),
    scope: scopeName(d[RTMS.rtm_scope!]!),
    flags: readU32(d, RTMS.rtm_flags!),
  };
  let dst: string | undefined;
  const ad = new AttributeDecoder(d.subarray(RTMS.size));
  while (ad.next()) {
    switch (ad.type) {
      case RTA.DST:
        dst = ipText(ad.bytes());
        break;
      case RTA.GATEWAY:
        r.gateway = ipText(ad.bytes());
        break;
      case RTA.OIF:
        r.oif = ad.uint32();
        break;
      case RTA.IIF:
        r.iif = ad.uint32();
        break;
      case RTA.PREFSRC:
        r.prefsrc = ipText(ad.bytes());
        break;
      case RTA.PRIORITY:
        r.priority = ad.uint32();
        break;
      case RTA.TABLE:
        r.table = ad.uint32();
        break;
      case RTA.PREF: {
        const p = ad.uint8();
        r.pref = lowerName(ICMPV6_ROUTER_PREF, p) ?? String(p);
        break;
      }
    }
  }
  ad.finish();
  if (dst !== undefined) r.dst = `${dst}/${dstLen}`;
  else if (dstLen !== 0) r.dst = `${af === AF.INET6 ? "::" : "0.0.0.0"}/${dstLen}`;
  return r;
}

function rtmsg(af: number, dstLen: number, table: number, protocol: number, scope: number, type: number): Buffer {
  const b = Buffer.alloc(RTMS.size);
  b[RTMS.rtm_family!] = af;
  b[RTMS.rtm_dst_len!] = dstLen;
  b[RTMS.rtm_table!] = table < 256 ? table : RT_TABLE.UNSPEC;
  b[RTMS.rtm_protocol!] = protocol;
  b[RTMS.rtm_scope!] = scope;
  b[RTMS.rtm_type!] = type;
  return b;
}

/**
 * Lists routes, by default of the main table (as `ip route`); `table: "all"`
 * for every table. Wraps an RTM_GETROUTE dump.
 * @see https://man7.org/linux/man-pages/man7/rtnetlink.7.html
 * @throws NetlinkError; NetlinkMessageError; TypeError ERR_INVALID_ARG_VALUE.
 */
export function listRoutes(
  filter: { family?: "inet" | "inet6"; table?: number | "main" | "local" | "all" } = {},
  options?: RouteOptions,
): Promise<Route[]> {
  const af = familyIn(filter?.family, "filter.family", false);
  const t = filter?.table ?? "main";
  const table = t === "all" ? undefined : fromGroup(RT_TABLE, t, "filter.table", 0xffffffff);
  const o = checkOptions(options);
  const all = dumpObjects(o, RTM.GETROUTE, rtmsg(af, 0, 0, 0, 0, 0), RTM.NEWROUTE, "RTM_GETROUTE", decodeRoute);
  return table === undefined ? all : all.then((routes) => routes.filter((r) => r.table === table));
}

/** What {@link addRoute} and {@link deleteRoute} take. */
export interface RouteSpec {
  /** "10.1.0.0/24", "fd00:1::/64", a host "10.1.0.7", or "default" (IPv4; "default6" for IPv6). */
  dst: string;
  /** Next hop. */
  gateway?: string;
  /** Output interface: name or index. */
  link?: string | number;
  /** Table (default main). */
  table?: number | "main" | "local";
  /** Origin (default "boot", as `ip route add`). */
  protocol?: string | number;
  /** Scope (default: "link" for a route without a gateway, else "global"). */
  scope?: string | number;
  /** "unicast" (default), "blackhole", "unreachable", "prohibit", "local" ... */
  type?: string | number;
  /** Metric. */
  priority?: number;
  /** Preferred source address. */
  prefsrc?: string;
}

function routeRequest(spec: RouteSpec, forDelete: boolean): { head: Buffer; attrs: AttributeEncoder; af: number } {
  if (spec === null || typeof spec !== "object")
    throw codedError("ERR_INVALID_ARG_TYPE", `spec must be an object, got ${describe(spec)}`);
  let af: number;
  let dst: Buffer | undefined;
  let dstLen = 0;
  if (spec.dst === "default" || spec.dst === "default6") {
    af = spec.dst === "default" ? AF.INET : AF.INET6;
  } else {
    const p = parsePrefix(spec.dst, "spec.dst", true);
    af = p.af;
    dst = p.bytes;
    dstLen = p.len;
  }
  const e = new AttributeEncoder();
  if (dst) e.bytes(RTA.DST, dst);
  if (spec.gateway !== undefined) {
    const g = parsePrefix(spec.gateway, "spec.gateway", true);
    if (g.af !== af) throw codedError("ERR_INVALID_ADDRESS", "spec.gateway must be of the destination's family");
    e.bytes(RTA.GATEWAY, g.bytes);
  }
  if (spec.prefsrc !== undefined) {
    const s = parsePrefix(spec.prefsrc, "spec.prefsrc", true);
    if (s.af !== af) throw codedError("ERR_INVALID_ADDRESS", "spec.prefsrc must be of the destination's family");
    e.bytes(RTA.PREFSRC, s.bytes);
  }
  if (spec.priority !== undefined) {
    if (!Number.isInteger(spec.priority) || spec.priority < 0 || spec.priority > 0xffffffff) {
      throw codedError("ERR_OUT_OF_RANGE", `spec.priority must be 0..4294967295, got ${describe(spec.priority)}`);
    }
    e.uint32(RTA.PRIORITY, spec.priority);
  }
  if (spec.link !== undefined) checkLinkRef(spec.link, "spec.link");
  const table = fromGroup(RT_TABLE, spec.table ?? "main", "spec.table", 0xffffffff);
  if (table >= 256) e.uint32(RTA.TABLE, table);
  const protocol =
    spec.protocol === undefined
      ? forDelete
        ? RTPROT.UNSPEC
        : RTPROT.BOOT
      : fromGroup(RTPROT, spec.protocol, "spec.protocol", 255);
  const type = spec.type === undefined ? RTN.UNICAST : fromGroup(RTN, spec.type, "spec.type", 255);
  let scope: number;
  if (spec.scope !== undefined) scope = scopeNumber(spec.scope, "spec.scope");
  else if (forDelete)
    scope = RT_SCOPE.NOWHERE; // as iproute2: matches any scope
  else if (type === RTN.LOCAL) scope = RT_SCOPE.HOST;
  else scope = spec.gateway === undefined && type === RTN.UNICAST ? RT_SCOPE.LINK : RT_SCOPE.UNIVERSE;
  return { head: rtmsg(af, dstLen, table, protocol, scope, type), attrs: e, af };
}

function routeChange(spec: RouteSpec, forDelete: boolean, options: RouteOptions | undefined): Promise<void> {
  const r = routeRequest(spec, forDelete);
  const o = checkOptions(options);
  return withConnection("route", o, async (conn) => {
    if (spec.link !== undefined) r.attrs.uint32(RTA.OIF, await indexOf(conn, spec.link, o));
    const req = Buffer.concat([r.head, r.attrs.encode()]);
    if (forDelete) await conn.request(RTM.DELROUTE, req, { op: "RTM_DELROUTE", ...waitOpts(o) });
    else
      await conn.request(RTM.NEWROUTE, req, {
        op: "RTM_NEWROUTE",
        flags: NLM_F.CREATE | NLM_F.EXCL,
        ...waitOpts(o),
      });
  });
}

/**
 * Adds a route, as `ip route add`. Wraps an RTM_NEWROUTE request with NLM_F_CREATE | NLM_F_EXCL.
 * @see https://man7.org/linux/man-pages/man7/rtnetlink.7.html
 * @throws NetlinkError EEXIST (already there), ENETUNREACH (gateway not on a link), ENODEV, EPERM;
 *   TypeError ERR_INVALID_ADDRESS / ERR_INVALID_ARG_VALUE.
 */
export function addRoute(spec: RouteSpec, options?: RouteOptions): Promise<void> {
  return routeChange(spec, false, options);
}

/**
 * Deletes a route, as `ip route del`. Wraps an RTM_DELROUTE request.
 * @see https://man7.org/linux/man-pages/man7/rtnetlink.7.html
 * @throws NetlinkError ESRCH (no such route), EPERM; TypeError ERR_INVALID_ADDRESS.
 */
export function deleteRoute(spec: RouteSpec, options?: RouteOptions): Promise<void> {
  return routeChange(spec, true, options);
}
