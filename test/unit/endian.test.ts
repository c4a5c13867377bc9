/**
 * src/endian.ts: host-order reads and writes, checked against what the host
 * itself does (a Uint32Array and a DataView in the platform's order), and the
 * host↔network swaps against Buffer's big-endian reads, on random values.
 */
import assert from "node:assert/strict";
import { endianness } from "node:os";
import { describe, test } from "node:test";
import fc from "fast-check";
import * as e from "../../src/endian.js";

const little = endianness() === "LE";

describe("endian", () => {
  test("LITTLE_ENDIAN is the host's order", () => {
    assert.equal(e.LITTLE_ENDIAN, little);
    assert.equal(e.LITTLE_ENDIAN, new Uint8Array(new Uint16Array([1]).buffer)[0] === 1);
  });

  test("32-bit and 16-bit values read back as the host's typed arrays see them", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffff }), (u32, u16) => {
        const b = Buffer.alloc(8);
        e.writeU32(b, 0, u32);
        e.writeU16(b, 4, u16);
        assert.equal(new Uint32Array(b.buffer, b.byteOffset, 1)[0], u32);
        assert.equal(new Uint16Array(b.buffer, b.byteOffset + 4, 1)[0], u16);
        assert.equal(e.readU32(b, 0), u32);
        assert.equal(e.readU16(b, 4), u16);
        assert.equal(e.readI32(b, 0), u32 | 0);
        assert.equal(e.readI16(b, 4), (u16 << 16) >> 16);
      }),
    );
  });

  test("s32 writes wrap as C's conversions do; 64-bit values round-trip through a DataView", () => {
    const b = Buffer.alloc(16);
    e.writeI32(b, 0, -1);
    assert.equal(e.readU32(b, 0), 0xffffffff);
    e.writeU32(b, 0, ~0);
    assert.equal(e.readI32(b, 0), -1);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (v) => {
        e.writeU64(b, 0, v);
        e.writeI64(b, 8, BigInt.asIntN(64, v));
        const dv = new DataView(b.buffer, b.byteOffset, 16);
        assert.equal(dv.getBigUint64(0, little), v);
        assert.equal(e.readU64(b, 0), v);
        assert.equal(e.readI64(b, 8), BigInt.asIntN(64, v));
      }),
    );
  });

  test("hostToNetwork16/32 give the value whose host-order bytes are the big-endian bytes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (v) => {
        const be = Buffer.alloc(4);
        be.writeUInt32BE(v, 0);
        assert.equal(e.hostToNetwork32(e.readU32(be, 0)), v);
        assert.equal(e.readU32(be, 0), e.hostToNetwork32(v));
        assert.equal(e.hostToNetwork32(e.hostToNetwork32(v)), v);
        const v16 = v & 0xffff;
        assert.equal(e.readU16(be.subarray(2), 0), e.hostToNetwork16(v16));
        assert.equal(e.hostToNetwork16(e.hostToNetwork16(v16)), v16);
      }),
    );
    if (little) assert.equal(e.hostToNetwork16(0x1234), 0x3412);
  });
});
