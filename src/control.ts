/**
 * Control messages (ancillary data): the codec behind `sendmsg`/`recvmsg`.
 * Pure — no I/O — so the decoder can be fuzzed on random bytes.
 *
 * The wire form is a run of `struct cmsghdr { size_t cmsg_len; int cmsg_level;
 * int cmsg_type; }` headers, each followed by its data and padded to the
 * platform's alignment (CMSG_ALIGN: sizeof(size_t) in glibc, sizeof(long) in
 * the kernel — the same on Linux). In TypeScript a control message is
 * `{ level, type, data: Buffer }`, as in CPython's recvmsg; typed views
 * (SCM_RIGHTS fds, SCM_CREDENTIALS, IP_PKTINFO, TTL, TOS, timestamps, the
 * error queue's sock_extended_err) sit on top.
 *
 * Every header is bounds-checked before it is read, after CPython's
 * cmsg_min_space/get_cmsg_data_len: a header must fit in the buffer, its
 * cmsg_len must cover at least the header, and data running past the end of
 * the buffer (MSG_CTRUNC) is cut to what is there and flagged `truncated`.
 * The walk always advances by at least one header, so it cannot loop.
 *
 * Sizes and offsets come from the headers at build time (STRUCTS, and the
 * facts native/msg_linux.c exports); nothing here hard-codes a kernel number.
 */
import { getSystemErrorName } from "node:util";
import {
  decodeSockaddr,
  formatIPv4,
  formatIPv6,
  parseIPv4,
  parseIPv6,
  scopeIndex,
  type SocketAddress,
} from "./address.js";
import { AF, IP, IPPROTO, IPV6, SCM, SOL, STRUCTS, UDP } from "./constants.js";
import { LITTLE_ENDIAN, readU16, writeI32, writeU32, writeU64 } from "./endian.js";
import { codedError } from "./errors.js";
import { MSG_HEADER_FACTS } from "./raw/headers.js";

// ---------------------------------------------------------------------------
// Layout facts.

/** The control-message facts native/msg_linux.c reads from the headers. */
interface MsgFacts {
  CMSG_ALIGN_UNIT: number;
  CMSG_LEN_FIELD_SIZE: number;
  CMSG_HDR: number;
  UIO_MAXIOV: number;
  SO_EE_OFFENDER: number;
  CMSG_SPACE_TABLE: number[];
  CMSG_LEN_TABLE: number[];
  [name: string]: number | number[] | undefined;
}

/** @internal The facts object of the addon (exported for src/messages.ts and the tests). */
export const MSG_FACTS = MSG_HEADER_FACTS as MsgFacts;
if (MSG_FACTS === undefined) {
  throw new Error("sockit: the native addon predates native/msg_linux.c; rebuild it (npm run build:native)");
}

/**
 * SO_TIMESTAMPING flags (`SOF_TIMESTAMPING_RX_SOFTWARE` → `SOF.RX_SOFTWARE`),
 * from linux/net_tstamp.h. Set them with
 * `setsockopt("SOL_SOCKET", "SO_TIMESTAMPING", SOF.RX_SOFTWARE | SOF.SOFTWARE)`;
 * receive timestamps arrive as `timestamping` on recvmsg, transmit timestamps
 * on the error queue (MSG_ERRQUEUE).
 * @see https://docs.kernel.org/networking/timestamping.html
 */
export const SOF: Readonly<Record<string, number>> = Object.freeze(
  Object.fromEntries(
    Object.entries(MSG_FACTS)
      .filter(([k, v]) => k.startsWith("SOF_TIMESTAMPING_") && typeof v === "number")
      .map(([k, v]) => [k.slice("SOF_TIMESTAMPING_".length), v as number]),
  ),
);

const H = STRUCTS.cmsghdr!;
/** CMSG_ALIGN's unit: sizeof(size_t). */
const ALIGN = MSG_FACTS.CMSG_ALIGN_UNIT;
/** sizeof(cmsg_len): size_t in glibc (8 on 64-bit), socklen_t in musl. */
const LEN_WIDTH = MSG_FACTS.CMSG_LEN_FIELD_SIZE;
const LEVEL_AT = H.cmsg_level!;
const TYPE_AT = H.cmsg_type!;
const LEN_AT = H.cmsg_len!;

/**
 * Rounds `length` up to the control-message alignment, as the C macro
 * `CMSG_ALIGN(len)` (`((len) + sizeof(size_t) - 1) & ~(sizeof(size_t) - 1)`).
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man3/cmsg.3.html
 * @throws RangeError ERR_OUT_OF_RANGE for a negative or non-integer length.
 */
export function CMSG_ALIGN(length: number): number {
  checkLength(length, "CMSG_ALIGN");
  return Math.ceil(length / ALIGN) * ALIGN;
}

/** The offset of the data from the start of a header: `CMSG_LEN(0)`. */
const HDR = Math.ceil(H.size / ALIGN) * ALIGN;

/**
 * Returns the `cmsg_len` of a message with `length` bytes of data, as the C
 * macro `CMSG_LEN(len)` (the aligned header plus the data, no trailing padding).
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man3/cmsg.3.html
 * @throws RangeError ERR_OUT_OF_RANGE for a negative or non-integer length, or one whose
 *   result would not fit a socklen_t (2^31 - 1, as CPython's `socket.CMSG_LEN` refuses).
 */
export function CMSG_LEN(length: number): number {
  checkLength(length, "CMSG_LEN");
  return checkSocklen(HDR + length, length, "CMSG_LEN");
}

/**
 * Returns the buffer space a message with `length` bytes of data takes, as
 * the C macro `CMSG_SPACE(len)` (header and data, both aligned). Sum it over
 * the messages you expect to size a receive's control buffer.
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man3/cmsg.3.html
 * @throws RangeError ERR_OUT_OF_RANGE for a negative or non-integer length, or one whose
 *   result would not fit a socklen_t (2^31 - 1, as CPython's `socket.CMSG_SPACE` refuses).
 */
export function CMSG_SPACE(length: number): number {
  checkLength(length, "CMSG_SPACE");
  return checkSocklen(HDR + Math.ceil(length / ALIGN) * ALIGN, length, "CMSG_SPACE");
}

/**
 * The largest CMSG_LEN/CMSG_SPACE result: msg_controllen and the kernel's
 * control lengths are socklen_t-sized and read as int (CPython's
 * SOCKLEN_T_LIMIT is INT_MAX for the same reason); a larger value would wrap.
 */
const SOCKLEN_LIMIT = 0x7fffffff;

function checkSocklen(result: number, length: number, what: string): number {
  if (result > SOCKLEN_LIMIT) {
    throw codedError(
      "ERR_OUT_OF_RANGE",
      `${what}: length ${length} gives ${result}, past the socklen_t limit ${SOCKLEN_LIMIT}`,
    );
  }
  return result;
}

function checkLength(length: unknown, what: string): void {
  if (typeof length !== "number" || !Number.isSafeInteger(length) || length < 0) {
    throw codedError("ERR_OUT_OF_RANGE", `${what}: length must be a non-negative integer, got ${String(length)}`);
  }
}

// ---------------------------------------------------------------------------
// Errors.

/**
 * Malformed control data: a header that does not fit, or a cmsg_len shorter
 * than a header, or a typed view given too few bytes. `offset` is where in the
 * buffer the bad header starts (for the list decoder).
 */
export class ControlMessageError extends RangeError {
  /** Always "ControlMessageError". */
  override name = "ControlMessageError";
  /** Always "ERR_INVALID_CONTROL_MESSAGE". */
  readonly code = "ERR_INVALID_CONTROL_MESSAGE";
  /** The byte offset of the bad cmsghdr in the control buffer, when known. */
  readonly offset: number | undefined;
  constructor(message: string, offset?: number) {
    super(message);
    this.offset = offset;
  }
}

// ---------------------------------------------------------------------------
// The list codec.

/** A control message as received: level and type numbers, and a copy of its data. */
export interface ControlMessage {
  /** cmsg_level: SOL_SOCKET, IPPROTO_IP, IPPROTO_IPV6, ... */
  level: number;
  /** cmsg_type: SCM_RIGHTS, IP_PKTINFO, ... */
  type: number;
  /** The data (cmsg_len - CMSG_LEN(0) bytes, or fewer when `truncated`). */
  data: Buffer;
  /** Present (true) when the data ran past the end of the buffer (MSG_CTRUNC cut it). */
  truncated?: true;
}

/** A control message to send: level and type by number or C name ("SOL_SOCKET", "SCM_RIGHTS"). */
export interface ControlMessageInput {
  /** The cmsg_level: "SOL_SOCKET", "IPPROTO_IP" ... or a number. */
  level: number | string;
  /** The cmsg_type: "SCM_RIGHTS", "IP_TTL" ... or a number. */
  type: number | string;
  /** The payload after the cmsghdr (CMSG_DATA), unpadded. */
  data: ArrayBufferView;
}

/** What {@link parseControl} returns: the messages it could read, and why it stopped early, if it did. */
export interface ParsedControl {
  /** The control messages, in order, as `{ level, type, data }`. */
  messages: ControlMessage[];
  /** null when the whole buffer was well formed; else what was wrong (and where) — the rest was skipped. */
  malformed: { reason: string; offset: number } | null;
}

function readLen(buf: Uint8Array, off: number): number {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (LEN_WIDTH === 8) {
    const lo = dv.getUint32(off + (LITTLE_ENDIAN ? 0 : 4), LITTLE_ENDIAN);
    const hi = dv.getUint32(off + (LITTLE_ENDIAN ? 4 : 0), LITTLE_ENDIAN);
    // Anything over 2^53 is "too long" for every buffer we can hold.
    return hi >= 0x200000 ? Number.MAX_SAFE_INTEGER : hi * 0x100000000 + lo;
  }
  return dv.getUint32(off, LITTLE_ENDIAN);
}

function writeLen(buf: Buffer, off: number, v: number): void {
  if (LEN_WIDTH === 8) {
    writeU64(buf, off, BigInt(v));
  } else writeU32(buf, off, v);
}

function readI32(buf: Uint8Array, off: number): number {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getInt32(off, LITTLE_ENDIAN);
}

/**
 * Reads the control messages in the first `length` bytes of `buf` (the
 * msg_controllen the kernel returned), never throwing: it stops at the first
 * malformed header and says why in `malformed`. Each message's data is copied
 * out, so `buf` can be reused. This is the walk `CMSG_FIRSTHDR`/`CMSG_NXTHDR`
 * do, with CPython's bounds checks. Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man3/cmsg.3.html
 */
export function parseControl(buf: Uint8Array, length: number = buf.byteLength): ParsedControl {
  const end = Math.max(0, Math.min(Number.isFinite(length) ? Math.floor(length) : 0, buf.byteLength));
  const messages: ControlMessage[] = [];
  let off = 0;
  // A header must fit completely (cmsg_min_space); trailing bytes too short
  // for one are padding, as CMSG_NXTHDR treats them.
  while (end - off >= H.size) {
    const cmsgLen = readLen(buf, off + LEN_AT);
    if (cmsgLen < HDR) {
      return { messages, malformed: { reason: `cmsg_len ${cmsgLen} is shorter than a header (${HDR})`, offset: off } };
    }
    const level = readI32(buf, off + LEVEL_AT);
    const type = readI32(buf, off + TYPE_AT);
    const room = end - off - HDR;
    const want = cmsgLen - HDR;
    if (room < 0) {
      // The header fits but its (aligned) data offset does not: nothing to read.
      messages.push({ level, type, data: Buffer.alloc(0), truncated: true });
      break;
    }
    const n = Math.min(want, room);
    const start = buf.byteOffset + off + HDR;
    const data = Buffer.from(Buffer.from(buf.buffer, start, n));
    if (n < want) {
      messages.push({ level, type, data, truncated: true });
      break;
    }
    messages.push({ level, type, data });
    // CMSG_NXTHDR: the next header starts at the aligned end of this one.
    off += Math.ceil(cmsgLen / ALIGN) * ALIGN;
  }
  return { messages, malformed: null };
}

/**
 * Decodes the control messages in the first `length` bytes of `buf` into a
 * list of `{ level, type, data }`. Data cut short by the end of the buffer
 * (MSG_CTRUNC) is returned as far as it goes, flagged `truncated`. Does not
 * correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man3/cmsg.3.html
 * @throws ControlMessageError (code ERR_INVALID_CONTROL_MESSAGE) when a
 *   header's cmsg_len is shorter than a header; nothing else for any bytes.
 */
export function decodeControl(buf: Uint8Array, length: number = buf.byteLength): ControlMessage[] {
  if (!(buf instanceof Uint8Array)) {
    throw codedError("ERR_INVALID_ARG_TYPE", "decodeControl: buf must be a Buffer or Uint8Array");
  }
  const { messages, malformed } = parseControl(buf, length);
  if (malformed)
    throw new ControlMessageError(
      `malformed control data at offset ${malformed.offset}: ${malformed.reason}`,
      malformed.offset,
    );
  return messages;
}

const levelNames: Record<string, number> = {
  SOL_SOCKET: SOL.SOCKET,
  SOL_IP: SOL.IP,
  IPPROTO_IP: IPPROTO.IP,
  SOL_IPV6: SOL.IPV6,
  IPPROTO_IPV6: IPPROTO.IPV6,
  SOL_UDP: SOL.UDP,
  IPPROTO_UDP: IPPROTO.UDP,
};

/** Resolves a control-message level given by name or number. */
export function controlLevel(level: number | string): number {
  if (typeof level === "number" && Number.isInteger(level) && level >= -0x80000000 && level <= 0x7fffffff) return level;
  if (typeof level === "string") {
    const n = levelNames[level];
    if (n !== undefined) return n;
    throw codedError(
      "ERR_UNKNOWN_CONSTANT",
      `unknown control message level ${JSON.stringify(level)} (use SOL_SOCKET, IPPROTO_IP, IPPROTO_IPV6, SOL_UDP or a number)`,
    );
  }
  throw codedError("ERR_INVALID_ARG_TYPE", `a control message level must be an int32 or a name, got ${String(level)}`);
}

/** Resolves a control-message type given by name ("SCM_RIGHTS", "IP_PKTINFO") or number. */
export function controlType(level: number, type: number | string): number {
  if (typeof type === "number" && Number.isInteger(type) && type >= -0x80000000 && type <= 0x7fffffff) return type;
  if (typeof type === "string") {
    let n: number | undefined;
    if (level === SOL.SOCKET && type.startsWith("SCM_")) n = SCM[type.slice(4)];
    else if (level === IPPROTO.IP && type.startsWith("IP_")) n = IP[type.slice(3)];
    else if (level === IPPROTO.IPV6 && type.startsWith("IPV6_")) n = IPV6[type.slice(5)];
    else if (level === IPPROTO.UDP && type.startsWith("UDP_")) n = UDP[type.slice(4)];
    if (n !== undefined && type !== "SCM_MAX_FD") return n;
    throw codedError("ERR_UNKNOWN_CONSTANT", `unknown control message type ${JSON.stringify(type)} at level ${level}`);
  }
  throw codedError("ERR_INVALID_ARG_TYPE", `a control message type must be an int32 or a name, got ${String(type)}`);
}

/**
 * Returns the bytes `encodeControl(messages)` produces: the sum of
 * CMSG_SPACE(data length). Does not correspond to a syscall.
 */
export function controlSpace(messages: readonly { data: ArrayBufferView }[]): number {
  let n = 0;
  for (const m of messages) n += HDR + Math.ceil(m.data.byteLength / ALIGN) * ALIGN;
  return n;
}

/**
 * Encodes control messages for sendmsg(2): each gets a header with
 * cmsg_len = CMSG_LEN(data length), its data, and zero padding up to
 * CMSG_SPACE. Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man3/cmsg.3.html
 * @throws TypeError ERR_INVALID_ARG_TYPE for a malformed entry, ERR_UNKNOWN_CONSTANT for an unknown name.
 */
export function encodeControl(messages: readonly ControlMessageInput[]): Buffer {
  if (!Array.isArray(messages))
    throw codedError("ERR_INVALID_ARG_TYPE", "control must be an array of { level, type, data }");
  for (const m of messages) {
    if (m === null || typeof m !== "object" || !ArrayBuffer.isView(m.data)) {
      throw codedError(
        "ERR_INVALID_ARG_TYPE",
        "each control message must be { level, type, data: Buffer | TypedArray | DataView }",
      );
    }
  }
  const out = Buffer.alloc(controlSpace(messages));
  let off = 0;
  for (const m of messages) {
    const level = controlLevel(m.level);
    const type = controlType(level, m.type);
    const len = m.data.byteLength;
    writeLen(out, off + LEN_AT, HDR + len);
    writeI32(out, off + LEVEL_AT, level);
    writeI32(out, off + TYPE_AT, type);
    Buffer.from(m.data.buffer, m.data.byteOffset, len).copy(out, off + HDR);
    off += HDR + Math.ceil(len / ALIGN) * ALIGN;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Typed views. Decoders take a message's data and throw ControlMessageError
// when it is too short for the struct; encoders validate and return a
// ControlMessage ready for encodeControl.

function short(what: string, need: number, got: number): ControlMessageError {
  return new ControlMessageError(`${what}: need ${need} bytes of control data, got ${got}`);
}

function view(data: Uint8Array): DataView {
  return new DataView(data.buffer, data.byteOffset, data.byteLength);
}

/** SCM_RIGHTS: the fds in a message's data (whole ints only; a cut-off tail is ignored). */
export function decodeRights(data: Uint8Array): number[] {
  const dv = view(data);
  const fds: number[] = [];
  for (let off = 0; off + 4 <= data.byteLength; off += 4) fds.push(dv.getInt32(off, LITTLE_ENDIAN));
  return fds;
}

/**
 * Builds an SCM_RIGHTS message carrying `fds` (fd numbers). Does not
 * correspond to a syscall.
 * @throws TypeError/RangeError for a non-integer or negative fd; RangeError
 *   ERR_OUT_OF_RANGE for more than SCM_MAX_FD fds.
 */
export function encodeRights(fds: readonly number[]): ControlMessage {
  if (fds.length > SCM.MAX_FD) {
    throw codedError(
      "ERR_OUT_OF_RANGE",
      `SCM_RIGHTS: at most ${SCM.MAX_FD} fds (SCM_MAX_FD) fit in one message, got ${fds.length}`,
    );
  }
  const data = Buffer.alloc(fds.length * 4);
  fds.forEach((fd, i) => {
    if (typeof fd !== "number" || !Number.isInteger(fd) || fd < 0 || fd > 0x7fffffff) {
      throw codedError("ERR_INVALID_ARG_TYPE", `SCM_RIGHTS: fd ${i} must be a non-negative integer, got ${String(fd)}`);
    }
    writeI32(data, i * 4, fd);
  });
  return { level: SOL.SOCKET, type: SCM.RIGHTS, data };
}

/** struct ucred, as SCM_CREDENTIALS and SO_PEERCRED carry it. */
export interface Credentials {
  /** The process id. */
  pid: number;
  /** The user id. */
  uid: number;
  /** The group id. */
  gid: number;
}

const UC = STRUCTS.ucred!;

/** SCM_CREDENTIALS: the sender's `{ pid, uid, gid }`. */
export function decodeCredentials(data: Uint8Array): Credentials {
  if (data.byteLength < UC.size) throw short("SCM_CREDENTIALS", UC.size, data.byteLength);
  const dv = view(data);
  return {
    pid: dv.getInt32(UC.pid!, LITTLE_ENDIAN),
    uid: dv.getUint32(UC.uid!, LITTLE_ENDIAN),
    gid: dv.getUint32(UC.gid!, LITTLE_ENDIAN),
  };
}

/**
 * Builds an SCM_CREDENTIALS message. A process may send its own pid, uid and
 * gid (real, effective or saved); others need CAP_SYS_ADMIN (pid) and
 * CAP_SETUID/CAP_SETGID (uid/gid), else sendmsg fails with EPERM. Does not
 * correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/unix.7.html
 * @throws TypeError/RangeError for fields that are not integers of the C types' range.
 */
export function encodeCredentials(c: Credentials): ControlMessage {
  if (c === null || typeof c !== "object")
    throw codedError("ERR_INVALID_ARG_TYPE", "credentials must be an object { pid, uid, gid }");
  const data = Buffer.alloc(UC.size);
  const dv = view(data);
  dv.setInt32(UC.pid!, checkInt(c.pid, "credentials.pid", -0x80000000, 0x7fffffff), LITTLE_ENDIAN);
  dv.setUint32(UC.uid!, checkInt(c.uid, "credentials.uid", 0, 0xffffffff), LITTLE_ENDIAN);
  dv.setUint32(UC.gid!, checkInt(c.gid, "credentials.gid", 0, 0xffffffff), LITTLE_ENDIAN);
  return { level: SOL.SOCKET, type: SCM.CREDENTIALS, data };
}

function checkInt(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v))
    throw codedError("ERR_INVALID_ARG_TYPE", `${what} must be an integer, got ${String(v)}`);
  if (v < min || v > max) throw codedError("ERR_OUT_OF_RANGE", `${what} must be in ${min}..${max}, got ${v}`);
  return v;
}

/** The destination of a received datagram and the interface it came in on (IP_PKTINFO / IPV6_PKTINFO). */
export interface PacketInfo {
  /** "inet" for IP_PKTINFO, "inet6" for IPV6_PKTINFO. */
  family: "inet" | "inet6";
  /** The destination address in the packet's header (ipi_addr / ipi6_addr). */
  address: string;
  /** The interface index the packet arrived on (or, on send, leaves by; 0 = any). */
  ifindex: number;
  /**
   * IPv4 only: the local address the kernel would answer from (ipi_spec_dst) —
   * differs from `address` for broadcast and multicast. On send it is the
   * source address chosen.
   */
  specDst?: string;
}

const PI4 = STRUCTS.in_pktinfo!;
const PI6 = STRUCTS.in6_pktinfo!;

/** IP_PKTINFO (struct in_pktinfo) or IPV6_PKTINFO (struct in6_pktinfo), by the message's level. */
export function decodePktinfo(level: number, data: Uint8Array): PacketInfo {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (level === IPPROTO.IPV6) {
    if (data.byteLength < PI6.size) throw short("IPV6_PKTINFO", PI6.size, data.byteLength);
    return {
      family: "inet6",
      address: formatIPv6(buf, PI6.ipi6_addr!),
      ifindex: view(data).getUint32(PI6.ipi6_ifindex!, LITTLE_ENDIAN),
    };
  }
  if (data.byteLength < PI4.size) throw short("IP_PKTINFO", PI4.size, data.byteLength);
  return {
    family: "inet",
    address: formatIPv4(buf, PI4.ipi_addr!),
    ifindex: view(data).getInt32(PI4.ipi_ifindex!, LITTLE_ENDIAN),
    specDst: formatIPv4(buf, PI4.ipi_spec_dst!),
  };
}

/** What selects the source of an outgoing datagram: an address, an interface, or both. */
export interface PacketInfoInput {
  /** The source address (IPv4: ipi_spec_dst, unless `specDst` is given; IPv6: ipi6_addr). "" or absent: any. */
  address?: string;
  /** IPv4: the source address; wins over `address` (so a received PacketInfo can be passed back as is). */
  specDst?: string;
  /** The outgoing interface, by index or name; 0 or absent: chosen by the routing table. */
  ifindex?: number | string;
}

/**
 * Builds the IP_PKTINFO (socket family "inet") or IPV6_PKTINFO ("inet6")
 * message that chooses the source address and/or interface of one datagram.
 * On an IPv6 socket an IPv4 source is written in its v4-mapped form (the
 * kernel accepts IPV6_PKTINFO for v4-mapped destinations). A received
 * {@link PacketInfo} can be passed back as is, to answer from the address a
 * query was sent to. Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/ip.7.html
 * @throws TypeError ERR_INVALID_ADDRESS for an address that is not of the family; SocketError ENODEV for an unknown interface name.
 */
export function encodePktinfo(info: PacketInfoInput, family: "inet" | "inet6"): ControlMessage {
  if (info === null || typeof info !== "object")
    throw codedError("ERR_INVALID_ARG_TYPE", "pktinfo must be an object { address?, ifindex? }");
  const ifindex = scopeIndex(info.ifindex, "sendmsg");
  if (family === "inet6") {
    const data = Buffer.alloc(PI6.size);
    let text = info.specDst ?? info.address ?? "";
    if (text !== "" && parseIPv4(text)) text = `::ffff:${text}`;
    if (text !== "" && !parseIPv6(text, data, PI6.ipi6_addr!)) {
      throw codedError("ERR_INVALID_ADDRESS", `pktinfo: ${JSON.stringify(text)} is not an IPv6 address`);
    }
    view(data).setUint32(PI6.ipi6_ifindex!, ifindex, LITTLE_ENDIAN);
    return { level: IPPROTO.IPV6, type: IPV6.PKTINFO, data };
  }
  const data = Buffer.alloc(PI4.size);
  const text = info.specDst ?? info.address ?? "";
  if (text !== "" && !parseIPv4(text, data, PI4.ipi_spec_dst!)) {
    throw codedError("ERR_INVALID_ADDRESS", `pktinfo: ${JSON.stringify(text)} is not an IPv4 address`);
  }
  view(data).setInt32(PI4.ipi_ifindex!, ifindex, LITTLE_ENDIAN);
  return { level: IPPROTO.IP, type: IP.PKTINFO, data };
}

/**
 * An int-valued message (IP_TTL, IPV6_HOPLIMIT, IPV6_TCLASS; IP_TOS, which
 * the kernel delivers as a single byte). Throws when the data has neither 1
 * nor at least 4 bytes.
 */
export function decodeInt(data: Uint8Array): number {
  if (data.byteLength >= 4) return view(data).getInt32(0, LITTLE_ENDIAN);
  if (data.byteLength === 1) return data[0]!;
  throw short("int control message", 4, data.byteLength);
}

/** Builds an int-valued control message (IP_TTL, IPV6_HOPLIMIT, IP_TOS, IPV6_TCLASS). */
export function encodeInt(level: number, type: number, value: number, what = "value"): ControlMessage {
  const data = Buffer.alloc(4);
  view(data).setInt32(0, checkInt(value, what, -0x80000000, 0x7fffffff), LITTLE_ENDIAN);
  return { level, type, data };
}

/** A receive time: seconds and nanoseconds since the epoch (CLOCK_REALTIME). */
export interface Timestamp {
  /** Seconds since the epoch. */
  sec: number;
  /** Nanoseconds, 0-999999999. */
  nsec: number;
}

const TS = STRUCTS.timespec!;
const TV = STRUCTS.timeval!;

function readSigned(dv: DataView, off: number, width: number): number {
  return width === 8 ? Number(dv.getBigInt64(off, LITTLE_ENDIAN)) : dv.getInt32(off, LITTLE_ENDIAN);
}

/** SCM_TIMESTAMPNS (struct timespec). */
export function decodeTimespec(data: Uint8Array, index = 0): Timestamp {
  const base = index * TS.size;
  if (data.byteLength < base + TS.size) throw short("struct timespec", base + TS.size, data.byteLength);
  const dv = view(data);
  return {
    sec: readSigned(dv, base + TS.tv_sec!, TS.tv_nsec! - TS.tv_sec!),
    nsec: readSigned(dv, base + TS.tv_nsec!, TS.size - TS.tv_nsec!),
  };
}

/** SCM_TIMESTAMP (struct timeval), as seconds and nanoseconds. */
export function decodeTimeval(data: Uint8Array): Timestamp {
  if (data.byteLength < TV.size) throw short("struct timeval", TV.size, data.byteLength);
  const dv = view(data);
  return {
    sec: readSigned(dv, TV.tv_sec!, TV.tv_usec! - TV.tv_sec!),
    nsec: readSigned(dv, TV.tv_usec!, TV.size - TV.tv_usec!) * 1000,
  };
}

/** The origin of an error-queue report (sock_extended_err.ee_origin). */
export type ErrorOrigin = "none" | "local" | "icmp" | "icmp6" | "txstatus" | "zerocopy" | "txtime" | number;

/** A report from the error queue (IP_RECVERR / IPV6_RECVERR, read with MSG_ERRQUEUE): struct sock_extended_err. */
export interface ExtendedError {
  /** ee_errno, positive (ECONNREFUSED, EMSGSIZE, EHOSTUNREACH, ...). */
  errno: number;
  /** The errno's name ("ECONNREFUSED"). */
  code: string;
  /** Where the error came from: "icmp", "icmp6", "local", ... or the number. */
  origin: ErrorOrigin;
  /** ee_type: the ICMP type for ICMP origins. */
  type: number;
  /** ee_code: the ICMP code for ICMP origins. */
  icmpCode: number;
  /** ee_info: e.g. the path MTU for EMSGSIZE. */
  info: number;
  /** ee_data. */
  data: number;
  /** The node that reported the error (SO_EE_OFFENDER), or null when there is none. */
  offender: SocketAddress | null;
}

const EE = STRUCTS.sock_extended_err!;
const origins = new Map<number, ErrorOrigin>();
for (const name of ["none", "local", "icmp", "icmp6", "txstatus", "zerocopy", "txtime"] as const) {
  const v = MSG_FACTS[`SO_EE_ORIGIN_${name.toUpperCase()}`];
  if (typeof v === "number" && !origins.has(v)) origins.set(v, name);
}

/** IP_RECVERR / IPV6_RECVERR: struct sock_extended_err and the offender's address after it. */
export function decodeExtendedError(data: Uint8Array): ExtendedError {
  if (data.byteLength < EE.size) throw short("struct sock_extended_err", EE.size, data.byteLength);
  const dv = view(data);
  const errno = dv.getUint32(EE.ee_errno!, LITTLE_ENDIAN);
  let code: string;
  try {
    code = errno === 0 ? "" : getSystemErrorName(-errno);
  } catch {
    code = `Unknown system error ${errno}`;
  }
  const originNum = data[EE.ee_origin!]!;
  const at = MSG_FACTS.SO_EE_OFFENDER;
  let offender: SocketAddress | null = null;
  if (data.byteLength >= at + 2) {
    const sa = Buffer.from(data.buffer, data.byteOffset + at, data.byteLength - at);
    const family = readU16(sa, 0);
    if (family !== AF.UNSPEC) offender = decodeSockaddr(sa, sa.length);
  }
  return {
    errno,
    code,
    origin: origins.get(originNum) ?? originNum,
    type: data[EE.ee_type!]!,
    icmpCode: data[EE.ee_code!]!,
    info: dv.getUint32(EE.ee_info!, LITTLE_ENDIAN),
    data: dv.getUint32(EE.ee_data!, LITTLE_ENDIAN),
    offender,
  };
}

/**
 * SCM_SECURITY (SO_PASSSEC): the sender's security context, the text before
 * the first NUL (the kernel includes the NUL in the data, but an LSM need not).
 * Never throws. Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/unix.7.html
 */
export function decodeSecurity(data: Uint8Array): string {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const end = buf.indexOf(0);
  return buf.toString("utf8", 0, end === -1 ? buf.length : end);
}

/**
 * SCM_PIDFD (SO_PASSPIDFD, Linux 6.5): the pidfd of the sending process, an
 * fd the kernel installed in this process — the caller's to close, like the
 * fds of SCM_RIGHTS (recvmsg hands it out as `pidfd` with the same ownership
 * rules). Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/unix.7.html
 * @throws ControlMessageError when the data is shorter than an int.
 */
export function decodePidfd(data: Uint8Array): number {
  if (data.byteLength < 4) throw short("SCM_PIDFD", 4, data.byteLength);
  return view(data).getInt32(0, LITTLE_ENDIAN);
}

/**
 * Whether a control message carries fds this process now holds (SCM_RIGHTS,
 * and SCM_PIDFD where the headers define it): those need an owner, so the
 * receive path hands them out or closes them, never just drops them.
 * Does not correspond to a syscall.
 */
export function carriesFds(m: { level: number; type: number }): boolean {
  return m.level === SOL.SOCKET && (m.type === SCM.RIGHTS || (SCM.PIDFD !== undefined && m.type === SCM.PIDFD));
}

// ---------------------------------------------------------------------------
// All views at once.

/** The decoded views of the control messages sockit knows (what recvmsg adds to its result). */
export interface ControlViews {
  /** SCM_CREDENTIALS (SO_PASSCRED): the sender's pid, uid, gid. */
  credentials?: Credentials;
  /** IP_PKTINFO / IPV6_PKTINFO: where the datagram was sent to, and the interface it came in on. */
  pktinfo?: PacketInfo;
  /** IP_TTL (IP_RECVTTL). */
  ttl?: number;
  /** IPV6_HOPLIMIT (IPV6_RECVHOPLIMIT). */
  hopLimit?: number;
  /** IP_TOS (IP_RECVTOS). */
  tos?: number;
  /** IPV6_TCLASS (IPV6_RECVTCLASS). */
  tclass?: number;
  /** SCM_TIMESTAMPNS (SO_TIMESTAMPNS) or SCM_TIMESTAMP (SO_TIMESTAMP): when the packet was received. */
  timestamp?: Timestamp;
  /** SCM_TIMESTAMPING (SO_TIMESTAMPING): [software, (deprecated), hardware] timestamps. */
  timestamping?: [Timestamp, Timestamp, Timestamp];
  /** IP_RECVERR / IPV6_RECVERR on an error-queue read (MSG_ERRQUEUE). */
  error?: ExtendedError;
  /** IP_ORIGDSTADDR / IPV6_ORIGDSTADDR (IP_RECVORIGDSTADDR): the original destination (TPROXY). */
  originalDestination?: SocketAddress;
  /** UDP_GRO: the segment size of a coalesced datagram. */
  groSize?: number;
  /** SCM_SECURITY (SO_PASSSEC): the sender's security context, where an LSM provides one. */
  security?: string;
}

/**
 * Decodes the known views of `messages` into one object; a message too short
 * for its view is left out (it stays in the raw list). SCM_RIGHTS is not
 * decoded here, nor is SCM_PIDFD: fds need ownership handling (see
 * src/messages.ts).
 * Does not correspond to a syscall.
 */
export function decodeViews(messages: readonly ControlMessage[]): ControlViews {
  const v: ControlViews = {};
  for (const m of messages) {
    try {
      if (m.level === SOL.SOCKET) {
        if (m.type === SCM.CREDENTIALS) v.credentials = decodeCredentials(m.data);
        else if (m.type === SCM.TIMESTAMPNS) v.timestamp = decodeTimespec(m.data);
        else if (m.type === SCM.TIMESTAMP) v.timestamp = decodeTimeval(m.data);
        else if (m.type === SCM.TIMESTAMPING)
          v.timestamping = [decodeTimespec(m.data, 0), decodeTimespec(m.data, 1), decodeTimespec(m.data, 2)];
        else if (SCM.SECURITY !== undefined && m.type === SCM.SECURITY) v.security = decodeSecurity(m.data);
      } else if (m.level === IPPROTO.IP) {
        if (m.type === IP.PKTINFO) v.pktinfo = decodePktinfo(m.level, m.data);
        else if (m.type === IP.TTL) v.ttl = decodeInt(m.data);
        else if (m.type === IP.TOS) v.tos = decodeInt(m.data);
        else if (m.type === IP.RECVERR) v.error = decodeExtendedError(m.data);
        else if (m.type === IP.ORIGDSTADDR) v.originalDestination = decodeSockaddr(m.data, m.data.length);
      } else if (m.level === IPPROTO.IPV6) {
        if (m.type === IPV6.PKTINFO) v.pktinfo = decodePktinfo(m.level, m.data);
        else if (m.type === IPV6.HOPLIMIT) v.hopLimit = decodeInt(m.data);
        else if (m.type === IPV6.TCLASS) v.tclass = decodeInt(m.data);
        else if (m.type === IPV6.RECVERR) v.error = decodeExtendedError(m.data);
        else if (m.type === IPV6.ORIGDSTADDR) v.originalDestination = decodeSockaddr(m.data, m.data.length);
      } else if (m.level === IPPROTO.UDP && m.type === UDP.GRO) {
        v.groSize = decodeInt(m.data);
      }
    } catch (e) {
      if (!(e instanceof ControlMessageError)) throw e;
    }
  }
  return v;
}
