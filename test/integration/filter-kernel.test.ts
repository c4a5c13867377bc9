/**
 * Capture filters in the real kernel: a namespace with a veth pair made
 * here; frames built by the codecs (untagged and 802.1Q-tagged UDP, ICMP,
 * ARP) sent on one end with a packet socket; on the other end, one packet
 * socket per filter (SO_ATTACH_FILTER with compileFilter's Ethernet program)
 * must receive exactly its frames. Linux moves a received frame's outer VLAN
 * tag into skb metadata before packet sockets see it, so `vlan 10` matches
 * only because the program reads SKF_AD_VLAN_TAG_PRESENT / SKF_AD_VLAN_TAG
 * (the frame-only program, as in a pcap file, sees no tag at all — checked too).
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { netnsSkip, runIn } from "./icmp-netns.js";

const skip = netnsSkip();

describe("capture filters on a veth pair", { skip }, () => {
  const ns = `skf${process.pid % 100000}`;
  before(() => {
    const run = (...cmd: string[]): void => void execFileSync("ip", ["netns", "exec", ns, ...cmd], { stdio: "pipe" });
    execFileSync("ip", ["netns", "add", ns]);
    run("ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1");
    run("ip", "link", "set", "v0", "up");
    run("ip", "link", "set", "v1", "up");
    run("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"); // no router solicitations in the counts
  });
  after(() => {
    spawnSync("ip", ["netns", "del", ns]);
  });

  test("each filter receives exactly its frames, VLAN tags included", async () => {
    const r = await runIn<{ got: Record<string, string[]> } & { thrown?: unknown }>(
      ns,
      `const filters = [
        "udp and dst port 7000",
        "udp and not port 7001",
        "vlan",
        "vlan 10 and udp port 7000",
        "icmp or vlan 20",
        "udp and not vlan",
        "icmp or arp",
        "ip[8] = 33 and (udp[2:2] = 7001 or icmp[icmptype] = icmp-echo)",
        "ether src 02:00:00:00:00:01 and not ether broadcast",
        "less 60",
      ];
      const socks = filters.map((f) => S.openPacketSocket("v1", { program: S.compileFilter(f, 65535, { link: "ethernet" }) }));
      const frameOnly = S.openPacketSocket("v1", { program: S.compileFilter("vlan", 65535, { link: "ethernet", vlanMetadata: false }) });
      const tx = S.openPacketSocket("v0", { program: [[6, 0, 0, 0]] });
      const ifindex = S.posix.if_nametoindex("v0");
      const mac = (s) => Buffer.from(s.split(":").map((h) => parseInt(h, 16)));
      let id = 0; // each IPv4 frame carries its own IP id, to name it when it comes back
      const ip = (proto, payload, ttl = 64) => S.encodeIPv4({ source: "10.9.0.1", destination: "10.9.0.2", protocol: proto, ttl, id: ++id }, payload);
      const udp = (port, ttl) => ip(17, S.encodeUDP({ sourcePort: 5000, destinationPort: port, payload: Buffer.alloc(40) }), ttl);
      const eth = (type, payload, src = "02:00:00:00:00:01", dst = "02:00:00:00:00:02") =>
        S.encodeEthernet({ source: src, destination: dst, etherType: type }, payload);
      const tagged = (vid, type, payload) => {
        const t = Buffer.alloc(4); t.writeUInt16BE(vid, 0); t.writeUInt16BE(type, 2);
        return eth(0x8100, Buffer.concat([t, payload]));
      };
      const arp = Buffer.alloc(28); arp.writeUInt16BE(1, 0); arp.writeUInt16BE(0x800, 2); arp[4] = 6; arp[5] = 4; arp.writeUInt16BE(1, 6);
      const frames = {
        "udp 7000": eth(0x800, udp(7000)),
        "udp 7001 ttl 33": eth(0x800, udp(7001, 33)),
        "vlan 10 udp 7000": tagged(10, 0x800, udp(7000)),
        "vlan 20 udp 7001": tagged(20, 0x800, udp(7001)),
        "icmp echo ttl 33": eth(0x800, ip(1, S.encodeICMP({ type: 8, id: 1, sequence: 1 }), 33)),
        "arp broadcast": eth(0x806, arp, "02:00:00:00:00:01", "ff:ff:ff:ff:ff:ff"),
        "udp 7000 from 02:00:00:00:00:09": eth(0x800, udp(7000), "02:00:00:00:00:09"),
      };
      for (const [name, f] of Object.entries(frames)) {
        await tx.sendto(f, { family: "packet", protocol: 0, ifindex, hatype: 0, pkttype: 0, addr: mac("02:00:00:00:00:02") });
      }
      // Each frame is now queued (or not) on every socket: read until none is left.
      const names = new Map(
        Object.entries(frames).map(([n, f]) => [f.readUInt16BE(f.readUInt16BE(12) === 0x8100 ? 22 : 18), n]),
      );
      const name = (d) => {
        const type = d.readUInt16BE(12);
        if (type === 0x806) return "arp broadcast";
        return type === 0x800 ? names.get(d.readUInt16BE(18)) : "other " + d.toString("hex");
      };
      const got = {};
      for (const [i, s] of [...socks, frameOnly].entries()) {
        const k = i < filters.length ? filters[i] : "vlan (frame only)";
        got[k] = [];
        for (;;) {
          let d;
          try { d = await s.recvfrom(65536, { timeout: got[k].length ? 200 : 500 }); } catch { break; }
          got[k].push(name(d.data));
        }
        got[k].sort();
        s.close();
      }
      tx.close();
      out({ got });`,
    );
    assert.equal(r.thrown, undefined, JSON.stringify(r.thrown));
    assert.deepEqual(r.got, {
      // Linux hands packet sockets the frame without its outer tag: "udp" sees tagged UDP too (as tcpdump on Linux).
      "udp and dst port 7000": ["udp 7000", "udp 7000 from 02:00:00:00:00:09", "vlan 10 udp 7000"],
      "udp and not port 7001": ["udp 7000", "udp 7000 from 02:00:00:00:00:09", "vlan 10 udp 7000"],
      vlan: ["vlan 10 udp 7000", "vlan 20 udp 7001"],
      "vlan 10 and udp port 7000": ["vlan 10 udp 7000"],
      "icmp or vlan 20": ["icmp echo ttl 33", "vlan 20 udp 7001"],
      // ("not vlan and udp" would look for UDP 4 bytes on, as in tcpdump: vlan moves what follows it.)
      "udp and not vlan": ["udp 7000", "udp 7000 from 02:00:00:00:00:09", "udp 7001 ttl 33"],
      "icmp or arp": ["arp broadcast", "icmp echo ttl 33"],
      "ip[8] = 33 and (udp[2:2] = 7001 or icmp[icmptype] = icmp-echo)": ["icmp echo ttl 33", "udp 7001 ttl 33"],
      "ether src 02:00:00:00:00:01 and not ether broadcast": [
        "icmp echo ttl 33",
        "udp 7000",
        "udp 7001 ttl 33",
        "vlan 10 udp 7000",
        "vlan 20 udp 7001",
      ],
      "less 60": ["arp broadcast", "icmp echo ttl 33"],
      // The frame-only program looks for the tag where the kernel no longer has it.
      "vlan (frame only)": [],
    });
  });
});
