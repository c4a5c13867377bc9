/**
 * UDP headers (RFC 768): decode and encode with the pseudo-header checksum.
 * Pure, no I/O.
 *
 * @see https://man7.org/linux/man-pages/man7/udp.7.html
 */
import { IPPROTO } from "../constants.js";
import { codedError } from "../errors.js";
import { transportChecksum } from "./checksum.js";
import { PacketError, asBuffer, need } from "./error.js";
import type { PseudoHeader } from "./icmpv6.js";
import { checkField } from "./ipv4.js";

/**
 * The UDP header size.
 * @see https://man7.org/linux/man-pages/man7/udp.7.html
 */
export const UDP_HEADER_SIZE = 8;

/** A decoded UDP datagram. */
export interface UdpDatagram {
  /** The source port. */
  sourcePort: number;
  /** The destination port. */
  destinationPort: number;
  /** The length field (header + data). */
  length: number;
  /** The checksum field as received (0: none, IPv4 only). */
  checksum: number;
  /** Checked against the pseudo-header when one was given; 0 (no checksum, IPv4) counts as valid. */
  checksumValid: boolean;
  /** The data, cut to the length field. A view. */
  payload: Buffer;
}

/**
 * Decodes a UDP datagram; give `pseudo` (the IP addresses) to verify the
 * checksum. Does not correspond to a syscall.
 *
 * @see https://man7.org/linux/man-pages/man7/udp.7.html
 * @throws PacketError (ERR_PACKET_MALFORMED) for fewer than 8 bytes or a length field below 8.
 */
export function decodeUDP(bytes: Uint8Array, pseudo?: PseudoHeader): UdpDatagram {
  const b = asBuffer(bytes);
  need("udp", b, UDP_HEADER_SIZE);
  const length = b.readUInt16BE(4);
  if (length < UDP_HEADER_SIZE) throw new PacketError("udp", `length field ${length} is below 8`);
  const checksum = b.readUInt16BE(6);
  const seg = b.subarray(0, Math.min(length, b.length));
  const checksumValid =
    !pseudo || (checksum === 0 && !pseudo.source.includes(":"))
      ? true
      : transportChecksum(pseudo.source, pseudo.destination, IPPROTO.UDP, seg) === 0;
  return {
    sourcePort: b.readUInt16BE(0),
    destinationPort: b.readUInt16BE(2),
    length,
    checksum,
    checksumValid,
    payload: b.subarray(UDP_HEADER_SIZE, Math.min(length, b.length)),
  };
}

/** What {@link encodeUDP} takes. */
export interface UdpInput {
  /** The source port. */
  sourcePort: number;
  /** The destination port. */
  destinationPort: number;
  /** The datagram's data; default none. */
  payload?: Uint8Array;
}

/**
 * Encodes a UDP datagram; the checksum is computed over the pseudo-header
 * when `pseudo` is given (a computed 0 is sent as 0xffff, RFC 768), else left
 * 0 ("no checksum", IPv4 only). Does not correspond to a syscall.
 *
 * @see https://man7.org/linux/man-pages/man7/udp.7.html
 * @throws TypeError ERR_INVALID_ARG_TYPE / ERR_INVALID_ADDRESS, RangeError ERR_OUT_OF_RANGE.
 */
export function encodeUDP(u: UdpInput, pseudo?: PseudoHeader): Buffer {
  if (typeof u !== "object" || u === null) throw codedError("ERR_INVALID_ARG_TYPE", "datagram must be an object");
  const payload = u.payload ?? Buffer.alloc(0);
  const length = UDP_HEADER_SIZE + payload.byteLength;
  if (length > 0xffff) throw codedError("ERR_OUT_OF_RANGE", `a UDP datagram is at most 65535 bytes, got ${length}`);
  const b = Buffer.alloc(length);
  b.writeUInt16BE(checkField(u.sourcePort, "sourcePort", 0xffff), 0);
  b.writeUInt16BE(checkField(u.destinationPort, "destinationPort", 0xffff), 2);
  b.writeUInt16BE(length, 4);
  b.set(payload, UDP_HEADER_SIZE);
  if (pseudo) b.writeUInt16BE(transportChecksum(pseudo.source, pseudo.destination, IPPROTO.UDP, b) || 0xffff, 6);
  return b;
}
