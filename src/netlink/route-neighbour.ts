/**
 * rtnetlink neighbours (the ARP / NDP table): list, add, delete, and the ndmsg
 * decoder.
 */
import { NDA, NLM_F, NTF, NUD, RTM } from "../constants.js";
import { readI32, readU16, writeI32, writeU16 } from "../endian.js";
import { codedError } from "../errors.js";
import { describe } from "../raw/index.js";
import { AttributeDecoder, AttributeEncoder } from "./attributes.js";
import { withConnection } from "./conn.js";
import type { NetlinkMessage } from "./message.js";
import {
  NDM,
  type RouteOptions,
  type RouteFamily,
  need,
  familyOut,
  familyIn,
  ipText,
  hwText,
  parseHw,
  parsePrefix,
  checkOptions,
  fromGroup,
  waitOpts,
  dumpObjects,
} from "./route-common.js";
import { indexOf, checkLinkRef } from "./route-link.js";

/** A neighbour (ARP / NDP) entry (RTM_NEWNEIGH). */
export interface Neighbour {
  /** The address family. */
  family: RouteFamily;
  /** The interface index. */
  index: number;
  /** The neighbour's network address (NDA_DST). */
  dst?: string;
  /** The neighbour's link-layer address (NDA_LLADDR). */
  lladdr?: string;
  /** NUD_* bits by name, upper case as `ip neigh` prints them: ["REACHABLE"], ["PERMANENT"] ... */
  state: string[];
  /** NTF_* bits. */
  flags: number;
  /** Whether the neighbour is a router (NTF_ROUTER). */
  router: boolean;
}

// ---------------------------------------------------------------------------
// Neighbours.

/**
 * Decodes an RTM_NEWNEIGH/RTM_DELNEIGH message. Does not correspond to a syscall.
 * @throws NetlinkMessageError for a malformed message.
 * @see https://man7.org/linux/man-pages/man7/rtnetlink.7.html
 */
export function decodeNeighbour(m: NetlinkMessage): Neighbour {
  need(m, NDM.size, "ndmsg");
  const d = m.data;
  const state = readU16(d, NDM.ndm_state!);
  const flags = d[NDM.ndm_flags!]!;
  const n: Neighbour = {
    family: familyOut(d[NDM.ndm_family!]!),
    index: readI32(d, NDM.ndm_ifindex!),
    state: Object.entries(NUD)
      .filter(([, v]) => v !== undefined && v !== 0 && state & v)
      .map(([k]) => k),
    flags,
    router: (flags & NTF.ROUTER) !== 0,
  };
  if (state === NUD.NONE) n.state = ["NONE"];
  const ad = new AttributeDecoder(d.subarray(NDM.size));
  while (ad.next()) {
    if (ad.type === NDA.DST) n.dst = ipText(ad.bytes());
    else if (ad.type === NDA.LLADDR) n.lladdr = hwText(ad.bytes());
  }
  ad.finish();
  return n;
}

function ndmsg(af: number, index = 0, state = 0, flags = 0): Buffer {
  const b = Buffer.alloc(NDM.size);
  b[NDM.ndm_family!] = af;
  writeI32(b, NDM.ndm_ifindex!, index);
  writeU16(b, NDM.ndm_state!, state);
  b[NDM.ndm_flags!] = flags;
  return b;
}

/**
 * Lists the neighbour (ARP / NDP) tables. Wraps an RTM_GETNEIGH dump.
 * @see https://man7.org/linux/man-pages/man7/rtnetlink.7.html
 * @throws NetlinkError; NetlinkMessageError.
 */
export function listNeighbours(
  filter: { family?: "inet" | "inet6" } = {},
  options?: RouteOptions,
): Promise<Neighbour[]> {
  const af = familyIn(filter?.family, "filter.family", false);
  const o = checkOptions(options);
  return dumpObjects(o, RTM.GETNEIGH, ndmsg(af), RTM.NEWNEIGH, "RTM_GETNEIGH", decodeNeighbour);
}

/** What {@link addNeighbour} and {@link deleteNeighbour} take. */
export interface NeighbourSpec {
  /** The interface, by name or index. */
  link: string | number;
  /** The neighbour's IP address. */
  address: string;
  /** Its hardware address (needed to add). */
  lladdr?: string;
  /** "permanent" (default), "reachable", "stale", "noarp" ... */
  state?: string | number;
}

function neighbourChange(spec: NeighbourSpec, del: boolean, options: RouteOptions | undefined): Promise<void> {
  if (spec === null || typeof spec !== "object")
    throw codedError("ERR_INVALID_ARG_TYPE", `spec must be an object, got ${describe(spec)}`);
  checkLinkRef(spec.link, "spec.link");
  const p = parsePrefix(spec.address, "spec.address", true);
  const e = new AttributeEncoder().bytes(NDA.DST, p.bytes);
  if (spec.lladdr !== undefined) e.bytes(NDA.LLADDR, parseHw(spec.lladdr, "spec.lladdr"));
  else if (!del) throw codedError("ERR_INVALID_ARG_VALUE", "spec.lladdr is needed to add a neighbour");
  const state = spec.state === undefined ? (del ? 0 : NUD.PERMANENT) : fromGroup(NUD, spec.state, "spec.state", 0xffff);
  const o = checkOptions(options);
  return withConnection("route", o, async (conn) => {
    const index = await indexOf(conn, spec.link, o);
    const req = Buffer.concat([ndmsg(p.af, index, state), e.encode()]);
    if (del) await conn.request(RTM.DELNEIGH, req, { op: "RTM_DELNEIGH", ...waitOpts(o) });
    else
      await conn.request(RTM.NEWNEIGH, req, {
        op: "RTM_NEWNEIGH",
        flags: NLM_F.CREATE | NLM_F.REPLACE,
        ...waitOpts(o),
      });
  });
}

/**
 * Adds (or replaces) a neighbour entry, as `ip neigh replace`. Wraps an
 * RTM_NEWNEIGH request with NLM_F_CREATE | NLM_F_REPLACE.
 * @see https://man7.org/linux/man-pages/man7/rtnetlink.7.html
 * @throws NetlinkError ENODEV, EINVAL, EPERM; TypeError ERR_INVALID_ADDRESS.
 */
export function addNeighbour(spec: NeighbourSpec, options?: RouteOptions): Promise<void> {
  return neighbourChange(spec, false, options);
}

/**
 * Deletes a neighbour entry, as `ip neigh del`. Wraps an RTM_DELNEIGH request.
 * @see https://man7.org/linux/man-pages/man7/rtnetlink.7.html
 * @throws NetlinkError ENOENT (no such entry), ENODEV, EPERM.
 */
export function deleteNeighbour(spec: NeighbourSpec, options?: RouteOptions): Promise<void> {
  return neighbourChange(spec, true, options);
}
