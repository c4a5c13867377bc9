/**
 * rtnetlink interface addresses: list, add, delete, and the ifaddrmsg decoder.
 */
import { AF, IFA, IFA_F, NLM_F, RTM, RT_SCOPE } from "../constants.js";
import { readU32, writeU32 } from "../endian.js";
import { codedError } from "../errors.js";
import { describe } from "../raw/index.js";
import { AttributeDecoder, AttributeEncoder } from "./attributes.js";
import { withConnection } from "./conn.js";
import type { NetlinkMessage } from "./message.js";
import {
  IFAM,
  CACHE,
  type RouteOptions,
  type RouteFamily,
  need,
  familyOut,
  familyIn,
  ipText,
  parsePrefix,
  checkOptions,
  scopeName,
  scopeNumber,
  waitOpts,
  dumpObjects,
} from "./route-common.js";
import { indexOf, checkLinkRef } from "./route-link.js";

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
  return dumpObjects(o, RTM.GETADDR, ifaddrmsg(af), RTM.NEWADDR, "RTM_GETADDR", decodeAddress);
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
