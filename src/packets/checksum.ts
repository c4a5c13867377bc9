/**
 * The Internet checksum (RFC 1071) and the pseudo-headers that UDP, TCP and
 * ICMPv6 fold into theirs (RFC 768, RFC 793, RFC 8200 §8.1). Pure functions,
 * no I/O.
 */
import { parseIPv4, parseIPv6 } from "../address.js";
import { codedError } from "../errors.js";

/**
 * Adds the 16-bit big-endian words of `data` to the running one's-complement
 * sum `sum` (not yet folded or inverted); an odd last byte is padded with a
 * zero, as RFC 1071 says. Use it to checksum data in pieces, then
 * {@link finishChecksum}. Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/raw.7.html
 */
export function checksumAdd(sum: number, data: Uint8Array): number {
  const n = data.byteLength;
  let i = 0;
  for (; i + 1 < n; i += 2) sum += (data[i]! << 8) | data[i + 1]!;
  if (i < n) sum += data[i]! << 8;
  // Fold now and then so the sum stays a small integer.
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/**
 * Folds a running sum to 16 bits and inverts it: the checksum field's value.
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/raw.7.html
 */
export function finishChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/**
 * Returns the Internet checksum of `data` (RFC 1071): the one's complement of
 * the one's-complement sum of its 16-bit words. Over data that already holds a
 * correct checksum it returns 0. Does not correspond to a syscall.
 *
 * @see https://www.rfc-editor.org/rfc/rfc1071
 */
export function internetChecksum(data: Uint8Array): number {
  return finishChecksum(checksumAdd(0, data));
}

/**
 * Parses an IPv4 or IPv6 address string to its 4 or 16 bytes, or throws ERR_INVALID_ADDRESS.
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/raw.7.html
 */
export function addressBytes(address: string, what = "address"): Uint8Array {
  if (typeof address !== "string") {
    throw codedError("ERR_INVALID_ARG_TYPE", `${what} must be an IP address string, got ${typeof address}`);
  }
  const b = address.includes(":") ? parseIPv6(address) : parseIPv4(address);
  if (!b)
    throw codedError("ERR_INVALID_ADDRESS", `${what} must be an IPv4 or IPv6 address, got ${JSON.stringify(address)}`);
  return b;
}

/**
 * Returns the running sum of the pseudo-header for a `length`-byte segment of
 * `protocol` from `source` to `destination`: for IPv4 (RFC 768/793) source,
 * destination, zero, protocol, 16-bit length; for IPv6 (RFC 8200 §8.1)
 * source, destination, 32-bit length, three zeros, next header. Both
 * addresses must be of the same family. Does not correspond to a syscall.
 *
 * @see https://man7.org/linux/man-pages/man7/raw.7.html
 * @throws TypeError ERR_INVALID_ADDRESS for a malformed address or mixed families.
 */
export function pseudoHeaderSum(source: string, destination: string, protocol: number, length: number): number {
  const s = addressBytes(source, "source");
  const d = addressBytes(destination, "destination");
  if (s.length !== d.length) {
    throw codedError("ERR_INVALID_ADDRESS", `source and destination must be of one family: ${source}, ${destination}`);
  }
  let sum = checksumAdd(checksumAdd(0, s), d);
  if (s.length === 4) return sum + (protocol & 0xff) + (length & 0xffff);
  sum += Math.floor(length / 0x10000) + (length & 0xffff);
  return sum + (protocol & 0xff);
}

/**
 * Returns the checksum of a transport segment (UDP, TCP, ICMPv6 — its
 * checksum field zeroed or holding the value to verify) with its
 * pseudo-header. Over a segment that carries a correct checksum it returns 0.
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/raw.7.html
 */
export function transportChecksum(source: string, destination: string, protocol: number, segment: Uint8Array): number {
  return finishChecksum(checksumAdd(pseudoHeaderSum(source, destination, protocol, segment.byteLength), segment));
}
