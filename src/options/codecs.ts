/**
 * Option value codecs: each turns the bytes getsockopt(2) wrote into a
 * TypeScript value, and a TypeScript value into the bytes setsockopt(2) takes.
 *
 * Encoders validate their input completely and throw at once — TypeError
 * ERR_INVALID_ARG_TYPE for the wrong type, RangeError ERR_OUT_OF_RANGE for a
 * number outside the C type's range, TypeError ERR_INVALID_ARG_VALUE or
 * ERR_INVALID_ADDRESS for a malformed string — so no bad value reaches the
 * kernel. Decoders never throw: they read what the kernel returned (`length`
 * bytes) and leave the rest of a struct at zero, or omit it (tcp_info).
 *
 * Struct layouts (sizes, offsets) come from STRUCTS, read from the headers at
 * build time; integers are in host byte order, addresses in network order.
 */
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6, scopeIndex } from "../address.js";
import { LIMITS, STRUCTS, TCP_STATE, constantName } from "../constants.js";
import {
  LITTLE_ENDIAN,
  readI32,
  readI64,
  readU16,
  readU32,
  readU64,
  writeI32,
  writeI64,
  writeU32,
  writeU64,
} from "../endian.js";
import { codedError } from "../errors.js";
import { describe } from "../raw/index.js";

/**
 * A codec for one kind of option value. `G` is what getsockopt decodes to, `S`
 * what setsockopt accepts (usually a superset of `G`).
 */
export interface Codec<G = unknown, S = G> {
  /** A short name for docs and errors: "int", "bool", "linger", ... */
  readonly kind: string;
  /** How many bytes to ask getsockopt for. */
  readonly size: number;
  /** Decodes the first `length` bytes of `buf` (the length the kernel returned). */
  decode(buf: Buffer, length: number): G;
  /** Validates `value` and encodes it; `what` names the option in error messages. */
  encode(value: S, what?: string): Buffer;
}

// ---------------------------------------------------------------------------
// Host-order integers.

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
const UINT32_MAX = 0xffffffff;
const UINT64_MAX = (1n << 64n) - 1n;

/** A signed integer of 4 or 8 bytes (time_t, suseconds_t) as a number. */
function readSigned(b: Buffer, off: number, width: number): number {
  if (width === 8) return Number(readI64(b, off));
  return readI32(b, off);
}
function writeSigned(b: Buffer, off: number, width: number, v: number): void {
  if (width === 8) {
    writeI64(b, off, BigInt(v));
  } else writeI32(b, off, v);
}

/** A u64 as a number when it is exact (<= 2^53 - 1), else as a bigint. */
function u64Value(v: bigint): number | bigint {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/**
 * Reads an int-valued option whatever width the kernel chose: 4 bytes as a C
 * int; 1 byte as an unsigned char (the IP_MULTICAST_TTL/LOOP fallback when the
 * caller's buffer is smaller than an int); 0 bytes as 0.
 */
function readIntOption(b: Buffer, length: number, unsigned: boolean): number {
  if (length >= 4) return unsigned ? readU32(b, 0) : readI32(b, 0);
  if (length >= 2) return readU16(b, 0);
  if (length === 1) return b[0]!;
  return 0;
}

// ---------------------------------------------------------------------------
// Validation.

function typeError(what: string, expected: string, v: unknown): Error {
  return codedError("ERR_INVALID_ARG_TYPE", `${what} must be ${expected}, got ${describe(v)}`);
}

function checkInteger(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== "number") throw typeError(what, "a number", v);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw codedError("ERR_OUT_OF_RANGE", `${what} must be an integer in ${min}..${max}, got ${String(v)}`);
  }
  return v;
}

function checkBool(v: unknown, what: string): boolean {
  if (typeof v === "boolean") return v;
  if (typeof v === "number") {
    if (v === 0 || v === 1) return v === 1;
    throw codedError("ERR_OUT_OF_RANGE", `${what} must be a boolean, 0 or 1, got ${String(v)}`);
  }
  throw typeError(what, "a boolean, 0 or 1", v);
}

function checkObject(v: unknown, what: string, expected: string): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v) || ArrayBuffer.isView(v)) {
    throw typeError(what, expected, v);
  }
  return v as Record<string, unknown>;
}

function checkString(v: unknown, what: string): string {
  if (typeof v !== "string") throw typeError(what, "a string", v);
  return v;
}

function ipv4Bytes(v: unknown, what: string, out: Buffer, off: number): void {
  const text = checkString(v, what);
  if (!parseIPv4(text, out, off)) {
    throw codedError("ERR_INVALID_ADDRESS", `${what} must be a dotted-quad IPv4 address, got ${JSON.stringify(text)}`);
  }
}

/** An interface given by index or name ("lo"), as an int the kernel takes. */
function interfaceIndex(v: unknown, what: string): number {
  if (typeof v === "string" && !/^\d+$/.test(v)) return scopeIndex(v, "if_nametoindex");
  if (typeof v === "string") v = Number(v);
  if (typeof v !== "number") throw typeError(what, "an interface index or name", v);
  return checkInteger(v, what, 0, INT32_MAX);
}

function struct(name: string): Readonly<Record<string, number>> & { size: number } {
  const s = STRUCTS[name];
  if (!s) throw new Error(`sockit: the addon exports no layout for struct ${name}`);
  return s;
}

/** The offset of `field` in `s`; every field used here is exported by native/constants_linux.c. */
function at(s: Readonly<Record<string, number>>, field: string): number {
  const off = s[field];
  if (off === undefined) throw new Error(`sockit: the addon exports no offset for ${field}`);
  return off;
}

// ---------------------------------------------------------------------------
// Scalars.

/** A C `int`: number in, number out (int32 range). */
export const int: Codec<number> = {
  kind: "int",
  size: 4,
  decode: (b, length) => readIntOption(b, length, false),
  encode(v, what = "value") {
    const b = Buffer.alloc(4);
    writeI32(b, 0, checkInteger(v, what, INT32_MIN, INT32_MAX));
    return b;
  },
};

/** A C `unsigned int` / `__u32` (SO_MARK): number in, number out (0..2^32-1). */
export const uint: Codec<number> = {
  kind: "uint",
  size: 4,
  decode: (b, length) => readIntOption(b, length, true),
  encode(v, what = "value") {
    const b = Buffer.alloc(4);
    writeU32(b, 0, checkInteger(v, what, 0, UINT32_MAX));
    return b;
  },
};

/** A boolean carried in a C `int`: reads back true/false; accepts a boolean, 0 or 1. */
export const bool: Codec<boolean, boolean | 0 | 1> = {
  kind: "bool",
  size: 4,
  decode: (b, length) => readIntOption(b, length, false) !== 0,
  encode(v, what = "value") {
    const b = Buffer.alloc(4);
    writeI32(b, 0, checkBool(v, what) ? 1 : 0);
    return b;
  },
};

/** A `__u64` (SO_COOKIE): always a bigint out; a bigint or a safe integer in. */
export const u64: Codec<bigint, bigint | number> = {
  kind: "u64",
  size: 8,
  decode: (b, length) => (length >= 8 ? readU64(b, 0) : BigInt(readIntOption(b, length, true))),
  encode(v, what = "value") {
    let n: bigint;
    if (typeof v === "bigint") n = v;
    else if (typeof v === "number") n = BigInt(checkInteger(v, what, 0, Number.MAX_SAFE_INTEGER));
    else throw typeError(what, "a bigint or a number", v);
    if (n < 0n || n > UINT64_MAX) throw codedError("ERR_OUT_OF_RANGE", `${what} must be in 0..2^64-1, got ${n}`);
    const b = Buffer.alloc(8);
    writeU64(b, 0, n);
    return b;
  },
};

/**
 * An interface index in a C `int` (IPV6_MULTICAST_IF, SO_BINDTOIFINDEX): number
 * out; an index or an interface name ("lo", resolved with if_nametoindex(3))
 * in. 0 means "no interface".
 */
export const ifindex: Codec<number, number | string> = {
  kind: "ifindex",
  size: 4,
  decode: (b, length) => readIntOption(b, length, false),
  encode(v, what = "value") {
    const b = Buffer.alloc(4);
    writeI32(b, 0, interfaceIndex(v, what));
    return b;
  },
};

/**
 * A C `int` whose values have names (IP_MTU_DISCOVER: IP_PMTUDISC_DO ...):
 * number out; a number or one of the C names in.
 */
export function enumInt(
  kind: string,
  names: Readonly<Record<string, number | undefined>>,
): Codec<number, number | string> {
  return {
    kind,
    size: 4,
    decode: (b, length) => readIntOption(b, length, false),
    encode(v, what = "value") {
      if (typeof v === "string") {
        const n = Object.hasOwn(names, v) ? names[v] : undefined;
        if (n === undefined) {
          throw codedError(
            "ERR_INVALID_ARG_VALUE",
            `${what} must be a number or one of ${Object.keys(names).join(", ")}, got ${JSON.stringify(v)}`,
          );
        }
        v = n;
      }
      return int.encode(v as number, what);
    },
  };
}

// ---------------------------------------------------------------------------
// Strings.

/**
 * A NUL-terminated string (SO_BINDTODEVICE, TCP_CONGESTION): reading returns
 * the text before the first NUL ("" when the kernel returned nothing); writing
 * sends the UTF-8 bytes plus a NUL. `maxBytes` (without the NUL) is checked
 * before the syscall because the kernel silently truncates longer input.
 */
export function cstring(kind: string, size: number, maxBytes = size - 1): Codec<string> {
  return {
    kind,
    size,
    decode(b, length) {
      const end = b.indexOf(0);
      return b.toString("utf8", 0, end === -1 || end > length ? length : end);
    },
    encode(v, what = "value") {
      const text = checkString(v, what);
      if (text.includes("\0")) throw codedError("ERR_INVALID_ARG_VALUE", `${what} must not contain NUL characters`);
      const bytes = Buffer.byteLength(text, "utf8");
      if (bytes > maxBytes) {
        throw codedError(
          "ERR_OUT_OF_RANGE",
          `${what} must be at most ${maxBytes} bytes, got ${bytes} (${JSON.stringify(text)})`,
        );
      }
      const b = Buffer.alloc(bytes + 1);
      b.write(text, 0, "utf8");
      return b;
    },
  };
}

/** An interface name (SO_BINDTODEVICE): at most IFNAMSIZ - 1 bytes; "" unbinds. */
export const ifname = cstring("ifname", LIMITS.IFNAMSIZ);

/**
 * A short kernel name such as a congestion control algorithm ("cubic") or an
 * upper-layer protocol ("tls"). The kernel's cap (TCP_CA_NAME_MAX, TCP_ULP_NAME_MAX)
 * is in no user-space header, so reads ask for a generous 64 bytes and writes
 * are bounded only by that; the kernel answers ENOENT for a name it lacks.
 */
export const kernelName = cstring("string", 64);

// ---------------------------------------------------------------------------
// Raw bytes.

/** Default getsockopt buffer for an option without a table entry. */
export const RAW_SIZE = 1024;

/**
 * Any option the table does not know: a Buffer of exactly the bytes the
 * kernel returned. Writing accepts a Buffer/TypedArray/DataView as is, or a
 * number or boolean as a C `int` (as CPython's setsockopt does).
 */
export const bytes: Codec<Buffer, ArrayBufferView | number | boolean> = {
  kind: "bytes",
  size: RAW_SIZE,
  decode: (b, length) => b.subarray(0, length),
  encode(v, what = "value") {
    if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    if (typeof v === "boolean") return bool.encode(v, what);
    if (typeof v === "number") return int.encode(v, what);
    throw typeError(what, "a Buffer, TypedArray, DataView, number or boolean", v);
  },
};

// ---------------------------------------------------------------------------
// Structs.

/** struct linger (SO_LINGER): whether close(2) lingers, and for how many seconds. */
export interface Linger {
  /** Whether close() lingers to send queued data (l_onoff). */
  onoff: boolean;
  /** Seconds. */
  linger: number;
}

const L = struct("linger");

/** struct linger ↔ `{ onoff, linger }`; `linger` defaults to 0 when writing. */
export const linger: Codec<Linger, { onoff: boolean | 0 | 1; linger?: number }> = {
  kind: "linger",
  size: L.size,
  decode(b) {
    return { onoff: readI32(b, at(L, "l_onoff")) !== 0, linger: readI32(b, at(L, "l_linger")) };
  },
  encode(v, what = "value") {
    const o = checkObject(v, what, "an object { onoff, linger }");
    const onoff = checkBool(o.onoff, `${what}.onoff`);
    const secs = o.linger === undefined ? 0 : checkInteger(o.linger, `${what}.linger`, 0, INT32_MAX);
    const b = Buffer.alloc(L.size);
    writeI32(b, at(L, "l_onoff"), onoff ? 1 : 0);
    writeI32(b, at(L, "l_linger"), secs);
    return b;
  },
};

/** struct timeval spelled out, for exact control of a timeout. */
export interface Timeval {
  /** Whole seconds (tv_sec). */
  sec: number;
  /** Microseconds, 0..999999; 0 when absent. */
  usec?: number;
}

const TV = struct("timeval");
const TV_SEC = at(TV, "tv_sec");
const TV_USEC = at(TV, "tv_usec");
// Field widths from the layout: time_t and suseconds_t are 8 bytes on LP64 and
// on 32-bit time64, 4 on old 32-bit ABIs.
const TV_SEC_WIDTH = TV_USEC - TV_SEC;
const TV_USEC_WIDTH = TV.size - TV_USEC;
const TV_SEC_MAX = TV_SEC_WIDTH >= 8 ? Math.floor(Number.MAX_SAFE_INTEGER / 1000) : INT32_MAX;

/**
 * struct timeval (SO_RCVTIMEO, SO_SNDTIMEO) as **milliseconds**: a number out
 * (fractional to the microsecond: 1.5 = 1500 µs), and in either a number of
 * milliseconds or a `{ sec, usec }` object. 0 means "no timeout" (block
 * forever), as in C; a positive value that rounds to 0 µs becomes 1 µs so it
 * does not turn into "forever".
 *
 * Notes: the kernel stores the timeout in jiffies and rounds up, so reading
 * back 1 ms may give 4 ms (HZ=250); a value too large for jiffies is stored as
 * "forever" and reads back as 0.
 */
export const timeval: Codec<number, number | Timeval> = {
  kind: "timeval",
  size: TV.size,
  decode(b) {
    return readSigned(b, TV_SEC, TV_SEC_WIDTH) * 1000 + readSigned(b, TV_USEC, TV_USEC_WIDTH) / 1000;
  },
  encode(v, what = "value") {
    let sec: number;
    let usec: number;
    if (typeof v === "number") {
      if (!Number.isFinite(v) || v < 0) {
        throw codedError("ERR_OUT_OF_RANGE", `${what} must be a finite number of milliseconds >= 0, got ${String(v)}`);
      }
      let micros = Math.round(v * 1000);
      if (micros === 0 && v > 0) micros = 1;
      sec = Math.floor(micros / 1e6);
      usec = micros - sec * 1e6;
      if (sec > TV_SEC_MAX) throw codedError("ERR_OUT_OF_RANGE", `${what} is too large: ${v} ms`);
    } else {
      const o = checkObject(v, what, "a number of milliseconds or an object { sec, usec }");
      sec = checkInteger(o.sec, `${what}.sec`, 0, TV_SEC_MAX);
      usec = o.usec === undefined ? 0 : checkInteger(o.usec, `${what}.usec`, 0, 999_999);
    }
    const b = Buffer.alloc(TV.size);
    writeSigned(b, TV_SEC, TV_SEC_WIDTH, sec);
    writeSigned(b, TV_USEC, TV_USEC_WIDTH, usec);
    return b;
  },
};

/** struct ucred (SO_PEERCRED): the peer's process and user at connect/socketpair time. */
export interface Ucred {
  /** The process id (SO_PEERCRED: the peer's at connect or listen time). */
  pid: number;
  /** The user id. */
  uid: number;
  /** The group id. */
  gid: number;
}

const UC = struct("ucred");

/** struct ucred ↔ `{ pid, uid, gid }` (pid_t signed; uid_t/gid_t unsigned). */
export const ucred: Codec<Ucred> = {
  kind: "ucred",
  size: UC.size,
  decode(b) {
    return { pid: readI32(b, at(UC, "pid")), uid: readU32(b, at(UC, "uid")), gid: readU32(b, at(UC, "gid")) };
  },
  encode(v, what = "value") {
    const o = checkObject(v, what, "an object { pid, uid, gid }");
    const b = Buffer.alloc(UC.size);
    writeI32(b, at(UC, "pid"), checkInteger(o.pid, `${what}.pid`, INT32_MIN, INT32_MAX));
    writeU32(b, at(UC, "uid"), checkInteger(o.uid, `${what}.uid`, 0, UINT32_MAX));
    writeU32(b, at(UC, "gid"), checkInteger(o.gid, `${what}.gid`, 0, UINT32_MAX));
    return b;
  },
};

/** An IPv4 multicast membership (struct ip_mreqn), as IP_ADD_MEMBERSHIP takes it. */
export interface IpMreqn {
  /** The group, "224.0.0.251". */
  multiaddr: string;
  /** The local interface address; "0.0.0.0" (the default) lets ifindex or the routing table choose. */
  address?: string;
  /** The interface by index or name ("lo"); 0 (the default) means any. */
  ifindex?: number | string;
}

const MR = struct("ip_mreqn");

function encodeMreqn(o: Record<string, unknown>, what: string, needGroup: boolean): Buffer {
  const b = Buffer.alloc(MR.size);
  if (needGroup || o.multiaddr !== undefined) ipv4Bytes(o.multiaddr, `${what}.multiaddr`, b, at(MR, "imr_multiaddr"));
  if (o.address !== undefined) ipv4Bytes(o.address, `${what}.address`, b, at(MR, "imr_address"));
  if (o.ifindex !== undefined) writeI32(b, at(MR, "imr_ifindex"), interfaceIndex(o.ifindex, `${what}.ifindex`));
  return b;
}

/**
 * struct ip_mreqn ↔ `{ multiaddr, address, ifindex }`. Writing needs
 * `multiaddr`; `address` defaults to "0.0.0.0" and `ifindex` to 0.
 */
export const ipMreqn: Codec<Required<IpMreqn> & { ifindex: number }, IpMreqn> = {
  kind: "ip_mreqn",
  size: MR.size,
  decode(b) {
    return {
      multiaddr: formatIPv4(b, at(MR, "imr_multiaddr")),
      address: formatIPv4(b, at(MR, "imr_address")),
      ifindex: readI32(b, at(MR, "imr_ifindex")),
    };
  },
  encode(v, what = "value") {
    return encodeMreqn(checkObject(v, what, "an object { multiaddr, address?, ifindex? }"), what, true);
  },
};

/** An IPv6 multicast membership (struct ipv6_mreq), as IPV6_JOIN_GROUP takes it. */
export interface Ipv6Mreq {
  /** The group, "ff02::fb"; a zone ("ff02::fb%lo") gives the interface when ifindex is absent. */
  multiaddr: string;
  /** The interface by index or name ("lo"); 0 (the default) lets the routing table choose. */
  ifindex?: number | string;
}

const M6 = struct("ipv6_mreq");

/** struct ipv6_mreq ↔ `{ multiaddr, ifindex }`. */
export const ipv6Mreq: Codec<{ multiaddr: string; ifindex: number }, Ipv6Mreq> = {
  kind: "ipv6_mreq",
  size: M6.size,
  decode(b) {
    return { multiaddr: formatIPv6(b, at(M6, "ipv6mr_multiaddr")), ifindex: readU32(b, at(M6, "ipv6mr_interface")) };
  },
  encode(v, what = "value") {
    const o = checkObject(v, what, "an object { multiaddr, ifindex? }");
    const text = checkString(o.multiaddr, `${what}.multiaddr`);
    const pct = text.indexOf("%");
    const b = Buffer.alloc(M6.size);
    if (!parseIPv6(pct === -1 ? text : text.slice(0, pct), b, at(M6, "ipv6mr_multiaddr"))) {
      throw codedError("ERR_INVALID_ADDRESS", `${what}.multiaddr must be an IPv6 address, got ${JSON.stringify(text)}`);
    }
    const scope = o.ifindex ?? (pct === -1 ? 0 : text.slice(pct + 1));
    writeU32(b, at(M6, "ipv6mr_interface"), interfaceIndex(scope, `${what}.ifindex`));
    return b;
  },
};

/**
 * IP_MULTICAST_IF: reads the interface address (struct in_addr) as a string.
 * Writes either an address string (struct in_addr) or `{ address?, ifindex? }`
 * (struct ip_mreqn, which the kernel also accepts and which can name the
 * interface by index); "0.0.0.0" / `{}` restores the default.
 */
export const multicastIf: Codec<string, string | { address?: string; ifindex?: number | string }> = {
  kind: "in_addr",
  size: 4,
  decode: (b, length) => (length >= 4 ? formatIPv4(b, 0) : "0.0.0.0"),
  encode(v, what = "value") {
    if (typeof v === "string") {
      const b = Buffer.alloc(4);
      ipv4Bytes(v, what, b, 0);
      return b;
    }
    return encodeMreqn(checkObject(v, what, "an IPv4 address string or an object { address?, ifindex? }"), what, false);
  },
};

// ---------------------------------------------------------------------------
// struct tcp_info.

/**
 * TCP_INFO decoded. Times are in microseconds unless the name says otherwise
 * (`lastDataSent` and friends are milliseconds ago). 64-bit counters are
 * numbers, or bigints when larger than 2^53 - 1: `maxPacingRate` is usually
 * 2^64 - 1 ("unlimited") and so a bigint. Fields after `totalRetrans` were
 * added in later kernels and are absent when the running kernel returned a
 * shorter struct.
 */
export interface TcpInfo {
  /** The connection state without its prefix: "ESTABLISHED", "LISTEN" ... (the number as a string if unknown). */
  state: string;
  /** The state as the kernel's number (TCP_STATE.ESTABLISHED ...). */
  stateNumber: number;
  /** Congestion-avoidance state (TCP_CA_Open = 0, Disorder, CWR, Recovery, Loss). */
  caState: number;
  /** Retransmissions of the unacknowledged segment at the head (tcpi_retransmits). */
  retransmits: number;
  /** Zero-window or keepalive probes sent without an answer (tcpi_probes). */
  probes: number;
  /** Exponential backoff of the retransmission timer (tcpi_backoff). */
  backoff: number;
  /** TCPI_OPT_* bits: timestamps, SACK, window scaling, ECN ... */
  options: number;
  /** Send window scale (a 4-bit field). */
  sndWscale: number;
  /** Receive window scale (a 4-bit field). */
  rcvWscale: number;
  /** Whether `deliveryRate` was limited by the application, not the network. */
  deliveryRateAppLimited: boolean;
  /** Why a TCP Fast Open client fell back (TFO_* codes; 0 = none). */
  fastopenClientFail: number;
  /** Retransmission timeout, µs. */
  rto: number;
  /** Delayed-ACK timeout, µs. */
  ato: number;
  /** Sender maximum segment size, bytes (tcpi_snd_mss). */
  sndMss: number;
  /** Receiver maximum segment size estimate, bytes (tcpi_rcv_mss). */
  rcvMss: number;
  /** Segments sent and not yet acknowledged (tcpi_unacked). */
  unacked: number;
  /** Segments selectively acknowledged (tcpi_sacked). */
  sacked: number;
  /** Segments considered lost (tcpi_lost). */
  lost: number;
  /** Segments retransmitted and not yet acknowledged (tcpi_retrans). */
  retrans: number;
  /** Forward-acknowledged segments (tcpi_fackets; unused since Linux 4.15). */
  fackets: number;
  /** Milliseconds since data was last sent. */
  lastDataSent: number;
  /** Milliseconds since an ACK was last sent (tcpi_last_ack_sent; not kept by Linux, 0). */
  lastAckSent: number;
  /** Milliseconds since data was last received. */
  lastDataRecv: number;
  /** Milliseconds since an ACK was last received. */
  lastAckRecv: number;
  /** Path MTU, bytes (tcpi_pmtu). */
  pmtu: number;
  /** Receive window clamp for slow start, bytes (tcpi_rcv_ssthresh). */
  rcvSsthresh: number;
  /** Smoothed round-trip time, µs. */
  rtt: number;
  /** Round-trip time variance, µs. */
  rttvar: number;
  /** Slow-start threshold, segments (tcpi_snd_ssthresh). */
  sndSsthresh: number;
  /** Congestion window, segments. */
  sndCwnd: number;
  /** Advertised maximum segment size, bytes (tcpi_advmss). */
  advmss: number;
  /** Reordering the sender tolerates, segments (tcpi_reordering). */
  reordering: number;
  /** Receiver-side RTT estimate, µs. */
  rcvRtt: number;
  /** Receive buffer space the auto-tuner aims for, bytes (tcpi_rcv_space). */
  rcvSpace: number;
  /** Retransmissions over the connection's life (tcpi_total_retrans). */
  totalRetrans: number;
  /** Bytes per second. */
  pacingRate?: number | bigint;
  /** Bytes per second; 2^64 - 1 when unlimited. */
  maxPacingRate?: number | bigint;
  /** Bytes acknowledged by the peer (tcpi_bytes_acked; a bigint past 2^53). */
  bytesAcked?: number | bigint;
  /** Bytes received and acknowledged (tcpi_bytes_received; a bigint past 2^53). */
  bytesReceived?: number | bigint;
  /** Segments sent, retransmissions included (tcpi_segs_out). */
  segsOut?: number;
  /** Segments received (tcpi_segs_in). */
  segsIn?: number;
  /** Bytes queued and not yet sent (tcpi_notsent_bytes). */
  notsentBytes?: number;
  /** Minimum RTT seen, µs. */
  minRtt?: number;
  /** Segments with data received (tcpi_data_segs_in). */
  dataSegsIn?: number;
  /** Segments with data sent (tcpi_data_segs_out). */
  dataSegsOut?: number;
  /** Bytes per second. */
  deliveryRate?: number | bigint;
  /** µs busy sending data. */
  busyTime?: number | bigint;
  /** µs limited by the receive window. */
  rwndLimited?: number | bigint;
  /** µs limited by the send buffer. */
  sndbufLimited?: number | bigint;
  /** Segments delivered, retransmissions included (tcpi_delivered). */
  delivered?: number;
  /** Delivered segments marked ECN CE (tcpi_delivered_ce). */
  deliveredCe?: number;
  /** Bytes sent, retransmissions included (tcpi_bytes_sent; a bigint past 2^53). */
  bytesSent?: number | bigint;
  /** Bytes retransmitted (tcpi_bytes_retrans; a bigint past 2^53). */
  bytesRetrans?: number | bigint;
  /** Duplicate segments the peer reported with D-SACK (tcpi_dsack_dups). */
  dsackDups?: number;
  /** Reordering events seen (tcpi_reord_seen). */
  reordSeen?: number;
  /** Out-of-order packets received (tcpi_rcv_ooopack). */
  rcvOoopack?: number;
  /** The peer's advertised receive window, bytes. */
  sndWnd?: number;
}

type Width = "u8" | "u32" | "u64";

/**
 * The fields of struct tcp_info in <linux/tcp.h> order with their C types; the
 * offsets come from STRUCTS.tcp_info. A field the headers lack is skipped.
 */
const TCP_INFO_FIELDS: readonly (readonly [cName: string, key: keyof TcpInfo, type: Width])[] = [
  ["tcpi_state", "stateNumber", "u8"],
  ["tcpi_ca_state", "caState", "u8"],
  ["tcpi_retransmits", "retransmits", "u8"],
  ["tcpi_probes", "probes", "u8"],
  ["tcpi_backoff", "backoff", "u8"],
  ["tcpi_options", "options", "u8"],
  ["tcpi_rto", "rto", "u32"],
  ["tcpi_ato", "ato", "u32"],
  ["tcpi_snd_mss", "sndMss", "u32"],
  ["tcpi_rcv_mss", "rcvMss", "u32"],
  ["tcpi_unacked", "unacked", "u32"],
  ["tcpi_sacked", "sacked", "u32"],
  ["tcpi_lost", "lost", "u32"],
  ["tcpi_retrans", "retrans", "u32"],
  ["tcpi_fackets", "fackets", "u32"],
  ["tcpi_last_data_sent", "lastDataSent", "u32"],
  ["tcpi_last_ack_sent", "lastAckSent", "u32"],
  ["tcpi_last_data_recv", "lastDataRecv", "u32"],
  ["tcpi_last_ack_recv", "lastAckRecv", "u32"],
  ["tcpi_pmtu", "pmtu", "u32"],
  ["tcpi_rcv_ssthresh", "rcvSsthresh", "u32"],
  ["tcpi_rtt", "rtt", "u32"],
  ["tcpi_rttvar", "rttvar", "u32"],
  ["tcpi_snd_ssthresh", "sndSsthresh", "u32"],
  ["tcpi_snd_cwnd", "sndCwnd", "u32"],
  ["tcpi_advmss", "advmss", "u32"],
  ["tcpi_reordering", "reordering", "u32"],
  ["tcpi_rcv_rtt", "rcvRtt", "u32"],
  ["tcpi_rcv_space", "rcvSpace", "u32"],
  ["tcpi_total_retrans", "totalRetrans", "u32"],
  ["tcpi_pacing_rate", "pacingRate", "u64"],
  ["tcpi_max_pacing_rate", "maxPacingRate", "u64"],
  ["tcpi_bytes_acked", "bytesAcked", "u64"],
  ["tcpi_bytes_received", "bytesReceived", "u64"],
  ["tcpi_segs_out", "segsOut", "u32"],
  ["tcpi_segs_in", "segsIn", "u32"],
  ["tcpi_notsent_bytes", "notsentBytes", "u32"],
  ["tcpi_min_rtt", "minRtt", "u32"],
  ["tcpi_data_segs_in", "dataSegsIn", "u32"],
  ["tcpi_data_segs_out", "dataSegsOut", "u32"],
  ["tcpi_delivery_rate", "deliveryRate", "u64"],
  ["tcpi_busy_time", "busyTime", "u64"],
  ["tcpi_rwnd_limited", "rwndLimited", "u64"],
  ["tcpi_sndbuf_limited", "sndbufLimited", "u64"],
  ["tcpi_delivered", "delivered", "u32"],
  ["tcpi_delivered_ce", "deliveredCe", "u32"],
  ["tcpi_bytes_sent", "bytesSent", "u64"],
  ["tcpi_bytes_retrans", "bytesRetrans", "u64"],
  ["tcpi_dsack_dups", "dsackDups", "u32"],
  ["tcpi_reord_seen", "reordSeen", "u32"],
  ["tcpi_rcv_ooopack", "rcvOoopack", "u32"],
  ["tcpi_snd_wnd", "sndWnd", "u32"],
];

const WIDTH: Record<Width, number> = { u8: 1, u32: 4, u64: 8 };
const TI = struct("tcp_info");
/** [key, offset, width] for each field the headers define. */
const TCP_INFO_LAYOUT: readonly (readonly [keyof TcpInfo, number, Width])[] = TCP_INFO_FIELDS.flatMap(
  ([c, key, type]) => (TI[c] === undefined ? [] : [[key, TI[c], type] as const]),
);
// The two bytes after tcpi_options hold bit-fields, which have no offsetof:
//   __u8 tcpi_snd_wscale : 4, tcpi_rcv_wscale : 4;
//   __u8 tcpi_delivery_rate_app_limited:1, tcpi_fastopen_client_fail:2;
// GCC allocates bit-fields from the least significant bit on little-endian
// targets and from the most significant bit on big-endian ones (the SysV ABIs).
const TI_WSCALE = at(TI, "tcpi_options") + 1;
const TI_FLAGS = TI_WSCALE + 1;

function readField(b: Buffer, off: number, type: Width): number | bigint {
  if (type === "u8") return b[off]!;
  if (type === "u32") return readU32(b, off);
  return u64Value(readU64(b, off));
}

/**
 * struct tcp_info → {@link TcpInfo}, decoding only the fields that lie within
 * the length the kernel returned. Encoding (for tests and fakes) writes the
 * fields present in the object.
 */
export const tcpInfo: Codec<TcpInfo, Partial<TcpInfo>> = {
  kind: "tcp_info",
  size: TI.size,
  decode(b, length) {
    const out: Record<string, unknown> = {};
    for (const [key, off, type] of TCP_INFO_LAYOUT) {
      if (off + WIDTH[type] > length) continue;
      if (key === "stateNumber") out.state = constantName("TCP_STATE", b[off]!).replace(/^TCP_/, "");
      out[key] = readField(b, off, type);
    }
    if (TI_WSCALE < length) {
      const w = b[TI_WSCALE]!;
      out.sndWscale = LITTLE_ENDIAN ? w & 0xf : w >> 4;
      out.rcvWscale = LITTLE_ENDIAN ? w >> 4 : w & 0xf;
    }
    if (TI_FLAGS < length) {
      const f = b[TI_FLAGS]!;
      out.deliveryRateAppLimited = (LITTLE_ENDIAN ? f & 1 : f >> 7) === 1;
      out.fastopenClientFail = LITTLE_ENDIAN ? (f >> 1) & 3 : (f >> 5) & 3;
    }
    return out as unknown as TcpInfo;
  },
  encode(v, what = "value") {
    const o = checkObject(v, what, "a TcpInfo object");
    const b = Buffer.alloc(TI.size);
    for (const [key, off, type] of TCP_INFO_LAYOUT) {
      let x = o[key];
      if (key === "stateNumber" && x === undefined && typeof o.state === "string") {
        x = Object.hasOwn(TCP_STATE, o.state) ? TCP_STATE[o.state] : undefined;
      }
      if (x === undefined) continue;
      if (type === "u64") {
        writeU64(
          b,
          off,
          typeof x === "bigint" ? x : BigInt(checkInteger(x, `${what}.${key}`, 0, Number.MAX_SAFE_INTEGER)),
        );
      } else if (type === "u32") writeU32(b, off, checkInteger(x, `${what}.${key}`, 0, UINT32_MAX));
      else b[off] = checkInteger(x, `${what}.${key}`, 0, 255);
    }
    const nib = (x: unknown, k: string): number => (x === undefined ? 0 : checkInteger(x, `${what}.${k}`, 0, 15));
    const snd = nib(o.sndWscale, "sndWscale");
    const rcv = nib(o.rcvWscale, "rcvWscale");
    b[TI_WSCALE] = LITTLE_ENDIAN ? snd | (rcv << 4) : (snd << 4) | rcv;
    const app =
      o.deliveryRateAppLimited === undefined
        ? 0
        : checkBool(o.deliveryRateAppLimited, `${what}.deliveryRateAppLimited`)
          ? 1
          : 0;
    const fail =
      o.fastopenClientFail === undefined ? 0 : checkInteger(o.fastopenClientFail, `${what}.fastopenClientFail`, 0, 3);
    b[TI_FLAGS] = LITTLE_ENDIAN ? app | (fail << 1) : (app << 7) | (fail << 5);
    return b;
  },
};
