/**
 * ping and traceroute on the real kernel: the loopback (IPv4 and IPv6) in
 * this process, and across network namespaces the test creates — A and R
 * joined by veth for ping (raw and unprivileged ping sockets), A — R — B with
 * R routing for traceroute (UDP and ICMP probes, IPv4 and IPv6) — and, in a
 * child without CAP_NET_RAW, the EPERM that names the capability.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ping, traceroute, type PingResult, type TracerouteResult } from "../../src/index.js";
import { CAP_NET_RAW, hasCap, newFds, openFds, which } from "../helpers.js";
import { NET, hostsFile, lineUp, netnsSkip, pingGroupRange, runIn, type Line } from "./icmp-netns.js";

const rawSkip = hasCap(CAP_NET_RAW) ? undefined : "needs CAP_NET_RAW (run as root)";

function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.equal((e as { code?: unknown }).code, code, String(e));
    return true;
  });
}

function checkStats(r: PingResult, count: number): void {
  assert.equal(r.transmitted, count);
  assert.equal(r.received, count, JSON.stringify(r));
  assert.equal(r.loss, 0);
  assert.ok(r.min <= r.avg && r.avg <= r.max, JSON.stringify(r));
  assert.ok(r.mdev >= 0);
  assert.deepEqual(
    r.replies.map((x) => x.sequence),
    Array.from({ length: count }, (_, i) => i + 1),
  );
}

describe("ping and traceroute: argument checks (thrown at once)", () => {
  test("host names, bad counts, TTLs, sizes and modes are refused before any socket", () => {
    throwsCode(() => ping("no such host!"), "ERR_INVALID_ADDRESS");
    throwsCode(() => ping("-x"), "ERR_INVALID_ADDRESS");
    throwsCode(() => ping("127.0.0.1", { family: "inet6" }), "ERR_INVALID_ADDRESS");
    throwsCode(() => ping("127.0.0.1", { count: 0 }), "ERR_OUT_OF_RANGE");
    throwsCode(() => ping("127.0.0.1", { ttl: 256 }), "ERR_OUT_OF_RANGE");
    throwsCode(() => ping("127.0.0.1", { size: 70000 }), "ERR_OUT_OF_RANGE");
    throwsCode(() => ping("127.0.0.1", { count: "3" as unknown as number }), "ERR_INVALID_ARG_TYPE");
    throwsCode(() => ping("127.0.0.1", { mode: "icmp" as "raw" }), "ERR_INVALID_ARG_VALUE");
    throwsCode(() => ping("127.0.0.1", { signal: {} as AbortSignal }), "ERR_INVALID_ARG_TYPE");
    throwsCode(() => traceroute("::1", { maxHops: 0 }), "ERR_OUT_OF_RANGE");
    throwsCode(() => traceroute("::1", { protocol: "tcp" as "udp" }), "ERR_INVALID_ARG_VALUE");
    throwsCode(() => traceroute("a b"), "ERR_INVALID_ADDRESS");
  });
});

describe("ping on the loopback", { skip: rawSkip }, () => {
  test("127.0.0.1: every request answered, statistics as ping computes them", async () => {
    const seen: number[] = [];
    const r = await ping("127.0.0.1", { count: 3, interval: 20, onReply: (x) => seen.push(x.sequence) });
    checkStats(r, 3);
    assert.deepEqual(seen, [1, 2, 3]);
    assert.equal(r.family, "inet");
    for (const x of r.replies) {
      assert.equal(x.from, "127.0.0.1");
      assert.equal(x.bytes, 64);
      assert.equal(x.ttl, 64);
      assert.equal(x.duplicate, false);
    }
  });

  test("::1 and localhost over IPv6, with a chosen payload size and hop limit", async () => {
    const r = await ping("localhost", { family: "inet6", count: 2, interval: 20, size: 100, ttl: 7 });
    checkStats(r, 2);
    assert.equal(r.address, "::1");
    assert.equal(r.replies[0]!.bytes, 108);
    // The reply is sent with the default hop limit, not ours.
    assert.equal(typeof r.replies[0]!.ttl, "number");
    checkStats(await ping("::1", { count: 1, mode: "raw" }), 1);
  });

  test("an aborted run resolves with the statistics so far (as Ctrl-C ends ping)", async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 120);
    const r = await ping("127.0.0.1", { count: Infinity, interval: 50, signal: ac.signal });
    assert.equal(r.interrupted, true);
    assert.ok(r.transmitted >= 2 && r.transmitted <= 4, String(r.transmitted));
    assert.ok(r.received >= r.transmitted - 1);
  });

  test("traceroute to the loopback ends at hop 1 (UDP: port unreachable; ICMP: echo reply)", async () => {
    const u = await traceroute("127.0.0.1", { maxHops: 3, queries: 2 });
    assert.equal(u.reached, true);
    assert.equal(u.hops.length, 1);
    assert.deepEqual(
      u.hops[0]!.probes.map((p) => p.address),
      ["127.0.0.1", "127.0.0.1"],
    );
    const i = await traceroute("::1", { maxHops: 3, queries: 1, protocol: "icmp" });
    assert.equal(i.reached, true);
    assert.equal(i.hops[0]!.probes[0]!.address, "::1");
  });

  test("ping and traceroute leave no fd behind", async () => {
    const before = openFds();
    for (let i = 0; i < 5; i++) {
      await ping("127.0.0.1", { count: 1 });
      await ping("::1", { count: 1, interval: 0 });
      await traceroute("127.0.0.1", { maxHops: 2, queries: 1 });
      await traceroute("::1", { maxHops: 2, queries: 1, protocol: "icmp" });
    }
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(traceroute("127.0.0.1", { signal: ac.signal }), { name: "AbortError" });
    assert.deepEqual(newFds(before), []);
  });
});

describe("across network namespaces", () => {
  const skip = netnsSkip();
  let line: Line;
  before(() => {
    if (!skip) line = lineUp("i");
  });
  after(() => line?.down());

  test(
    "ping A → R over veth: raw sockets, then unprivileged ping sockets; TTL 1 towards B is 'Time to live exceeded' from R",
    { skip },
    async () => {
      pingGroupRange(line.a, "1 0");
      const rawRun = await runIn<Record<string, PingResult>>(
        line.a,
        `out({
        v4: await S.ping("${NET.ra}", { count: 2, interval: 10 }),
        v6: await S.ping("${NET.ra6}", { count: 2, interval: 10 }),
        ttl: await S.ping("${NET.b}", { count: 1, ttl: 1, timeout: 2000 }),
        ttl6: await S.ping("${NET.b6}", { count: 1, ttl: 1, timeout: 2000 }),
      });`,
      );
      for (const k of ["v4", "v6"]) {
        assert.equal(rawRun[k]!.mode, "raw", "ping_group_range denies ping sockets: raw");
        checkStats(rawRun[k]!, 2);
      }
      assert.equal(rawRun.v4!.replies[0]!.from, NET.ra);
      assert.equal(rawRun.v6!.replies[0]!.from, NET.ra6);
      assert.equal(rawRun.ttl!.received, 0);
      assert.equal(rawRun.ttl!.problems[0]?.message, "Time to live exceeded");
      assert.equal(rawRun.ttl!.problems[0]?.from, NET.ra);
      assert.equal(rawRun.ttl6!.problems[0]?.message, "Time exceeded: Hop limit");
      assert.equal(rawRun.ttl6!.problems[0]?.from, NET.ra6);

      pingGroupRange(line.a, "0 2147483647");
      const dgram = await runIn<Record<string, PingResult>>(
        line.a,
        `out({
        v4: await S.ping("${NET.ra}", { count: 2, interval: 10, mode: "dgram" }),
        v6: await S.ping("${NET.ra6}", { count: 2, interval: 10, mode: "dgram" }),
        auto: await S.ping("${NET.b}", { count: 1 }),
        ttl: await S.ping("${NET.b}", { count: 1, ttl: 1, timeout: 2000, mode: "dgram" }),
      });`,
      );
      for (const k of ["v4", "v6"]) {
        assert.equal(dgram[k]!.mode, "dgram");
        checkStats(dgram[k]!, 2);
      }
      assert.equal(dgram.auto!.mode, "dgram", "auto prefers the ping socket when allowed");
      checkStats(dgram.auto!, 1);
      assert.equal(dgram.ttl!.problems[0]?.message, "Time to live exceeded");
      assert.equal(dgram.ttl!.problems[0]?.from, NET.ra);
    },
  );

  test("traceroute A → B through R: hop 1 is R, hop 2 is B (UDP and ICMP, IPv4 and IPv6)", { skip }, async () => {
    pingGroupRange(line.a, "0 2147483647");
    const r = await runIn<Record<string, TracerouteResult>>(
      line.a,
      `out({
        udp: await S.traceroute("${NET.b}", { maxHops: 5, queries: 2, timeout: 2000 }),
        udp6: await S.traceroute("${NET.b6}", { maxHops: 5, queries: 2, timeout: 2000 }),
        icmp: await S.traceroute("${NET.b}", { maxHops: 5, queries: 1, timeout: 2000, protocol: "icmp" }),
        icmp6: await S.traceroute("${NET.b6}", { maxHops: 5, queries: 1, timeout: 2000, protocol: "icmp", mode: "raw" }),
      });`,
    );
    const want = {
      udp: [NET.ra, NET.b],
      udp6: [NET.ra6, NET.b6],
      icmp: [NET.ra, NET.b],
      icmp6: [NET.ra6, NET.b6],
    };
    for (const [k, hops] of Object.entries(want)) {
      const t = r[k]!;
      assert.equal(t.reached, true, `${k}: ${JSON.stringify(t)}`);
      assert.deepEqual(
        t.hops.map((h) => h.ttl),
        [1, 2],
      );
      for (const [i, addr] of hops.entries()) {
        for (const p of t.hops[i]!.probes) {
          assert.equal(p.address, addr, `${k} hop ${i + 1}`);
          assert.ok(p.time !== null && p.time >= 0);
        }
      }
    }
  });
});

describe("host names", () => {
  const skip = netnsSkip();
  let line: Line;
  before(() => {
    if (!skip) {
      line = lineUp("h");
      hostsFile(line.a, { "router.sockit.test": NET.ra, "b.sockit.test": NET.b6 });
    }
  });
  after(() => line?.down());

  test("ping and traceroute look names up with getaddrinfo (the namespace's own /etc/hosts)", { skip }, async () => {
    const r = await runIn<{ p: PingResult; t: TracerouteResult }>(
      line.a,
      `out({
        p: await S.ping("router.sockit.test", { count: 1 }),
        t: await S.traceroute("b.sockit.test", { queries: 1, maxHops: 4, timeout: 2000 }),
        target: await S.resolveIcmpTarget("b.sockit.test"),
      });`,
    );
    assert.equal(r.p.host, "router.sockit.test");
    assert.equal(r.p.address, NET.ra);
    assert.equal(r.p.received, 1);
    assert.equal(r.t.address, NET.b6);
    assert.equal(r.t.family, "inet6");
    assert.equal(r.t.reached, true);
    assert.deepEqual(
      r.t.hops.map((h) => h.probes[0]!.address),
      [NET.ra6, NET.b6],
    );
  });
});

describe("without CAP_NET_RAW", () => {
  const skip = !which("setpriv")
    ? "needs setpriv (util-linux)"
    : !hasCap(CAP_NET_RAW)
      ? "needs CAP_NET_RAW to drop it"
      : undefined;
  test("raw sockets and ping fail with EPERM naming the capability", { skip }, async () => {
    const drop = ["setpriv", "--inh-caps=-net_raw", "--bounding-set=-net_raw"];
    const r = await runIn<Record<string, { thrown?: { code: string; message: string } }>>(
      null,
      `const grab = async (f: () => unknown) => { try { await f(); return {}; } catch (e) { return { thrown: { code: (e as { code?: string }).code, message: (e as Error).message } }; } };
      out({
        raw: await grab(() => new S.Socket("inet", "raw", "icmp")),
        packet: await grab(() => new S.Socket("packet", "raw", 0)),
        ping: await grab(() => S.ping("127.0.0.1", { count: 1, mode: "raw" })),
        capture: await grab(() => S.openPacketSocket("lo")),
      });`,
      drop,
    );
    for (const [k, v] of Object.entries(r)) {
      assert.equal(v.thrown?.code, "EPERM", `${k}: ${JSON.stringify(v)}`);
      assert.match(v.thrown!.message, /CAP_NET_RAW/, k);
    }
  });
});
