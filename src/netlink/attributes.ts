/**
 * Netlink attributes (struct nlattr: u16 length, u16 type, value, padding to
 * NLA_ALIGNTO), after mdlayher/netlink's AttributeEncoder/AttributeDecoder.
 * Pure: no I/O.
 *
 * Both carry a sticky error: the first problem (a value of the wrong size, a
 * length past the end, a number out of range) is remembered, later calls do
 * nothing and return zero values, and `finish()`/`encode()` throws it. A
 * decoder therefore never throws in the middle of a loop, and whatever the
 * input bytes, the only error it produces is {@link NetlinkMessageError}.
 *
 * Integers are in host byte order, as the kernel writes them, unless the
 * attribute carries NLA_F_NET_BYTEORDER or the caller asks for "big".
 */
import { NLA } from "../constants.js";
import { LITTLE_ENDIAN } from "../endian.js";
import { NLA_HDRLEN, nlaAlign } from "./align.js";
import { NetlinkMessageError } from "./errors.js";

/** Byte order of integer attributes: the host's (default), or explicit. */
export type Endian = "host" | "little" | "big";

const MAX_ATTR_LEN = 0xffff;
/** NLA_TYPE_MASK is `~(NLA_F_NESTED | NLA_F_NET_BYTEORDER)`, a negative int in C: keep its 16 bits. */
const TYPE_MASK = NLA.TYPE_MASK & 0xffff;

function littleFor(endian: Endian | undefined): boolean {
  return endian === undefined || endian === "host" ? LITTLE_ENDIAN : endian === "little";
}

/** One attribute as it sits in the buffer. */
export interface Attribute {
  /** The type without the NLA_F_NESTED / NLA_F_NET_BYTEORDER bits. */
  type: number;
  /** NLA_F_NESTED was set. */
  nested: boolean;
  /** NLA_F_NET_BYTEORDER was set (integers are big-endian). */
  netByteOrder: boolean;
  /** The value (a view into the decoded buffer; copy it to keep it). */
  data: Buffer;
}

/**
 * Walks the attributes of a buffer: `while (d.next()) switch (d.type) ...`.
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/netlink.7.html
 */
export class AttributeDecoder {
  readonly #buf: Buffer;
  #pos = 0;
  #cur: Attribute | undefined;
  #err: NetlinkMessageError | undefined;
  readonly #little: boolean;
  readonly #endian: Endian;
  /** Where this decoder's buffer starts inside the outermost one (for error offsets). */
  readonly #base: number;

  /**
   * @param buf the attributes (from the first nlattr to the end of the message)
   * @param options.endian byte order of integers (default: the host's)
   * @throws TypeError ERR_INVALID_ARG_TYPE when `buf` is not bytes.
   */
  constructor(buf: ArrayBufferView, options: { endian?: Endian; base?: number } = {}) {
    if (!ArrayBuffer.isView(buf)) {
      throw Object.assign(new TypeError("AttributeDecoder: buf must be a Buffer or TypedArray"), {
        code: "ERR_INVALID_ARG_TYPE",
      });
    }
    this.#buf = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    this.#endian = options.endian ?? "host";
    this.#little = littleFor(options.endian);
    this.#base = options.base ?? 0;
  }

  /** The first error met, if any (sticky: nothing decodes after it). */
  get error(): NetlinkMessageError | undefined {
    return this.#err;
  }

  #fail(message: string): void {
    this.#err ??= new NetlinkMessageError(message, this.#base + this.#pos);
  }

  /** Moves to the next attribute; false at the end or after an error. */
  next(): boolean {
    if (this.#err) return false;
    const buf = this.#buf;
    if (this.#pos >= buf.length) return false;
    if (buf.length - this.#pos < NLA_HDRLEN) {
      // Trailing bytes shorter than a header: the kernel never sends these.
      this.#fail(`netlink attribute header truncated: ${buf.length - this.#pos} bytes left`);
      return false;
    }
    const len = this.#little ? buf.readUInt16LE(this.#pos) : buf.readUInt16BE(this.#pos);
    const rawType = this.#little ? buf.readUInt16LE(this.#pos + 2) : buf.readUInt16BE(this.#pos + 2);
    if (len < NLA_HDRLEN || this.#pos + len > buf.length) {
      this.#fail(`netlink attribute length ${len} is invalid (${buf.length - this.#pos} bytes left)`);
      return false;
    }
    this.#cur = {
      type: rawType & TYPE_MASK,
      nested: (rawType & NLA.F_NESTED) !== 0,
      netByteOrder: (rawType & NLA.F_NET_BYTEORDER) !== 0,
      data: buf.subarray(this.#pos + NLA_HDRLEN, this.#pos + len),
    };
    this.#pos += Math.min(nlaAlign(len), buf.length - this.#pos);
    return true;
  }

  /** The current attribute's type (flags masked off); 0 before next(). */
  get type(): number {
    return this.#cur?.type ?? 0;
  }

  /** The current attribute. */
  get attribute(): Attribute | undefined {
    return this.#cur;
  }

  /** The current attribute's value as bytes (a view). */
  bytes(): Buffer {
    return this.#cur?.data ?? Buffer.alloc(0);
  }

  #int(width: number, signed: boolean): number {
    const d = this.#cur?.data;
    if (this.#err || d === undefined) return 0;
    if (d.length !== width) {
      this.#fail(`netlink attribute ${this.type}: ${d.length} bytes, expected ${width}`);
      return 0;
    }
    const little = this.#cur!.netByteOrder ? false : this.#little;
    if (width === 1) return signed ? d.readInt8(0) : d[0]!;
    if (width === 2)
      return little ? (signed ? d.readInt16LE(0) : d.readUInt16LE(0)) : signed ? d.readInt16BE(0) : d.readUInt16BE(0);
    return little ? (signed ? d.readInt32LE(0) : d.readUInt32LE(0)) : signed ? d.readInt32BE(0) : d.readUInt32BE(0);
  }

  /** The value as a u8. A wrong size sets the sticky error and returns 0. */
  uint8(): number {
    return this.#int(1, false);
  }
  /** The value as a u16. */
  uint16(): number {
    return this.#int(2, false);
  }
  /** The value as a u32. */
  uint32(): number {
    return this.#int(4, false);
  }
  /** The value as an s32. */
  int32(): number {
    return this.#int(4, true);
  }
  /** The value as a u64 (bigint). */
  uint64(): bigint {
    const d = this.#cur?.data;
    if (this.#err || d === undefined) return 0n;
    if (d.length !== 8) {
      this.#fail(`netlink attribute ${this.type}: ${d.length} bytes, expected 8`);
      return 0n;
    }
    return this.#cur!.netByteOrder || !this.#little ? d.readBigUInt64BE(0) : d.readBigUInt64LE(0);
  }
  /** The value as a string, up to its first NUL (NLA_NUL_STRING and NLA_STRING alike). */
  string(): string {
    const d = this.bytes();
    const nul = d.indexOf(0);
    return d.toString("utf8", 0, nul === -1 ? d.length : nul);
  }
  /** A flag attribute (NLA_FLAG) is present when seen: always true. */
  flag(): boolean {
    return true;
  }

  /**
   * Decodes the current attribute's value as nested attributes with `fn`; an
   * error inside becomes this decoder's sticky error.
   */
  nested(fn: (d: AttributeDecoder) => void): void {
    if (this.#err || this.#cur === undefined) return;
    const start = this.#base + (this.#cur.data.byteOffset - this.#buf.byteOffset);
    const inner = new AttributeDecoder(this.#cur.data, { endian: this.#endian, base: start });
    fn(inner);
    if (inner.error) this.#err ??= inner.error;
  }

  /** Throws the sticky error, if any. @throws NetlinkMessageError */
  finish(): void {
    if (this.#err) throw this.#err;
  }
}

/**
 * Decodes every attribute of `buf` into a list (values are views into `buf`).
 * Does not correspond to a syscall.
 * @throws NetlinkMessageError for a malformed attribute.
 * @see https://man7.org/linux/man-pages/man7/netlink.7.html
 */
export function parseAttributes(buf: ArrayBufferView, options: { endian?: Endian } = {}): Attribute[] {
  const d = new AttributeDecoder(buf, options);
  const out: Attribute[] = [];
  while (d.next()) out.push(d.attribute!);
  d.finish();
  return out;
}

/**
 * Builds attributes: `e.uint32(IFLA.MTU, 1500); e.nested(IFLA.LINKINFO, (n) => n.string(IFLA.INFO_KIND, "veth"))`.
 * Errors (a value out of range, an attribute over 64 KiB) are sticky and
 * thrown by `encode()`. Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/netlink.7.html
 */
export class AttributeEncoder {
  readonly #parts: Buffer[] = [];
  #err: Error | undefined;
  readonly #little: boolean;
  readonly #endian: Endian;

  /** @param options.endian byte order of integers (default: the host's) */
  constructor(options: { endian?: Endian } = {}) {
    this.#endian = options.endian ?? "host";
    this.#little = littleFor(options.endian);
  }

  /** The first error met, if any. */
  get error(): Error | undefined {
    return this.#err;
  }

  #fail(err: Error): void {
    this.#err ??= err;
  }

  #header(type: number, valueLen: number): Buffer | undefined {
    if (this.#err) return undefined;
    if (!Number.isInteger(type) || type < 0 || type > 0xffff) {
      this.#fail(
        Object.assign(new RangeError(`netlink attribute type must be in 0..65535, got ${String(type)}`), {
          code: "ERR_OUT_OF_RANGE",
        }),
      );
      return undefined;
    }
    const len = NLA_HDRLEN + valueLen;
    if (len > MAX_ATTR_LEN) {
      this.#fail(
        Object.assign(new RangeError(`netlink attribute ${type} is too long: ${len} bytes (max ${MAX_ATTR_LEN})`), {
          code: "ERR_OUT_OF_RANGE",
        }),
      );
      return undefined;
    }
    const b = Buffer.alloc(nlaAlign(len));
    if (this.#little) {
      b.writeUInt16LE(len, 0);
      b.writeUInt16LE(type, 2);
    } else {
      b.writeUInt16BE(len, 0);
      b.writeUInt16BE(type, 2);
    }
    this.#parts.push(b);
    return b;
  }

  #checkInt(type: number, v: number, min: number, max: number): boolean {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      this.#fail(
        Object.assign(
          new RangeError(`netlink attribute ${type}: value must be an integer in ${min}..${max}, got ${String(v)}`),
          {
            code: "ERR_OUT_OF_RANGE",
          },
        ),
      );
      return false;
    }
    return true;
  }

  /** Adds a u8 attribute. */
  uint8(type: number, v: number): this {
    if (!this.#err && this.#checkInt(type, v, 0, 0xff)) this.#header(type, 1)?.writeUInt8(v, NLA_HDRLEN);
    return this;
  }
  /** Adds a u16 attribute. */
  uint16(type: number, v: number): this {
    if (!this.#err && this.#checkInt(type, v, 0, 0xffff)) {
      const b = this.#header(type, 2);
      if (b) {
        if (this.#little) b.writeUInt16LE(v, NLA_HDRLEN);
        else b.writeUInt16BE(v, NLA_HDRLEN);
      }
    }
    return this;
  }
  /** Adds a u32 attribute. */
  uint32(type: number, v: number): this {
    if (!this.#err && this.#checkInt(type, v, 0, 0xffffffff)) {
      const b = this.#header(type, 4);
      if (b) {
        if (this.#little) b.writeUInt32LE(v, NLA_HDRLEN);
        else b.writeUInt32BE(v, NLA_HDRLEN);
      }
    }
    return this;
  }
  /** Adds an s32 attribute. */
  int32(type: number, v: number): this {
    if (!this.#err && this.#checkInt(type, v, -0x80000000, 0x7fffffff)) {
      const b = this.#header(type, 4);
      if (b) {
        if (this.#little) b.writeInt32LE(v, NLA_HDRLEN);
        else b.writeInt32BE(v, NLA_HDRLEN);
      }
    }
    return this;
  }
  /** Adds a u64 attribute. */
  uint64(type: number, v: bigint | number): this {
    if (this.#err) return this;
    const big = typeof v === "number" && Number.isSafeInteger(v) ? BigInt(v) : v;
    if (typeof big !== "bigint" || big < 0n || big > 0xffffffffffffffffn) {
      this.#fail(
        Object.assign(new RangeError(`netlink attribute ${type}: value must be a u64, got ${String(v)}`), {
          code: "ERR_OUT_OF_RANGE",
        }),
      );
      return this;
    }
    const b = this.#header(type, 8);
    if (b) {
      if (this.#little) b.writeBigUInt64LE(big, NLA_HDRLEN);
      else b.writeBigUInt64BE(big, NLA_HDRLEN);
    }
    return this;
  }
  /** Adds a NUL-terminated string attribute (NLA_NUL_STRING / NLA_STRING). */
  string(type: number, s: string): this {
    if (this.#err) return this;
    if (typeof s !== "string") {
      this.#fail(
        Object.assign(new TypeError(`netlink attribute ${type}: value must be a string`), {
          code: "ERR_INVALID_ARG_TYPE",
        }),
      );
      return this;
    }
    const v = Buffer.from(s, "utf8");
    this.#header(type, v.length + 1)?.set(v, NLA_HDRLEN);
    return this;
  }
  /** Adds an attribute with these bytes as its value. */
  bytes(type: number, v: ArrayBufferView): this {
    if (this.#err) return this;
    if (!ArrayBuffer.isView(v)) {
      this.#fail(
        Object.assign(new TypeError(`netlink attribute ${type}: value must be bytes`), {
          code: "ERR_INVALID_ARG_TYPE",
        }),
      );
      return this;
    }
    this.#header(type, v.byteLength)?.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), NLA_HDRLEN);
    return this;
  }
  /** Adds a flag attribute (NLA_FLAG: no value). */
  flag(type: number): this {
    this.#header(type, 0);
    return this;
  }
  /** Adds a nested attribute (type | NLA_F_NESTED) whose value `fn` builds. */
  nested(type: number, fn: (e: AttributeEncoder) => void): this {
    if (this.#err) return this;
    const inner = new AttributeEncoder({ endian: this.#endian });
    fn(inner);
    if (inner.error) {
      this.#fail(inner.error);
      return this;
    }
    const value = inner.#concat();
    if (!Number.isInteger(type) || type < 0 || type > TYPE_MASK) {
      this.#fail(
        Object.assign(new RangeError(`netlink attribute type must be in 0..${TYPE_MASK}, got ${String(type)}`), {
          code: "ERR_OUT_OF_RANGE",
        }),
      );
      return this;
    }
    this.#header(type | NLA.F_NESTED, value.length)?.set(value, NLA_HDRLEN);
    return this;
  }

  #concat(): Buffer {
    return Buffer.concat(this.#parts);
  }

  /**
   * The attributes as bytes.
   * @throws RangeError ERR_OUT_OF_RANGE / TypeError ERR_INVALID_ARG_TYPE: the sticky error.
   */
  encode(): Buffer {
    if (this.#err) throw this.#err;
    return this.#concat();
  }
}
