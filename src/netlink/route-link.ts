/**
 * rtnetlink links: list, get, add (dummy, veth …), set (up/down, MTU, name),
 * delete, and the ifinfomsg decoder.
 */
import { AF, IFF, IFLA, NLM_F, RTM, VETH_INFO, constantName } from "../constants.js";
import { readI32, readU16, readU32, writeI32, writeU32 } from "../endian.js";
import { codedError } from "../errors.js";
import { describe } from "../raw/index.js";
import { HEADER_CONSTANTS } from "../raw/headers.js";
import { AttributeDecoder, AttributeEncoder } from "./attributes.js";
import { NetlinkConnection, withConnection } from "./conn.js";
import { NetlinkMessageError } from "./errors.js";
import type { NetlinkMessage } from "./message.js";
import { IFI, type RouteOptions, need, hwText, parseHw, checkOptions, waitOpts, dumpObjects } from "./route-common.js";

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

export function checkLinkRef(link: unknown, what: string): number | string {
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
  return dumpObjects(o, RTM.GETLINK, ifinfomsg(), RTM.NEWLINK, "RTM_GETLINK", decodeLink);
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

export async function indexOf(conn: NetlinkConnection, ref: string | number, o: RouteOptions): Promise<number> {
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
