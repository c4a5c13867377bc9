/**
 * TCP headers (RFC 9293): decode and encode with the pseudo-header checksum.
 * Pure, no I/O.
 *
 * @see https://man7.org/linux/man-pages/man7/tcp.7.html
 */
import { IPPROTO } from "../constants.js";
import { codedError } from "../errors.js";
import { transportChecksum } from "./checksum.js";
import { PacketError, asBuffer, need } from "./error.js";
import type { PseudoHeader } from "./icmpv6.js";
import { checkField } from "./ipv4.js";

/**
 * The TCP header size without options.
 * @see https://man7.org/linux/man-pages/man7/tcp.7.html
 */
export const TCP_HEADER_SIZE = 20;

/** The TCP flag bits, by name, in header order (RFC 9293 §3.1). */
export interface TcpFlags {
  /** FIN: no more data from the sender. */
  fin: boolean;
  /** SYN: synchronize sequence numbers. */
  syn: boolean;
  /** RST: reset the connection. */
  rst: boolean;
  /** PSH: push the data to the application. */
  psh: boolean;
  /** ACK: the acknowledgment field is significant. */
  ack: boolean;
  /** URG: the urgent pointer is significant. */
  urg: boolean;
  /** ECE: ECN echo. */
  ece: boolean;
  /** CWR: congestion window reduced. */
  cwr: boolean;
}

const FLAG_BITS: readonly (keyof TcpFlags)[] = ["fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr"];

/** A decoded TCP segment. */
export interface TcpSegment {
  /** The source port. */
  sourcePort: number;
  /** The destination port. */
  destinationPort: number;
  /** The sequence number. */
  sequence: number;
  /** The acknowledgment number. */
  acknowledgment: number;
  /** Header length in bytes (data offset × 4). */
  headerLength: number;
  /** The control flags. */
  flags: TcpFlags;
  /** The receive window, unscaled. */
  window: number;
  /** The checksum field as received. */
  checksum: number;
  /** Checked against the pseudo-header when one was given, else true. */
  checksumValid: boolean;
  /** The urgent pointer. */
  urgentPointer: number;
  /** Option bytes. A view. */
  options: Buffer;
  /** The data. A view. */
  payload: Buffer;
}

/**
 * Decodes a TCP segment; give `pseudo` (the IP addresses) to verify the
 * checksum. Does not correspond to a syscall.
 *
 * @see https://man7.org/linux/man-pages/man7/tcp.7.html
 * @throws PacketError (ERR_PACKET_MALFORMED) for fewer than 20 bytes or a data offset below 5 or past the end.
 */
export function decodeTCP(bytes: Uint8Array, pseudo?: PseudoHeader): TcpSegment {
  const b = asBuffer(bytes);
  need("tcp", b, TCP_HEADER_SIZE);
  const headerLength = (b[12]! >> 4) * 4;
  if (headerLength < TCP_HEADER_SIZE) throw new PacketError("tcp", `data offset ${headerLength / 4} is below 5`);
  need("tcp", b, headerLength, "header with options");
  const bits = b[13]!;
  const flags = Object.fromEntries(FLAG_BITS.map((name, i) => [name, (bits & (1 << i)) !== 0])) as unknown as TcpFlags;
  return {
    sourcePort: b.readUInt16BE(0),
    destinationPort: b.readUInt16BE(2),
    sequence: b.readUInt32BE(4),
    acknowledgment: b.readUInt32BE(8),
    headerLength,
    flags,
    window: b.readUInt16BE(14),
    checksum: b.readUInt16BE(16),
    checksumValid: pseudo ? transportChecksum(pseudo.source, pseudo.destination, IPPROTO.TCP, b) === 0 : true,
    urgentPointer: b.readUInt16BE(18),
    options: b.subarray(TCP_HEADER_SIZE, headerLength),
    payload: b.subarray(headerLength),
  };
}

/** What {@link encodeTCP} takes. */
export interface TcpInput {
  /** The source port. */
  sourcePort: number;
  /** The destination port. */
  destinationPort: number;
  /** Default 0. */
  sequence?: number;
  /** Default 0. */
  acknowledgment?: number;
  /** The flags set; the rest are clear. */
  flags?: Partial<TcpFlags>;
  /** Default 65535. */
  window?: number;
  /** The urgent pointer; default 0. */
  urgentPointer?: number;
  /** Option bytes, padded with zeros to a multiple of 4; at most 40. */
  options?: Uint8Array;
  /** The segment's data; default none. */
  payload?: Uint8Array;
}

/**
 * Encodes a TCP segment; the checksum is computed when `pseudo` is given.
 * Does not correspond to a syscall.
 *
 * @see https://man7.org/linux/man-pages/man7/tcp.7.html
 * @throws TypeError ERR_INVALID_ARG_TYPE / ERR_INVALID_ADDRESS, RangeError ERR_OUT_OF_RANGE.
 */
export function encodeTCP(t: TcpInput, pseudo?: PseudoHeader): Buffer {
  if (typeof t !== "object" || t === null) throw codedError("ERR_INVALID_ARG_TYPE", "segment must be an object");
  const opts = t.options ?? Buffer.alloc(0);
  const optLen = Math.ceil(opts.byteLength / 4) * 4;
  if (optLen > 40) throw codedError("ERR_OUT_OF_RANGE", `options must be at most 40 bytes, got ${opts.byteLength}`);
  const payload = t.payload ?? Buffer.alloc(0);
  const headerLength = TCP_HEADER_SIZE + optLen;
  const b = Buffer.alloc(headerLength + payload.byteLength);
  b.writeUInt16BE(checkField(t.sourcePort, "sourcePort", 0xffff), 0);
  b.writeUInt16BE(checkField(t.destinationPort, "destinationPort", 0xffff), 2);
  b.writeUInt32BE(checkField(t.sequence, "sequence", 0xffffffff, 0), 4);
  b.writeUInt32BE(checkField(t.acknowledgment, "acknowledgment", 0xffffffff, 0), 8);
  b[12] = (headerLength / 4) << 4;
  let bits = 0;
  FLAG_BITS.forEach((name, i) => {
    if (t.flags?.[name]) bits |= 1 << i;
  });
  b[13] = bits;
  b.writeUInt16BE(checkField(t.window, "window", 0xffff, 0xffff), 14);
  b.writeUInt16BE(checkField(t.urgentPointer, "urgentPointer", 0xffff, 0), 18);
  b.set(opts, TCP_HEADER_SIZE);
  b.set(payload, headerLength);
  if (pseudo) b.writeUInt16BE(transportChecksum(pseudo.source, pseudo.destination, IPPROTO.TCP, b), 16);
  return b;
}
