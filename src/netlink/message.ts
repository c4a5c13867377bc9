/**
 * Netlink messages: struct nlmsghdr (length, type, flags, sequence, port id)
 * and its payload, several to a datagram, each aligned to NLMSG_ALIGNTO; the
 * end of a dump (NLMSG_DONE) and acks and errors (NLMSG_ERROR, struct
 * nlmsgerr, with the extended-ack attributes of NLM_F_ACK_TLVS). Pure: no I/O.
 * Offsets come from the headers (STRUCTS.nlmsghdr, STRUCTS.nlmsgerr).
 */
import { NLM_F, NLMSG, NLMSGERR_ATTR, STRUCTS } from "../constants.js";
import { readI32, readU16, readU32, writeU16, writeU32 } from "../endian.js";
import { NLMSG_HDRLEN, nlmsgAlign } from "./align.js";
import { AttributeDecoder } from "./attributes.js";
import { NetlinkError, NetlinkMessageError, type NetlinkErrorDetails } from "./errors.js";

const H = STRUCTS.nlmsghdr!;
const E = STRUCTS.nlmsgerr!;

/** One netlink message: its header fields and payload. */
export interface NetlinkMessage {
  /** nlmsg_type: NLMSG_* or the family's request type (RTM_NEWLINK ...). */
  type: number;
  /** nlmsg_flags: NLM_F_*. */
  flags: number;
  /** nlmsg_seq. */
  seq: number;
  /** nlmsg_pid: the sender's port id (0 from the kernel), or the request's. */
  pid: number;
  /** Everything after the header, up to nlmsg_len (a view into the datagram). */
  data: Buffer;
}

/** A message to encode; `seq` and `pid` default to 0, `flags` to NLM_F_REQUEST. */
export interface NetlinkMessageInput {
  /** The message type (nlmsg_type): RTM_*, NLMSG_* or a generic netlink family id. */
  type: number;
  /** NLM_F_* flags (nlmsg_flags); default 0. */
  flags?: number;
  /** The sequence number (nlmsg_seq); default 0. */
  seq?: number;
  /** The sender's port id (nlmsg_pid); default 0. */
  pid?: number;
  /** The payload after the header. */
  data?: ArrayBufferView;
}

function rangeError(message: string): RangeError {
  return Object.assign(new RangeError(message), { code: "ERR_OUT_OF_RANGE" });
}

function checkField(v: unknown, name: string, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw Object.assign(new TypeError(`netlink message ${name} must be an integer, got ${typeof v}`), {
      code: "ERR_INVALID_ARG_TYPE",
    });
  }
  if (v < 0 || v > max) throw rangeError(`netlink message ${name} must be in 0..${max}, got ${v}`);
  return v;
}

/**
 * Encodes one message (nlmsg_len is computed; the result is padded to NLMSG_ALIGNTO).
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/netlink.7.html
 * @throws TypeError ERR_INVALID_ARG_TYPE, RangeError ERR_OUT_OF_RANGE for a bad field.
 */
export function encodeMessage(msg: NetlinkMessageInput): Buffer {
  if (msg === null || typeof msg !== "object") {
    throw Object.assign(new TypeError("netlink message must be an object"), { code: "ERR_INVALID_ARG_TYPE" });
  }
  const type = checkField(msg.type, "type", 0xffff);
  const flags = checkField(msg.flags ?? NLM_F.REQUEST, "flags", 0xffff);
  const seq = checkField(msg.seq ?? 0, "seq", 0xffffffff);
  const pid = checkField(msg.pid ?? 0, "pid", 0xffffffff);
  const data = msg.data ?? Buffer.alloc(0);
  if (!ArrayBuffer.isView(data)) {
    throw Object.assign(new TypeError("netlink message data must be bytes"), { code: "ERR_INVALID_ARG_TYPE" });
  }
  const len = NLMSG_HDRLEN + data.byteLength;
  if (len > 0xffffffff) throw rangeError("netlink message too long");
  const b = Buffer.alloc(nlmsgAlign(len));
  writeU32(b, H.nlmsg_len!, len);
  writeU16(b, H.nlmsg_type!, type);
  writeU16(b, H.nlmsg_flags!, flags);
  writeU32(b, H.nlmsg_seq!, seq);
  writeU32(b, H.nlmsg_pid!, pid);
  b.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), NLMSG_HDRLEN);
  return b;
}

/**
 * Splits a datagram into its messages (payloads are views into `buf`).
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/netlink.7.html
 * @throws NetlinkMessageError when a header is truncated or a length runs past the end.
 */
export function parseMessages(buf: ArrayBufferView): NetlinkMessage[] {
  if (!ArrayBuffer.isView(buf)) {
    throw Object.assign(new TypeError("parseMessages: buf must be bytes"), { code: "ERR_INVALID_ARG_TYPE" });
  }
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: NetlinkMessage[] = [];
  let pos = 0;
  while (pos < b.length) {
    if (b.length - pos < NLMSG_HDRLEN) {
      throw new NetlinkMessageError(`netlink message header truncated: ${b.length - pos} bytes left`, pos);
    }
    const len = readU32(b, pos + H.nlmsg_len!);
    if (len < NLMSG_HDRLEN || len > b.length - pos) {
      throw new NetlinkMessageError(`netlink message length ${len} is invalid (${b.length - pos} bytes left)`, pos);
    }
    out.push({
      type: readU16(b, pos + H.nlmsg_type!),
      flags: readU16(b, pos + H.nlmsg_flags!),
      seq: readU32(b, pos + H.nlmsg_seq!),
      pid: readU32(b, pos + H.nlmsg_pid!),
      data: b.subarray(pos + NLMSG_HDRLEN, pos + len),
    });
    pos += Math.min(nlmsgAlign(len), b.length - pos);
  }
  return out;
}

/** An NLMSG_ERROR decoded: errno 0 is an ack. */
export interface NetlinkAck extends NetlinkErrorDetails {
  /** The errno (negative) or 0 for an ack. */
  errno: number;
  /** The header of the request this answers (echoed by the kernel). */
  request: { length: number; type: number; flags: number; seq: number; pid: number };
}

/**
 * Decodes the payload of an NLMSG_ERROR message: the errno, the echoed
 * request header, and with NLM_F_ACK_TLVS the extended-ack attributes
 * (NLMSGERR_ATTR_MSG, _OFFS, _COOKIE). Without NLM_F_CAPPED the request's
 * payload is echoed too and skipped here. Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/netlink.7.html
 * @throws NetlinkMessageError when the payload is shorter than struct nlmsgerr.
 */
export function parseAck(msg: NetlinkMessage): NetlinkAck {
  const d = msg.data;
  if (d.length < E.size) throw new NetlinkMessageError(`NLMSG_ERROR payload truncated: ${d.length} bytes`, 0);
  const errno = readI32(d, E.error!);
  const h = E.msg!;
  const request = {
    length: readU32(d, h + H.nlmsg_len!),
    type: readU16(d, h + H.nlmsg_type!),
    flags: readU16(d, h + H.nlmsg_flags!),
    seq: readU32(d, h + H.nlmsg_seq!),
    pid: readU32(d, h + H.nlmsg_pid!),
  };
  const ack: NetlinkAck = { errno, request };
  if (msg.flags & NLM_F.ACK_TLVS) {
    // The echoed request: its header only (NLM_F_CAPPED) or all of it.
    let tlvStart = E.size;
    if (!(msg.flags & NLM_F.CAPPED)) tlvStart = E.msg! + nlmsgAlign(request.length);
    if (tlvStart <= d.length) Object.assign(ack, parseExtAck(d.subarray(tlvStart)));
  }
  return ack;
}

/** The extended-ack attributes of an NLMSG_ERROR or NLMSG_DONE. */
function parseExtAck(tlvs: Buffer): NetlinkErrorDetails {
  const out: NetlinkErrorDetails = {};
  const ad = new AttributeDecoder(tlvs);
  while (ad.next()) {
    if (ad.type === NLMSGERR_ATTR.MSG) out.message = ad.string();
    else if (ad.type === NLMSGERR_ATTR.OFFS) {
      const off = ad.uint32();
      if (!ad.error) out.offset = off;
    } else if (ad.type === NLMSGERR_ATTR.COOKIE) out.cookie = Buffer.from(ad.bytes());
  }
  // A malformed ext-ack trailer loses the details, never the errno.
  return out;
}

/**
 * Decodes NLMSG_DONE: the dump's final status (0, or a negative errno when
 * the dump failed part way) and any extended ack. Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/netlink.7.html
 */
export function parseDone(msg: NetlinkMessage): { errno: number } & NetlinkErrorDetails {
  const d = msg.data;
  const errno = d.length >= 4 ? readI32(d, 0) : 0;
  const out: { errno: number } & NetlinkErrorDetails = { errno };
  if (msg.flags & NLM_F.ACK_TLVS && d.length > 4) Object.assign(out, parseExtAck(d.subarray(4)));
  return out;
}

/**
 * The NetlinkError for an NLMSG_ERROR with a non-zero errno, or undefined for an ack.
 * Does not correspond to a syscall.
 * @throws NetlinkMessageError for a truncated NLMSG_ERROR.
 * @see https://man7.org/linux/man-pages/man7/netlink.7.html
 */
export function ackError(msg: NetlinkMessage, op: string): NetlinkError | undefined {
  const ack = parseAck(msg);
  if (ack.errno === 0) return undefined;
  return new NetlinkError(op, ack.errno, msg.seq, ack);
}

/** Message types every family shares (NLMSG_NOOP, NLMSG_ERROR, NLMSG_DONE, NLMSG_OVERRUN). */
export const CONTROL_TYPES: ReadonlySet<number> = new Set([NLMSG.NOOP, NLMSG.ERROR, NLMSG.DONE, NLMSG.OVERRUN]);
