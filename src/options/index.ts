/**
 * getsockopt(2)/setsockopt(2) by name or number, driven by one option table
 * per level (sol-socket.ts, ipproto-ip.ts, ipproto-ipv6.ts, ipproto-tcp.ts,
 * ipproto-udp.ts). Each entry gives the option's codec (codecs.ts), so
 * `getOption(fd, "SOL_SOCKET", "SO_LINGER")` returns `{ onoff, linger }` and
 * `setOption(fd, "IPPROTO_TCP", "TCP_NODELAY", true)` takes a boolean.
 *
 * Anything the tables do not know still works, as raw bytes: a level or
 * option given as a number, or an option name the headers define but no table
 * lists (SO_PEERSEC). Numbers are never rejected, after socket2 and CPython.
 *
 * Order of checks: names are resolved, the fd and the value are validated,
 * and read-only/write-only misuse is refused — all before any syscall — so a
 * SocketError always means the kernel said no.
 */
import { IPPROTO, SOL, constantName } from "../constants.js";
import { codedError } from "../errors.js";
import * as raw from "../raw/index.js";
import { bytes, type Codec } from "./codecs.js";
import { ipprotoIp } from "./ipproto-ip.js";
import { ipprotoIpv6 } from "./ipproto-ipv6.js";
import { ipprotoTcp } from "./ipproto-tcp.js";
import { ipprotoUdp } from "./ipproto-udp.js";
import { solSocket } from "./sol-socket.js";
import { solPacket } from "./sol-packet.js";
import { ipprotoIcmpv6 } from "./ipproto-icmpv6.js";
import { solNetlink } from "./sol-netlink.js";
import type { Access, LevelSpec, OptionSpec, OptionTable } from "./table.js";

export * from "./codecs.js";
export { man, type Access, type LevelSpec, type OptionSpec, type OptionTable } from "./table.js";
export { SOL_SOCKET_OPTIONS } from "./sol-socket.js";
export { IPPROTO_IP_OPTIONS } from "./ipproto-ip.js";
export { IPPROTO_IPV6_OPTIONS } from "./ipproto-ipv6.js";
export { IPPROTO_TCP_OPTIONS } from "./ipproto-tcp.js";
export { IPPROTO_UDP_OPTIONS } from "./ipproto-udp.js";
export {
  SOL_PACKET_OPTIONS,
  decodePacketAuxdata,
  type PacketAuxdata,
  type PacketMembership,
  type PacketStatistics,
} from "./sol-packet.js";
export { IPPROTO_ICMPV6_OPTIONS, type Icmp6Filter } from "./ipproto-icmpv6.js";
export { SOL_NETLINK_OPTIONS } from "./sol-netlink.js";

// ---------------------------------------------------------------------------
// Types: the value type of each option, derived from the tables.

/** The option tables by every level name accepted for them. */
export interface OptionTables {
  SOL_SOCKET: typeof solSocket.options;
  IPPROTO_IP: typeof ipprotoIp.options;
  SOL_IP: typeof ipprotoIp.options;
  IPPROTO_IPV6: typeof ipprotoIpv6.options;
  SOL_IPV6: typeof ipprotoIpv6.options;
  IPPROTO_TCP: typeof ipprotoTcp.options;
  SOL_TCP: typeof ipprotoTcp.options;
  IPPROTO_UDP: typeof ipprotoUdp.options;
  SOL_UDP: typeof ipprotoUdp.options;
  SOL_PACKET: typeof solPacket.options;
  IPPROTO_ICMPV6: typeof ipprotoIcmpv6.options;
  SOL_ICMPV6: typeof ipprotoIcmpv6.options;
  SOL_NETLINK: typeof solNetlink.options;
}

/** A level name with an option table. */
export type OptionLevel = keyof OptionTables;

/** The option names of level `L` ("SO_REUSEADDR" ...). */
export type OptionName<L extends OptionLevel> = keyof OptionTables[L] & string;

type SpecOf<L, N> = L extends OptionLevel
  ? N extends keyof OptionTables[L]
    ? OptionTables[L][N]
    : undefined
  : undefined;

/**
 * What `getOption(fd, L, N)` returns: the decoded type for a known option
 * (`Linger` for SO_LINGER), `never` for a write-only one, `unknown` (at run
 * time a Buffer) for anything the tables do not name.
 */
export type OptionValue<L, N> =
  SpecOf<L, N> extends OptionSpec<infer G, infer _S, infer A> ? ("w" extends A ? never : G) : unknown;

/**
 * What `setOption(fd, L, N, value)` accepts: the codec's input type or raw
 * bytes for a known option, `never` for a read-only one, `unknown` otherwise.
 */
export type OptionInput<L, N> =
  SpecOf<L, N> extends OptionSpec<infer _G, infer S, infer A> ? ("r" extends A ? never : S | ArrayBufferView) : unknown;

/** Options of {@link Socket.getsockopt} and `posix.getsockopt`. */
export interface GetOptionOptions {
  /**
   * The buffer size offered to the kernel (default: the codec's size, or
   * 1024 bytes for raw options). 0..1 MiB.
   */
  size?: number;
}

/** A level/option pair resolved to numbers, names and a codec. */
export interface ResolvedOption {
  /** The level number. */
  readonly level: number;
  /** The option number. */
  readonly name: number;
  /** The canonical level name ("SOL_SOCKET", "IPPROTO_TCP"), or the number as a string. */
  readonly levelName: string;
  /** The C option name ("SO_LINGER"), or the number as a string. */
  readonly optionName: string;
  /** How values are decoded and encoded; the raw Buffer codec for options without a table entry. */
  readonly codec: Codec<unknown, unknown>;
  /** Who may touch the option; "rw" for options without a table entry. */
  readonly access: Access;
  /** The table entry (doc, man page), when there is one. */
  readonly spec?: OptionSpec;
}

// ---------------------------------------------------------------------------
// Resolution tables, built once from the level files and the headers' numbers.

interface Level {
  readonly spec: LevelSpec | undefined;
  readonly name: string;
  readonly number: number;
  readonly byName: Map<string, ResolvedOption>;
  readonly byNumber: Map<number, ResolvedOption>;
  /** Table entries whose number the headers of this system lack. */
  readonly undefinedHere: Set<string>;
}

/** Every level with an option table, in the order of the docs. */
export const OPTION_LEVELS: readonly LevelSpec[] = Object.freeze([
  solSocket,
  ipprotoIp,
  ipprotoIpv6,
  ipprotoTcp,
  ipprotoUdp,
  solPacket,
  ipprotoIcmpv6,
  solNetlink,
]);

const levelsByName = new Map<string, Level>();
const levelsByNumber = new Map<number, Level>();

function buildLevel(spec: LevelSpec): Level {
  const byName = new Map<string, ResolvedOption>();
  const byNumber = new Map<number, ResolvedOption>();
  const undefinedHere = new Set<string>();
  const numberOf = (cname: string): number | undefined =>
    cname.startsWith(spec.prefix) ? spec.numbers[cname.slice(spec.prefix.length)] : undefined;
  const add = (cname: string, n: number, entry: OptionSpec | undefined): void => {
    const r: ResolvedOption = Object.freeze({
      level: spec.level,
      name: n,
      levelName: spec.name,
      optionName: cname,
      codec: (entry?.codec ?? bytes) as Codec<unknown, unknown>,
      access: entry?.access ?? "rw",
      ...(entry ? { spec: entry } : {}),
    });
    byName.set(cname, r);
    if (!byNumber.has(n)) byNumber.set(n, r);
  };
  for (const [cname, entry] of Object.entries(spec.options)) {
    const n = numberOf(cname);
    if (n === undefined) undefinedHere.add(cname);
    else add(cname, n, entry);
  }
  // Names the headers define but no table lists resolve as raw bytes.
  for (const [short, n] of Object.entries(spec.numbers)) {
    const cname = spec.prefix + short;
    if (n === undefined || byName.has(cname) || spec.notOptions?.test(short)) continue;
    add(cname, n, undefined);
  }
  return { spec, name: spec.name, number: spec.level, byName, byNumber, undefinedHere };
}

for (const spec of OPTION_LEVELS) {
  const level = buildLevel(spec);
  levelsByName.set(spec.name, level);
  for (const alias of spec.aliases) levelsByName.set(alias, level);
  if (!levelsByNumber.has(spec.level)) levelsByNumber.set(spec.level, level);
}

/** A level without a table (SOL_PACKET, SOL_NETLINK, a bare number): numbers only. */
function bareLevel(name: string, number: number): Level {
  return { spec: undefined, name, number, byName: new Map(), byNumber: new Map(), undefinedHere: new Set() };
}

function levelNames(): string {
  return OPTION_LEVELS.map((l) => (l.aliases.length ? `${l.name} (${l.aliases.join(", ")})` : l.name)).join(", ");
}

function resolveLevel(level: string | number): Level {
  if (typeof level === "number") {
    raw.checkInt(level, "level");
    const known = levelsByNumber.get(level);
    if (known) return known;
    const name = constantName("SOL", level);
    return bareLevel(name, level);
  }
  if (typeof level !== "string") {
    throw codedError("ERR_INVALID_ARG_TYPE", `level must be a string or a number, got ${raw.describe(level)}`);
  }
  const known = levelsByName.get(level);
  if (known) return known;
  // Any other SOL_* or IPPROTO_* name is a level we have no table for.
  const n = level.startsWith("SOL_")
    ? SOL[level.slice(4)]
    : level.startsWith("IPPROTO_")
      ? IPPROTO[level.slice(8)]
      : undefined;
  if (n !== undefined) return levelsByNumber.get(n) ?? bareLevel(level, n);
  throw codedError(
    "ERR_UNKNOWN_CONSTANT",
    `Unknown option level ${JSON.stringify(level)}: expected ${levelNames()}, another SOL_* or IPPROTO_* name, or a number`,
  );
}

function unknownName(level: Level, name: string): Error {
  if (level.undefinedHere.has(name)) {
    // A name sockit knows but this platform's headers lack: not a typo, so
    // not ERR_UNKNOWN_CONSTANT (STYLE 14).
    return codedError(
      "ERR_NOT_SUPPORTED",
      `${name} is not supported here: this system's headers do not define it (level ${level.name}); pass the option number`,
    );
  }
  if (!level.spec) {
    return codedError(
      "ERR_UNKNOWN_CONSTANT",
      `No option names are known at level ${level.name}; pass the option number (got ${JSON.stringify(name)})`,
    );
  }
  const elsewhere = [...levelsByName.values()].find((l) => l !== level && l.byName.has(name));
  const hint = elsewhere ? ` (it is an option of level ${elsewhere.name})` : "";
  return codedError(
    "ERR_UNKNOWN_CONSTANT",
    `Unknown socket option ${JSON.stringify(name)} at level ${level.name}${hint}`,
  );
}

/**
 * Resolves a level and an option, each given by C name or number, to their
 * numbers, canonical names and codec. Level names: "SOL_SOCKET", "IPPROTO_IP"
 * or "SOL_IP", "IPPROTO_IPV6" or "SOL_IPV6", "IPPROTO_TCP" or "SOL_TCP",
 * "IPPROTO_UDP" or "SOL_UDP", any other SOL_* / IPPROTO_* name, or a number.
 * Numbers are always accepted; an option without a table entry gets the raw
 * Buffer codec. Does not correspond to a syscall.
 *
 * @see https://man7.org/linux/man-pages/man2/getsockopt.2.html
 * @throws TypeError ERR_UNKNOWN_CONSTANT for an unknown level or option name,
 *   naming both; Error ERR_NOT_SUPPORTED for a table option this system's
 *   headers do not define (UDP_CORK when the addon lacks it); TypeError
 *   ERR_INVALID_ARG_TYPE / RangeError ERR_OUT_OF_RANGE for a level or name
 *   that is neither a string nor an int32.
 */
export function resolveOption(level: string | number, name: string | number): ResolvedOption {
  const l = resolveLevel(level);
  if (typeof name === "string") {
    const r = l.byName.get(name);
    if (!r) throw unknownName(l, name);
    return r;
  }
  if (typeof name !== "number") {
    throw codedError("ERR_INVALID_ARG_TYPE", `option name must be a string or a number, got ${raw.describe(name)}`);
  }
  raw.checkInt(name, "option name");
  const known = l.byNumber.get(name);
  if (known) return known;
  return Object.freeze({
    level: l.number,
    name,
    levelName: l.name,
    optionName: String(name),
    codec: bytes as Codec<unknown, unknown>,
    access: "rw" as const,
  });
}

const MAX_SIZE = 1 << 20;

function checkSize(size: unknown): number | undefined {
  if (size === undefined) return undefined;
  return raw.checkInt(size, "getsockopt: options.size", 0, MAX_SIZE);
}

function ctxOf(r: ResolvedOption): { level: string; option: string } {
  return { level: r.levelName, option: r.optionName };
}

/**
 * Reads a socket option and decodes it by the option table: a number, a
 * boolean, a struct as an object (`SO_LINGER` → `{ onoff, linger }`,
 * `TCP_INFO` → {@link TcpInfo}), or a Buffer of the bytes the kernel wrote
 * for an option without a table entry. Wraps `getsockopt(2)`.
 *
 * @param options.size the buffer offered to the kernel (default: the codec's
 *   size, 1024 for raw options).
 * @see https://man7.org/linux/man-pages/man2/getsockopt.2.html
 * @see https://man7.org/linux/man-pages/man7/socket.7.html (and ip(7), ipv6(7), tcp(7), udp(7))
 * @throws SocketError from getsockopt (syscall "getsockopt", `level` and
 *   `option` set): EBADF, ENOTSOCK, ENOPROTOOPT (not an option of this socket's
 *   protocol), EINVAL.
 * @throws TypeError ERR_UNKNOWN_CONSTANT (unknown name), ERR_INVALID_ARG_VALUE
 *   (a write-only option such as IP_ADD_MEMBERSHIP), ERR_INVALID_ARG_TYPE;
 *   RangeError ERR_OUT_OF_RANGE (fd, size) — all before the syscall.
 */
export function getOption<L extends string | number, N extends string | number>(
  fd: number,
  level: L,
  name: N,
  options?: GetOptionOptions,
): OptionValue<L, N> {
  const r = resolveOption(level, name);
  raw.checkFd(fd, "getsockopt");
  if (r.access === "w") {
    throw codedError(
      "ERR_INVALID_ARG_VALUE",
      `${r.optionName} is write-only: getsockopt cannot read it (level ${r.levelName})`,
    );
  }
  const size = checkSize(options?.size) ?? r.codec.size;
  // Decoders may read a whole struct: give them zeros past what the kernel
  // wrote, even when the caller offers the kernel a smaller buffer.
  const buf = Buffer.alloc(Math.max(size, r.codec.size));
  const length = raw.getsockopt(fd, r.level, r.name, size === buf.length ? buf : buf.subarray(0, size), ctxOf(r));
  return r.codec.decode(buf, length) as OptionValue<L, N>;
}

/**
 * Reads a socket option as the raw bytes the kernel wrote, whatever the table
 * says. Wraps `getsockopt(2)`.
 *
 * @param size the buffer offered to the kernel (default: the codec's size, or
 *   1024 for an option without a table entry).
 * @see https://man7.org/linux/man-pages/man2/getsockopt.2.html
 * @throws as {@link getOption}.
 */
export function getOptionBytes(fd: number, level: string | number, name: string | number, size?: number): Buffer {
  const r = resolveOption(level, name);
  raw.checkFd(fd, "getsockopt");
  const buf = Buffer.alloc(checkSize(size) ?? r.codec.size);
  return buf.subarray(0, raw.getsockopt(fd, r.level, r.name, buf, ctxOf(r)));
}

/**
 * Encodes `value` by the option table and sets the socket option. Every
 * option also takes a Buffer/TypedArray/DataView, passed through as is; an
 * option without a table entry also takes a number or boolean (as a C int).
 * Wraps `setsockopt(2)`.
 *
 * @see https://man7.org/linux/man-pages/man2/setsockopt.2.html
 * @see https://man7.org/linux/man-pages/man7/socket.7.html (and ip(7), ipv6(7), tcp(7), udp(7))
 * @throws SocketError from setsockopt (syscall "setsockopt", `level` and
 *   `option` set): EBADF, ENOTSOCK, ENOPROTOOPT, EINVAL, EPERM/EACCES (a
 *   privileged option), EADDRINUSE/EADDRNOTAVAIL (memberships), ENODEV.
 * @throws TypeError ERR_UNKNOWN_CONSTANT (unknown name), ERR_INVALID_ARG_VALUE
 *   (a read-only option such as SO_TYPE, or a malformed string),
 *   ERR_INVALID_ARG_TYPE (a value of the wrong type), ERR_INVALID_ADDRESS (a
 *   malformed IP address); RangeError ERR_OUT_OF_RANGE (a number outside the
 *   C type's range) — all before the syscall.
 *
 * Notes: Linux doubles SO_RCVBUF/SO_SNDBUF, rounds SO_RCVTIMEO/SO_SNDTIMEO up
 * to whole jiffies and TCP_DEFER_ACCEPT to retransmission steps, so reading
 * back may not give the value set. An interface given by name is resolved
 * with if_nametoindex(3) (SocketError ENODEV with syscall "if_nametoindex").
 */
export function setOption<L extends string | number, N extends string | number>(
  fd: number,
  level: L,
  name: N,
  value: OptionInput<L, N>,
): void {
  const r = resolveOption(level, name);
  raw.checkFd(fd, "setsockopt");
  if (r.access === "r") {
    throw codedError(
      "ERR_INVALID_ARG_VALUE",
      `${r.optionName} is read-only: setsockopt cannot change it (level ${r.levelName})`,
    );
  }
  const encoded = ArrayBuffer.isView(value) ? value : r.codec.encode(value, r.optionName);
  raw.setsockopt(fd, r.level, r.name, encoded, ctxOf(r));
}

/** Resolves `level` and `name` and returns the option's table entry, or undefined for a raw option. Does not correspond to a syscall. */
export function optionSpec(level: string | number, name: string | number): OptionSpec | undefined {
  return resolveOption(level, name).spec;
}

/** The option table of a level name, or undefined. Does not correspond to a syscall. */
export function optionTable(level: string | number): OptionTable | undefined {
  return resolveLevel(level).spec?.options;
}
