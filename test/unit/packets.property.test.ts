/**
 * Property tests for the packet codecs: random and truncated bytes never make
 * a decoder throw anything but PacketError, encode → decode is the identity
 * for random headers, and every checksum matches a plain reference
 * implementation (RFC 1071 over the pseudo-header) written here.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  PacketError,
  decodeEthernet,
  decodeICMP,
  decodeICMPv6,
  decodeIPv4,
  decodeIPv6,
  decodeTCP,
  decodeUDP,
  encodeICMPv6,
  encodeIPv4,
  encodeIPv6,
  encodeTCP,
  encodeUDP,
  internetChecksum,
} from "../../src/packets/index.js";
import { parsePcap } from "../../src/pcap.js";

const RUNS = 2000;
const pseudo4 = { source: "192.0.2.1", destination: "198.51.100.7" };
const pseudo6 = { source: "2001:db8::1", destination: "2001:db8::ff" };

const decoders: [string, (b: Uint8Array) => unknown][] = [
  ["ethernet", decodeEthernet],
  ["ipv4", decodeIPv4],
  ["ipv6", decodeIPv6],
  ["icmp", decodeICMP],
  ["icmpv6", (b) => decodeICMPv6(b, pseudo6)],
  ["udp", (b) => decodeUDP(b, pseudo4)],
  ["tcp", (b) => decodeTCP(b, pseudo6)],
  ["pcap", parsePcap],
];

function onlyPacketErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PacketError, `threw ${String(e)}`);
    assert.equal((e as PacketError).code, "ERR_PACKET_MALFORMED");
  }
}

/** RFC 1071 the slow way: sum 16-bit words as numbers, fold at the end. */
function reference(words: number[]): number {
  let sum = words.reduce((a, b) => a + b, 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}
function wordsOf(b: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < b.length; i += 2) out.push((b[i]! << 8) | (b[i + 1] ?? 0));
  return out;
}

describe("packet decoders on random bytes", () => {
  for (const [name, decode] of decoders) {
    test(`${name}: random bytes give a packet or PacketError, nothing else`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 128 }), (b) => onlyPacketErrors(() => decode(b))),
        { numRuns: RUNS },
      );
    });
  }

  test("a valid packet cut anywhere decodes or is PacketError", () => {
    const udp = encodeUDP({ sourcePort: 1, destinationPort: 2, payload: Buffer.alloc(20, 1) }, pseudo4);
    const v4 = encodeIPv4({ ...pseudo4, protocol: 17, options: Buffer.alloc(8, 1) }, udp);
    const tcp = encodeTCP({
      sourcePort: 1,
      destinationPort: 2,
      options: Buffer.alloc(12, 1),
      payload: Buffer.alloc(9),
    });
    const v6 = encodeIPv6({ ...pseudo6, nextHeader: 6 }, tcp);
    fc.assert(
      fc.property(fc.nat(200), (cut) => {
        for (const [, decode] of decoders) {
          onlyPacketErrors(() => decode(v4.subarray(0, cut)));
          onlyPacketErrors(() => decode(v6.subarray(0, cut)));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("round trips and checksums", () => {
  const ipv4Text = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join("."));
  const port = fc.integer({ min: 0, max: 0xffff });

  test("IPv4 header fields survive encode → decode; the header checksum matches the reference", () => {
    fc.assert(
      fc.property(
        ipv4Text,
        ipv4Text,
        fc.nat(255),
        fc.integer({ min: 0, max: 255 }),
        fc.nat(0xffff),
        fc.uint8Array({ maxLength: 40 }),
        fc.uint8Array({ maxLength: 300 }),
        (source, destination, protocol, ttl, id, options, payload) => {
          const b = encodeIPv4({ source, destination, protocol, ttl, id, options }, payload);
          const { header, payload: p } = decodeIPv4(b);
          assert.equal(header.source, source);
          assert.equal(header.destination, destination);
          assert.equal(header.protocol, protocol);
          assert.equal(header.ttl, ttl);
          assert.equal(header.id, id);
          assert.equal(header.checksumValid, true);
          assert.deepEqual(Buffer.from(p), Buffer.from(payload));
          const h = Buffer.from(b.subarray(0, header.headerLength));
          const sum = h.readUInt16BE(10);
          h.writeUInt16BE(0, 10);
          assert.equal(sum, reference(wordsOf(h)));
        },
      ),
      { numRuns: 500 },
    );
  });

  test("UDP, TCP and ICMPv6 checksums equal RFC 1071 over pseudo-header + segment", () => {
    fc.assert(
      fc.property(port, port, fc.uint8Array({ maxLength: 200 }), fc.boolean(), (sp, dp, payload, v6) => {
        const ph = v6 ? pseudo6 : pseudo4;
        const addr = (t: string): number[] =>
          wordsOf(Buffer.from(t.includes(":") ? ipv6Bytes(t) : t.split(".").map(Number)));
        const pseudoWords = (proto: number, len: number): number[] =>
          v6
            ? [...addr(ph.source), ...addr(ph.destination), len >>> 16, len & 0xffff, proto]
            : [...addr(ph.source), ...addr(ph.destination), proto, len];
        const check = (seg: Buffer, proto: number, at: number): void => {
          const z = Buffer.from(seg);
          const got = z.readUInt16BE(at);
          z.writeUInt16BE(0, at);
          const want = reference([...pseudoWords(proto, z.length), ...wordsOf(z)]);
          assert.equal(got, proto === 17 && want === 0 ? 0xffff : want);
        };
        check(encodeUDP({ sourcePort: sp, destinationPort: dp, payload }, ph), 17, 6);
        check(encodeTCP({ sourcePort: sp, destinationPort: dp, payload }, ph), 6, 16);
        if (v6) check(encodeICMPv6({ type: 128, id: sp, sequence: dp, payload }, ph), 58, 2);
        assert.equal(internetChecksum(encodeIPv4({ ...pseudo4, protocol: 1 }).subarray(0, 20)), 0);
      }),
      { numRuns: 500 },
    );
  });
});

function ipv6Bytes(text: string): number[] {
  // Only the forms used above: "2001:db8::N".
  const [head, tail] = text.split("::");
  const h = head!.split(":").map((x) => parseInt(x, 16));
  const t = tail ? tail.split(":").map((x) => parseInt(x, 16)) : [];
  const words = [...h, ...Array(8 - h.length - t.length).fill(0), ...t];
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}
