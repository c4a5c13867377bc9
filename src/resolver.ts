/**
 * Names and numbers: getaddrinfo(3) with every hint, getnameinfo(3) with the NI_*
 * flags, the gethostby* shapes for ported code, the services and protocols
 * databases, gethostname, inet_aton/inet_ntoa and if_nameindex.
 *
 * Every lookup that may read a file or ask a DNS server runs on libuv's thread
 * pool (native/resolver.c, the reentrant *_r forms of the libc calls), so the
 * event loop never waits for it. Resolver failures keep their EAI_* code and
 * libc's message (ResolveError); EAI_SYSTEM becomes the SocketError of its errno.
 *
 * inet_pton/inet_ntop, htons/ntohs/htonl/ntohl and if_nametoindex/if_indextoname
 * live in posix.ts and are re-exported here unchanged.
 */
import { type SocketAddress, type AddressLike, decodeSockaddr, encodeSockaddr, parseAddress } from "./address.js";
import { AF } from "./constants.js";
import { codedError } from "./errors.js";
import {
  type FamilyName,
  type TypeName,
  familyLabel,
  familyNumber,
  protocolLabel,
  protocolNumber,
  typeLabel,
  typeNumber,
} from "./names.js";
import { describe } from "./raw/index.js";
import { ifNameindex, inetAton, inetNtop, inetPton } from "./raw/names.js";
import * as rawResolver from "./raw/resolver.js";
import { RESOLVER_CONSTANTS, ResolveError } from "./raw/resolver.js";

export { ResolveError };

export { htonl, htons, if_indextoname, if_nametoindex, inet_ntop, inet_pton, ntohl, ntohs } from "./posix.js";

const consts = RESOLVER_CONSTANTS;

/** getaddrinfo(3) flags (AI_PASSIVE, AI_CANONNAME, AI_NUMERICHOST, AI_NUMERICSERV, AI_ADDRCONFIG, AI_V4MAPPED, AI_ALL, ...) from <netdb.h>. */
export const AI = Object.freeze({ ...consts.AI }) as Readonly<
  Record<
    "AI_PASSIVE" | "AI_CANONNAME" | "AI_NUMERICHOST" | "AI_NUMERICSERV" | "AI_ADDRCONFIG" | "AI_V4MAPPED" | "AI_ALL",
    number
  > &
    Record<string, number>
>;
/** getnameinfo(3) flags (NI_NUMERICHOST, NI_NUMERICSERV, NI_NOFQDN, NI_NAMEREQD, NI_DGRAM) and NI_MAXHOST/NI_MAXSERV. */
export const NI = Object.freeze({ ...consts.NI }) as Readonly<
  Record<"NI_NUMERICHOST" | "NI_NUMERICSERV" | "NI_NOFQDN" | "NI_NAMEREQD" | "NI_DGRAM", number> &
    Record<string, number>
>;
/** The resolver's error codes (EAI_NONAME, EAI_AGAIN, ...), as libc numbers them (negative on glibc). */
export const EAI = Object.freeze({ ...consts.EAI }) as Readonly<
  Record<
    | "EAI_AGAIN"
    | "EAI_BADFLAGS"
    | "EAI_FAIL"
    | "EAI_FAMILY"
    | "EAI_MEMORY"
    | "EAI_NONAME"
    | "EAI_SERVICE"
    | "EAI_SOCKTYPE"
    | "EAI_SYSTEM"
    | "EAI_OVERFLOW",
    number
  > &
    Record<string, number>
>;

function checkString(v: unknown, what: string): string {
  if (typeof v !== "string") throw codedError("ERR_INVALID_ARG_TYPE", `${what} must be a string, got ${describe(v)}`);
  if (v.includes("\0")) throw codedError("ERR_INVALID_ARG_VALUE", `${what} must not contain NUL bytes`);
  return v;
}

function checkFlagsArg(v: unknown, what: string): number {
  if (v === undefined) return 0;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 0x7fffffff)
    throw codedError("ERR_INVALID_ARG_TYPE", `${what} must be a non-negative integer bitmask, got ${describe(v)}`);
  return v;
}

// ---------------------------------------------------------------------------
// getaddrinfo / getnameinfo.

/** The hints of getaddrinfo(3); every field is optional. */
export interface AddrInfoHints {
  /** "inet", "inet6", "unspec" (default) or an AF_* number. */
  family?: FamilyName | "unspec" | number;
  /** "stream", "dgram", "seqpacket", "raw" or a SOCK_* number; default 0 (any). */
  socktype?: TypeName | number;
  /** "tcp", "udp", ... or an IPPROTO_* number; default 0 (any). */
  protocol?: string | number;
  /** AI_* bits or'ed together (AI.AI_PASSIVE | AI.AI_CANONNAME ...); default 0. */
  flags?: number;
}

/** One result of getaddrinfo: a struct addrinfo, decoded. */
export interface AddrInfo {
  /** The address family (ai_family): "inet", "inet6" or an AF_* number. */
  family: FamilyName | number;
  /** The socket type (ai_socktype): "stream", "dgram", "raw" or a SOCK_* number. */
  socktype: TypeName | number;
  /** The protocol (ai_protocol): "tcp", "udp" or a number. */
  protocol: string | number;
  /** The socket address, ready for bind/connect/sendto. */
  address: SocketAddress;
  /** The canonical name (AI_CANONNAME; only on the first result, as libc gives it). */
  canonname?: string;
  /** The AI_* flags of the result (ai_flags). */
  flags: number;
}

interface RawAddrInfo {
  flags: number;
  family: number;
  socktype: number;
  protocol: number;
  addr: Buffer;
  canonname: string | null;
}

/**
 * Translates a host name and/or service into socket addresses, running the
 * lookup off the event loop (/etc/hosts, DNS, NSS as the system is set up).
 * Wraps `getaddrinfo(3)`.
 * @param host a name or numeric address, or null (with AI_PASSIVE: the wildcard address; else loopback)
 * @param service a service name ("http"), a port number or numeric string, or null
 * @param hints family, socktype, protocol and AI_* flags (every hint of the C call)
 * @see https://man7.org/linux/man-pages/man3/getaddrinfo.3.html
 * @throws ResolveError EAI_NONAME, EAI_AGAIN, EAI_SERVICE, EAI_FAMILY, EAI_SOCKTYPE,
 *   EAI_BADFLAGS, EAI_ADDRFAMILY, EAI_NODATA, EAI_FAIL; SocketError for EAI_SYSTEM;
 *   TypeError ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE (at once, not as a rejection).
 */
export function getaddrinfo(
  host: string | null,
  service?: string | number | null,
  hints: AddrInfoHints = {},
): Promise<AddrInfo[]> {
  if (host !== null) checkString(host, "getaddrinfo: host");
  let serv: string | null = null;
  if (typeof service === "number") {
    if (!Number.isInteger(service) || service < 0 || service > 65535)
      throw codedError("ERR_OUT_OF_RANGE", `getaddrinfo: port must be an integer 0-65535, got ${service}`);
    serv = String(service);
  } else if (service !== undefined && service !== null) serv = checkString(service, "getaddrinfo: service");
  if (host === null && serv === null)
    throw codedError("ERR_INVALID_ARG_VALUE", "getaddrinfo: host and service cannot both be null");
  if (hints === null || typeof hints !== "object")
    throw codedError("ERR_INVALID_ARG_TYPE", `getaddrinfo: hints must be an object, got ${describe(hints)}`);
  const family = hints.family === undefined || hints.family === "unspec" ? AF.UNSPEC : familyNumber(hints.family);
  const socktype = hints.socktype === undefined ? 0 : typeNumber(hints.socktype);
  const protocol = protocolNumber(family === AF.UNSPEC ? AF.INET : family, hints.protocol);
  const flags = checkFlagsArg(hints.flags, "getaddrinfo: hints.flags");
  return rawResolver.getaddrinfo<RawAddrInfo[]>(host, serv, flags, family, socktype, protocol).then((list) => {
    return list.map((a) => {
      const info: AddrInfo = {
        family: familyLabel(a.family),
        socktype: typeLabel(a.socktype),
        protocol: protocolLabel(a.family, a.protocol),
        address: decodeSockaddr(a.addr, a.addr.length),
        flags: a.flags,
      };
      if (a.canonname !== null) info.canonname = a.canonname;
      return info;
    });
  });
}

/** What getnameinfo found. */
export interface NameInfo {
  /** The host name (or the numeric address with NI_NUMERICHOST). */
  host: string;
  /** The service name (or the port number with NI_NUMERICSERV). */
  service: string;
}

/** Encodes an inet/inet6 address (object or "host:port" string) for getnameinfo/gethostbyaddr. */
function inetSockaddr(address: AddressLike, syscall: string): Buffer {
  const addr = typeof address === "string" ? parseAddress(address) : address;
  if (addr === null || typeof addr !== "object" || (addr.family !== "inet" && addr.family !== "inet6")) {
    throw codedError(
      "ERR_INVALID_ADDRESS",
      `${syscall}: an IPv4 or IPv6 address is required, got ${describe(address)}`,
    );
  }
  const sa = encodeSockaddr(addr, syscall);
  return sa.bytes.subarray(0, sa.length);
}

/**
 * Translates a socket address into a host name and service name (or their
 * numeric forms, per the NI_* flags), off the event loop. Wraps `getnameinfo(3)`.
 * @param address `{ family: "inet", address, port }`, an inet6 object, or "127.0.0.1:80" / "[::1]:22"
 * @param flags NI_* bits: NI_NUMERICHOST, NI_NUMERICSERV, NI_NOFQDN, NI_NAMEREQD, NI_DGRAM
 * @see https://man7.org/linux/man-pages/man3/getnameinfo.3.html
 * @throws ResolveError EAI_NONAME (NI_NAMEREQD and no name), EAI_AGAIN, EAI_BADFLAGS,
 *   EAI_FAMILY, EAI_OVERFLOW; TypeError ERR_INVALID_ADDRESS / ERR_INVALID_ARG_TYPE.
 */
export function getnameinfo(address: AddressLike, flags = 0): Promise<NameInfo> {
  const sa = inetSockaddr(address, "getnameinfo");
  const f = checkFlagsArg(flags, "getnameinfo: flags");
  const shown = typeof address === "string" ? address : (address as { address?: string }).address;
  return rawResolver.getnameinfo(sa, f, shown).then(([host, service]) => ({ host, service }));
}

// ---------------------------------------------------------------------------
// The gethostby* shapes (for code ported from C or Python).

/** A struct hostent: the official name, its aliases, and the addresses as text. */
export interface HostEntry {
  /** The official (canonical) host name. */
  name: string;
  /** Other names of the host. */
  aliases: string[];
  /** The family of `addresses`. */
  family: "inet" | "inet6";
  /** The host's addresses, in text form. */
  addresses: string[];
}

interface RawHostent {
  name: string;
  aliases: string[];
  family: number;
  addresses: Buffer[];
}

function hostEntry(h: RawHostent): HostEntry {
  const v6 = h.family === AF.INET6;
  return {
    name: h.name,
    aliases: h.aliases,
    family: v6 ? "inet6" : "inet",
    addresses: h.addresses.map((b) => inetNtop(h.family, b)),
  };
}

/**
 * Returns the first IPv4 address of `name` as text (Python's
 * socket.gethostbyname). Does not correspond to a single syscall: uses
 * gethostbyname_ex's lookup.
 * @see https://man7.org/linux/man-pages/man3/gethostbyname.3.html
 * @throws ResolveError EAI_NONAME (HOST_NOT_FOUND), EAI_AGAIN (TRY_AGAIN), EAI_FAIL
 *   (NO_RECOVERY), EAI_NODATA (NO_DATA); TypeError ERR_INVALID_ARG_TYPE.
 */
export function gethostbyname(name: string): Promise<string> {
  return gethostbyname_ex(name).then((e) => {
    const first = e.addresses[0];
    if (first === undefined) throw new ResolveError(EAI.EAI_NODATA ?? EAI.EAI_NONAME, "gethostbyname", name);
    return first;
  });
}

/**
 * Returns the host entry of `name` for one family: official name, aliases and
 * every address (Python's socket.gethostbyname_ex, plus a family). Runs off the
 * event loop. Wraps `gethostbyname2_r(3)`.
 * @param family "inet" (default) or "inet6"
 * @see https://man7.org/linux/man-pages/man3/gethostbyname.3.html
 * @throws ResolveError EAI_NONAME, EAI_AGAIN, EAI_FAIL, EAI_NODATA; TypeError ERR_INVALID_ARG_TYPE.
 */
export function gethostbyname_ex(name: string, family: "inet" | "inet6" = "inet"): Promise<HostEntry> {
  checkString(name, "gethostbyname: name");
  const af = checkInetFamily(family, "gethostbyname");
  return rawResolver.gethostbyname2<RawHostent>(name, af).then(hostEntry);
}

function checkInetFamily(family: unknown, syscall: string): number {
  if (family === "inet" || family === AF.INET) return AF.INET;
  if (family === "inet6" || family === AF.INET6) return AF.INET6;
  throw codedError("ERR_INVALID_ARG_VALUE", `${syscall}: family must be "inet" or "inet6", got ${describe(family)}`);
}

/**
 * Returns the host entry for an IPv4 or IPv6 address given as text (Python's
 * socket.gethostbyaddr): its name, aliases, and addresses. Runs off the event
 * loop. Wraps `gethostbyaddr_r(3)`.
 * @see https://man7.org/linux/man-pages/man3/gethostbyaddr.3.html
 * @throws ResolveError EAI_NONAME (no name for the address), EAI_AGAIN, EAI_FAIL;
 *   TypeError ERR_INVALID_ADDRESS (not an address), ERR_INVALID_ARG_TYPE.
 */
export function gethostbyaddr(address: string): Promise<HostEntry> {
  checkString(address, "gethostbyaddr: address");
  const text = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  const v4 = Buffer.alloc(4);
  const v6 = Buffer.alloc(16);
  let bytes: Buffer, af: number;
  if (inetPton(AF.INET, text, v4)) [bytes, af] = [v4, AF.INET];
  else if (inetPton(AF.INET6, text, v6)) [bytes, af] = [v6, AF.INET6];
  else throw codedError("ERR_INVALID_ADDRESS", `gethostbyaddr: ${JSON.stringify(address)} is not an IP address`);
  return rawResolver.gethostbyaddr<RawHostent>(bytes, af, address).then(hostEntry);
}

// ---------------------------------------------------------------------------
// Services, protocols, host name.

/** A struct servent: the service's name, aliases, port (host order) and protocol. */
export interface ServiceEntry {
  /** The official service name: "http". */
  name: string;
  /** Other names of the service. */
  aliases: string[];
  /** The port, in host byte order. */
  port: number;
  /** The protocol the entry is for: "tcp" or "udp". */
  proto: string;
}

/** A struct protoent: the protocol's name, aliases and number. */
export interface ProtocolEntry {
  /** The official protocol name: "tcp". */
  name: string;
  /** Other names of the protocol: ["TCP"]. */
  aliases: string[];
  /** The protocol number (IPPROTO_*). */
  number: number;
}

function notFound(syscall: string, what: string): ResolveError {
  return new ResolveError(EAI.EAI_NONAME, syscall, what);
}

function checkProto(proto: unknown, syscall: string): string | null {
  return proto === undefined || proto === null ? null : checkString(proto, `${syscall}: proto`);
}

/**
 * Looks a service up by name in the services database (/etc/services), off
 * the event loop. Wraps `getservbyname_r(3)`.
 * @param proto "tcp", "udp", or absent for the first entry of any protocol
 * @see https://man7.org/linux/man-pages/man3/getservbyname.3.html
 * @throws ResolveError EAI_NONAME (no such service); TypeError ERR_INVALID_ARG_TYPE.
 */
export function getservbyname(name: string, proto?: string | null): Promise<ServiceEntry> {
  checkString(name, "getservbyname: name");
  const p = checkProto(proto, "getservbyname");
  return rawResolver.getservbyname<ServiceEntry>(name, p).then((r) => {
    if (r === null) throw notFound("getservbyname", p ? `${name}/${p}` : name);
    return r;
  });
}

/**
 * Looks a service up by port (host byte order) in the services database, off
 * the event loop. Wraps `getservbyport_r(3)` (which takes the port in network
 * order: the conversion is done for you).
 * @see https://man7.org/linux/man-pages/man3/getservbyport.3.html
 * @throws ResolveError EAI_NONAME (no such service); RangeError ERR_OUT_OF_RANGE; TypeError.
 */
export function getservbyport(port: number, proto?: string | null): Promise<ServiceEntry> {
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535)
    throw codedError("ERR_OUT_OF_RANGE", `getservbyport: port must be an integer 0-65535, got ${describe(port)}`);
  const p = checkProto(proto, "getservbyport");
  return rawResolver.getservbyport<ServiceEntry>(port, p).then((r) => {
    if (r === null) throw notFound("getservbyport", p ? `${port}/${p}` : String(port));
    return r;
  });
}

/**
 * Looks a protocol up by name in the protocols database (/etc/protocols), off
 * the event loop. Wraps `getprotobyname_r(3)`.
 * @see https://man7.org/linux/man-pages/man3/getprotobyname.3.html
 * @throws ResolveError EAI_NONAME (no such protocol); TypeError ERR_INVALID_ARG_TYPE.
 */
export function getprotobyname(name: string): Promise<ProtocolEntry> {
  checkString(name, "getprotobyname: name");
  return rawResolver.getprotobyname<ProtocolEntry>(name).then((r) => {
    if (r === null) throw notFound("getprotobyname", name);
    return r;
  });
}

/**
 * Looks a protocol up by number in the protocols database, off the event loop.
 * Wraps `getprotobynumber_r(3)`.
 * @see https://man7.org/linux/man-pages/man3/getprotobynumber.3.html
 * @throws ResolveError EAI_NONAME (no such protocol); RangeError ERR_OUT_OF_RANGE; TypeError.
 */
export function getprotobynumber(proto: number): Promise<ProtocolEntry> {
  if (typeof proto !== "number" || !Number.isInteger(proto) || proto < 0 || proto > 0x7fffffff)
    throw codedError("ERR_OUT_OF_RANGE", `getprotobynumber: proto must be an integer >= 0, got ${describe(proto)}`);
  return rawResolver.getprotobynumber<ProtocolEntry>(proto).then((r) => {
    if (r === null) throw notFound("getprotobynumber", String(proto));
    return r;
  });
}

/**
 * Returns this machine's host name (the UTS namespace's nodename). Wraps `gethostname(2)`.
 * @see https://man7.org/linux/man-pages/man2/gethostname.2.html
 * @throws SocketError ENAMETOOLONG (never with the NI_MAXHOST buffer used).
 */
export function gethostname(): Promise<string> {
  return rawResolver.gethostname();
}

// ---------------------------------------------------------------------------
// Synchronous helpers.

/**
 * Parses an IPv4 address in any of the classic forms inet_aton(3) accepts
 * ("a.b.c.d", "a.b.c", "a.b", "a"; decimal, octal "0..." or hex "0x...") into
 * its 4 bytes in network order, or returns null (C's 0). Wraps `inet_aton(3)`.
 * @see https://man7.org/linux/man-pages/man3/inet_aton.3.html
 * @throws TypeError ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE (NUL inside).
 */
export function inet_aton(cp: string): Buffer | null {
  checkString(cp, "inet_aton: cp");
  const out = Buffer.alloc(4);
  return inetAton(cp, out) ? out : null;
}

/**
 * Formats 4 bytes in network order as dotted decimal ("192.0.2.1"). Wraps
 * `inet_ntoa(3)` (computed in TypeScript: the C call returns a static buffer).
 * @see https://man7.org/linux/man-pages/man3/inet_ntoa.3.html
 * @throws TypeError ERR_INVALID_ARG_TYPE; RangeError ERR_OUT_OF_RANGE (not exactly 4 bytes, as
 *   CPython's `socket.inet_ntoa` raises for a packed address of another length).
 */
export function inet_ntoa(inp: ArrayBufferView): string {
  if (!ArrayBuffer.isView(inp))
    throw codedError("ERR_INVALID_ARG_TYPE", `inet_ntoa: inp must be a Buffer or TypedArray, got ${describe(inp)}`);
  if (inp.byteLength !== 4)
    throw codedError("ERR_OUT_OF_RANGE", `inet_ntoa: exactly 4 bytes needed, got ${inp.byteLength}`);
  const b = new Uint8Array(inp.buffer, inp.byteOffset, 4);
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** One network interface: its index and name. */
export interface InterfaceEntry {
  /** The interface index (if_index). */
  index: number;
  /** The interface name: "lo", "eth0" ... */
  name: string;
}

/**
 * Lists the network interfaces (index and name). Wraps `if_nameindex(3)`
 * (a netlink query; does not block).
 * @see https://man7.org/linux/man-pages/man3/if_nameindex.3.html
 * @throws SocketError ENOBUFS, EMFILE.
 */
export function if_nameindex(): InterfaceEntry[] {
  return ifNameindex();
}
