/**
 * Raw IP and packet sockets on the real kernel: whole IPv4 packets built by
 * the codecs sent with IP_HDRINCL (the kernel checks their checksums), the
 * ICMP6_FILTER option, and — inside a network namespace pair joined by veth —
 * BPF filters attached with SO_ATTACH_FILTER accepting exactly the packets
 * they name, PACKET_STATISTICS, promiscuous membership, and a capture written
 * to a pcap file that a parser written here reads back with the right
 * packets.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  IPPROTO,
  Socket,
  decodeEthernet,
  decodeIPv4,
  decodeUDP,
  encodeIPv4,
  encodeUDP,
  openPacketSocket,
  posix,
} from "../../src/index.js";
import { CAP_NET_RAW, hasCap, openFds, newFds, tempDir } from "../helpers.js";
import { NET, lineUp, netnsSkip, runIn, type Line } from "./icmp-netns.js";

const rawSkip = hasCap(CAP_NET_RAW) ? undefined : "needs CAP_NET_RAW (run as root)";

describe("raw IP", { skip: rawSkip }, () => {
  test("IP_HDRINCL sends a whole IPv4 packet from the codecs; the kernel drops it when the UDP checksum is wrong", async () => {
    const rx = new Socket("inet", "dgram");
    rx.bind("127.0.0.1:0");
    const port = (rx.getsockname() as { port: number }).port;
    const tx = new Socket("inet", "raw", IPPROTO.RAW); // IPPROTO_RAW implies IP_HDRINCL
    assert.equal(tx.getsockopt("IPPROTO_IP", "IP_HDRINCL"), true);
    const addrs = { source: "127.0.0.1", destination: "127.0.0.1" };
    const packet = (text: string, breakIt = false): Buffer => {
      const udp = encodeUDP({ sourcePort: 40000, destinationPort: port, payload: Buffer.from(text) }, addrs);
      if (breakIt) udp.writeUInt16BE(udp.readUInt16BE(6) ^ 0x5555, 6);
      return encodeIPv4({ ...addrs, protocol: IPPROTO.UDP, ttl: 9 }, udp);
    };
    await tx.sendto(packet("bad", true), "127.0.0.1:0");
    await tx.sendto(packet("good"), "127.0.0.1:0");
    const d = await rx.recvfrom(100, { timeout: 2000 });
    assert.equal(d.data.toString(), "good", "the corrupted datagram was dropped, the good one delivered");
    assert.deepEqual(d.address, { family: "inet", address: "127.0.0.1", port: 40000 });
    tx.close();
    rx.close();
  });

  test("a raw IPv4 socket for any protocol number receives the IP header; ICMP6_FILTER round-trips", async () => {
    const rx = new Socket("inet", "raw", 253); // RFC 3692 experimentation protocol
    const tx = new Socket("inet", "raw", 253);
    await tx.sendto("experiment", "127.0.0.1:0");
    const d = await rx.recvfrom(200, { timeout: 2000 });
    const ip = decodeIPv4(d.data);
    assert.equal(ip.header.protocol, 253);
    assert.equal(ip.header.checksumValid, true);
    assert.equal(ip.payload.toString(), "experiment");
    rx.close();
    tx.close();
    const v6 = new Socket("inet6", "raw", "icmpv6");
    v6.setsockopt("IPPROTO_ICMPV6", "ICMP6_FILTER", { pass: [129, 1] });
    assert.deepEqual(v6.getsockopt("IPPROTO_ICMPV6", "ICMP6_FILTER"), { pass: [1, 129] });
    v6.setsockopt("SOL_ICMPV6", "ICMP6_FILTER", { block: [135, 136] });
    assert.equal((v6.getsockopt("IPPROTO_ICMPV6", "ICMP6_FILTER") as { pass: number[] }).pass.length, 254);
    assert.throws(() => v6.setsockopt("IPPROTO_ICMPV6", "ICMP6_FILTER", { pass: [256] }), { code: "ERR_OUT_OF_RANGE" });
    v6.close();
  });
});

describe("packet sockets on the loopback", { skip: rawSkip }, () => {
  test("bad arguments are refused at once; sockets are closed on every error path", () => {
    const before = openFds();
    assert.throws(() => openPacketSocket("lo", { type: "seqpacket" as "raw" }), { code: "ERR_INVALID_ARG_VALUE" });
    assert.throws(() => openPacketSocket("lo", { protocol: "ipx" as "ip" }), { code: "ERR_INVALID_ARG_VALUE" });
    assert.throws(() => openPacketSocket("lo", { filter: "udp or" }), { code: "ERR_INVALID_ARG_VALUE" });
    assert.throws(() => openPacketSocket("no-such-if0"), { code: "ENODEV" });
    assert.throws(() => openPacketSocket(null, { promiscuous: true }), { code: "ERR_INVALID_ARG_VALUE" });
    // The kernel's checker (sk_chk_filter) refuses an unknown opcode.
    assert.throws(
      () =>
        openPacketSocket("lo", {
          program: [
            [0xff, 0, 0, 0],
            [6, 0, 0, 0],
          ],
        }),
      { code: "EINVAL" },
    );
    assert.deepEqual(newFds(before), []);
  });
});

/** pcap-savefile(5) as the test reads it (independent of src/pcap.ts). */
function readPcap(b: Buffer): { linkType: number; records: Buffer[] } {
  assert.equal(b.readUInt32LE(0), 0xa1b2c3d4, "pcap magic");
  const records: Buffer[] = [];
  for (let off = 24; off < b.length;) {
    const incl = b.readUInt32LE(off + 8);
    records.push(b.subarray(off + 16, off + 16 + incl));
    off += 16 + incl;
  }
  return { linkType: b.readUInt32LE(20), records };
}

describe("packet sockets on a veth in a namespace", () => {
  const skip = netnsSkip();
  let line: Line;
  const dir = tempDir();
  before(() => {
    if (!skip) line = lineUp("p");
  });
  after(() => {
    line?.down();
    dir.cleanup();
  });

  test(
    "SO_ATTACH_FILTER: each filter gets exactly its packets; PACKET_STATISTICS counts and resets; promiscuous while open",
    { skip },
    async () => {
      const r = await runIn<{
        got: Record<string, string[]>;
        stats: [unknown, unknown];
        promisc: [boolean, boolean];
      }>(
        line.a,
        `const { readFileSync } = await import("node:fs");
      const flags = () => (Number(readFileSync("/sys/class/net/${line.vethA}/flags", "utf8")) & 0x100) !== 0;
      const specs = {
        "udp and port 7000": { filter: "udp and port 7000" },
        "udp and dst port 7001": { filter: "udp and dst port 7001" },
        "icmp": { filter: "icmp" },
        "ip6 and udp": { filter: "ip6 and udp" },
        "tcp and host ${NET.ra}": { filter: "tcp and host ${NET.ra}" },
        "asm: udp, cooked": { type: "dgram", program: "ld proto\\njeq #0x800, v4, drop\\nv4: ldb [9]\\njeq #17, keep, drop\\nkeep: ret #65535\\ndrop: ret #0" },
        "raw array: nothing": { program: [[6, 0, 0, 0]] },
      };
      const socks = Object.fromEntries(Object.entries(specs).map(([k, o]) => [k, S.openPacketSocket("${line.vethA}", o)]));
      const promiscBefore = flags();
      const prom = S.openPacketSocket("${line.vethA}", { promiscuous: true, program: [[6, 0, 0, 0]] });
      const promiscOpen = flags();
      prom.close();
      const u = new S.Socket("inet", "dgram");
      const u6 = new S.Socket("inet6", "dgram");
      await u.sendto("a", "${NET.ra}:7000");
      await u.sendto("b", "${NET.ra}:7001");
      await u6.sendto("c", "[${NET.ra6}]:7000");
      await S.ping("${NET.ra}", { count: 1, mode: "raw" });
      const t = new S.Socket("inet", "stream");
      await t.connect("${NET.ra}:80").catch(() => {});
      // How many packets each filter should see. R's port unreachables are
      // not awaited by anything above, so each socket is read (up to a
      // deadline) until its count has come, then drained of any extra.
      const expected = {
        "udp and port 7000": 2,
        "udp and dst port 7001": 1,
        "icmp": 4,
        "ip6 and udp": 1,
        "tcp and host ${NET.ra}": 2,
        "asm: udp, cooked": 2,
        "raw array: nothing": 0,
      };
      const deadline = Date.now() + 4000;
      const got = {};
      for (const [k, s] of Object.entries(socks)) {
        got[k] = [];
        for (;;) {
          const wait = got[k].length < expected[k] ? deadline - Date.now() : 0;
          let d;
          try { d = await s.recvfrom(65536, wait > 0 ? { timeout: wait } : { flags: S.MSG.DONTWAIT }); } catch { break; }
          const cooked = k.includes("cooked");
          const proto = cooked ? d.address.protocol : S.decodeEthernet(d.data).etherType;
          const ipBytes = cooked ? d.data : S.decodeEthernet(d.data).payload;
          if (proto === S.ETH_P.IP) {
            const ip = S.decodeIPv4(ipBytes);
            const p = ip.header.protocol;
            const l4 = p === 17 ? S.decodeUDP(ip.payload) : p === 6 ? S.decodeTCP(ip.payload) : null;
            got[k].push(\`\${p === 17 ? "udp" : p === 6 ? "tcp" : p === 1 ? "icmp" + S.decodeICMP(ip.payload).type : p} \${ip.header.source}>\${ip.header.destination}\${l4 ? ":" + l4.destinationPort : ""}\`);
          } else if (proto === S.ETH_P.IPV6) {
            const ip = S.decodeIPv6(ipBytes);
            const l4 = ip.header.nextHeader === 17 ? S.decodeUDP(ip.payload) : null;
            got[k].push(\`\${l4 ? "udp6" : ip.header.nextHeader} \${ip.header.source}>\${ip.header.destination}\${l4 ? ":" + l4.destinationPort : ""}\`);
          } else got[k].push("ethertype " + proto);
        }
      }
      const s1 = S.packetStatistics(socks["udp and port 7000"]);
      const s2 = S.packetStatistics(socks["udp and port 7000"]);
      for (const s of Object.values(socks)) s.close();
      u.close(); u6.close(); t.close();
      out({ got, stats: [s1, s2], promisc: [promiscBefore, promiscOpen, flags()] });`,
      );
      const udp7000 = `udp ${NET.a}>${NET.ra}:7000`;
      const udp7001 = `udp ${NET.a}>${NET.ra}:7001`;
      assert.deepEqual(
        [...r.got["udp and port 7000"]!].sort(),
        [udp7000, `udp6 ${NET.a6}>${NET.ra6}:7000`],
        "both families",
      );
      assert.deepEqual(r.got["udp and dst port 7001"], [udp7001]);
      // R answers the two UDP datagrams with port unreachable (type 3) and the
      // ping (8 → 0). The port unreachables are not awaited, so they may come
      // after the ping: only the echo's request-before-reply order is fixed.
      const icmp = r.got["icmp"]!;
      assert.deepEqual(
        [...icmp].sort(),
        [
          `icmp0 ${NET.ra}>${NET.a}`,
          `icmp3 ${NET.ra}>${NET.a}`,
          `icmp3 ${NET.ra}>${NET.a}`,
          `icmp8 ${NET.a}>${NET.ra}`,
        ],
        icmp.join(", "),
      );
      assert.ok(
        icmp.indexOf(`icmp8 ${NET.a}>${NET.ra}`) < icmp.indexOf(`icmp0 ${NET.ra}>${NET.a}`),
        `the echo request comes before its reply: ${icmp.join(", ")}`,
      );
      assert.deepEqual(r.got["ip6 and udp"], [`udp6 ${NET.a6}>${NET.ra6}:7000`]);
      const tcp = r.got[`tcp and host ${NET.ra}`]!;
      assert.equal(tcp[0], `tcp ${NET.a}>${NET.ra}:80`, "the SYN");
      assert.ok(tcp.length === 2 && tcp[1]!.startsWith(`tcp ${NET.ra}>${NET.a}:`), `the RST back: ${tcp.join(", ")}`);
      assert.deepEqual(r.got["asm: udp, cooked"], [udp7000, udp7001]);
      assert.deepEqual(r.got["raw array: nothing"], []);
      assert.deepEqual(r.stats, [
        { packets: 2, drops: 0 },
        { packets: 0, drops: 0 },
      ]);
      assert.deepEqual(r.promisc, [false, true, false]);
    },
  );

  test("capture on the veth writes a pcap file with exactly the filtered packets", { skip }, async () => {
    const file = join(dir.path, "veth.pcap");
    const r = await runIn<{ count: number }>(
      line.a,
      `const w = new S.PcapWriter(${JSON.stringify(file)});
      const ac = new AbortController();
      const done = (async () => {
        let n = 0;
        for await (const p of S.capture("${line.vethA}", { filter: "udp and dst port 7000", count: 3, signal: ac.signal })) {
          w.write(p.data, p.timestamp, p.length);
          n++;
        }
        return n;
      })();
      const u = new S.Socket("inet", "dgram");
      await new Promise((r) => setTimeout(r, 50));
      for (let i = 0; i < 3; i++) {
        await u.sendto("noise" + i, "${NET.ra}:7001");
        await u.sendto("p" + i, "${NET.ra}:7000");
      }
      const timer = setTimeout(() => ac.abort(), 3000);
      const count = await done;
      clearTimeout(timer);
      w.close();
      u.close();
      out({ count });`,
    );
    assert.equal(r.count, 3);
    const pcap = readPcap(readFileSync(file));
    assert.equal(pcap.linkType, 1, "LINKTYPE_ETHERNET");
    assert.equal(pcap.records.length, 3);
    pcap.records.forEach((frame, i) => {
      const ip = decodeIPv4(decodeEthernet(frame).payload);
      assert.equal(ip.header.source, NET.a);
      assert.equal(ip.header.destination, NET.ra);
      const u = decodeUDP(ip.payload);
      assert.equal(u.destinationPort, 7000);
      assert.equal(u.payload.toString(), `p${i}`);
    });
  });
});

describe("recvmsg and recvBatch on a packet socket", { skip: rawSkip }, () => {
  test("work (packet sockets reject MSG_CMSG_CLOEXEC, so sockit does not add it there)", async () => {
    const lo = posix.if_nametoindex("lo");
    const ETH_P_IP = 0x0800;
    const s = new Socket("packet", "dgram", posix.htons(ETH_P_IP));
    s.bind({ family: "packet", protocol: ETH_P_IP, ifindex: lo, hatype: 0, pkttype: 0, addr: Buffer.alloc(0) });
    const u = new Socket("inet", "dgram");
    u.bind("127.0.0.1:0");
    const tx = new Socket("inet", "dgram");
    const first = s.recvmsg({ size: 2048 });
    await tx.sendto("ping-1", u.getsockname());
    const m = await first;
    assert.ok(m.size > 20, "an IPv4 packet arrived");
    assert.equal(m.address?.family, "packet");
    await tx.sendto("ping-2", u.getsockname());
    const batch = await s.recvBatch({ count: 4, size: 2048 });
    assert.ok(batch.length >= 1);
    for (const x of [s, u, tx]) x.close();
  });
});
