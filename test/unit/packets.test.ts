/**
 * The pure packet codecs (src/packets): known vectors (RFC 1071, a textbook
 * IPv4 header), encode → decode round trips for every header, checksums
 * against a reference written here, and bad input refused with ERR_* codes.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ETH_P, ICMP, ICMP6, IPPROTO } from "../../src/constants.js";
import {
  PacketError,
  checksumAdd,
  decodeEthernet,
  decodeICMP,
  decodeICMPv6,
  decodeIPv4,
  decodeIPv6,
  decodeTCP,
  decodeUDP,
  encodeEchoRequest,
  encodeEchoRequestV6,
  encodeEthernet,
  encodeICMP,
  encodeIPv4,
  encodeIPv6,
  encodeTCP,
  encodeUDP,
  finishChecksum,
  internetChecksum,
  pseudoHeaderSum,
  transportChecksum,
} from "../../src/packets/index.js";

function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.equal((e as { code?: unknown }).code, code, String(e));
    return true;
  });
}

describe("Internet checksum", () => {
  test("RFC 1071's example: 0001 f203 f4f5 f6f7 sums to ddf2, checksum 220d", () => {
    const data = Buffer.from("0001f203f4f5f6f7", "hex");
    assert.equal(checksumAdd(0, data), 0xddf2);
    assert.equal(internetChecksum(data), 0x220d);
    // With the checksum appended the whole verifies to 0.
    assert.equal(internetChecksum(Buffer.concat([data, Buffer.from([0x22, 0x0d])])), 0);
  });

  test("an odd last byte is padded with a zero; pieces sum like the whole", () => {
    assert.equal(internetChecksum(Buffer.from([0x01])), ~0x0100 & 0xffff);
    const a = Buffer.from("45000073000040004011", "hex");
    const b = Buffer.from("c0a80001c0a800c7", "hex");
    assert.equal(finishChecksum(checksumAdd(checksumAdd(0, a), b)), internetChecksum(Buffer.concat([a, b])));
    assert.equal(internetChecksum(Buffer.alloc(0)), 0xffff);
  });

  test("pseudo-headers: IPv4 (addresses, protocol, length) and IPv6 (addresses, 32-bit length, next header)", () => {
    const v4 = pseudoHeaderSum("192.168.0.1", "192.168.0.199", 17, 8);
    assert.equal(v4 % 0xffff, (0xc0a8 + 0x0001 + 0xc0a8 + 0x00c7 + 17 + 8) % 0xffff);
    const v6 = pseudoHeaderSum("::1", "::2", 58, 0x10004);
    assert.equal(v6, 1 + 2 + 1 + 4 + 58);
    throwsCode(() => pseudoHeaderSum("::1", "127.0.0.1", 17, 0), "ERR_INVALID_ADDRESS");
    throwsCode(() => pseudoHeaderSum("nope", "127.0.0.1", 17, 0), "ERR_INVALID_ADDRESS");
  });
});

describe("IPv4", () => {
  // The classic example header (Wikipedia, "IPv4 header checksum").
  const vector = Buffer.from("450000730000400040110000c0a80001c0a800c7", "hex");
  vector.writeUInt16BE(0xb861, 10);

  test("encodes the textbook header byte for byte, checksum b861", () => {
    const payload = Buffer.alloc(0x73 - 20);
    const b = encodeIPv4(
      { source: "192.168.0.1", destination: "192.168.0.199", protocol: IPPROTO.UDP, ttl: 64, dontFragment: true },
      payload,
    );
    assert.deepEqual(b.subarray(0, 20), vector);
  });

  test("decodes it, cutting the payload to the total length", () => {
    const packet = Buffer.concat([vector, Buffer.alloc(0x73 - 20, 7), Buffer.from("padding")]);
    const { header, payload } = decodeIPv4(packet);
    assert.equal(header.headerLength, 20);
    assert.equal(header.totalLength, 0x73);
    assert.equal(header.ttl, 64);
    assert.equal(header.protocol, IPPROTO.UDP);
    assert.equal(header.dontFragment, true);
    assert.equal(header.moreFragments, false);
    assert.equal(header.checksum, 0xb861);
    assert.equal(header.checksumValid, true);
    assert.equal(header.source, "192.168.0.1");
    assert.equal(header.destination, "192.168.0.199");
    assert.equal(payload.length, 0x73 - 20);
    const bad = Buffer.from(packet);
    bad[8] = 63;
    assert.equal(decodeIPv4(bad).header.checksumValid, false);
  });

  test("options, fragments and the id round-trip", () => {
    const b = encodeIPv4(
      {
        source: "10.0.0.1",
        destination: "10.0.0.2",
        protocol: 200,
        id: 0xbeef,
        tos: 0xb8,
        moreFragments: true,
        fragmentOffset: 1480,
        options: Buffer.from([1, 1, 1]),
      },
      Buffer.from("data"),
    );
    const { header, payload } = decodeIPv4(b);
    assert.equal(header.headerLength, 24);
    assert.deepEqual(header.options, Buffer.from([1, 1, 1, 0]));
    assert.equal(header.id, 0xbeef);
    assert.equal(header.tos, 0xb8);
    assert.equal(header.moreFragments, true);
    assert.equal(header.fragmentOffset, 1480);
    assert.equal(header.checksumValid, true);
    assert.equal(payload.toString(), "data");
  });

  test("malformed bytes are PacketError ERR_PACKET_MALFORMED; bad fields ERR_*", () => {
    for (const bytes of [Buffer.alloc(19), Buffer.from("60000000000000000000000000000000000000000000", "hex")]) {
      assert.throws(() => decodeIPv4(bytes), PacketError);
    }
    const shortIhl = Buffer.from(vector);
    shortIhl[0] = 0x44;
    throwsCode(() => decodeIPv4(shortIhl), "ERR_PACKET_MALFORMED");
    throwsCode(() => encodeIPv4({ source: "1.2.3", destination: "1.2.3.4", protocol: 1 }), "ERR_INVALID_ADDRESS");
    throwsCode(() => encodeIPv4({ source: "1.2.3.4", destination: "1.2.3.4", protocol: 256 }), "ERR_OUT_OF_RANGE");
    throwsCode(
      () => encodeIPv4({ source: "1.2.3.4", destination: "1.2.3.4", protocol: 1, fragmentOffset: 3 }),
      "ERR_OUT_OF_RANGE",
    );
    throwsCode(
      () => encodeIPv4({ source: "1.2.3.4", destination: "1.2.3.4", protocol: 1 }, Buffer.alloc(65516)),
      "ERR_OUT_OF_RANGE",
    );
  });
});

describe("IPv6", () => {
  test("round-trips traffic class, flow label, next header and hop limit", () => {
    const b = encodeIPv6(
      {
        source: "fe80::1",
        destination: "ff02::1",
        nextHeader: IPPROTO.ICMPV6,
        hopLimit: 255,
        trafficClass: 0xe0,
        flowLabel: 0x12345,
      },
      Buffer.from("abc"),
    );
    assert.equal(b.length, 43);
    const { header, payload } = decodeIPv6(b);
    assert.deepEqual(header, {
      trafficClass: 0xe0,
      flowLabel: 0x12345,
      payloadLength: 3,
      nextHeader: IPPROTO.ICMPV6,
      hopLimit: 255,
      source: "fe80::1",
      destination: "ff02::1",
    });
    assert.equal(payload.toString(), "abc");
    assert.throws(() => decodeIPv6(b.subarray(0, 39)), PacketError);
    throwsCode(
      () => encodeIPv6({ source: "::1", destination: "::1", nextHeader: 1, flowLabel: 0x100000 }),
      "ERR_OUT_OF_RANGE",
    );
  });
});

describe("ICMP and ICMPv6", () => {
  test("an echo request carries its id, sequence and a checksum that verifies", () => {
    const b = encodeEchoRequest(0x1234, 7, Buffer.from("ping"));
    assert.equal(b[0], ICMP.ECHO);
    const m = decodeICMP(b);
    assert.equal(m.id, 0x1234);
    assert.equal(m.sequence, 7);
    assert.equal(m.checksumValid, true);
    assert.equal(m.payload.toString(), "ping");
    assert.equal(internetChecksum(b), 0);
    const r = encodeICMP({ type: ICMP.TIME_EXCEEDED, code: 0, rest: Buffer.alloc(4), payload: Buffer.alloc(28) });
    assert.equal(decodeICMP(r).type, ICMP.TIME_EXCEEDED);
    throwsCode(() => encodeICMP({ type: 300 }), "ERR_OUT_OF_RANGE");
    throwsCode(() => encodeICMP({} as { type: number }), "ERR_INVALID_ARG_TYPE");
    assert.throws(() => decodeICMP(b.subarray(0, 7)), PacketError);
  });

  test("ICMPv6's checksum covers the pseudo-header: computed and verified only with the addresses", () => {
    const pseudo = { source: "fd00::1", destination: "fd00::2" };
    const b = encodeEchoRequestV6(1, 2, Buffer.from("hi"), pseudo);
    assert.equal(b[0], ICMP6.ECHO_REQUEST);
    assert.equal(decodeICMPv6(b, pseudo).checksumValid, true);
    assert.equal(decodeICMPv6(b, { source: "fd00::1", destination: "fd00::3" }).checksumValid, false);
    assert.equal(encodeEchoRequestV6(1, 2).readUInt16BE(2), 0, "left to the kernel without addresses");
  });
});

describe("UDP and TCP", () => {
  test("UDP: length, ports, checksum over the pseudo-header (0 sent as ffff)", () => {
    const pseudo = { source: "10.0.0.1", destination: "10.0.0.2" };
    const b = encodeUDP({ sourcePort: 5353, destinationPort: 53, payload: Buffer.from("query") }, pseudo);
    const d = decodeUDP(b, pseudo);
    assert.equal(d.length, 13);
    assert.equal(d.sourcePort, 5353);
    assert.equal(d.destinationPort, 53);
    assert.equal(d.checksumValid, true);
    assert.equal(transportChecksum(pseudo.source, pseudo.destination, IPPROTO.UDP, b), 0);
    assert.equal(d.payload.toString(), "query");
    assert.equal(
      decodeUDP(encodeUDP({ sourcePort: 1, destinationPort: 2 }), pseudo).checksumValid,
      true,
      "0: no checksum",
    );
    const bad = Buffer.from(b);
    bad[4] = 0;
    bad[5] = 7;
    throwsCode(() => decodeUDP(bad), "ERR_PACKET_MALFORMED");
    throwsCode(() => encodeUDP({ sourcePort: 70000, destinationPort: 1 }), "ERR_OUT_OF_RANGE");
  });

  test("TCP: every flag, sequence numbers, options and the checksum", () => {
    const pseudo = { source: "::1", destination: "::1" };
    const b = encodeTCP(
      {
        sourcePort: 40000,
        destinationPort: 443,
        sequence: 0xfffffffe,
        acknowledgment: 1,
        flags: { syn: true, ack: true, ece: true, cwr: true },
        window: 1024,
        options: Buffer.from([2, 4, 5, 0xb4]),
        payload: Buffer.from("x"),
      },
      pseudo,
    );
    const t = decodeTCP(b, pseudo);
    assert.equal(t.headerLength, 24);
    assert.equal(t.sequence, 0xfffffffe);
    assert.equal(t.acknowledgment, 1);
    assert.deepEqual(
      { ...t.flags },
      { fin: false, syn: true, rst: false, psh: false, ack: true, urg: false, ece: true, cwr: true },
    );
    assert.equal(t.window, 1024);
    assert.equal(t.checksumValid, true);
    assert.deepEqual(t.options, Buffer.from([2, 4, 5, 0xb4]));
    assert.equal(t.payload.toString(), "x");
    const bad = Buffer.from(b);
    bad[12] = 0x40;
    throwsCode(() => decodeTCP(bad), "ERR_PACKET_MALFORMED");
  });
});

describe("Ethernet", () => {
  test("round-trips addresses and EtherType; steps over one 802.1Q tag", () => {
    const f = encodeEthernet(
      { destination: "ff:ff:ff:ff:ff:ff", source: "02:00:00:00:00:01", etherType: ETH_P.IP },
      Buffer.from("ip"),
    );
    const e = decodeEthernet(f);
    assert.equal(e.destination, "ff:ff:ff:ff:ff:ff");
    assert.equal(e.source, "02:00:00:00:00:01");
    assert.equal(e.etherType, ETH_P.IP);
    assert.equal(e.payload.toString(), "ip");
    const tagged = Buffer.concat([
      f.subarray(0, 12),
      Buffer.from([0x81, 0x00, 0x00, 0x64, 0x86, 0xdd]),
      Buffer.from("v6"),
    ]);
    const t = decodeEthernet(tagged);
    assert.equal(t.vlan, 100);
    assert.equal(t.etherType, ETH_P.IPV6);
    assert.equal(t.payload.toString(), "v6");
    assert.throws(() => decodeEthernet(Buffer.alloc(13)), PacketError);
    throwsCode(
      () => encodeEthernet({ destination: "ff", source: "02:00:00:00:00:01", etherType: 1 }, Buffer.alloc(0)),
      "ERR_INVALID_ADDRESS",
    );
  });
});
