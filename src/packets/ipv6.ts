/**
 * IPv6 fixed headers (RFC 8200 §3): decode and encode. Extension headers are
 * not walked: `nextHeader` says what follows. Pure, no I/O.
 *
 * @see https://man7.org/linux/man-pages/man7/ipv6.7.html
 */
import { formatIPv6, parseIPv6 } from "../address.js";
import { STRUCTS } from "../constants.js";
import { codedError } from "../errors.js";
import { PacketError, asBuffer, need } from "./error.js";
import { checkField } from "./ipv4.js";

const H6 = STRUCTS.ip6_hdr!;
/**
 * The size of the IPv6 fixed header (sizeof(struct ip6_hdr), 40).
 * @see https://man7.org/linux/man-pages/man7/ipv6.7.html
 */
export const IPV6_HEADER_SIZE = H6.size;

/** A decoded IPv6 fixed header. */
export interface IPv6Header {
  /** The traffic class (DSCP and ECN). */
  trafficClass: number;
  /** The 20-bit flow label. */
  flowLabel: number;
  /** The payload length field (bytes after the fixed header). */
  payloadLength: number;
  /** The protocol of what follows (IPPROTO_*): an extension header or the transport. */
  nextHeader: number;
  /** The hop limit. */
  hopLimit: number;
  /** The source address. */
  source: string;
  /** The destination address. */
  destination: string;
}

/** A decoded IPv6 packet. */
export interface IPv6Packet {
  /** The decoded header. */
  header: IPv6Header;
  /** What follows the fixed header, cut to payloadLength (or fewer bytes if cut short). A view. */
  payload: Buffer;
}

/**
 * Decodes an IPv6 fixed header. Does not correspond to a syscall.
 *
 * @see https://man7.org/linux/man-pages/man7/ipv6.7.html
 * @throws PacketError (ERR_PACKET_MALFORMED) when the bytes are too short or the version is not 6.
 */
export function decodeIPv6(bytes: Uint8Array): IPv6Packet {
  const b = asBuffer(bytes);
  need("ipv6", b, IPV6_HEADER_SIZE);
  const first = b.readUInt32BE(0);
  if (first >>> 28 !== 6) throw new PacketError("ipv6", `version is ${first >>> 28}, not 6`);
  const payloadLength = b.readUInt16BE(4);
  const header: IPv6Header = {
    trafficClass: (first >>> 20) & 0xff,
    flowLabel: first & 0xfffff,
    payloadLength,
    nextHeader: b[6]!,
    hopLimit: b[7]!,
    source: formatIPv6(b, H6.ip6_src!),
    destination: formatIPv6(b, H6.ip6_dst!),
  };
  return { header, payload: b.subarray(IPV6_HEADER_SIZE, Math.min(b.length, IPV6_HEADER_SIZE + payloadLength)) };
}

/** What {@link encodeIPv6} takes. */
export interface IPv6Input {
  /** The source address. */
  source: string;
  /** The destination address. */
  destination: string;
  /** The protocol of the payload (next header: IPPROTO_*). */
  nextHeader: number;
  /** Default 64. */
  hopLimit?: number;
  /** The traffic class; default 0. */
  trafficClass?: number;
  /** The 20-bit flow label; default 0. */
  flowLabel?: number;
}

/**
 * Encodes an IPv6 fixed header followed by `payload`, payload length filled in.
 * Does not correspond to a syscall.
 *
 * @see https://man7.org/linux/man-pages/man7/ipv6.7.html
 * @throws TypeError ERR_INVALID_ADDRESS, RangeError ERR_OUT_OF_RANGE.
 */
export function encodeIPv6(h: IPv6Input, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  if (typeof h !== "object" || h === null) throw codedError("ERR_INVALID_ARG_TYPE", "header must be an object");
  if (payload.byteLength > 0xffff) {
    throw codedError("ERR_OUT_OF_RANGE", `an IPv6 payload is at most 65535 bytes, got ${payload.byteLength}`);
  }
  const b = Buffer.alloc(IPV6_HEADER_SIZE + payload.byteLength);
  const tc = checkField(h.trafficClass, "trafficClass", 0xff, 0);
  const fl = checkField(h.flowLabel, "flowLabel", 0xfffff, 0);
  b.writeUInt32BE(((6 << 28) | (tc << 20) | fl) >>> 0, 0);
  b.writeUInt16BE(payload.byteLength, 4);
  b[6] = checkField(h.nextHeader, "nextHeader", 0xff, 0);
  b[7] = checkField(h.hopLimit, "hopLimit", 0xff, 64);
  for (const [field, off] of [
    ["source", H6.ip6_src!],
    ["destination", H6.ip6_dst!],
  ] as const) {
    const text = h[field];
    if (typeof text !== "string" || !parseIPv6(text, b, off)) {
      throw codedError("ERR_INVALID_ADDRESS", `${field} must be an IPv6 address, got ${JSON.stringify(text)}`);
    }
  }
  b.set(payload, IPV6_HEADER_SIZE);
  return b;
}
