/**
 * `sockit capture` beside tcpdump, in a network namespace the test creates:
 * both capture the same numbered UDP datagrams on lo; tcpdump -r reads the
 * file sockit wrote, every datagram in it once, with the timestamp tcpdump's
 * own capture gave the same datagram (both are the kernel's); sockit ends
 * with tcpdump's three counts, says which reader it used with -v, and puts
 * the counts in a last --json line; pcapng files (an interface block named
 * after the interface, each packet's direction in epb_flags) that tcpdump -r
 * reads too. Needs tcpdump (Debian package tcpdump).
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parsePcap } from "../../src/pcap.js";
import { parsePcapng } from "../../src/pcapng.js";
import { runCli, spawnChild, tempDir, which, within, type Child } from "../helpers.js";
import { NET, lineUp, netnsSkip } from "./icmp-netns.js";

const skip = netnsSkip() ?? (which("tcpdump") ? undefined : "needs tcpdump (apt-get install tcpdump)");
const NS = `skcli${process.pid % 100000}`;

/** A sender in the namespace: "seq<N>" to 127.0.0.1:9999 every millisecond until killed. */
function sender(): Child {
  return spawnChild("ip", [
    "netns",
    "exec",
    NS,
    "python3",
    "-c",
    `import socket, time, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
print("ready", flush=True)
i = 0
while True:
    s.sendto(b"seq%d" % i, ("127.0.0.1", 9999))
    i += 1
    time.sleep(0.001)`,
  ]);
}

/** Datagram payload ("seqN") → timestamp in µs, from an Ethernet pcap of UDP over IPv4 on lo. */
function stamps(file: string): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const r of parsePcap(readFileSync(file)).records) {
    const tag = r.data.subarray(42).toString();
    const list = m.get(tag) ?? [];
    list.push(r.timestamp.sec * 1e6 + r.timestamp.nsec / 1000);
    m.set(tag, list);
  }
  return m;
}

describe("sockit capture beside tcpdump", { skip }, () => {
  const dir = tempDir();
  before(() => {
    spawnSync("ip", ["netns", "add", NS]);
    spawnSync("ip", ["-n", NS, "link", "set", "lo", "up"]);
  });
  after(() => {
    spawnSync("ip", ["netns", "del", NS]);
    dir.cleanup();
  });

  test("tcpdump -r reads sockit's pcap: each datagram once, with tcpdump's own timestamp; the counts at the end", async () => {
    const ours = join(dir.path, "sockit.pcap");
    const theirs = join(dir.path, "tcpdump.pcap");
    const td = spawn(
      "ip",
      ["netns", "exec", NS, "tcpdump", "--immediate-mode", "-U", "-i", "lo", "-w", theirs, "udp and port 9999"],
      {
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let tdErr = "";
    const tdDone = new Promise<number | null>((res) => td.on("close", res));
    // tcpdump says "listening on lo" once its socket is open.
    const listening = new Promise<void>((res) =>
      td.stderr.setEncoding("utf8").on("data", (d: string) => {
        tdErr += d;
        if (/listening on/.test(tdErr)) res();
      }),
    );
    const tx = sender();
    try {
      await within(listening, "tcpdump listening");
      await tx.line("ready");
      const r = await runCli(["capture", "-v", "-i", "lo", "-c", "300", "-w", ours, "udp", "and", "port", "9999"], {
        prefix: ["ip", "netns", "exec", NS],
      });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /\* reading frames from a TPACKET_V3 ring/);
      assert.match(r.stderr, new RegExp(`^300 packets captured to ${ours.replaceAll(".", "\\.")}$`, "m"));
      const received = Number(/^(\d+) packets received by filter$/m.exec(r.stderr)?.[1]);
      assert.ok(received >= 300, r.stderr);
      assert.match(r.stderr, /^0 packets dropped by kernel$/m);
      // Let tcpdump see the last of them, then stop it as a user would.
      tx.kill();
      await new Promise((res) => setTimeout(res, 300));
    } finally {
      tx.kill();
      td.kill("SIGINT");
    }
    assert.equal(await within(tdDone, "tcpdump's exit"), 0, tdErr);
    assert.match(tdErr, /packets captured/);

    // tcpdump reads our file: 300 UDP lines, no complaint.
    const read = spawnSync("tcpdump", ["-r", ours, "-n", "-tt"], { encoding: "utf8" });
    assert.equal(read.status, 0, read.stderr);
    const lines = read.stdout.trim().split("\n");
    assert.equal(lines.length, 300);
    for (const l of lines) assert.match(l, /^\d+\.\d{6} IP 127\.0\.0\.1\.\d+ > 127\.0\.0\.1\.9999: UDP, length \d+$/);

    const mine = stamps(ours);
    const ref = stamps(theirs);
    assert.equal(mine.size, 300, "300 distinct datagrams");
    for (const [tag, ts] of mine) {
      assert.equal(ts.length, 1, `${tag} written ${ts.length} times`);
      const other = ref.get(tag);
      assert.ok(other?.length === 1, `${tag} is in tcpdump's capture once`);
      assert.ok(Math.abs(ts[0]! - other[0]!) <= 1000, `${tag}: ${ts[0]} µs here, ${other[0]} µs by tcpdump`);
    }
  });

  test("--json ends with the counts and the reader; -q prints no counts", async () => {
    const tx = sender();
    try {
      await tx.line("ready");
      const r = await runCli(["--json", "capture", "-i", "lo", "-c", "5", "udp", "and", "port", "9999"], {
        prefix: ["ip", "netns", "exec", NS],
      });
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split("\n");
      assert.equal(lines.length, 6);
      const last = JSON.parse(lines.at(-1)!) as { statistics: Record<string, unknown> };
      assert.equal(last.statistics.captured, 5);
      assert.equal(last.statistics.dropped, 0);
      assert.equal(last.statistics.method, "ring");
      assert.ok((last.statistics.received as number) >= 5);
      const q = await runCli(["capture", "-q", "-i", "lo", "-c", "2", "udp", "and", "port", "9999"], {
        prefix: ["ip", "netns", "exec", NS],
      });
      assert.equal(q.code, 0, q.stderr);
      assert.doesNotMatch(q.stderr, /packets/);
    } finally {
      tx.kill();
    }
  });

  test("--pcapng: tcpdump -r reads it; the interface block names lo; each packet is inbound unicast", async () => {
    const file = join(dir.path, "lo.pcapng");
    const tx = sender();
    try {
      await tx.line("ready");
      const r = await runCli(["capture", "-i", "lo", "-c", "20", "-w", file, "udp", "and", "port", "9999"], {
        prefix: ["ip", "netns", "exec", NS],
      });
      assert.equal(r.code, 0, r.stderr);
    } finally {
      tx.kill();
    }
    const read = spawnSync("tcpdump", ["-r", file, "-n"], { encoding: "utf8" });
    assert.equal(read.status, 0, read.stderr);
    assert.equal(read.stdout.trim().split("\n").length, 20);
    const f = parsePcapng(readFileSync(file));
    assert.deepEqual(f.interfaces, [{ linkType: 1, snaplen: 262144, name: "lo", tsresol: 6 }]);
    assert.equal(f.packets.length, 20);
    for (const p of f.packets) {
      assert.equal(p.interfaceId, 0);
      assert.equal(p.flags, 1 | (1 << 2), "inbound, unicast");
      assert.match(p.data.subarray(42).toString(), /^seq\d+$/);
    }
  });
});

describe("sockit capture --pcapng on a veth: outgoing packets say so", { skip }, () => {
  const dir = tempDir();
  let line: ReturnType<typeof lineUp> | undefined;
  before(() => {
    line = lineUp("n");
  });
  after(() => {
    line?.down();
    dir.cleanup();
  });

  test("packets A sends are outbound in epb_flags; tcpdump -r reads the file", async () => {
    const l = line!;
    const file = join(dir.path, "veth.pcapng");
    const tx = spawnChild("ip", [
      "netns",
      "exec",
      l.a,
      "python3",
      "-c",
      `import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
print("ready", flush=True)
while True:
    s.sendto(b"out", ("${NET.ra}", 7000))
    time.sleep(0.01)`,
    ]);
    try {
      await tx.line("ready");
      const r = await runCli(
        ["capture", "-i", l.vethA, "-c", "5", "--pcapng", "-w", file, "udp", "and", "port", "7000"],
        {
          prefix: ["ip", "netns", "exec", l.a],
        },
      );
      assert.equal(r.code, 0, r.stderr);
    } finally {
      tx.kill();
    }
    const read = spawnSync("tcpdump", ["-r", file, "-n"], { encoding: "utf8" });
    assert.equal(read.status, 0, read.stderr);
    assert.equal(read.stdout.trim().split("\n").length, 5);
    const f = parsePcapng(readFileSync(file));
    assert.equal(f.interfaces[0]?.name, l.vethA);
    assert.equal(f.packets.length, 5);
    for (const p of f.packets) assert.equal(p.flags, 2, "outbound");
  });
});
