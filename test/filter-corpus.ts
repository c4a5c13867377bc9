/**
 * Packets and expressions for checking compiled capture filters against
 * tcpdump's: Ethernet frames carrying IPv4 (options, fragments), IPv6 (with
 * and without a fragment header), TCP with varied flags, UDP, SCTP, ICMP,
 * ICMPv6, IGMP, GRE, ARP, RARP, 802.1Q / 802.1ad tags, 802.3 LLC frames,
 * each also cut short at several lengths; and tcpdump's program for an
 * expression (`tcpdump -ddd -r` an empty DLT_EN10MB pcap file, so no device
 * is needed), cached per expression.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeEthernet, encodeICMP, encodeIPv4, encodeIPv6, encodeTCP, encodeUDP } from "../src/packets/index.js";
import { parseIPv4 } from "../src/address.js";

/** A frame and a name saying what it is. */
export interface CorpusPacket {
  name: string;
  data: Buffer;
}

const V4 = ["10.0.0.1", "10.0.0.2", "192.168.1.5", "172.16.5.4", "224.0.0.1", "255.255.255.255", "10.1.2.3"];
const V6 = ["::1", "fe80::1", "fd00::1", "fd00::2", "ff02::1", "2001:db8::5"];
const MACS = ["00:00:00:00:00:00", "02:00:00:00:00:01", "ff:ff:ff:ff:ff:ff", "01:00:5e:00:00:01", "01:02:03:04:05:06"];
const PORTS = [22, 53, 80, 443, 1024, 5353, 25, 30, 65535, 1500];

function eth(etherType: number, payload: Uint8Array, i: number): Buffer {
  return encodeEthernet(
    { destination: MACS[i % MACS.length]!, source: MACS[(i + 1) % MACS.length]!, etherType },
    payload,
  );
}

function tag(frame: Buffer, tpid: number, vid: number): Buffer {
  const t = Buffer.alloc(4);
  t.writeUInt16BE(tpid, 0);
  t.writeUInt16BE((3 << 13) | vid, 2);
  return Buffer.concat([frame.subarray(0, 12), t, frame.subarray(12)]);
}

function arp(op: number, spa: string, tpa: string): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt16BE(1, 0);
  b.writeUInt16BE(0x800, 2);
  b[4] = 6;
  b[5] = 4;
  b.writeUInt16BE(op, 6);
  Buffer.from([2, 0, 0, 0, 0, 1]).copy(b, 8);
  Buffer.from(parseIPv4(spa)!).copy(b, 14);
  Buffer.from(parseIPv4(tpa)!).copy(b, 24);
  return b;
}

/** The structured part of the corpus (about 250 frames before truncation). */
export function structuredPackets(): CorpusPacket[] {
  const out: CorpusPacket[] = [];
  let i = 0;
  const add = (name: string, data: Buffer): void => void out.push({ name, data });
  const flagSets = [
    { syn: true },
    { syn: true, ack: true },
    { ack: true },
    { fin: true, ack: true },
    { rst: true },
    { psh: true, ack: true, urg: true },
    {},
  ];
  for (const [s, d] of [
    [0, 1],
    [1, 0],
    [2, 4],
    [3, 5],
    [6, 1],
    [1, 1],
    [0, 2],
    [0, 0],
  ] as const) {
    const src = V4[s]!;
    const dst = V4[d]!;
    for (const [pi, port] of PORTS.entries()) {
      i++;
      const other = PORTS[(pi + 3) % PORTS.length]!;
      const flags = flagSets[i % flagSets.length]!;
      const options = i % 3 === 0 ? Buffer.alloc(8, 1) : undefined;
      const tcp = encodeTCP({
        sourcePort: port,
        destinationPort: pi === 2 ? port : other,
        flags,
        ...(i % 4 === 1 ? { options: Buffer.from([2, 4, 5, 0xb4]) } : {}),
      });
      const udp = encodeUDP({ sourcePort: other, destinationPort: port, payload: Buffer.alloc(i % 90) });
      add(
        `ip tcp ${src}:${port}>${dst}:${other}`,
        eth(0x800, encodeIPv4({ source: src, destination: dst, protocol: 6, ...(options ? { options } : {}) }, tcp), i),
      );
      add(
        `ip udp ${src}:${other}>${dst}:${port}`,
        eth(0x800, encodeIPv4({ source: src, destination: dst, protocol: 17, ttl: 1 + (i % 100) }, udp), i),
      );
      if (pi % 3 === 0) {
        add(`ip sctp ${port}`, eth(0x800, encodeIPv4({ source: src, destination: dst, protocol: 132 }, udp), i));
        add(
          `ip udp frag ${port}`,
          eth(
            0x800,
            encodeIPv4({ source: src, destination: dst, protocol: 17, fragmentOffset: 8 * (1 + (i % 4)) }, udp),
            i,
          ),
        );
        add(
          `ip tcp first frag ${port}`,
          eth(0x800, encodeIPv4({ source: src, destination: dst, protocol: 6, moreFragments: true }, tcp), i),
        );
      }
    }
    for (const type of [0, 8, 3, 11]) {
      i++;
      add(
        `icmp ${type} ${src}>${dst}`,
        eth(
          0x800,
          encodeIPv4({ source: src, destination: dst, protocol: 1 }, encodeICMP({ type, id: i, sequence: 1 })),
          i,
        ),
      );
    }
    add(
      `igmp ${dst}`,
      eth(0x800, encodeIPv4({ source: src, destination: dst, protocol: 2 }, Buffer.alloc(8, 0x11)), i),
    );
    for (const proto of [50, 51, 103, 112]) {
      add(
        `ip proto ${proto}`,
        eth(0x800, encodeIPv4({ source: src, destination: dst, protocol: proto }, Buffer.alloc(16, proto)), i),
      );
    }
    add(`gre ${dst}`, eth(0x800, encodeIPv4({ source: src, destination: dst, protocol: 47 }, Buffer.alloc(8)), i));
    add(`arp req ${src}>${dst}`, eth(0x806, arp(1, src, dst), i));
    add(`arp reply ${dst}>${src}`, eth(0x806, arp(2, dst, src), i + 2));
    add(`rarp ${src}`, eth(0x8035, arp(3, src, dst), i));
  }
  for (const [s, d] of [
    [0, 1],
    [1, 0],
    [2, 3],
    [3, 4],
    [5, 0],
  ] as const) {
    const src = V6[s]!;
    const dst = V6[d]!;
    for (const [pi, port] of PORTS.entries()) {
      i++;
      const other = PORTS[(pi + 5) % PORTS.length]!;
      const tcp = encodeTCP({ sourcePort: port, destinationPort: other, flags: flagSets[i % flagSets.length]! });
      const udp = encodeUDP({ sourcePort: other, destinationPort: port });
      add(`ip6 tcp ${port}`, eth(0x86dd, encodeIPv6({ source: src, destination: dst, nextHeader: 6 }, tcp), i));
      add(`ip6 udp ${port}`, eth(0x86dd, encodeIPv6({ source: src, destination: dst, nextHeader: 17 }, udp), i));
      if (pi % 3 === 0) {
        const frag = Buffer.from([pi % 2 ? 6 : 17, 0, 0, pi % 2 ? 0 : 8, 0, 0, 0, 1]);
        add(
          `ip6 frag ${port}`,
          eth(
            0x86dd,
            encodeIPv6({ source: src, destination: dst, nextHeader: 44 }, Buffer.concat([frag, pi % 2 ? tcp : udp])),
            i,
          ),
        );
        add(
          `ip6 hbh ${port}`,
          eth(
            0x86dd,
            encodeIPv6(
              { source: src, destination: dst, nextHeader: 0 },
              Buffer.concat([Buffer.from([17, 0, 1, 4, 0, 0, 0, 0]), udp]),
            ),
            i,
          ),
        );
      }
    }
    for (const type of [128, 129, 135, 1]) {
      i++;
      add(
        `icmp6 ${type}`,
        eth(0x86dd, encodeIPv6({ source: src, destination: dst, nextHeader: 58 }, encodeICMP({ type })), i),
      );
    }
    const frag58 = Buffer.from([58, 0, 0, 0, 0, 0, 0, 2]);
    add(
      `ip6 frag icmp6`,
      eth(
        0x86dd,
        encodeIPv6(
          { source: src, destination: dst, nextHeader: 44 },
          Buffer.concat([frag58, encodeICMP({ type: 128 })]),
        ),
        i,
      ),
    );
  }
  // VLAN tags (802.1Q, 802.1ad, QinQ) around a few of the above.
  const base = out.filter((_, j) => j % 9 === 0);
  for (const [j, p] of base.entries()) {
    const vid = [10, 20, 4095, 1][j % 4]!;
    add(`vlan ${vid} ${p.name}`, tag(p.data, 0x8100, vid));
    if (j % 3 === 0) add(`qinq ${p.name}`, tag(tag(p.data, 0x8100, 20), 0x88a8, 10));
    if (j % 5 === 0) add(`9100 ${p.name}`, tag(p.data, 0x9100, vid));
  }
  // 802.3 frames: a length instead of a type, then an LLC header.
  for (const dsap of [0x42, 0x64, 0xaa, 0xe0]) {
    add(`llc ${dsap}`, eth(40, Buffer.from([dsap, dsap, 3, 0, 0, 0, 0x08, 0x00, ...Buffer.alloc(32)]), dsap));
  }
  return out;
}

/** Every structured packet, plus each cut short at lengths that end inside its headers. */
export function corpus(): CorpusPacket[] {
  const all = structuredPackets();
  const out = [...all];
  for (const [j, p] of all.entries()) {
    if (j % 4 !== 0) continue;
    for (const len of [0, 13, 15, 20, 24, 30, 34, 38, 42, 48, 54, 56, 60]) {
      if (len < p.data.length && (len + j) % 3 === 0)
        out.push({ name: `${p.name} cut ${len}`, data: p.data.subarray(0, len) });
    }
  }
  return out;
}

let pcapFile: string | undefined;
const cache = new Map<string, [number, number, number, number][] | { error: string }>();

/** Whether tcpdump is installed (the Debian package `tcpdump`). */
export function haveTcpdump(): boolean {
  return spawnSync("tcpdump", ["--version"], { encoding: "utf8" }).status === 0;
}

/**
 * tcpdump's program for `expression` on DLT_EN10MB, as `[code, jt, jf, k]`
 * tuples, or `{ error }` with tcpdump's message when it refuses it.
 */
export function tcpdumpProgram(expression: string): [number, number, number, number][] | { error: string } {
  const hit = cache.get(expression);
  if (hit) return hit;
  if (pcapFile === undefined) {
    pcapFile = join(mkdtempSync(join(tmpdir(), "sockit-filter-")), "en10mb.pcap");
    const h = Buffer.alloc(24);
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeUInt32LE(262144, 16);
    h.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
    writeFileSync(pcapFile, h);
  }
  const r = spawnSync("tcpdump", ["-ddd", "-r", pcapFile, "--", expression], { encoding: "utf8" });
  let result: [number, number, number, number][] | { error: string };
  if (r.status !== 0) {
    result = { error: r.stderr.replace(/^reading from file.*\n/m, "").trim() };
  } else {
    const lines = r.stdout.trim().split("\n");
    result = lines.slice(1).map((l) => l.trim().split(/\s+/).map(Number) as [number, number, number, number]);
    if (result.length !== Number(lines[0]))
      throw new Error(`tcpdump -ddd printed ${lines[0]} and ${result.length} lines`);
  }
  cache.set(expression, result);
  return result;
}
