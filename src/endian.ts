/**
 * Host-byte-order integers: the reads and writes for the C structs the kernel
 * fills in or reads in the machine's own byte order (sockaddr families and
 * scope ids, socket options, cmsg payloads, netlink headers and bodies,
 * sock_diag, packet-ring frames).
 *
 * One module, so that the byte order is decided once (at load, from
 * `os.endianness()`) and no file hard-codes `readInt32LE`, which reads garbage
 * on a big-endian host (s390x, some MIPS and PowerPC). Network-order fields
 * (ports, IPv4 addresses, packet headers) are big-endian on every host: read
 * them with Buffer's own `readUInt16BE`/`readUInt32BE`, or swap a number with
 * {@link hostToNetwork16}/{@link hostToNetwork32}.
 *
 * Writes take the value modulo 2^N as C's integer conversions do
 * (`v >>> 0`, `v | 0`): the callers validate ranges at the API boundary
 * (`checkInt`), so that is only reached for values already in range, and a
 * mask such as `~0` reaches the kernel as 0xffffffff.
 *
 * @module
 */

import { endianness } from "node:os";

/** True on a little-endian host (x86, arm64, riscv64), false on a big-endian one. */
export const LITTLE_ENDIAN = endianness() === "LE";

/** Reads a host-order u16 at `off`. */
export function readU16(b: Buffer, off: number): number {
  return LITTLE_ENDIAN ? b.readUInt16LE(off) : b.readUInt16BE(off);
}

/** Reads a host-order s16 at `off`. */
export function readI16(b: Buffer, off: number): number {
  return LITTLE_ENDIAN ? b.readInt16LE(off) : b.readInt16BE(off);
}

/** Reads a host-order u32 at `off`. */
export function readU32(b: Buffer, off: number): number {
  return LITTLE_ENDIAN ? b.readUInt32LE(off) : b.readUInt32BE(off);
}

/** Reads a host-order s32 (a C `int`) at `off`. */
export function readI32(b: Buffer, off: number): number {
  return LITTLE_ENDIAN ? b.readInt32LE(off) : b.readInt32BE(off);
}

/** Reads a host-order u64 at `off`, as a bigint. */
export function readU64(b: Buffer, off: number): bigint {
  return LITTLE_ENDIAN ? b.readBigUInt64LE(off) : b.readBigUInt64BE(off);
}

/** Reads a host-order s64 at `off`, as a bigint. */
export function readI64(b: Buffer, off: number): bigint {
  return LITTLE_ENDIAN ? b.readBigInt64LE(off) : b.readBigInt64BE(off);
}

/** Writes `v` (modulo 2^16) as a host-order u16 at `off`. */
export function writeU16(b: Buffer, off: number, v: number): void {
  if (LITTLE_ENDIAN) b.writeUInt16LE(v & 0xffff, off);
  else b.writeUInt16BE(v & 0xffff, off);
}

/** Writes `v` (modulo 2^32) as a host-order u32 at `off`. */
export function writeU32(b: Buffer, off: number, v: number): void {
  if (LITTLE_ENDIAN) b.writeUInt32LE(v >>> 0, off);
  else b.writeUInt32BE(v >>> 0, off);
}

/** Writes `v` (modulo 2^32) as a host-order s32 (a C `int`) at `off`. */
export function writeI32(b: Buffer, off: number, v: number): void {
  if (LITTLE_ENDIAN) b.writeInt32LE(v | 0, off);
  else b.writeInt32BE(v | 0, off);
}

/** Writes `v` as a host-order u64 at `off` (`v` must be in 0..2^64-1). */
export function writeU64(b: Buffer, off: number, v: bigint): void {
  if (LITTLE_ENDIAN) b.writeBigUInt64LE(v, off);
  else b.writeBigUInt64BE(v, off);
}

/** Writes `v` as a host-order s64 at `off` (`v` must be in -2^63..2^63-1). */
export function writeI64(b: Buffer, off: number, v: bigint): void {
  if (LITTLE_ENDIAN) b.writeBigInt64LE(v, off);
  else b.writeBigInt64BE(v, off);
}

/** Swaps a u16 between host and network (big-endian) order, as `htons(3)`/`ntohs(3)`. */
export function hostToNetwork16(v: number): number {
  v &= 0xffff;
  return LITTLE_ENDIAN ? ((v & 0xff) << 8) | (v >>> 8) : v;
}

/** Swaps a u32 between host and network (big-endian) order, as `htonl(3)`/`ntohl(3)`. */
export function hostToNetwork32(v: number): number {
  v >>>= 0;
  return LITTLE_ENDIAN ? (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0 : v;
}
