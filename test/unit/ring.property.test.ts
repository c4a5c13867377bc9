/**
 * Property tests for the TPACKET_V3 block walker (native/packet_linux.c, the
 * code that reads the kernel's ring): blocks built here from random frames
 * decode to exactly those frames (with and without the cooked header,
 * micro- or nanoseconds, the loopback's outgoing copies left out); random
 * bytes with random offsets never crash it, every record it returns lies
 * inside what it was given, and the only error is a typed one.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { SocketError, STRUCTS, TPACKET, decodeRingBlock } from "../../src/index.js";
import { RING } from "../../src/raw/index.js";

const RUNS = 1500;
const BD = STRUCTS.tpacket_block_desc!;
const H = STRUCTS.tpacket3_hdr!;
const LL = STRUCTS.sockaddr_ll!;
const STATUS = BD.hdr!; // hdr.bh1.block_status
const NUM = BD.hdr! + 4;
const FIRST = BD.hdr! + 8;
const align16 = (n: number): number => (n + 15) & ~15;

interface Frame {
  data: Uint8Array;
  extra: number; // tp_len - tp_snaplen
  sec: number;
  nsec: number;
  ifindex: number;
  protocol: number;
  hatype: number;
  pkttype: number;
  addr: Uint8Array;
  pad: number; // extra bytes between the sockaddr_ll and the data (tp_mac further on)
}

const frameArb: fc.Arbitrary<Frame> = fc.record({
  data: fc.uint8Array({ maxLength: 200 }),
  extra: fc.nat(70000),
  sec: fc.nat(0xffffffff),
  nsec: fc.nat(999_999_999),
  ifindex: fc.integer({ min: 1, max: 5 }),
  protocol: fc.nat(0xffff),
  hatype: fc.nat(0xffff),
  pkttype: fc.nat(7),
  addr: fc.uint8Array({ maxLength: 8 }),
  pad: fc.nat(40),
});

/** A retired block holding `frames`, laid out as the kernel lays them out. */
function buildBlock(frames: Frame[]): Buffer {
  const first = align16(BD.size);
  const offsets: number[] = [];
  const macs: number[] = [];
  let off = first;
  for (const f of frames) {
    offsets.push(off);
    const mac = RING.SLL_OFFSET + LL.size + f.pad;
    macs.push(mac);
    off += align16(mac + f.data.length);
  }
  const b = Buffer.alloc(Math.max(off, first) + 16);
  b.writeUInt32LE(TPACKET.TPACKET_V3, 0);
  b.writeUInt32LE(TPACKET.TP_STATUS_USER, STATUS);
  b.writeUInt32LE(frames.length, NUM);
  b.writeUInt32LE(first, FIRST);
  frames.forEach((f, i) => {
    const o = offsets[i]!;
    const next = i + 1 < frames.length ? offsets[i + 1]! - o : 0;
    b.writeUInt32LE(next, o + H.tp_next_offset!);
    b.writeUInt32LE(f.sec, o + H.tp_sec!);
    b.writeUInt32LE(f.nsec, o + H.tp_nsec!);
    b.writeUInt32LE(f.data.length, o + H.tp_snaplen!);
    b.writeUInt32LE(f.data.length + f.extra, o + H.tp_len!);
    b.writeUInt16LE(macs[i]!, o + H.tp_mac!);
    const s = o + RING.SLL_OFFSET;
    b.writeUInt16LE(17, s + LL.sll_family!);
    b.writeUInt16BE(f.protocol, s + LL.sll_protocol!);
    b.writeInt32LE(f.ifindex, s + LL.sll_ifindex!);
    b.writeUInt16LE(f.hatype, s + LL.sll_hatype!);
    b.writeUInt8(f.pkttype, s + LL.sll_pkttype!);
    b.writeUInt8(f.addr.length, s + LL.sll_halen!);
    b.set(f.addr, s + LL.sll_addr!);
    b.set(f.data, o + macs[i]!);
  });
  return b;
}

describe("TPACKET_V3 block walker", () => {
  test("a block built from random frames decodes to exactly those frames", () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { maxLength: 20 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 0, max: 5 }),
        (frames, sll, usec, lo) => {
          const block = buildBlock(frames);
          const batch = decodeRingBlock(block, { sllHeader: sll, microseconds: usec, skipOutgoingOn: lo });
          const kept = frames.filter((f) => !(lo > 0 && f.ifindex === lo && f.pkttype === 4));
          assert.equal(batch.count, kept.length);
          assert.equal(batch.skipped, frames.length - kept.length);
          assert.equal(batch.malformed, 0);
          let off = 0;
          kept.forEach((f, i) => {
            const p = batch.frame(i);
            assert.deepEqual(new Uint8Array(p.data), f.data);
            assert.equal(p.length, f.data.length + f.extra);
            assert.equal(p.truncated, f.extra > 0);
            assert.equal(p.timestamp.sec, f.sec);
            assert.equal(p.timestamp.nsec, usec ? Math.floor(f.nsec / 1000) * 1000 : f.nsec);
            assert.deepEqual(
              { ...p.address, addr: [...p.address.addr] },
              {
                family: "packet",
                ifindex: f.ifindex,
                protocol: f.protocol,
                hatype: f.hatype,
                pkttype: f.pkttype,
                addr: [...f.addr],
              },
            );
            // The record: pcap's 16-byte header, then the cooked header, then the bytes.
            const r = batch.records;
            assert.equal(batch.recordOffset(i), off);
            assert.equal(r.readUInt32LE(off + 8), (sll ? 16 : 0) + f.data.length);
            assert.equal(r.readUInt32LE(off + 12), (sll ? 16 : 0) + f.data.length + f.extra);
            if (sll) {
              assert.equal(r.readUInt16BE(off + 16), f.pkttype);
              assert.equal(r.readUInt16BE(off + 18), f.hatype);
              assert.equal(r.readUInt16BE(off + 20), f.addr.length);
              assert.equal(r.readUInt16BE(off + 30), f.protocol);
            }
            off += 16 + (sll ? 16 : 0) + f.data.length;
          });
          assert.equal(batch.records.length, off);
          assert.equal(batch.recordOffset(batch.count), off);
        },
      ),
      { numRuns: RUNS },
    );
  });

  test("random bytes and random offsets: no crash, records only from inside the block, typed errors only", () => {
    let withFrames = 0;
    fc.assert(
      fc.property(
        // Mostly blocks long enough for their descriptor (fast-check's default size keeps arrays short).
        fc.oneof(
          { weight: 9, arbitrary: fc.uint8Array({ minLength: 48, maxLength: 2048, size: "max" }) },
          { weight: 1, arbitrary: fc.uint8Array({ maxLength: 47 }) },
        ),
        fc.nat(40),
        // Offsets near the real ones (the first frame at 48, tp_mac 80) as often as anywhere.
        fc.oneof(fc.constant(48), fc.integer({ min: 0, max: 2100 })),
        fc.array(
          fc.tuple(
            fc.oneof(fc.constant(48), fc.nat(2100)),
            fc.oneof(fc.constant(80), fc.nat(0xffff)),
            fc.oneof(fc.nat(200), fc.nat(3000)),
          ),
          { maxLength: 8 },
        ),
        fc.boolean(),
        (bytes, num, first, patches, sll) => {
          const block = Buffer.from(bytes);
          if (block.length >= BD.size) {
            block.writeUInt32LE(TPACKET.TP_STATUS_USER, STATUS);
            block.writeUInt32LE(num, NUM);
            block.writeUInt32LE(first, FIRST);
            // Plausible-looking frames at random places: next offsets, mac, snaplen.
            for (const [at, mac, snap] of patches) {
              if (at + H.size <= block.length) {
                block.writeUInt32LE(snap, at + H.tp_next_offset!);
                block.writeUInt32LE(snap, at + H.tp_snaplen!);
                block.writeUInt16LE(mac, at + H.tp_mac!);
              }
            }
          }
          let batch;
          try {
            batch = decodeRingBlock(block, { sllHeader: sll });
          } catch (e) {
            // A block shorter than its descriptor is EINVAL; nothing else may escape.
            assert.ok(e instanceof SocketError, String(e));
            assert.equal(e.code, "EINVAL");
            assert.ok(block.length < BD.size);
            return;
          }
          assert.ok(batch.count <= block.length);
          let off = 0;
          for (let i = 0; i < batch.count; i++) {
            assert.equal(batch.recordOffset(i), off);
            const incl = batch.records.readUInt32LE(off + 8);
            assert.ok(incl >= (sll ? 16 : 0) && incl - (sll ? 16 : 0) <= block.length);
            const data = batch.frame(i).data;
            // Every byte returned was in the block (its data is a run of the block's bytes).
            if (data.length > 0) assert.ok(block.includes(data), `frame ${i} is not from the block`);
            off += 16 + incl;
          }
          assert.equal(batch.records.length, off);
          if (batch.count > 0) withFrames++;
        },
      ),
      { numRuns: RUNS },
    );
    // The walk got past the descriptor often enough to mean something.
    assert.ok(withFrames > RUNS / 50, `only ${withFrames} of ${RUNS} blocks yielded a frame`);
  });

  test("a block whose status is not TP_STATUS_USER is not walked; bad arguments are TypeErrors", () => {
    const block = buildBlock([
      {
        data: new Uint8Array([1, 2, 3]),
        extra: 0,
        sec: 1,
        nsec: 2,
        ifindex: 1,
        protocol: 8,
        hatype: 1,
        pkttype: 0,
        addr: new Uint8Array(6),
        pad: 0,
      },
    ]);
    assert.equal(decodeRingBlock(block).count, 1);
    block.writeUInt32LE(TPACKET.TP_STATUS_KERNEL, STATUS);
    assert.equal(decodeRingBlock(block).count, 0);
    assert.throws(() => decodeRingBlock("x" as unknown as Uint8Array), { code: "ERR_INVALID_ARG_TYPE" });
    assert.throws(() => decodeRingBlock(block, { skipOutgoingOn: -1 }), { code: "ERR_OUT_OF_RANGE" });
  });
});
