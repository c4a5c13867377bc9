/**
 * The pcapng writer and reader: random packets written (to a stream) read back
 * the same — interface blocks in first-seen order with their names, payloads,
 * lengths, nanosecond or microsecond timestamps, direction flags from the
 * packet type; random and truncated bytes make the reader throw PacketError
 * only.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { PACKET, PacketError, PcapngWriter, epbFlags, parsePcapng } from "../../src/index.js";

const packet = fc.record({
  data: fc.uint8Array({ maxLength: 100 }),
  extra: fc.nat(1000),
  sec: fc.nat(0xffffffff),
  nsec: fc.nat(999_999_999),
  ifindex: fc.integer({ min: 1, max: 4 }),
  pkttype: fc.nat(7),
});

type Packet = typeof packet extends fc.Arbitrary<infer T> ? T : never;

function written(packets: Packet[], nanosecond: boolean): Buffer {
  const chunks: Buffer[] = [];
  const w = new PcapngWriter({ write: (c: Buffer) => chunks.push(c) }, { nanosecond, interfaceName: (i) => `if${i}` });
  for (const p of packets) w.write(p.data, { sec: p.sec, nsec: p.nsec }, p.data.length + p.extra, p.ifindex, p.pkttype);
  w.close();
  return Buffer.concat(chunks);
}

describe("pcapng", () => {
  test("write → parse is the identity (up to the timestamp resolution)", () => {
    fc.assert(
      fc.property(fc.array(packet, { maxLength: 20 }), fc.boolean(), (packets, nanosecond) => {
        const f = parsePcapng(written(packets, nanosecond));
        const order = [...new Set(packets.map((p) => p.ifindex))];
        assert.deepEqual(
          f.interfaces.map((i) => i.name),
          order.map((i) => `if${i}`),
        );
        for (const i of f.interfaces) assert.equal(i.tsresol, nanosecond ? 9 : 6);
        assert.equal(f.packets.length, packets.length);
        packets.forEach((p, k) => {
          const q = f.packets[k]!;
          assert.equal(q.interfaceId, order.indexOf(p.ifindex));
          assert.deepEqual(new Uint8Array(q.data), p.data);
          assert.equal(q.originalLength, p.data.length + p.extra);
          assert.equal(q.timestamp.sec, p.sec);
          assert.equal(q.timestamp.nsec, nanosecond ? p.nsec : Math.floor(p.nsec / 1000) * 1000);
          const flags = epbFlags(p.pkttype);
          assert.equal(q.flags, flags === 0 ? undefined : flags);
        });
      }),
      { numRuns: 500 },
    );
  });

  test("direction: host/broadcast/multicast/otherhost are inbound, outgoing is outbound", () => {
    assert.equal(epbFlags(PACKET.HOST), 0b00101);
    assert.equal(epbFlags(PACKET.BROADCAST), 0b01101);
    assert.equal(epbFlags(PACKET.MULTICAST), 0b01001);
    assert.equal(epbFlags(PACKET.OTHERHOST), 0b10001);
    assert.equal(epbFlags(PACKET.OUTGOING), 0b00010);
  });

  test("random, truncated and corrupted bytes: PacketError only", () => {
    const good = written(
      [{ data: new Uint8Array([1, 2, 3]), extra: 0, sec: 1, nsec: 2, ifindex: 1, pkttype: 0 }],
      true,
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.nat(good.length).map((n) => good.subarray(0, n)),
          fc.tuple(fc.nat(good.length - 1), fc.nat(255)).map(([at, v]) => {
            const b = Buffer.from(good);
            b[at] = v;
            return b;
          }),
        ),
        (bytes) => {
          try {
            parsePcapng(bytes);
          } catch (e) {
            assert.ok(e instanceof PacketError, String(e));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
