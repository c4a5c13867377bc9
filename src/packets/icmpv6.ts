/**
 * ICMPv6 messages (RFC 4443): decode and encode. The checksum covers an IPv6
 * pseudo-header, so it is computed (and verified) only when the source and
 * destination addresses are given; on an IPPROTO_ICMPV6 socket the kernel
 * fills it in anyway (RFC 3542 §3.1). Pure, no I/O.
 *
 * @see https://man7.org/linux/man-pages/man7/ipv6.7.html
 */
import { ICMP6, IPPROTO } from "../constants.js";
import { codedError } from "../errors.js";
import { transportChecksum } from "./checksum.js";
import { asBuffer, need } from "./error.js";
import { ICMP_HEADER_SIZE, fields, layout, type IcmpDecoded, type IcmpInput } from "./icmp.js";

/** The pseudo-header addresses of an ICMPv6, UDP or TCP checksum. */
export interface PseudoHeader {
  /** The source IPv6 address of the packet. */
  source: string;
  /** The destination IPv6 address of the packet. */
  destination: string;
}

/**
 * Decodes an ICMPv6 message. `checksumValid` is checked against the
 * pseudo-header when `pseudo` is given, else it is `true` when the kernel
 * already did (a socket read) — pass `pseudo` to check raw captures. Does not
 * correspond to a syscall.
 *
 * @see https://man7.org/linux/man-pages/man7/ipv6.7.html
 * @throws PacketError (ERR_PACKET_MALFORMED) when fewer than 8 bytes are given.
 */
export function decodeICMPv6(bytes: Uint8Array, pseudo?: PseudoHeader): IcmpDecoded {
  const b = asBuffer(bytes);
  need("icmpv6", b, ICMP_HEADER_SIZE);
  const checksumValid = pseudo ? transportChecksum(pseudo.source, pseudo.destination, IPPROTO.ICMPV6, b) === 0 : true;
  return { ...fields(b), checksumValid };
}

/**
 * Encodes an ICMPv6 message; the checksum is computed when `pseudo` is given
 * and left 0 otherwise (for an IPPROTO_ICMPV6 socket, which computes it).
 * Does not correspond to a syscall.
 *
 * @see https://man7.org/linux/man-pages/man7/ipv6.7.html
 * @throws TypeError ERR_INVALID_ARG_TYPE / ERR_INVALID_ADDRESS, RangeError ERR_OUT_OF_RANGE.
 */
export function encodeICMPv6(m: IcmpInput, pseudo?: PseudoHeader): Buffer {
  if (typeof m === "object" && m !== null && m.type === undefined) {
    throw codedError("ERR_INVALID_ARG_TYPE", "type must be a number, got undefined");
  }
  const b = layout(m);
  if (pseudo) b.writeUInt16BE(transportChecksum(pseudo.source, pseudo.destination, IPPROTO.ICMPV6, b), 2);
  return b;
}

/**
 * Encodes an ICMPv6 echo request (ICMP6_ECHO_REQUEST). Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/ipv6.7.html
 */
export function encodeEchoRequestV6(
  id: number,
  sequence: number,
  payload: Uint8Array = Buffer.alloc(0),
  pseudo?: PseudoHeader,
): Buffer {
  return encodeICMPv6({ type: ICMP6.ECHO_REQUEST, id, sequence, payload }, pseudo);
}
