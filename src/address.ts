/**
 * Socket addresses: the discriminated union of the public API, its string form,
 * and the sockaddr codec — one encoder and one decoder per family, keyed on the
 * length the kernel reported (CPython's makesockaddr), with struct offsets taken
 * from the system headers (STRUCTS). Pure: no I/O except if_nametoindex for
 * IPv6 scope names, so every decoder can be property-tested on random bytes.
 */
import { AF, LIMITS, STRUCTS } from "./constants.js";
import { readI32, readU16, readU32, writeI32, writeU16, writeU32 } from "./endian.js";
import { ERRNO, SocketError, codedError, type ErrorContext } from "./errors.js";
import { ifIndexOf } from "./raw/names.js";

/** An IPv4 address and port: `127.0.0.1:80`. */
export interface InetAddress {
  /** Always "inet" (AF_INET). */
  family: "inet";
  /** The IPv4 address in dotted-quad form: "127.0.0.1". */
  address: string;
  /** The port, 0-65535 (0 in bind: the kernel picks one). */
  port: number;
}

/** An IPv6 address and port: `[::1]:80`, `[fe80::1%eth0]:80`. */
export interface Inet6Address {
  /** Always "inet6" (AF_INET6). */
  family: "inet6";
  /** The IPv6 address in text form, without brackets or scope: "::1". */
  address: string;
  /** The port, 0-65535 (0 in bind: the kernel picks one). */
  port: number;
  /** sin6_flowinfo, host order (traffic class and flow label). */
  flowinfo?: number;
  /** Interface index, or an interface name resolved with if_nametoindex on use. */
  scopeId?: number | string;
}

/**
 * A Unix domain address. `path` is a file system path; a path starting with
 * "\0" is in the abstract namespace (string form `@name`); "" is unnamed (an
 * unbound or socketpair socket). A Buffer path carries bytes that are not UTF-8.
 */
export interface UnixAddress {
  /** Always "unix" (AF_UNIX). */
  family: "unix";
  /** The path; a leading "\0" is the abstract namespace, "" is unnamed. */
  path: string | Buffer;
}

/** A netlink address: port id (0 = the kernel) and multicast group bitmask. */
export interface NetlinkAddress {
  /** Always "netlink" (AF_NETLINK). */
  family: "netlink";
  /** The port id: 0 is the kernel (or, in bind, "assign one"); a process's socket has its own. */
  pid: number;
  /** The bitmask of multicast groups (nl_groups); 0 for none. */
  groups: number;
}

/** A link-layer address (AF_PACKET, struct sockaddr_ll). */
export interface PacketAddress {
  /** Always "packet" (AF_PACKET). */
  family: "packet";
  /** Ethernet protocol (ETH_P_*), host order. */
  protocol: number;
  /** The interface index (0 in bind: every interface). */
  ifindex: number;
  /** The ARP hardware type (ARPHRD_*), as received. */
  hatype: number;
  /** The packet type (PACKET_HOST, PACKET_BROADCAST, PACKET_OUTGOING ...), as received. */
  pkttype: number;
  /** Hardware address, `halen` bytes. */
  addr: Buffer;
}

/** Any other family: its number and the raw sockaddr bytes. */
export interface UnknownAddress {
  /** The AF_* number the kernel reported. */
  family: number;
  /** The raw sockaddr bytes, family included. */
  bytes: Buffer;
}

/** Every address a socket can have. */
export type SocketAddress = InetAddress | Inet6Address | UnixAddress | NetlinkAddress | PacketAddress | UnknownAddress;

/** An address object or its string form (`"127.0.0.1:80"`, `"[::1]:80"`, `"/run/x.sock"`, `"@name"`). */
export type AddressLike = SocketAddress | string;

const S = STRUCTS;
const SUN_PATH_MAX = LIMITS.SUN_PATH_MAX;
const sunPathOffset = S.sockaddr_un!.sun_path!;

// ---------------------------------------------------------------------------
// IP text forms. These follow glibc's inet_pton/inet_ntop exactly (the tests
// compare them with libc on random input): no leading zeros in dotted quads,
// "::" compresses the longest run (first on ties) of two or more zero words,
// and ::a.b.c.d / ::ffff:a.b.c.d print their IPv4 tail in dotted form.

/** Parses a dotted-quad IPv4 address into 4 bytes, or returns null. */
export function parseIPv4(text: string, out: Uint8Array = new Uint8Array(4), off = 0): Uint8Array | null {
  let part = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46; /* '.' */
    if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return null; /* leading zero */
      value = value * 10 + (c - 48);
      if (value > 255) return null;
      digits++;
    } else if (c === 46) {
      if (digits === 0 || part > 3) return null;
      out[off + part++] = value;
      value = 0;
      digits = 0;
    } else return null;
  }
  return part === 4 ? out : null;
}

/** Formats 4 bytes as a dotted quad. */
export function formatIPv4(bytes: Uint8Array, off = 0): string {
  return `${bytes[off]}.${bytes[off + 1]}.${bytes[off + 2]}.${bytes[off + 3]}`;
}

function hexGroup(s: string): number {
  if (s.length < 1 || s.length > 4) return -1;
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 97 && c <= 102) d = c - 87;
    else if (c >= 65 && c <= 70) d = c - 55;
    else return -1;
    v = v * 16 + d;
  }
  return v;
}

/** Parses an IPv6 address (no zone) into 16 bytes, or returns null. */
export function parseIPv6(text: string, out: Uint8Array = new Uint8Array(16), off = 0): Uint8Array | null {
  const words: number[] = [];
  let gap = -1;
  const dbl = text.indexOf("::");
  if (dbl !== -1 && text.indexOf("::", dbl + 1) !== -1) return null;
  const sides = dbl === -1 ? [text] : [text.slice(0, dbl), text.slice(dbl + 2)];
  const tail = new Uint8Array(4);
  for (let side = 0; side < sides.length; side++) {
    const s = sides[side]!;
    if (side === 1) gap = words.length;
    if (s === "") {
      if (dbl === -1) return null;
      continue;
    }
    const groups = s.split(":");
    for (let g = 0; g < groups.length; g++) {
      const grp = groups[g]!;
      const last = side === sides.length - 1 && g === groups.length - 1;
      if (last && grp.includes(".")) {
        if (!parseIPv4(grp, tail)) return null;
        words.push((tail[0]! << 8) | tail[1]!, (tail[2]! << 8) | tail[3]!);
        continue;
      }
      const v = hexGroup(grp);
      if (v < 0) return null;
      words.push(v);
    }
  }
  if (dbl !== -1 && gap === -1) gap = words.length;
  if (dbl === -1 ? words.length !== 8 : words.length > 7) return null;
  const full = new Array<number>(8).fill(0);
  if (dbl === -1) words.forEach((w, i) => (full[i] = w));
  else {
    for (let i = 0; i < gap; i++) full[i] = words[i]!;
    const after = words.length - gap;
    for (let i = 0; i < after; i++) full[8 - after + i] = words[gap + i]!;
  }
  for (let i = 0; i < 8; i++) {
    out[off + 2 * i] = full[i]! >> 8;
    out[off + 2 * i + 1] = full[i]! & 0xff;
  }
  return out;
}

/** Formats 16 bytes as an IPv6 address the way inet_ntop(3) does (RFC 5952). */
export function formatIPv6(bytes: Uint8Array, off = 0): string {
  const w = new Array<number>(8);
  for (let i = 0; i < 8; i++) w[i] = (bytes[off + 2 * i]! << 8) | bytes[off + 2 * i + 1]!;
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (w[i] === 0) {
      if (curBase === -1) {
        curBase = i;
        curLen = 1;
      } else curLen++;
    } else if (curBase !== -1) {
      if (bestBase === -1 || curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
      curBase = -1;
    }
  }
  if (curBase !== -1 && (bestBase === -1 || curLen > bestLen)) {
    bestBase = curBase;
    bestLen = curLen;
  }
  if (bestBase !== -1 && bestLen < 2) bestBase = -1;
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ":";
      continue;
    }
    if (i !== 0) out += ":";
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
      out += formatIPv4(bytes, off + 12);
      return out;
    }
    out += w[i]!.toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) out += ":";
  return out;
}

// ---------------------------------------------------------------------------
// String forms.

function invalid(text: string, why: string): Error {
  return codedError("ERR_INVALID_ADDRESS", `Invalid socket address ${JSON.stringify(text)}: ${why}`);
}

function parsePort(text: string, whole: string): number {
  if (!/^\d{1,5}$/.test(text)) throw invalid(whole, "the port must be a decimal number 0-65535");
  const port = Number(text);
  if (port > 65535) throw invalid(whole, "the port must be a decimal number 0-65535");
  return port;
}

/** The family a string form is read in; "unix" reads any string as a path. */
export type FamilyHint = "inet" | "inet6" | "unix" | undefined;

/**
 * Parses the string form of an address: `1.2.3.4:80`, `[::1]:80`,
 * `[fe80::1%eth0]:80`, `/path/x.sock`, `./x.sock`, `@abstract`. With
 * `hint` "unix" every string is a path (`@` marks the abstract namespace).
 * Throws TypeError ERR_INVALID_ADDRESS. Does not correspond to a syscall.
 */
export function parseAddress(text: string, hint?: FamilyHint): SocketAddress {
  if (typeof text !== "string") throw codedError("ERR_INVALID_ARG_TYPE", "The address must be a string or an object");
  if (
    hint === "unix" ||
    text.startsWith("/") ||
    text.startsWith("./") ||
    text.startsWith("../") ||
    text.startsWith("@")
  ) {
    return { family: "unix", path: text.startsWith("@") ? `\0${text.slice(1)}` : text };
  }
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close === -1) throw invalid(text, "missing ']' after the IPv6 address");
    if (text[close + 1] !== ":") throw invalid(text, "expected ':PORT' after ']'");
    const host = text.slice(1, close);
    const port = parsePort(text.slice(close + 2), text);
    const pct = host.indexOf("%");
    const ip = pct === -1 ? host : host.slice(0, pct);
    if (!parseIPv6(ip)) throw invalid(text, `${JSON.stringify(ip)} is not an IPv6 address`);
    const out: Inet6Address = { family: "inet6", address: formatIPv6(parseIPv6(ip)!), port };
    if (pct !== -1) {
      const zone = host.slice(pct + 1);
      if (zone === "") throw invalid(text, "empty scope after '%'");
      out.scopeId = /^\d+$/.test(zone) ? Number(zone) : zone;
    }
    return out;
  }
  const colon = text.lastIndexOf(":");
  if (colon === -1) {
    if (hint === undefined) return { family: "unix", path: text };
    throw invalid(text, "expected HOST:PORT");
  }
  const host = text.slice(0, colon);
  const port = parsePort(text.slice(colon + 1), text);
  if (host.includes(":")) throw invalid(text, "an IPv6 address must be written in brackets: [::1]:80");
  if (!parseIPv4(host)) {
    throw invalid(text, `${JSON.stringify(host)} is not a numeric IPv4 address (resolve names with getaddrinfo first)`);
  }
  if (hint === "inet6") return { family: "inet6", address: `::ffff:${host}`, port };
  return { family: "inet", address: host, port };
}

/** Formats an address in its string form (the inverse of {@link parseAddress}). */
export function formatAddress(addr: SocketAddress): string {
  switch (addr.family) {
    case "inet":
      return `${addr.address}:${addr.port}`;
    case "inet6": {
      const zone = addr.scopeId === undefined || addr.scopeId === 0 ? "" : `%${addr.scopeId}`;
      return `[${addr.address}${zone}]:${addr.port}`;
    }
    case "unix": {
      const p = typeof addr.path === "string" ? addr.path : addr.path.toString("latin1");
      return p.startsWith("\0") ? `@${p.slice(1)}` : p;
    }
    case "netlink":
      return `netlink:${addr.pid}/${addr.groups}`;
    case "packet":
      return `packet:${addr.ifindex}/0x${addr.protocol.toString(16).padStart(4, "0")}/${[...addr.addr].map((b) => b.toString(16).padStart(2, "0")).join(":")}`;
    default:
      return `family${(addr as UnknownAddress).family}:${(addr as UnknownAddress).bytes.toString("hex")}`;
  }
}

// ---------------------------------------------------------------------------
// The sockaddr codec.

/** The encoded form: the bytes and the socklen_t the kernel gets. */
export interface Sockaddr {
  /** The encoded struct sockaddr (a buffer at least `length` bytes long). */
  bytes: Buffer;
  /** The address length (socklen_t) to pass with it. */
  length: number;
}

function checkPort(port: unknown, syscall: string): number {
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw codedError("ERR_OUT_OF_RANGE", `${syscall}: port must be an integer 0-65535, got ${String(port)}`);
  }
  return port;
}

function checkIntRange(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw codedError("ERR_OUT_OF_RANGE", `${what} must be an integer ${min}-${max}, got ${String(v)}`);
  }
  return v;
}

function checkU32(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw codedError("ERR_OUT_OF_RANGE", `${what} must be an integer 0-4294967295, got ${String(v)}`);
  }
  return v;
}

/** Resolves an IPv6 scope given by name or index to an index. */
export function scopeIndex(scope: number | string | undefined, syscall = "if_nametoindex"): number {
  if (scope === undefined) return 0;
  if (typeof scope === "number") return checkU32(scope, "scopeId");
  if (typeof scope !== "string")
    throw codedError("ERR_INVALID_ARG_TYPE", "scopeId must be a number or an interface name");
  if (/^\d+$/.test(scope)) return checkU32(Number(scope), "scopeId");
  return ifIndexOf(scope, syscall);
}

/** Encodes the bytes of a Unix path, checking it fits sun_path (ENAMETOOLONG). */
function unixPathBytes(path: string | Buffer, syscall: string): Buffer {
  const bytes = typeof path === "string" ? Buffer.from(path, "utf8") : path;
  if (!Buffer.isBuffer(bytes))
    throw codedError("ERR_INVALID_ARG_TYPE", "A Unix address path must be a string or a Buffer");
  // A path name may fill all of sun_path (the kernel does not need the NUL);
  // an abstract name is its leading NUL plus at most SUN_PATH_MAX - 1 bytes.
  if (bytes.length > SUN_PATH_MAX) {
    const shown = typeof path === "string" ? path : path.toString("latin1");
    throw new SocketError(
      -ERRNO.ENAMETOOLONG!,
      syscall,
      { path: shown },
      `${syscall} ENAMETOOLONG ${JSON.stringify(shown.replace(/\0/g, "@"))}: ${bytes.length} bytes do not fit sun_path (${SUN_PATH_MAX})`,
    );
  }
  if (bytes.length > 0 && bytes[0] !== 0 && bytes.indexOf(0) !== -1) {
    throw codedError(
      "ERR_INVALID_ADDRESS",
      "A Unix path name must not contain NUL bytes (only an abstract name, which starts with one)",
    );
  }
  return bytes;
}

/**
 * Encodes an address object as a sockaddr. `syscall` names the call for errors.
 * Throws TypeError/RangeError for a malformed object, SocketError ENAMETOOLONG
 * for a Unix path longer than sun_path and ENODEV for an unknown scope name.
 */
export function encodeSockaddr(addr: SocketAddress, syscall = "bind"): Sockaddr {
  if (addr === null || typeof addr !== "object")
    throw codedError("ERR_INVALID_ARG_TYPE", `${syscall}: the address must be an object or a string`);
  switch (addr.family) {
    case "inet": {
      const st = S.sockaddr_in!;
      const b = Buffer.alloc(st.size);
      writeU16(b, st.sin_family!, AF.INET);
      b.writeUInt16BE(checkPort(addr.port, syscall), st.sin_port!);
      if (typeof addr.address !== "string" || !parseIPv4(addr.address, b, st.sin_addr!)) {
        throw codedError("ERR_INVALID_ADDRESS", `${syscall}: ${JSON.stringify(addr.address)} is not an IPv4 address`);
      }
      return { bytes: b, length: st.size };
    }
    case "inet6": {
      const st = S.sockaddr_in6!;
      const b = Buffer.alloc(st.size);
      writeU16(b, st.sin6_family!, AF.INET6);
      b.writeUInt16BE(checkPort(addr.port, syscall), st.sin6_port!);
      b.writeUInt32BE(addr.flowinfo === undefined ? 0 : checkU32(addr.flowinfo, "flowinfo"), st.sin6_flowinfo!);
      let text = addr.address;
      let scope = addr.scopeId;
      if (typeof text === "string" && text.includes("%") && scope === undefined) {
        scope = text.slice(text.indexOf("%") + 1);
        text = text.slice(0, text.indexOf("%"));
      }
      if (typeof text !== "string" || !parseIPv6(text, b, st.sin6_addr!)) {
        throw codedError("ERR_INVALID_ADDRESS", `${syscall}: ${JSON.stringify(addr.address)} is not an IPv6 address`);
      }
      writeU32(b, st.sin6_scope_id!, scopeIndex(scope));
      return { bytes: b, length: st.size };
    }
    case "unix": {
      const st = S.sockaddr_un!;
      const path = unixPathBytes(addr.path, syscall);
      const b = Buffer.alloc(st.size);
      writeU16(b, st.sun_family!, AF.UNIX);
      path.copy(b, sunPathOffset);
      // Pathnames carry their NUL when it fits; abstract names are exactly
      // their bytes (a trailing NUL would become part of the name).
      const abstract = path.length > 0 && path[0] === 0;
      const len = sunPathOffset + path.length + (!abstract && path.length > 0 && path.length < SUN_PATH_MAX ? 1 : 0);
      return { bytes: b, length: path.length === 0 ? LIMITS.SA_FAMILY_SIZE : len };
    }
    case "netlink": {
      const st = S.sockaddr_nl!;
      const b = Buffer.alloc(st.size);
      writeU16(b, st.nl_family!, AF.NETLINK);
      writeU32(b, st.nl_pid!, checkU32(addr.pid ?? 0, "pid"));
      writeU32(b, st.nl_groups!, checkU32(addr.groups ?? 0, "groups"));
      return { bytes: b, length: st.size };
    }
    case "packet": {
      const st = S.sockaddr_ll!;
      const b = Buffer.alloc(st.size);
      writeU16(b, st.sll_family!, AF.PACKET);
      b.writeUInt16BE(checkPort(addr.protocol ?? 0, syscall), st.sll_protocol!);
      // sll_ifindex is a C int, sll_pkttype an unsigned char: refused past their range, never wrapped.
      writeI32(b, st.sll_ifindex!, checkIntRange(addr.ifindex ?? 0, "ifindex", 0, 0x7fffffff));
      writeU16(b, st.sll_hatype!, checkIntRange(addr.hatype ?? 0, "hatype", 0, 0xffff));
      b[st.sll_pkttype!] = checkIntRange(addr.pkttype ?? 0, "pkttype", 0, 0xff);
      const hw = addr.addr ?? Buffer.alloc(0);
      const room = st.size - st.sll_addr!;
      if (hw.length > room)
        throw codedError("ERR_OUT_OF_RANGE", `${syscall}: a hardware address has at most ${room} bytes`);
      b[st.sll_halen!] = hw.length;
      Buffer.from(hw).copy(b, st.sll_addr!);
      return { bytes: b, length: st.size };
    }
    default: {
      const u = addr as UnknownAddress;
      if (typeof u.family !== "number" || !Buffer.isBuffer(u.bytes)) {
        throw codedError(
          "ERR_INVALID_ADDRESS",
          `${syscall}: unknown address family ${JSON.stringify((addr as { family: unknown }).family)}`,
        );
      }
      return { bytes: u.bytes, length: u.bytes.length };
    }
  }
}

/**
 * Decodes `length` bytes of a sockaddr the kernel filled in. Never throws: a
 * sockaddr too short for its family, or of a family sockit does not know,
 * comes back as `{ family: number, bytes }`. `socketFamily` decides
 * what an empty address means: unnamed for Unix, `{ family, bytes: <empty> }` otherwise.
 */
export function decodeSockaddr(buf: Buffer, length: number, socketFamily?: number): SocketAddress {
  const len = Math.max(0, Math.min(length, buf.length));
  if (len < LIMITS.SA_FAMILY_SIZE) {
    // No address at all: an unnamed Unix socket, or (e.g. recvfrom on a
    // connected TCP socket) a call that had none to report.
    if (socketFamily === undefined || socketFamily === AF.UNIX) return { family: "unix", path: "" };
    return { family: socketFamily, bytes: Buffer.alloc(0) };
  }
  const family = readU16(buf, 0);
  const raw = (): UnknownAddress => ({ family, bytes: Buffer.from(buf.subarray(0, len)) });
  switch (family) {
    case AF.INET: {
      const st = S.sockaddr_in!;
      if (len < st.sin_addr! + 4) return raw();
      return { family: "inet", address: formatIPv4(buf, st.sin_addr!), port: buf.readUInt16BE(st.sin_port!) };
    }
    case AF.INET6: {
      const st = S.sockaddr_in6!;
      if (len < st.sin6_scope_id! + 4) return raw();
      const out: Inet6Address = {
        family: "inet6",
        address: formatIPv6(buf, st.sin6_addr!),
        port: buf.readUInt16BE(st.sin6_port!),
        flowinfo: buf.readUInt32BE(st.sin6_flowinfo!),
        scopeId: readU32(buf, st.sin6_scope_id!),
      };
      return out;
    }
    case AF.UNIX: {
      const n = len - sunPathOffset;
      if (n <= 0) return { family: "unix", path: "" };
      const bytes = buf.subarray(sunPathOffset, sunPathOffset + n);
      if (bytes[0] === 0) return { family: "unix", path: textOrBytes(bytes) };
      const nul = bytes.indexOf(0);
      return { family: "unix", path: textOrBytes(nul === -1 ? bytes : bytes.subarray(0, nul)) };
    }
    case AF.NETLINK: {
      const st = S.sockaddr_nl!;
      if (len < st.nl_groups! + 4) return raw();
      return { family: "netlink", pid: readU32(buf, st.nl_pid!), groups: readU32(buf, st.nl_groups!) };
    }
    case AF.PACKET: {
      const st = S.sockaddr_ll!;
      if (len < st.sll_addr!) return raw();
      const halen = Math.min(buf[st.sll_halen!]!, len - st.sll_addr!);
      return {
        family: "packet",
        protocol: buf.readUInt16BE(st.sll_protocol!),
        ifindex: readI32(buf, st.sll_ifindex!),
        hatype: readU16(buf, st.sll_hatype!),
        pkttype: buf[st.sll_pkttype!]!,
        addr: Buffer.from(buf.subarray(st.sll_addr!, st.sll_addr! + halen)),
      };
    }
    default:
      return raw();
  }
}

/** UTF-8 text when the bytes round-trip through it, else a copy of the bytes. */
function textOrBytes(bytes: Buffer): string | Buffer {
  const s = bytes.toString("utf8");
  return Buffer.byteLength(s) === bytes.length && Buffer.from(s, "utf8").equals(bytes) ? s : Buffer.from(bytes);
}

/** Where an address points, for a SocketError: address and port, or the Unix path. */
export function errorContext(addr: SocketAddress): ErrorContext {
  switch (addr.family) {
    case "inet":
    case "inet6":
      return { address: addr.address, port: addr.port };
    case "unix":
      return { path: typeof addr.path === "string" ? addr.path : addr.path.toString("latin1") };
    default:
      return { address: formatAddress(addr) };
  }
}

/** The name of a numeric family as used in address objects, or the number. */
export function familyName(family: number): "inet" | "inet6" | "unix" | "netlink" | "packet" | number {
  switch (family) {
    case AF.INET:
      return "inet";
    case AF.INET6:
      return "inet6";
    case AF.UNIX:
      return "unix";
    case AF.NETLINK:
      return "netlink";
    case AF.PACKET:
      return "packet";
    default:
      return family;
  }
}

/**
 * Turns an address in either form into an object for a socket of `family`
 * (string forms are read with that family as the hint; an IPv4 address given
 * to an IPv6 socket becomes its v4-mapped form).
 */
export function toAddress(input: AddressLike, family: number, syscall: string): SocketAddress {
  const name = familyName(family);
  const hint: FamilyHint = name === "inet" || name === "inet6" || name === "unix" ? name : undefined;
  if (typeof input === "string") return parseAddress(input, hint);
  if (input === null || typeof input !== "object") {
    throw codedError(
      "ERR_INVALID_ARG_TYPE",
      `${syscall}: the address must be a string or an address object, got ${input === null ? "null" : typeof input}`,
    );
  }
  if (name === "inet6" && input.family === "inet") {
    return { family: "inet6", address: `::ffff:${(input as InetAddress).address}`, port: (input as InetAddress).port };
  }
  return input;
}
