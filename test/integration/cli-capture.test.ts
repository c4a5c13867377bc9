/**
 * `sockit capture` run for real on a veth inside a namespace the test
 * creates: tcpdump-style summaries, --json lines, a pcap file (-w) read back
 * by a parser written here, the compiled filter (--dump-filter), and the
 * errors: a bad filter (exit 2), no such interface, no CAP_NET_RAW.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { decodeEthernet, decodeIPv4, decodeUDP } from "../../src/index.js";
import { CAP_NET_RAW, type CliResult, hasCap, nodeScript, oneLineError, runCli, tempDir, which } from "../helpers.js";
import { NET, lineUp, netnsSkip, type Line } from "./icmp-netns.js";

/** The CLI from source (test/helpers.ts runCli). */
function sockit(args: string[], prefix: string[] = [], timeout = 20_000): Promise<Result> {
  return runCli(args, { prefix, timeout });
}

type Result = CliResult;

/** Runs `sockit capture ...` in `ns` while a sender there sends UDP to R:7000 and R:7001 every 30 ms. */
async function captureWithTraffic(ns: string, args: string[]): Promise<Result> {
  const sender = nodeScript(
    `import { Socket } from "{{ENTRY}}";
    const u = new Socket("inet", "dgram");
    console.log("ready");
    for (let i = 0; ; i++) {
      await u.sendto("other" + i, "${NET.ra}:7001");
      await u.sendto("want" + i, "${NET.ra}:7000");
      await new Promise((r) => setTimeout(r, 30));
    }`,
    ["ip", "netns", "exec", ns],
  );
  try {
    await sender.line("ready");
    return await sockit(args, ["ip", "netns", "exec", ns]);
  } finally {
    sender.kill();
  }
}

describe("sockit capture: filters and errors", () => {
  test("--dump-filter prints the BPF program as tcpdump -dd does", async () => {
    const r = await sockit(["capture", "--dump-filter", "-i", "lo", "udp", "and", "port", "53"]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.ok(lines.length > 5);
    for (const l of lines) assert.match(l, /^\{ 0x[0-9a-f]{2}, \d+, \d+, 0x[0-9a-f]{8} \},$/);
    assert.equal(lines.at(-2), "{ 0x06, 0, 0, 0x00040000 },");
    assert.equal(lines.at(-1), "{ 0x06, 0, 0, 0x00000000 },");
  });

  test("a bad filter is a usage error (exit 2); no such interface and no CAP_NET_RAW exit 1, in one line", async () => {
    // As a compiler: the message, then the expression with a caret under the word.
    const bad = await sockit(["capture", "-i", "lo", "not", "port", "22", "and", "(icmp", "or", "arpp)"]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.deepEqual(bad.stderr.split("\n"), [
      'sockit: filter: unknown word (expected a primitive: host, net, port, portrange, ip, ip6, arp, tcp, udp, icmp, ether, vlan, less, greater, proto[...] ...) at "arpp" (column 26)',
      "  not port 22 and (icmp or arpp)",
      "                           ^^^^",
      "",
    ]);
    const good = await sockit(["capture", "--dump-filter", "-i", "lo", "not port 22 and (icmp or arp)"]);
    assert.equal(good.code, 0, good.stderr);
    const noIf = await sockit(["capture", "-i", "nosuchif0", "-c", "1"]);
    assert.equal(noIf.code, 1);
    oneLineError(noIf, /ENODEV/);
    if (which("setpriv") && hasCap(CAP_NET_RAW)) {
      const r = await sockit(
        ["capture", "-i", "lo", "-c", "1"],
        ["setpriv", "--inh-caps=-net_raw", "--bounding-set=-net_raw"],
      );
      assert.equal(r.code, 1);
      oneLineError(r, /EPERM.*CAP_NET_RAW/);
    }
  });
});

describe("sockit capture on a veth in a namespace", () => {
  const skip = netnsSkip();
  let line: Line;
  const dir = tempDir();
  before(() => {
    if (!skip) line = lineUp("k");
  });
  after(() => {
    line?.down();
    dir.cleanup();
  });

  test("one tcpdump-style line per matching frame; -c stops it", { skip }, async () => {
    const r = await captureWithTraffic(line.a, [
      "capture",
      "-i",
      line.vethA,
      "-c",
      "3",
      "udp",
      "and",
      "dst",
      "port",
      "7000",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 3);
    for (const l of lines) {
      assert.match(
        l,
        new RegExp(
          `^\\d\\d:\\d\\d:\\d\\d\\.\\d{6} ${line.vethA} Out IP ${NET.a.replaceAll(".", "\\.")}\\.\\d+ > ${NET.ra.replaceAll(".", "\\.")}\\.7000: UDP, length \\d$`,
        ),
      );
    }
  });

  test("--json prints one object per frame", { skip }, async () => {
    const r = await captureWithTraffic(line.a, [
      "--json",
      "capture",
      "-i",
      line.vethA,
      "-c",
      "2",
      "udp",
      "and",
      "port",
      "7001",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    // The last line holds the counts (tcpdump's three), the others one frame each.
    assert.equal((JSON.parse(lines.pop()!) as { statistics: { captured: number } }).statistics.captured, 2);
    const frames = lines.map((l) => JSON.parse(l) as { interface: string; length: number; data: string });
    assert.equal(frames.length, 2);
    for (const f of frames) {
      assert.equal(f.interface, line.vethA);
      const u = decodeUDP(decodeIPv4(decodeEthernet(Buffer.from(f.data, "hex")).payload).payload);
      assert.equal(u.destinationPort, 7001);
      assert.equal(f.length, f.data.length / 2);
    }
  });

  test("-w writes a pcap file that a pcap parser opens with exactly the filtered packets", { skip }, async () => {
    const file = join(dir.path, "cli.pcap");
    const r = await captureWithTraffic(line.a, [
      "capture",
      "-i",
      line.vethA,
      "-c",
      "4",
      "-w",
      file,
      "udp",
      "and",
      "port",
      "7000",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`4 packets captured to ${file.replaceAll(".", "\\.")}`));
    // pcap-savefile(5), read here without src/pcap.ts.
    const b = readFileSync(file);
    assert.equal(b.readUInt32LE(0), 0xa1b2c3d4);
    assert.equal(b.readUInt32LE(20), 1, "LINKTYPE_ETHERNET");
    const payloads: string[] = [];
    for (let off = 24; off < b.length;) {
      const incl = b.readUInt32LE(off + 8);
      assert.equal(b.readUInt32LE(off + 12), incl, "whole frames");
      const ip = decodeIPv4(decodeEthernet(b.subarray(off + 16, off + 16 + incl)).payload);
      assert.equal(ip.header.destination, NET.ra);
      const u = decodeUDP(ip.payload, { source: NET.a, destination: NET.ra });
      assert.equal(u.destinationPort, 7000);
      payloads.push(u.payload.toString());
      off += 16 + incl;
    }
    assert.equal(payloads.length, 4);
    for (const p of payloads) assert.match(p, /^want\d+$/);
  });
});
