/**
 * `sockit ping` and `sockit trace` run for real: on the loopback, and inside
 * namespaces the test creates (A — R — B, R routing), with the output ping
 * and traceroute print, --json, exit codes, and the one-line errors.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { CAP_NET_RAW, type CliResult, hasCap, oneLineError, runCli, which } from "../helpers.js";
import { NET, lineUp, netnsSkip, pingGroupRange, type Line } from "./icmp-netns.js";

/** The CLI from source (test/helpers.ts runCli). */
function sockit(args: string[], prefix: string[] = [], timeout = 20_000): Promise<Result> {
  return runCli(args, { prefix, timeout });
}

type Result = CliResult;

const rawSkip = hasCap(CAP_NET_RAW) ? undefined : "needs CAP_NET_RAW (run as root)";

describe("sockit ping / trace on the loopback", { skip: rawSkip }, () => {
  test("ping prints each reply and ping's statistics; exit 0", async () => {
    const r = await sockit(["ping", "-c", "2", "-i", "0.05", "127.0.0.1"]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split("\n");
    assert.equal(lines[0], "PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.");
    assert.match(lines[1]!, /^64 bytes from 127\.0\.0\.1: icmp_seq=1 ttl=64 time=\d+\.\d{3} ms$/);
    assert.match(lines[2]!, /^64 bytes from 127\.0\.0\.1: icmp_seq=2 ttl=64 time=\d+\.\d{3} ms$/);
    assert.equal(lines[3], "");
    assert.equal(lines[4], "--- 127.0.0.1 ping statistics ---");
    assert.match(lines[5]!, /^2 packets transmitted, 2 received, 0% packet loss, time \d+ms$/);
    assert.match(lines[6]!, /^rtt min\/avg\/max\/mdev = [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms$/);
  });

  test("--json prints the whole result; -6 localhost is ::1; -s sets the payload", async () => {
    const r = await sockit(["--json", "ping", "-6", "-c", "1", "-s", "16", "localhost"]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { address: string; received: number; replies: { bytes: number }[] };
    assert.equal(j.address, "::1");
    assert.equal(j.received, 1);
    assert.equal(j.replies[0]!.bytes, 24);
  });

  test("trace to the loopback is one hop; usage errors exit 2 in one line", async () => {
    const t = await sockit(["trace", "-q", "1", "127.0.0.1"]);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /^traceroute to 127\.0\.0\.1, 30 hops max\n 1 {2}127\.0\.0\.1 {2}\d+\.\d{3} ms\n$/);
    const bad = await sockit(["ping", "no such host!"]);
    assert.equal(bad.code, 2);
    oneLineError(bad, /neither an IPv4\/IPv6 address nor a host name/);
    const badCount = await sockit(["ping", "-c", "x", "127.0.0.1"]);
    assert.equal(badCount.code, 2);
  });

  test(
    "without CAP_NET_RAW (and no ping sockets) ping fails in one line naming the capability",
    { skip: which("setpriv") ? undefined : "needs setpriv" },
    async () => {
      const r = await sockit(
        ["ping", "-c", "1", "--mode", "raw", "127.0.0.1"],
        ["setpriv", "--inh-caps=-net_raw", "--bounding-set=-net_raw"],
      );
      assert.equal(r.code, 1);
      oneLineError(r, /EPERM.*CAP_NET_RAW/);
    },
  );
});

describe("sockit ping / trace across namespaces", () => {
  const skip = netnsSkip();
  let line: Line;
  before(() => {
    if (!skip) line = lineUp("c");
  });
  after(() => line?.down());

  test("ping over a ping socket; TTL 1 prints 'Time to live exceeded' and exits 1", { skip }, async () => {
    pingGroupRange(line.a, "0 2147483647");
    const ns = ["ip", "netns", "exec", line.a];
    const ok = await sockit(["-v", "ping", "-c", "1", NET.b], ns);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, new RegExp(`64 bytes from ${NET.b.replaceAll(".", "\\.")}: icmp_seq=1 ttl=63 time=`));
    assert.match(ok.stderr, /ping \(SOCK_DGRAM\) socket/);
    const ttl = await sockit(["ping", "-c", "1", "-t", "1", "-W", "1", NET.b], ns);
    assert.equal(ttl.code, 1);
    assert.match(ttl.stdout, new RegExp(`From ${NET.ra.replaceAll(".", "\\.")} icmp_seq=1 Time to live exceeded`));
    assert.match(ttl.stdout, /1 packets transmitted, 0 received, \+1 errors, 100% packet loss/);
  });

  test("trace prints R then B, hop by hop (IPv4 UDP, IPv6 ICMP, --json)", { skip }, async () => {
    const ns = ["ip", "netns", "exec", line.a];
    const t = await sockit(["trace", "-q", "2", "-m", "5", NET.b], ns);
    assert.equal(t.code, 0, t.stderr);
    const lines = t.stdout.trimEnd().split("\n");
    assert.equal(lines[0], `traceroute to ${NET.b}, 5 hops max`);
    assert.match(lines[1]!, new RegExp(`^ 1  ${NET.ra.replaceAll(".", "\\.")}  [\\d.]+ ms  [\\d.]+ ms$`));
    assert.match(lines[2]!, new RegExp(`^ 2  ${NET.b.replaceAll(".", "\\.")}  [\\d.]+ ms  [\\d.]+ ms$`));
    assert.equal(lines.length, 3);
    const j = await sockit(["--json", "trace", "-I", "-q", "1", NET.b6], ns);
    assert.equal(j.code, 0, j.stderr);
    const res = JSON.parse(j.stdout) as { reached: boolean; hops: { probes: { address: string }[] }[] };
    assert.equal(res.reached, true);
    assert.deepEqual(
      res.hops.map((h) => h.probes[0]!.address),
      [NET.ra6, NET.b6],
    );
  });
});

/** `text` with its run-dependent numbers (times, ms) masked, to compare sockit's lines with iputils'. */
function masked(text: string): string {
  return text.replace(/time[= ][\d.]+ ?ms/g, "time=T ms").replace(/= [\d./]+ ms/g, "= R ms");
}

describe("sockit ping next to iputils ping", () => {
  const skip = netnsSkip() ?? (which("ping") ? undefined : "needs iputils-ping");
  const ns = `sk${process.pid % 100000}-pingcmp`;
  const run = ["ip", "netns", "exec", ns];
  before(() => {
    if (skip) return;
    // One namespace, a veth pair, and a permanent neighbour entry for an
    // address nobody holds: requests to it leave through v0, arrive on v1 and
    // are dropped (no forwarding) — no reply and no ICMP error, as a host that
    // ignores ping.
    spawnSync("ip", ["netns", "del", ns]);
    for (const cmd of [
      ["netns", "add", ns],
      ["-n", ns, "link", "set", "lo", "up"],
      ["-n", ns, "link", "add", "v0", "type", "veth", "peer", "name", "v1"],
      ["-n", ns, "addr", "add", "10.203.0.1/24", "dev", "v0"],
      ["-n", ns, "link", "set", "v0", "up"],
      ["-n", ns, "link", "set", "v1", "up"],
      ["-n", ns, "neigh", "add", "10.203.0.2", "lladdr", "02:00:00:00:00:02", "dev", "v0", "nud", "permanent"],
    ]) {
      execFileSync("ip", cmd, { stdio: ["ignore", "ignore", "pipe"] });
    }
    execFileSync("ip", [...["netns", "exec", ns], "sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647"]);
  });
  after(() => {
    if (!skip) spawnSync("ip", ["netns", "del", ns]);
  });

  for (const mode of ["raw", "dgram"] as const) {
    test(
      `a host that does not answer, -W 1 (${mode} socket): the same lines and counts as iputils`,
      { skip },
      async () => {
        const args = ["-c", "2", "-i", "0.2", "-W", "1", "10.203.0.2"];
        const theirs = spawnSync(run[0]!, [...run.slice(1), "ping", ...args], { encoding: "utf8" });
        const ours = await sockit(["ping", "--mode", mode, ...args], run);
        assert.equal(ours.code, theirs.status, ours.stderr);
        assert.equal(masked(ours.stdout), masked(theirs.stdout));
        assert.doesNotMatch(ours.stdout, /errors/);
        const j = await sockit(["--json", "ping", "--mode", mode, ...args], run);
        const res = JSON.parse(j.stdout) as { problems: unknown[]; transmitted: number; received: number };
        assert.deepEqual([res.transmitted, res.received, res.problems.length], [2, 0, 0]);
      },
    );
  }

  test(
    "an ICMP error (the neighbour never answers ARP): the same lines, order and +1 errors as iputils",
    { skip, timeout: 60_000 },
    async () => {
      // A fresh address per run: a failed neighbour entry would answer the next run at once.
      const args = (host: number): string[] => ["-c", "1", "-W", "5", `10.203.0.${host}`];
      const theirs = spawnSync(run[0]!, [...run.slice(1), "ping", ...args(10)], { encoding: "utf8" });
      assert.match(
        theirs.stdout,
        /Destination Host Unreachable/,
        "iputils saw the error (else the test proves nothing)",
      );
      for (const [mode, host] of [
        ["raw", 11],
        ["dgram", 12],
      ] as const) {
        const ours = await sockit(["ping", "--mode", mode, ...args(host)], run, 30_000);
        assert.equal(ours.code, theirs.status, ours.stderr);
        assert.equal(masked(ours.stdout).replaceAll(`10.203.0.${host}`, "10.203.0.10"), masked(theirs.stdout), mode);
      }
    },
  );

  test(
    "replies on the loopback: the lines iputils prints, RTTs from the kernel's receive timestamp",
    { skip },
    async () => {
      const args = ["-c", "3", "-i", "0.1", "127.0.0.1"];
      const theirs = spawnSync("ping", args, { encoding: "utf8" });
      const ours = await sockit(["ping", ...args]);
      assert.equal(ours.code, 0, ours.stderr);
      assert.equal(masked(ours.stdout), masked(theirs.stdout));
      const j = await sockit(["--json", "ping", ...args]);
      const res = JSON.parse(j.stdout) as { replies: { time: number; clock: string }[]; mdev: number };
      assert.deepEqual(
        res.replies.map((r) => r.clock),
        ["kernel", "kernel", "kernel"],
      );
      // Numbers as ping prints them: microseconds, no float noise.
      for (const t of [res.mdev, ...res.replies.map((r) => r.time)]) assert.equal(t, Number(t.toFixed(3)));
    },
  );
});
