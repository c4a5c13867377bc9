/**
 * rtnetlink (NETLINK_ROUTE): links, addresses, routes and neighbours — list,
 * add, delete — and their change events. Requests are built and replies
 * decoded with the pure codec (attributes.ts, message.ts) over a
 * NetlinkConnection; struct layouts and numbers come from the headers.
 *
 * Every call takes `{ connection?, netns?, signal?, timeout? }`: an open
 * connection to reuse, or a network namespace to open one in (closed again
 * after the call).
 */
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "../address.js";
import {
  AF,
  IFA,
  ICMPV6_ROUTER_PREF,
  IFA_F,
  IFF,
  IFLA,
  NDA,
  NLM_F,
  NTF,
  NUD,
  RTA,
  RTM,
  RTN,
  RTNLGRP,
  RTPROT,
  RT_SCOPE,
  RT_TABLE,
  STRUCTS,
  VETH_INFO,
  constantName,
} from "../constants.js";
import { readI32, readU16, readU32, writeI32, writeU16, writeU32 } from "../endian.js";
import { codedError } from "../errors.js";
import type { NetnsLike } from "../netns.js";
import { describe } from "../raw/index.js";
import { HEADER_CONSTANTS } from "../raw/headers.js";
import { AttributeDecoder, AttributeEncoder } from "./attributes.js";
import { NetlinkConnection, ownedIterator, withConnection } from "./conn.js";
import { NetlinkMessageError } from "./errors.js";
import type { NetlinkMessage } from "./message.js";

const IFI = STRUCTS.ifinfomsg!;
const IFAM = STRUCTS.ifaddrmsg!;
const RTMS = STRUCTS.rtmsg!;
const NDM = STRUCTS.ndmsg!;
const CACHE = STRUCTS.ifa_cacheinfo!;

/** Options every rtnetlink call accepts. */
export interface RouteOptions {
  /** An open NETLINK_ROUTE connection to use (not closed by the call). */
  connection?: NetlinkConnection;
  /** Otherwise: open the connection inside this network namespace. */
  netns?: NetnsLike;
  /** Aborts the request: the wait ends with an AbortError. */
  signal?: AbortSignal;
  /** Milliseconds for the whole exchange. */
  timeout?: number;
}

/** An address family in rtnetlink results: "inet", "inet6", or the AF_* number. */
export type RouteFamily = "inet" | "inet6" | number;

/** A network interface (RTM_NEWLINK). */
export interface Link {
  /** The interface index. */
  index: number;
  /** The interface name (IFLA_IFNAME). */
  name: string;
  /** IFF_* bits. */
  flags: number;
  /** The flags as `ip link` prints them: "LOOPBACK", "UP", "LOWER_UP", "NO-CARRIER" ... */
  flagNames: string[];
  /** The MTU, bytes (IFLA_MTU). */
  mtu?: number;
  /** The queueing discipline (IFLA_QDISC): "noqueue", "fq_codel" ... */
  qdisc?: string;
  /** RFC 2863 state: "UP", "DOWN", "UNKNOWN", "LOWERLAYERDOWN" ... */
  operstate: string;
  /** IFLA_LINKMODE: "DEFAULT" or "DORMANT". */
  linkMode?: string;
  /** The interface group (IFLA_GROUP); 0 is the default group. */
  group: number;
  /** The transmit queue length, packets (IFLA_TXQLEN). */
  txqlen?: number;
  /** ARPHRD_* of the link layer. */
  type: number;
  /** The link type as `ip` names it: "ether", "loopback", "none" ... */
  linkType: string;
  /** Hardware address, "aa:bb:cc:dd:ee:ff". */
  address?: string;
  /** The link-layer broadcast address (IFLA_BROADCAST). */
  broadcast?: string;
  /** The permanent hardware address (IFLA_PERM_ADDRESS), when it differs. */
  permAddress?: string;
  /** IFLA_LINK: the index of the link this one sits on (a veth's peer, a VLAN's parent). */
  link?: number;
  /** IFLA_LINK_NETNSID: `link` lives in the namespace with this id. */
  linkNetnsid?: number;
  /** The index of the master device (bridge, bond, VRF). */
  master?: number;
  /** IFLA_INFO_KIND: "veth", "bridge", "dummy" ... (absent for physical devices). */
  kind?: string;
  /** The interface alias (IFLA_IFALIAS). */
  alias?: string;
  /** The smallest MTU the device accepts (IFLA_MIN_MTU). */
  minMtu?: number;
  /** The largest MTU the device accepts (IFLA_MAX_MTU). */
  maxMtu?: number;
  /** How many times promiscuous mode is on (IFLA_PROMISCUITY). */
  promiscuity?: number;
  /** Whether the link has a carrier (IFLA_CARRIER). */
  carrier?: boolean;
}

/** An address of an interface (RTM_NEWADDR). */
export interface InterfaceAddress {
  /** The address family. */
  family: RouteFamily;
  /** The interface index. */
  index: number;
  /** The prefix length: 24 for a /24. */
  prefixlen: number;
  /** "global", "link", "host", "site", "nowhere" or the number. */
  scope: string;
  /** IFA_F_* bits (the 32-bit IFA_FLAGS when present). */
  flags: number;
  /** The flags by name, lower case as `ip` prints them: "secondary", "permanent", "noprefixroute" ... */
  flagNames: string[];
  /** IFA_LOCAL (IFA_ADDRESS when there is no IFA_LOCAL): the interface's own address. */
  local?: string;
  /** IFA_ADDRESS when it differs from local: the peer of a point-to-point link. */
  address?: string;
  /** The broadcast address (IFA_BROADCAST), IPv4 only. */
  broadcast?: string;
  /** The label (IFA_LABEL): "eth0", "eth0:1" ... */
  label?: string;
  /** Seconds; 4294967295 is "forever". */
  validLifetime?: number;
  /** Seconds the address stays preferred (IFA_CACHEINFO); 4294967295 is "forever". */
  preferredLifetime?: number;
}

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
// Small codecs.

function need(m: NetlinkMessage, size: number, what: string): void {
  if (m.data.length < size) throw new NetlinkMessageError(`${what} truncated: ${m.data.length} bytes, need ${size}`);
}

function familyOut(af: number): RouteFamily {
  return af === AF.INET ? "inet" : af === AF.INET6 ? "inet6" : af;
}

function familyIn(f: unknown, what: string, allowAny: boolean): number {
  if (f === undefined) return AF.UNSPEC;
  if (f === "inet" || f === 4) return AF.INET;
  if (f === "inet6" || f === 6) return AF.INET6;
  if (allowAny && f === "all") return AF.UNSPEC;
  throw codedError("ERR_INVALID_ARG_VALUE", `${what} must be "inet" or "inet6", got ${describe(f)}`);
}

/** An IP address from attribute bytes (4 or 16 bytes), else hex. */
function ipText(b: Buffer): string {
  if (b.length === 4) return formatIPv4(b);
  if (b.length === 16) return formatIPv6(b);
  return hwText(b);
}

/** A hardware address as "aa:bb:cc:dd:ee:ff". */
function hwText(b: Buffer): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join(":");
}

function parseHw(text: unknown, what: string): Buffer {
  if (typeof text !== "string" || !/^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2})*$/.test(text)) {
    throw codedError(
      "ERR_INVALID_ADDRESS",
      `${what} must be a hardware address like "02:00:00:00:00:01", got ${describe(text)}`,
    );
  }
  return Buffer.from(text.split(":").map((x) => parseInt(x, 16)));
}

/** Parses "10.0.0.1", "10.0.0.0/24", "fe80::1/64" → family, bytes, prefix length. */
function parsePrefix(text: unknown, what: string, defaultFull: boolean): { af: number; bytes: Buffer; len: number } {
  if (typeof text !== "string")
    throw codedError("ERR_INVALID_ARG_TYPE", `${what} must be a string, got ${describe(text)}`);
  const slash = text.indexOf("/");
  const host = slash === -1 ? text : text.slice(0, slash);
  let bytes = parseIPv4(host);
  let af = AF.INET;
  let max = 32;
  if (!bytes) {
    bytes = parseIPv6(host);
    af = AF.INET6;
    max = 128;
  }
  if (!bytes)
    throw codedError(
      "ERR_INVALID_ADDRESS",
      `${what} must be an IPv4 or IPv6 address (with an optional /prefix), got ${JSON.stringify(text)}`,
    );
  let len = defaultFull ? max : 0;
  if (slash !== -1) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) {
      throw codedError("ERR_INVALID_ADDRESS", `${what}: prefix length must be 0..${max}, got ${JSON.stringify(p)}`);
    }
    len = Number(p);
  }
  return { af, bytes: Buffer.from(bytes), len };
}

function checkOptions(options: unknown): RouteOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== "object") {
    throw codedError("ERR_INVALID_ARG_TYPE", `options must be an object, got ${describe(options)}`);
  }
  return options as RouteOptions;
}

function waitOpts(o: RouteOptions): { signal?: AbortSignal; timeout?: number } {
  const w: { signal?: AbortSignal; timeout?: number } = {};
  if (o.signal !== undefined) w.signal = o.signal;
  if (o.timeout !== undefined) w.timeout = o.timeout;
  return w;
}

/** A name from a constant group, lower case, without its prefix ("RT_SCOPE_LINK" → "link"). */
function lowerName(group: Readonly<Record<string, number | undefined>>, value: number): string | undefined {
  for (const [k, v] of Object.entries(group)) if (v === value) return k.toLowerCase();
  return undefined;
}

/**
 * The scope as `ip` names it (rt_scopes: 0 is "global").
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/rtnetlink.7.html
 */
export function scopeName(scope: number): string {
  if (scope === RT_SCOPE.UNIVERSE) return "global";
  return lowerName(RT_SCOPE, scope) ?? String(scope);
}

function scopeNumber(scope: unknown, what: string): number {
  if (typeof scope === "number" && Number.isInteger(scope) && scope >= 0 && scope <= 255) return scope;
  if (scope === "global") return RT_SCOPE.UNIVERSE;
  if (typeof scope === "string") {
    const v = RT_SCOPE[scope.toUpperCase()];
    if (v !== undefined) return v;
  }
  throw codedError(
    "ERR_INVALID_ARG_VALUE",
    `${what} must be global, site, link, host, nowhere or 0..255, got ${describe(scope)}`,
  );
}

function fromGroup(group: Readonly<Record<string, number | undefined>>, v: unknown, what: string, max: number): number {
  if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= max) return v;
  if (typeof v === "string") {
    const n = group[v.toUpperCase()];
    if (n !== undefined) return n;
  }
  throw codedError(
    "ERR_INVALID_ARG_VALUE",
    `${what} must be one of ${Object.keys(group)
      .map((k) => k.toLowerCase())
      .join(", ")} or 0..${max}, got ${describe(v)}`,
  );
}

// ---------------------------------------------------------------------------
// Links.

/** `ip`'s order for link flags (iproute2 print_link_flags). */
const FLAG_ORDER = [
  "LOOPBACK",
  "BROADCAST",
  "POINTOPOINT",
  "MULTICAST",
  "NOARP",
  "ALLMULTI",
  "PROMISC",
  "MASTER",
  "SLAVE",
  "DEBUG",
  "DYNAMIC",
  "AUTOMEDIA",
  "PORTSEL",
  "NOTRAILERS",
  "UP",
  "LOWER_UP",
  "DORMANT",
  "ECHO",
] as const;

/**
 * Link flags by name in `ip`'s order, with NO-CARRIER for an up link without carrier (IFF_RUNNING unset).
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/rtnetlink.7.html
 */
export function linkFlagNames(flags: number): string[] {
  const out: string[] = [];
  if (flags & IFF.UP && !(flags & IFF.RUNNING)) out.push("NO-CARRIER");
  for (const name of FLAG_ORDER) {
    const bit = IFF[name];
    if (bit !== undefined && flags & bit) out.push(name);
  }
  return out;
}

function arphrdName(type: number): string {
  const group = HEADER_CONSTANTS.ARPHRD ?? {};
  for (const [k, v] of Object.entries(group)) if (v === type) return k.replace(/^ARPHRD_/, "").toLowerCase();
  return `[${type}]`;
}

/**
 * Decodes an RTM_NEWLINK/RTM_DELLINK message into a Link. Does not correspond to a syscall.
 * @throws NetlinkMessageError for a malformed message.
 * @see https://man7.org/linux/man-pages/man7/rtnetlink.7.html
 */
export function decodeLink(m: NetlinkMessage): Link {
  need(m, IFI.size, "ifinfomsg");
  const d = m.data;
  const flags = readU32(d, IFI.ifi_flags!);
  const type = readU16(d, IFI.ifi_type!);
  const link: Link = {
    index: readI32(d, IFI.ifi_index!),
    name: "",
    flags,
    flagNames: linkFlagNames(flags),
    operstate: "UNKNOWN",
    group: 0,
    type,
    linkType: arphrdName(type),
  };
  const ad = new AttributeDecoder(d.subarray(IFI.size));
  while (ad.next()) {
    switch (ad.type) {
      case IFLA.IFNAME:
        link.name = ad.string();
        break;
      case IFLA.MTU:
        link.mtu = ad.uint32();
        break;
      case IFLA.QDISC:
        link.qdisc = ad.string();
        break;
      case IFLA.OPERSTATE: {
        const s = ad.uint8();
        link.operstate = constantName("IF_OPER", s).replace(/^IF_OPER_/, "");
        break;
      }
      case IFLA.LINKMODE:
        link.linkMode = constantName("IF_LINK_MODE", ad.uint8()).replace(/^IF_LINK_MODE_/, "");
        break;
      case IFLA.GROUP:
        link.group = ad.uint32();
        break;
      case IFLA.TXQLEN:
        link.txqlen = ad.uint32();
        break;
      case IFLA.ADDRESS:
        link.address = hwText(ad.bytes());
        break;
      case IFLA.BROADCAST:
        link.broadcast = hwText(ad.bytes());
        break;
      case IFLA.PERM_ADDRESS:
        link.permAddress = hwText(ad.bytes());
        break;
      case IFLA.LINK:
        link.link = ad.uint32();
        break;
      case IFLA.LINK_NETNSID:
        link.linkNetnsid = ad.int32();
        break;
      case IFLA.MASTER:
        link.master = ad.uint32();
        break;
      case IFLA.IFALIAS:
        link.alias = ad.string();
        break;
      case IFLA.MIN_MTU:
        link.minMtu = ad.uint32();
        break;
      case IFLA.MAX_MTU:
        link.maxMtu = ad.uint32();
        break;
      case IFLA.PROMISCUITY:
        link.promiscuity = ad.uint32();
        break;
      case IFLA.CARRIER:
        link.carrier = ad.uint8() !== 0;
        break;
      case IFLA.LINKINFO:
        ad.nested((info) => {
          while (info.next()) if (info.type === IFLA.INFO_KIND) link.kind = info.string();
        });
        break;
    }
  }
  ad.finish();
  return link;
}

function ifinfomsg(index = 0, flags = 0, change = 0, family = AF.UNSPEC): Buffer {
  const b = Buffer.alloc(IFI.size);
  b[IFI.ifi_family!] = family;
  writeI32(b, IFI.ifi_index!, index);
  writeU32(b, IFI.ifi_flags!, flags);
  writeU32(b, IFI.ifi_change!, change);
  return b;
}

function checkLinkRef(link: unknown, what: string): number | string {
  if (typeof link === "number" && Number.isInteger(link) && link > 0 && link <= 0x7fffffff) return link;
  if (
    typeof link === "string" &&
    link.length > 0 &&
    Buffer.byteLength(link) < 16 &&
    !link.includes("\0") &&
    !link.includes("/")
  )
    return link;
  throw codedError(
    "ERR_INVALID_ARG_VALUE",
    `${what} must be an interface name (1-15 bytes) or index >= 1, got ${describe(link)}`,
  );
}

/**
 * Lists every network interface of the namespace. Wraps an RTM_GETLINK dump.
 * @see https://man7.org/linux/man-pages/man7/rtnetlink.7.html
 * @throws NetlinkError; NetlinkMessageError; SocketError (ETIMEDOUT, ENOENT for a missing netns).
 */
export function listLinks(options?: RouteOptions): Promise<Link[]> {
  const o = checkOptions(options);
  return withConnection("route", o, async (conn) => {
    const msgs = await conn.dump(RTM.GETLINK, ifinfomsg(), { op: "RTM_GETLINK", ...waitOpts(o) });
    return msgs.filter((m) => m.type === RTM.NEWLINK).map(decodeLink);
  });
}

/**
 * Gets one interface by name or index. Wraps an RTM_GETLINK request.
 * @see https://man7.org/linux/man-pages/man7/rtnetlink.7.html
 * @throws NetlinkError ENODEV (no such interface); TypeError ERR_INVALID_ARG_VALUE.
 */
export function getLink(link: string | number, options?: RouteOptions): Promise<Link> {
  const ref = checkLinkRef(link, "link");
  const o = checkOptions(options);
  return withConnection("route", o, (conn) => fetchLink(conn, ref, o));
}

async function fetchLink(conn: NetlinkConnection, ref: string | number, o: RouteOptions): Promise<Link> {
  const e = new AttributeEncoder();
  if (typeof ref === "string") e.string(IFLA.IFNAME, ref);
  const req = Buffer.concat([ifinfomsg(typeof ref === "number" ? ref : 0), e.encode()]);
  const msgs = await conn.request(RTM.GETLINK, req, { op: "RTM_GETLINK", ...waitOpts(o) });
  const m = msgs.find((x) => x.type === RTM.NEWLINK);
  if (!m) throw new NetlinkMessageError("RTM_GETLINK: no link in the reply");
  return decodeLink(m);
}

async function indexOf(conn: NetlinkConnection, ref: string | number, o: RouteOptions): Promise<number> {
  return typeof ref === "number" ? ref : (await fetchLink(conn, ref, o)).index;
}

/** What {@link addLink} creates. */
export interface LinkSpec {
  /** The new interface's name. */
  name: string;
  /** IFLA_INFO_KIND: "dummy", "veth", "bridge" ... */
  kind: string;
  /** For a veth pair: the peer's name. */
  peer?: string;
  /** The MTU of the new link, bytes. */
  mtu?: number;
  /** Hardware address "02:00:00:00:00:01". */
  address?: string;
  /** Create it up. */
  up?: boolean;
}

/**
 * Creates a virtual interface (dummy, veth pair, bridge ...), as `ip link add`.
 * Wraps an RTM_NEWLINK request with NLM_F_CREATE | NLM_F_EXCL.
 * @see https://man7.org/linux/man-pages/man7/rtnetlink.7.html
 * @throws NetlinkError EEXIST (name taken), EOPNOTSUPP (unknown kind), EPERM (needs CAP_NET_ADMIN);
 *   TypeError ERR_INVALID_ARG_VALUE.
 */
export function addLink(spec: LinkSpec, options?: RouteOptions): Promise<void> {
  if (spec === null || typeof spec !== "object")
    throw codedError("ERR_INVALID_ARG_TYPE", `spec must be an object, got ${describe(spec)}`);
  const name = checkLinkRef(spec.name, "spec.name");
  if (typeof name !== "string") throw codedError("ERR_INVALID_ARG_VALUE", "spec.name must be a name");
  if (typeof spec.kind !== "string" || spec.kind === "")
    throw codedError(
      "ERR_INVALID_ARG_VALUE",
      `spec.kind must be a link kind such as "dummy" or "veth", got ${describe(spec.kind)}`,
    );
  const peer = spec.peer === undefined ? undefined : checkLinkRef(spec.peer, "spec.peer");
  const mac = spec.address === undefined ? undefined : parseHw(spec.address, "spec.address");
  if (spec.mtu !== undefined && (!Number.isInteger(spec.mtu) || spec.mtu < 0 || spec.mtu > 0xffffffff)) {
    throw codedError("ERR_OUT_OF_RANGE", `spec.mtu must be an integer, got ${describe(spec.mtu)}`);
  }
  const e = new AttributeEncoder();
  e.string(IFLA.IFNAME, name);
  if (spec.mtu !== undefined) e.uint32(IFLA.MTU, spec.mtu);
  if (mac) e.bytes(IFLA.ADDRESS, mac);
  e.nested(IFLA.LINKINFO, (li) => {
    li.string(IFLA.INFO_KIND, spec.kind);
    if (typeof peer === "string") {
      // veth: IFLA_INFO_DATA { VETH_INFO_PEER { struct ifinfomsg, IFLA_IFNAME } } (drivers/net/veth.c).
      li.nested(IFLA.INFO_DATA, (data) => {
        data.bytes(
          VETH_INFO.PEER,
          Buffer.concat([ifinfomsg(), new AttributeEncoder().string(IFLA.IFNAME, peer).encode()]),
        );
      });
    }
  });
  const up = spec.up === true ? IFF.UP : 0;
  const req = Buffer.concat([ifinfomsg(0, up, up), e.encode()]);
  const o = checkOptions(options);
  return withConnection("route", o, async (conn) => {
    await conn.request(RTM.NEWLINK, req, { op: "RTM_NEWLINK", flags: NLM_F.CREATE | NLM_F.EXCL, ...waitOpts(o) });
  });
}

/** What {@link setLink} changes. */
export interface LinkChange {
  /** Bring the link up (true) or down (false). */
  up?: boolean;
  /** The new MTU, bytes. */
  mtu?: number;
  /** Rename it. */
  name?: string;
  /** Hardware address. */
  address?: string;
}

/**
 * Changes an interface: up/down, MTU, name, hardware address, as `ip link set`.
 * Wraps an RTM_NEWLINK request on an existing link.
 * @see https://man7.org/linux/man-pages/man7/rtnetlink.7.html
 * @throws NetlinkError ENODEV (no such link), EINVAL (bad MTU), EPERM; TypeError ERR_INVALID_ARG_VALUE.
 */
export function setLink(link: string | number, change: LinkChange, options?: RouteOptions): Promise<void> {
  const ref = checkLinkRef(link, "link");
  if (change === null || typeof change !== "object")
    throw codedError("ERR_INVALID_ARG_TYPE", `change must be an object, got ${describe(change)}`);
  const e = new AttributeEncoder();
  if (change.mtu !== undefined) {
    if (!Number.isInteger(change.mtu) || change.mtu < 0 || change.mtu > 0xffffffff) {
      throw codedError("ERR_OUT_OF_RANGE", `change.mtu must be an integer, got ${describe(change.mtu)}`);
    }
    e.uint32(IFLA.MTU, change.mtu);
  }
  if (change.name !== undefined) {
    const n = checkLinkRef(change.name, "change.name");
    if (typeof n !== "string") throw codedError("ERR_INVALID_ARG_VALUE", "change.name must be a name");
    e.string(IFLA.IFNAME, n);
  }
  if (change.address !== undefined) e.bytes(IFLA.ADDRESS, parseHw(change.address, "change.address"));
  if (change.up !== undefined && typeof change.up !== "boolean") {
    throw codedError("ERR_INVALID_ARG_TYPE", `change.up must be a boolean, got ${describe(change.up)}`);
  }
  const o = checkOptions(options);
  return withConnection("route", o, async (conn) => {
    const index = await indexOf(conn, ref, o);
    const up = change.up === undefined ? 0 : IFF.UP;
    const req = Buffer.concat([ifinfomsg(index, change.up ? IFF.UP : 0, up), e.encode()]);
    await conn.request(RTM.NEWLINK, req, { op: "RTM_NEWLINK", ...waitOpts(o) });
  });
}

/**
 * Deletes a (virtual) interface, as `ip link del`. Wraps an RTM_DELLINK request.
 * @see https://man7.org/linux/man-pages/man7/rtnetlink.7.html
 * @throws NetlinkError ENODEV, EOPNOTSUPP (a physical device), EPERM.
 */
export function deleteLink(link: string | number, options?: RouteOptions): Promise<void> {
  const ref = checkLinkRef(link, "link");
  const o = checkOptions(options);
  return withConnection("route", o, async (conn) => {
    const e = new AttributeEncoder();
    if (typeof ref === "string") e.string(IFLA.IFNAME, ref);
    const req = Buffer.concat([ifinfomsg(typeof ref === "number" ? ref : 0), e.encode()]);
    await conn.request(RTM.DELLINK, req, { op: "RTM_DELLINK", ...waitOpts(o) });
  });
}

// ---------------------------------------------------------------------------
// Addresses.

function ifaFlagNames(flags: number): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(IFA_F)) if (v !== undefined && flags & v) out.push(k.toLowerCase());
  return out;
}

/**
 * Decodes an RTM_NEWADDR/RTM_DELADDR message. Does not correspond to a syscall.
 * @throws NetlinkMessageError for a malformed message.
 * @see https://man7.org/linux/man-pages/man7/rtnetlink.7.html
 */
export function decodeAddress(m: NetlinkMessage): InterfaceAddress {
  need(m, IFAM.size, "ifaddrmsg");
  const d = m.data;
  let flags = d[IFAM.ifa_flags!]!;
  const a: InterfaceAddress = {
    family: familyOut(d[IFAM.ifa_family!]!),
    index: readU32(d, IFAM.ifa_index!),
    prefixlen: d[IFAM.ifa_prefixlen!]!,
    scope: scopeName(d[IFAM.ifa_scope!]!),
    flags,
    flagNames: [],
  };
  let local: string | undefined;
  let address: string | undefined;
  const ad = new AttributeDecoder(d.subarray(IFAM.size));
  while (ad.next()) {
    switch (ad.type) {
      case IFA.ADDRESS:
        address = ipText(ad.bytes());
        break;
      case IFA.LOCAL:
        local = ipText(ad.bytes());
        break;
      case IFA.BROADCAST:
        a.broadcast = ipText(ad.bytes());
        break;
      case IFA.LABEL:
        a.label = ad.string();
        break;
      case IFA.FLAGS:
        flags = ad.uint32();
        break;
      case IFA.CACHEINFO: {
        const c = ad.bytes();
        if (c.length >= CACHE.size) {
          a.preferredLifetime = readU32(c, CACHE.ifa_prefered!);
          a.validLifetime = readU32(c, CACHE.ifa_valid!);
        }
        break;
      }
    }
  }
  ad.finish();
  // As iproute2: a missing IFA_LOCAL is IFA_ADDRESS; IFA_ADDRESS differing from it is the peer.
  a.local = local ?? address;
  if (address !== undefined && local !== undefined && address !== local) a.address = address;
  a.flags = flags;
  a.flagNames = ifaFlagNames(flags);
  return a;
}

function ifaddrmsg(af: number, prefixlen = 0, index = 0, scope = 0, flags = 0): Buffer {
  const b = Buffer.alloc(IFAM.size);
  b[IFAM.ifa_family!] = af;
  b[IFAM.ifa_prefixlen!] = prefixlen;
  b[IFAM.ifa_flags!] = flags & 0xff;
  b[IFAM.ifa_scope!] = scope;
  writeU32(b, IFAM.ifa_index!, index);
  return b;
}

/**
 * Lists the addresses of every interface (or of one family). Wraps an RTM_GETADDR dump.
 * @see https://man7.org/linux/man-pages/man7/rtnetlink.7.html
 * @throws NetlinkError; NetlinkMessageError; TypeError ERR_INVALID_ARG_VALUE (family).
 */
export function listAddresses(
  filter: { family?: "inet" | "inet6" } = {},
  options?: RouteOptions,
): Promise<InterfaceAddress[]> {
  const af = familyIn(filter?.family, "filter.family", false);
  const o = checkOptions(options);
  return withConnection("route", o, async (conn) => {
    const msgs = await conn.dump(RTM.GETADDR, ifaddrmsg(af), { op: "RTM_GETADDR", ...waitOpts(o) });
    return msgs.filter((m) => m.type === RTM.NEWADDR).map(decodeAddress);
  });
}

/** What {@link addAddress} and {@link deleteAddress} take. */
export interface AddressSpec {
  /** The interface: name or index. */
  link: string | number;
  /** "10.0.0.1/24", "fd00::1/64" (no prefix: /32 or /128). */
  address: string;
  /** For a point-to-point link: the peer's address. */
  peer?: string;
  /** IPv4 broadcast address. */
  broadcast?: string;
  /** IPv4 label ("eth0:1"). */
  label?: string;
  /** "global" (default), "link", "host" ... */
  scope?: string | number;
  /** Skip IPv6 duplicate address detection (IFA_F_NODAD), so the address is usable at once. */
  nodad?: boolean;
  /** Do not add the prefix route (IFA_F_NOPREFIXROUTE). */
  noprefixroute?: boolean;
}

function addressRequest(spec: AddressSpec): {
  prefix: ReturnType<typeof parsePrefix>;
  attrs: AttributeEncoder;
  flags: number;
  scope: number;
} {
  if (spec === null || typeof spec !== "object")
    throw codedError("ERR_INVALID_ARG_TYPE", `spec must be an object, got ${describe(spec)}`);
  checkLinkRef(spec.link, "spec.link");
  const prefix = parsePrefix(spec.address, "spec.address", true);
  const e = new AttributeEncoder();
  e.bytes(IFA.LOCAL, prefix.bytes);
  if (spec.peer !== undefined) {
    const p = parsePrefix(spec.peer, "spec.peer", true);
    if (p.af !== prefix.af) throw codedError("ERR_INVALID_ADDRESS", "spec.peer must be of the address's family");
    e.bytes(IFA.ADDRESS, p.bytes);
  } else e.bytes(IFA.ADDRESS, prefix.bytes);
  if (spec.broadcast !== undefined) {
    const b = parsePrefix(spec.broadcast, "spec.broadcast", true);
    if (b.af !== AF.INET || prefix.af !== AF.INET)
      throw codedError("ERR_INVALID_ADDRESS", "spec.broadcast is for IPv4 addresses");
    e.bytes(IFA.BROADCAST, b.bytes);
  }
  if (spec.label !== undefined) {
    if (typeof spec.label !== "string" || Buffer.byteLength(spec.label) > 15) {
      throw codedError(
        "ERR_INVALID_ARG_VALUE",
        `spec.label must be a string of up to 15 bytes, got ${describe(spec.label)}`,
      );
    }
    e.string(IFA.LABEL, spec.label);
  }
  let flags = 0;
  if (spec.nodad) flags |= IFA_F.NODAD;
  if (spec.noprefixroute) flags |= IFA_F.NOPREFIXROUTE;
  if (flags) e.uint32(IFA.FLAGS, flags);
  const scope = spec.scope === undefined ? RT_SCOPE.UNIVERSE : scopeNumber(spec.scope, "spec.scope");
  return { prefix, attrs: e, flags, scope };
}

/**
 * Adds an address to an interface, as `ip addr add`. Wraps an RTM_NEWADDR
 * request with NLM_F_CREATE | NLM_F_EXCL.
 * @see https://man7.org/linux/man-pages/man7/rtnetlink.7.html
 * @throws NetlinkError EEXIST (already there), ENODEV, EPERM; TypeError ERR_INVALID_ADDRESS.
 */
export function addAddress(spec: AddressSpec, options?: RouteOptions): Promise<void> {
  const r = addressRequest(spec);
  const o = checkOptions(options);
  return withConnection("route", o, async (conn) => {
    const index = await indexOf(conn, spec.link, o);
    const req = Buffer.concat([ifaddrmsg(r.prefix.af, r.prefix.len, index, r.scope, r.flags), r.attrs.encode()]);
    await conn.request(RTM.NEWADDR, req, { op: "RTM_NEWADDR", flags: NLM_F.CREATE | NLM_F.EXCL, ...waitOpts(o) });
  });
}

/**
 * Removes an address from an interface, as `ip addr del`. Wraps an RTM_DELADDR request.
 * @see https://man7.org/linux/man-pages/man7/rtnetlink.7.html
 * @throws NetlinkError EADDRNOTAVAIL (no such address), ENODEV, EPERM.
 */
export function deleteAddress(spec: AddressSpec, options?: RouteOptions): Promise<void> {
  const r = addressRequest(spec);
  const o = checkOptions(options);
  return withConnection("route", o, async (conn) => {
    const index = await indexOf(conn, spec.link, o);
    const req = Buffer.concat([ifaddrmsg(r.prefix.af, r.prefix.len, index, r.scope), r.attrs.encode()]);
    await conn.request(RTM.DELADDR, req, { op: "RTM_DELADDR", ...waitOpts(o) });
  });
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
  return withConnection("route", o, async (conn) => {
    const msgs = await conn.dump(RTM.GETROUTE, rtmsg(af, 0, 0, 0, 0, 0), { op: "RTM_GETROUTE", ...waitOpts(o) });
    return msgs
      .filter((m) => m.type === RTM.NEWROUTE)
      .map(decodeRoute)
      .filter((r) => table === undefined || r.table === table);
  });
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
  return withConnection("route", o, async (conn) => {
    const msgs = await conn.dump(RTM.GETNEIGH, ndmsg(af), { op: "RTM_GETNEIGH", ...waitOpts(o) });
    return msgs.filter((m) => m.type === RTM.NEWNEIGH).map(decodeNeighbour);
  });
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

/**
 * One line describing an event, in the spirit of `ip monitor`:
 * "link new 3 veth0 <UP,LOWER_UP> mtu 1500 state UP", "address new inet 10.0.0.1/24 if 3",
 * "route delete 10.9.0.0/24 via 10.0.0.2 if 3", "neighbour new 10.0.0.2 lladdr 02:.. if 3 REACHABLE".
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/rtnetlink.7.html
 */
export function formatRouteEventLine(ev: RouteEvent): string {
  switch (ev.kind) {
    case "link": {
      const l = ev.link;
      return `link ${ev.action} ${l.index} ${l.name} <${l.flagNames.join(",")}>${l.mtu !== undefined ? ` mtu ${l.mtu}` : ""} state ${l.operstate}${l.kind ? ` kind ${l.kind}` : ""}`;
    }
    case "address": {
      const a = ev.address;
      return `address ${ev.action} ${typeof a.family === "string" ? a.family : `af${a.family}`} ${a.local ?? "?"}/${a.prefixlen} if ${a.index} scope ${a.scope}${a.label ? ` ${a.label}` : ""}`;
    }
    case "route": {
      const r = ev.route;
      return `route ${ev.action} ${r.dst}${r.gateway ? ` via ${r.gateway}` : ""}${r.oif !== undefined ? ` if ${r.oif}` : ""} table ${r.table} proto ${r.protocol} scope ${r.scope}${r.type !== "unicast" ? ` type ${r.type}` : ""}`;
    }
    case "neighbour": {
      const n = ev.neighbour;
      return `neighbour ${ev.action} ${n.dst ?? "?"}${n.lladdr ? ` lladdr ${n.lladdr}` : ""} if ${n.index} ${n.state.join(",")}`;
    }
  }
}
