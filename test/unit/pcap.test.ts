/**
 * The pcap writer (src/pcap.ts) checked byte for byte against the format of
 * pcap-savefile(5) — with a parser written here, not the module's own — and
 * the module's reader on files in either byte order.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, describe, test } from "node:test";
import { ARPHRD, ETH_P, PACKET } from "../../src/constants.js";
import {
  LINKTYPE,
  PcapWriter,
  encodePcapHeader,
  encodePcapRecord,
  encodeSllHeader,
  linkTypeFor,
  parsePcap,
} from "../../src/pcap.js";
import { PacketError } from "../../src/packets/index.js";
import { tempDir } from "../helpers.js";

const dir = tempDir();
after(() => dir.cleanup());

/** pcap-savefile(5), little-endian microsecond files only: what the writer must produce. */
function readSavefile(b: Buffer): {
  linkType: number;
  snaplen: number;
  records: { sec: number; usec: number; orig: number; data: Buffer }[];
} {
  assert.equal(b.readUInt32LE(0), 0xa1b2c3d4, "magic");
  assert.equal(b.readUInt16LE(4), 2, "major");
  assert.equal(b.readUInt16LE(6), 4, "minor");
  const records = [];
  let off = 24;
  while (off < b.length) {
    const incl = b.readUInt32LE(off + 8);
    records.push({
      sec: b.readUInt32LE(off),
      usec: b.readUInt32LE(off + 4),
      orig: b.readUInt32LE(off + 12),
      data: b.subarray(off + 16, off + 16 + incl),
    });
    off += 16 + incl;
  }
  assert.equal(off, b.length, "no trailing bytes");
  return { linkType: b.readUInt32LE(20), snaplen: b.readUInt32LE(16), records };
}

describe("pcap writer", () => {
  test("a file: header, then one record per packet with timestamp, captured and original length", () => {
    const path = join(dir.path, "a.pcap");
    const w = new PcapWriter(path, { snaplen: 8 });
    w.write(Buffer.from("0123456789"), { sec: 1_700_000_000, nsec: 123_456_789 });
    w.write(Buffer.from("ab"), { sec: 1, nsec: 999 }, 60);
    w.close();
    w.close();
    assert.equal(w.count, 2);
    const f = readSavefile(readFileSync(path));
    assert.equal(f.linkType, LINKTYPE.ETHERNET);
    assert.equal(f.snaplen, 8);
    assert.deepEqual(
      f.records.map((r) => [r.sec, r.usec, r.orig, r.data.toString()]),
      [
        [1_700_000_000, 123_456, 10, "01234567"],
        [1, 0, 60, "ab"],
      ],
    );
    assert.throws(() => w.write(Buffer.from("x")), { code: "ERR_INVALID_ARG_VALUE" });
  });

  test("a stream gets the same bytes; nanosecond files use magic a1b23c4d", () => {
    const s = new PassThrough();
    const chunks: Buffer[] = [];
    s.on("data", (c: Buffer) => chunks.push(c));
    const w = new PcapWriter(s, { linkType: LINKTYPE.LINUX_SLL, nanosecond: true });
    w.write(Buffer.from("x"), { sec: 2, nsec: 5 });
    const b = Buffer.concat(chunks);
    assert.equal(b.readUInt32LE(0), 0xa1b23c4d);
    assert.equal(b.readUInt32LE(20), LINKTYPE.LINUX_SLL);
    assert.equal(b.readUInt32LE(24 + 4), 5);
    const parsed = parsePcap(b);
    assert.equal(parsed.nanosecond, true);
    assert.deepEqual(parsed.records[0]!.timestamp, { sec: 2, nsec: 5 });
  });

  test("parsePcap reads big-endian files and refuses bad ones with PacketError", () => {
    const le = Buffer.concat([
      encodePcapHeader({ linkType: 101 }),
      encodePcapRecord(Buffer.from("hi"), { sec: 3, nsec: 4000 }),
    ]);
    const be = Buffer.from(le);
    for (const [off, size] of [
      [0, 4],
      [4, 2],
      [6, 2],
      [16, 4],
      [20, 4],
      [24, 4],
      [28, 4],
      [32, 4],
      [36, 4],
    ] as const) {
      be.subarray(off, off + size).reverse();
    }
    for (const b of [le, be]) {
      const p = parsePcap(b);
      assert.equal(p.linkType, 101);
      assert.deepEqual(p.records[0]!.timestamp, { sec: 3, nsec: 4000 });
      assert.equal(p.records[0]!.data.toString(), "hi");
    }
    assert.throws(() => parsePcap(Buffer.alloc(24)), PacketError);
    assert.throws(() => parsePcap(le.subarray(0, le.length - 1)), PacketError);
  });

  test("cooked headers (LINKTYPE_LINUX_SLL) and the link type of a packet socket", () => {
    const h = encodeSllHeader({
      family: "packet",
      protocol: ETH_P.IP,
      ifindex: 3,
      hatype: ARPHRD.ETHER,
      pkttype: PACKET.OUTGOING,
      addr: Buffer.from("020000000001", "hex"),
    });
    assert.equal(h.length, 16);
    assert.equal(h.readUInt16BE(0), PACKET.OUTGOING);
    assert.equal(h.readUInt16BE(2), ARPHRD.ETHER);
    assert.equal(h.readUInt16BE(4), 6);
    assert.equal(h.subarray(6, 12).toString("hex"), "020000000001");
    assert.equal(h.readUInt16BE(14), ETH_P.IP);
    assert.equal(linkTypeFor("raw", ARPHRD.ETHER), LINKTYPE.ETHERNET);
    assert.equal(linkTypeFor("raw", ARPHRD.LOOPBACK), LINKTYPE.ETHERNET);
    assert.equal(linkTypeFor("dgram", ARPHRD.ETHER), LINKTYPE.LINUX_SLL);
    assert.equal(linkTypeFor("raw", ARPHRD.NONE), LINKTYPE.LINUX_SLL);
  });

  test("bad sinks and timestamps are refused at once", () => {
    assert.throws(() => new PcapWriter({} as never), { code: "ERR_INVALID_ARG_TYPE" });
    assert.throws(() => encodePcapRecord(Buffer.alloc(1), { sec: -1, nsec: 0 }), { code: "ERR_OUT_OF_RANGE" });
    assert.throws(() => encodePcapHeader({ linkType: 70000 }), { code: "ERR_OUT_OF_RANGE" });
  });
});
