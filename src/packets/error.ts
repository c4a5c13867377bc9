/**
 * The one error the packet codecs throw for bytes that are not a packet of
 * their kind (too short, wrong version, a length field past the end). Random
 * input never makes a decoder throw anything else.
 */

/**
 * A malformed or truncated packet; `code` is always "ERR_PACKET_MALFORMED".
 * @see https://man7.org/linux/man-pages/man7/raw.7.html
 */
export class PacketError extends RangeError {
  /** Always "PacketError". */
  override name = "PacketError";
  /** Always "ERR_PACKET_MALFORMED". */
  readonly code = "ERR_PACKET_MALFORMED";
  /** The protocol whose decoder refused the bytes: "ipv4", "tcp" ... */
  readonly protocol: string;
  constructor(protocol: string, message: string) {
    super(`${protocol}: ${message}`);
    this.protocol = protocol;
  }
}

/**
 * Throws PacketError unless `buf` holds at least `need` bytes.
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/raw.7.html
 */
export function need(protocol: string, buf: Uint8Array, need: number, what = "header"): void {
  if (buf.byteLength < need) {
    throw new PacketError(protocol, `${what} needs ${need} bytes, got ${buf.byteLength}`);
  }
}

/**
 * A Buffer view of any Uint8Array, without copying.
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/raw.7.html
 */
export function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
