/**
 * IPv4 headers (RFC 791): decode and encode, with the header checksum. Field
 * offsets come from struct iphdr in the headers (STRUCTS.iphdr). Pure, no I/O.
 *
 * @see https://man7.org/linux/man-pages/man7/raw.7.html
 */
import { formatIPv4, parseIPv4 } from "../address.js";
import { STRUCTS } from "../constants.js";
import { codedError } from "../errors.js";
import { internetChecksum } from "./checksum.js";
import { PacketError, asBuffer, need } from "./error.js";

const IPH = STRUCTS.iphdr!;
/**
 * The size of an IPv4 header without options (sizeof(struct iphdr), 20).
 * @see https://man7.org/linux/man-pages/man7/raw.7.html
 */
export const IPV4_HEADER_SIZE = IPH.size;

/** A decoded IPv4 header. */
export interface IPv4Header {
  /** Header length in bytes (IHL × 4, 20..60). */
  headerLength: number;
  /** The TOS / DSCP+ECN byte. */
  tos: number;
  /** Total length of the packet (header + payload) as the header says. */
  totalLength: number;
  /** The identification field. */
  id: number;
  /** Don't Fragment. */
  dontFragment: boolean;
  /** More Fragments. */
  moreFragments: boolean;
  /** Fragment offset in bytes (the field × 8). */
  fragmentOffset: number;
  /** Time to live. */
  ttl: number;
  /** The payload's protocol (IPPROTO_*). */
  protocol: number;
  /** The checksum field as received. */
  checksum: number;
  /** Whether the header checksum is correct. */
  checksumValid: boolean;
  /** The source address. */
  source: string;
  /** The destination address. */
  destination: string;
  /** Options bytes (headerLength - 20 of them). */
  options: Buffer;
}

/** A decoded IPv4 packet: the header and the payload it announces (cut to what is there). */
export interface IPv4Packet {
  /** The decoded header. */
  header: IPv4Header;
  /** The payload: totalLength - headerLength bytes, or fewer if the packet was cut short. */
  payload: Buffer;
}

/**
 * Decodes an IPv4 packet. The payload is a view (no copy) and is cut to
 * totalLength, so link-layer padding is dropped. Does not correspond to a
 * syscall.
 *
 * @see https://man7.org/linux/man-pages/man7/raw.7.html
 * @throws PacketError (ERR_PACKET_MALFORMED) when the bytes are too short, the
 *   version is not 4, or IHL is below 5 or past the end.
 */
export function decodeIPv4(bytes: Uint8Array): IPv4Packet {
  const b = asBuffer(bytes);
  need("ipv4", b, IPV4_HEADER_SIZE);
  if (b[0]! >> 4 !== 4) throw new PacketError("ipv4", `version is ${b[0]! >> 4}, not 4`);
  const headerLength = (b[0]! & 0x0f) * 4;
  if (headerLength < IPV4_HEADER_SIZE) throw new PacketError("ipv4", `IHL ${headerLength / 4} is below 5`);
  need("ipv4", b, headerLength, "header with options");
  const totalLength = b.readUInt16BE(IPH.tot_len!);
  if (totalLength < headerLength) {
    throw new PacketError("ipv4", `total length ${totalLength} is shorter than the header (${headerLength})`);
  }
  const frag = b.readUInt16BE(IPH.frag_off!);
  const header: IPv4Header = {
    headerLength,
    tos: b[IPH.tos!]!,
    totalLength,
    id: b.readUInt16BE(IPH.id!),
    dontFragment: (frag & 0x4000) !== 0,
    moreFragments: (frag & 0x2000) !== 0,
    fragmentOffset: (frag & 0x1fff) * 8,
    ttl: b[IPH.ttl!]!,
    protocol: b[IPH.protocol!]!,
    checksum: b.readUInt16BE(IPH.check!),
    checksumValid: internetChecksum(b.subarray(0, headerLength)) === 0,
    source: formatIPv4(b, IPH.saddr!),
    destination: formatIPv4(b, IPH.daddr!),
    options: b.subarray(IPV4_HEADER_SIZE, headerLength),
  };
  return { header, payload: b.subarray(headerLength, Math.min(totalLength, b.length)) };
}

/** What {@link encodeIPv4} takes: addresses and protocol are required, the rest defaults. */
export interface IPv4Input {
  /** The source address. */
  source: string;
  /** The destination address. */
  destination: string;
  /** The protocol of the payload (IPPROTO_*). */
  protocol: number;
  /** Default 64. */
  ttl?: number;
  /** Default 0. */
  tos?: number;
  /** Default 0 (on a raw socket with IP_HDRINCL, 0 lets the kernel choose). */
  id?: number;
  /** Default false. */
  dontFragment?: boolean;
  /** Sets the MF flag; default false. */
  moreFragments?: boolean;
  /** In bytes, a multiple of 8; default 0. */
  fragmentOffset?: number;
  /** Options, padded with zeros (end of options) to a multiple of 4; at most 40 bytes. */
  options?: Uint8Array;
}

function checkField(v: unknown, what: string, max: number, def?: number): number {
  if (v === undefined && def !== undefined) return def;
  if (typeof v !== "number") throw codedError("ERR_INVALID_ARG_TYPE", `${what} must be a number, got ${typeof v}`);
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw codedError("ERR_OUT_OF_RANGE", `${what} must be an integer in 0..${max}, got ${v}`);
  }
  return v;
}

/** Validates an integer field of a header input (shared by the codecs). */
export { checkField };

/**
 * Encodes an IPv4 header followed by `payload`, with total length and header
 * checksum filled in — a packet for a raw socket with IP_HDRINCL. Does not
 * correspond to a syscall.
 *
 * @see https://man7.org/linux/man-pages/man7/raw.7.html
 * @throws TypeError ERR_INVALID_ARG_TYPE / ERR_INVALID_ADDRESS, RangeError
 *   ERR_OUT_OF_RANGE for a field out of range or a packet over 65535 bytes.
 */
export function encodeIPv4(h: IPv4Input, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  if (typeof h !== "object" || h === null) throw codedError("ERR_INVALID_ARG_TYPE", "header must be an object");
  const opts = h.options ?? Buffer.alloc(0);
  const optLen = Math.ceil(opts.byteLength / 4) * 4;
  if (optLen > 40) throw codedError("ERR_OUT_OF_RANGE", `options must be at most 40 bytes, got ${opts.byteLength}`);
  const headerLength = IPV4_HEADER_SIZE + optLen;
  const total = headerLength + payload.byteLength;
  if (total > 0xffff) throw codedError("ERR_OUT_OF_RANGE", `an IPv4 packet is at most 65535 bytes, got ${total}`);
  const fragOff = checkField(h.fragmentOffset, "fragmentOffset", 0x1fff * 8, 0);
  if (fragOff % 8 !== 0) throw codedError("ERR_OUT_OF_RANGE", `fragmentOffset must be a multiple of 8, got ${fragOff}`);
  const b = Buffer.alloc(total);
  b[0] = 0x40 | (headerLength / 4);
  b[IPH.tos!] = checkField(h.tos, "tos", 0xff, 0);
  b.writeUInt16BE(total, IPH.tot_len!);
  b.writeUInt16BE(checkField(h.id, "id", 0xffff, 0), IPH.id!);
  b.writeUInt16BE((h.dontFragment ? 0x4000 : 0) | (h.moreFragments ? 0x2000 : 0) | (fragOff / 8), IPH.frag_off!);
  b[IPH.ttl!] = checkField(h.ttl, "ttl", 0xff, 64);
  b[IPH.protocol!] = checkField(h.protocol, "protocol", 0xff, 0);
  for (const [field, off] of [
    ["source", IPH.saddr!],
    ["destination", IPH.daddr!],
  ] as const) {
    const text = h[field];
    if (typeof text !== "string" || !parseIPv4(text, b, off)) {
      throw codedError("ERR_INVALID_ADDRESS", `${field} must be an IPv4 address, got ${JSON.stringify(text)}`);
    }
  }
  b.set(opts, IPV4_HEADER_SIZE);
  b.writeUInt16BE(internetChecksum(b.subarray(0, headerLength)), IPH.check!);
  b.set(payload, headerLength);
  return b;
}
