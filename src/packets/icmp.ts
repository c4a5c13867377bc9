/**
 * ICMP messages (RFC 792): decode and encode with the checksum, echo request
 * and reply helpers, and the quoted datagram of error messages. Types come
 * from the headers (ICMP.ECHO, ICMP.TIME_EXCEEDED ...). Pure, no I/O.
 *
 * @see https://man7.org/linux/man-pages/man7/icmp.7.html
 */
import { ICMP } from "../constants.js";
import { codedError } from "../errors.js";
import { internetChecksum } from "./checksum.js";
import { asBuffer, need } from "./error.js";
import { checkField } from "./ipv4.js";

/**
 * The ICMP header size (type, code, checksum and the 4-byte rest of header).
 * @see https://man7.org/linux/man-pages/man7/icmp.7.html
 */
export const ICMP_HEADER_SIZE = 8;

/** A decoded ICMP (or ICMPv6) message. */
export interface IcmpMessage {
  /** The ICMP type (ICMP.ECHOREPLY ...). */
  type: number;
  /** The ICMP code. */
  code: number;
  /** The checksum field as received. */
  checksum: number;
  /** Echo request/reply: the identifier (bytes 4-5). Other types: the same bytes. */
  id: number;
  /** Echo request/reply: the sequence number (bytes 6-7). */
  sequence: number;
  /** The 4-byte rest of header (gateway, MTU, pointer ...). A view. */
  rest: Buffer;
  /** What follows the 8-byte header: echo data, or the quoted datagram of an error. A view. */
  payload: Buffer;
}

/** A decoded ICMP message and whether its checksum is right. */
export interface IcmpDecoded extends IcmpMessage {
  /** The checksum verifies (for ICMPv6 only when the pseudo-header's addresses were given). */
  checksumValid: boolean;
}

/**
 * Decodes an ICMP message (as read from an ICMP datagram socket, or after the
 * IP header on a raw one). Does not correspond to a syscall.
 *
 * @see https://man7.org/linux/man-pages/man7/icmp.7.html
 * @throws PacketError (ERR_PACKET_MALFORMED) when fewer than 8 bytes are given.
 */
export function decodeICMP(bytes: Uint8Array): IcmpDecoded {
  const b = asBuffer(bytes);
  need("icmp", b, ICMP_HEADER_SIZE);
  return { ...fields(b), checksumValid: internetChecksum(b) === 0 };
}

/**
 * The fields common to ICMP and ICMPv6 (shared with icmpv6.ts).
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/icmp.7.html
 */
export function fields(b: Buffer): IcmpMessage {
  return {
    type: b[0]!,
    code: b[1]!,
    checksum: b.readUInt16BE(2),
    id: b.readUInt16BE(4),
    sequence: b.readUInt16BE(6),
    rest: b.subarray(4, 8),
    payload: b.subarray(8),
  };
}

/** What {@link encodeICMP} takes. */
export interface IcmpInput {
  /** The ICMP type (ICMP.ECHO ...). */
  type: number;
  /** Default 0. */
  code?: number;
  /** Bytes 4-5 (echo identifier). Default 0. */
  id?: number;
  /** Bytes 6-7 (echo sequence). Default 0. */
  sequence?: number;
  /** The 4-byte rest of header; overrides id and sequence. */
  rest?: Uint8Array;
  /** What follows the 8-byte header; default none. */
  payload?: Uint8Array;
}

/**
 * Builds the 8-byte header + payload with the checksum field zero (shared with icmpv6.ts).
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/icmp.7.html
 */
export function layout(m: IcmpInput): Buffer {
  if (typeof m !== "object" || m === null) throw codedError("ERR_INVALID_ARG_TYPE", "message must be an object");
  const payload = m.payload ?? Buffer.alloc(0);
  if (!(payload instanceof Uint8Array))
    throw codedError("ERR_INVALID_ARG_TYPE", "payload must be a Buffer or Uint8Array");
  const b = Buffer.alloc(ICMP_HEADER_SIZE + payload.byteLength);
  b[0] = checkField(m.type, "type", 0xff);
  b[1] = checkField(m.code, "code", 0xff, 0);
  if (m.rest !== undefined) {
    if (!(m.rest instanceof Uint8Array) || m.rest.byteLength !== 4) {
      throw codedError("ERR_INVALID_ARG_VALUE", "rest must be 4 bytes");
    }
    b.set(m.rest, 4);
  } else {
    b.writeUInt16BE(checkField(m.id, "id", 0xffff, 0), 4);
    b.writeUInt16BE(checkField(m.sequence, "sequence", 0xffff, 0), 6);
  }
  b.set(payload, 8);
  return b;
}

/**
 * Encodes an ICMP message with its checksum. Does not correspond to a syscall.
 *
 * @see https://man7.org/linux/man-pages/man7/icmp.7.html
 * @throws TypeError ERR_INVALID_ARG_TYPE, RangeError ERR_OUT_OF_RANGE for a bad field.
 */
export function encodeICMP(m: IcmpInput): Buffer {
  if (typeof m === "object" && m !== null && m.type === undefined) {
    throw codedError("ERR_INVALID_ARG_TYPE", "type must be a number, got undefined");
  }
  const b = layout(m);
  b.writeUInt16BE(internetChecksum(b), 2);
  return b;
}

/**
 * Encodes an ICMP echo request (ICMP_ECHO) with `id`, `sequence` and
 * `payload`. Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/icmp.7.html
 */
export function encodeEchoRequest(id: number, sequence: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  return encodeICMP({ type: ICMP.ECHO, id, sequence, payload });
}
