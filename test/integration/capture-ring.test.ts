/**
 * Capture on a real kernel, in a network namespace the test creates: the
 * TPACKET_V3 ring and the recvmmsg path each deliver every datagram sent
 * over `lo` exactly once (the outgoing copy left out, as libpcap does — by
 * PACKET_IGNORE_OUTGOING on lo, and as frames are read on "any"), stamped by
 * the kernel (within a few ms of the receiving UDP socket's SO_TIMESTAMPNS,
 * though read 100 ms later), with PACKET_STATISTICS counts; closing unmaps
 * the ring and leaks no fd.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { FD_SNIPPET } from "../helpers.js";
import { runIn, netnsSkip } from "./icmp-netns.js";

const skip = netnsSkip();
const NS = `skcap${process.pid % 100000}`;

interface Result {
  method: string;
  reason?: string;
  seen: Record<string, number>;
  extra: number;
  dirs: number[];
  skipped: number;
  stats: { captured: number; received: number; dropped: number };
  deltasMs: number[];
  ringMapped: number;
  mappedAfter: number;
  leaked: string[];
  afterClose?: string;
}

/** Sends N datagrams over lo to a UDP socket with SO_TIMESTAMPNS while `iface` is captured with `method`. */
function captureBody(iface: string | null, method: string, n: number): string {
  // Frame data: Ethernet + IP + UDP headers on lo (raw), IP + UDP on "any" (cooked).
  const payloadAt = iface === null ? 28 : 42;
  return `
const { readFileSync } = await import("node:fs");
${FD_SNIPPET}
const mapped = () => readFileSync("/proc/self/maps", "utf8").split("\\n").filter((l) => l.includes("socket:")).length;
const fdsBefore = openFds();
const cap = S.openCapture(${JSON.stringify(iface)}, { filter: "udp and port 9999", method: ${JSON.stringify(method)} });
const ringMapped = mapped();
const rx = new S.Socket("inet", "dgram");
rx.setsockopt("SOL_SOCKET", "SO_TIMESTAMPNS", true);
rx.bind("127.0.0.1:9999");
const tx = new S.Socket("inet", "dgram");
// Linux turns receive stamping on with a deferred work item the first time a socket asks for it
// (net_enable_timestamp); until that runs, a frame on the recvmsg path is stamped when it is read.
// On a busy host it can take a while: wait until a datagram read 20 ms after it came shows its arrival time.
const probe = new S.Socket("inet", "dgram");
probe.setsockopt("SOL_SOCKET", "SO_TIMESTAMPNS", true);
probe.bind("127.0.0.1:0");
for (let i = 0; i < 100; i++) {
  await tx.sendto("probe", probe.getsockname());
  await new Promise((r) => setTimeout(r, 20));
  const t = (await probe.recvmsg({ size: 10 })).timestamp;
  if (Date.now() - (t.sec * 1e3 + t.nsec / 1e6) >= 15) break;
}
probe.close();
const N = ${n};
for (let i = 0; i < N; i++) await tx.sendto("seq" + i, "127.0.0.1:9999");
const rxTimes = {};
for (let i = 0; i < N; i++) {
  const m = await rx.recvmsg({ size: 100 });
  rxTimes[m.data.toString()] = m.timestamp;
}
// Read the capture well after the frames came: a read-time stamp would be 100 ms late.
await new Promise((r) => setTimeout(r, 100));
const seen = {}, times = {}, dirs = new Set();
let got = 0, skipped = 0;
while (got < N) {
  const b = await cap.read({ timeout: 5000 });
  skipped += b.skipped;
  for (const f of b) {
    const tag = f.data.subarray(${payloadAt}).toString();
    seen[tag] = (seen[tag] ?? 0) + 1;
    times[tag] = f.timestamp;
    dirs.add(f.address.pkttype);
    got++;
  }
}
// Nothing more may come (a second copy of any frame would).
let extra = 0;
try {
  extra = (await cap.read({ timeout: 300 })).count;
} catch (e) {
  if (e.code !== "ETIMEDOUT") throw e;
}
const ns = (t) => t.sec * 1e9 + t.nsec;
const deltasMs = Object.keys(rxTimes).map((k) => (times[k] ? (ns(rxTimes[k]) - ns(times[k])) / 1e6 : NaN));
const stats = cap.statistics();
const pending = cap.read().then(() => "resolved", (e) => e.code);
cap.close();
const afterClose = await pending;
rx.close();
tx.close();
out({ method: cap.method, reason: cap.fallbackReason, seen, extra, dirs: [...dirs], skipped, stats, deltasMs, ringMapped,
  mappedAfter: mapped(), leaked: newFds(fdsBefore), afterClose });
`;
}

function check(r: Result, n: number, method: string): void {
  assert.equal(r.method, method, r.reason);
  assert.equal(Object.keys(r.seen).length, n);
  for (const [tag, count] of Object.entries(r.seen)) assert.equal(count, 1, `${tag} captured ${count} times`);
  assert.equal(r.extra, 0, "frames after the last datagram (a second copy)");
  assert.deepEqual(r.dirs, [0], "every frame PACKET_HOST (no PACKET_OUTGOING copy)");
  for (const d of r.deltasMs) assert.ok(Math.abs(d) < 20, `capture timestamp ${d} ms from the UDP socket's`);
  assert.equal(r.stats.captured, n);
  assert.ok(r.stats.received >= n, `received by filter ${r.stats.received}`);
  assert.equal(r.stats.dropped, 0);
  assert.equal(r.afterClose, "ERR_SOCKET_CLOSED");
  assert.equal(r.mappedAfter, 0, "the ring is unmapped at close");
  assert.deepEqual(r.leaked, [], "no fd leaked");
}

describe("capture in a namespace: ring and recvmsg, each frame once, kernel timestamps, statistics", { skip }, () => {
  before(() => {
    spawnSync("ip", ["netns", "add", NS]);
    spawnSync("ip", ["-n", NS, "link", "set", "lo", "up"]);
  });
  after(() => {
    spawnSync("ip", ["netns", "del", NS]);
  });

  test("the TPACKET_V3 ring on lo", async () => {
    const r = await runIn<Result>(NS, captureBody("lo", "ring", 200));
    check(r, 200, "ring");
    assert.equal(r.ringMapped, 1, "the ring is mapped while open");
    assert.equal(r.skipped, 0, "PACKET_IGNORE_OUTGOING kept the outgoing copies out of the ring");
  });

  test("the ring on any: the loopback's outgoing copies are dropped as they are read", async () => {
    const r = await runIn<Result>(NS, captureBody(null, "ring", 200));
    check(r, 200, "ring");
    assert.equal(r.skipped, 200, "one outgoing copy per datagram skipped");
    assert.equal(r.stats.received, 400, "received by filter counts both copies, as tcpdump's does");
  });

  test("recvmsg (recvmmsg + SO_TIMESTAMPNS) on lo and on any", async () => {
    const lo = await runIn<Result>(NS, captureBody("lo", "recvmsg", 100));
    check(lo, 100, "recvmsg");
    assert.equal(lo.ringMapped, 0);
    const any = await runIn<Result>(NS, captureBody(null, "recvmsg", 100));
    check(any, 100, "recvmsg");
    assert.equal(any.skipped, 100);
  });

  test("bad options are refused at once; closing the socket unmaps the ring", async () => {
    const r = await runIn<{ errors: unknown[]; closed: boolean; mapped: number }>(
      NS,
      `const { readFileSync } = await import("node:fs");
      const errors = [];
      for (const o of [{ method: "mmap" }, { ring: { blockSize: 5000 } }, { ring: { blockCount: 0 } }, { snaplen: 0 }]) {
        try { S.openCapture("lo", o); errors.push(null); } catch (e) { errors.push(e.code); }
      }
      const cap = S.openCapture("lo");
      try { cap.read({ into: Buffer.alloc(10) }); errors.push(null); } catch (e) { errors.push(e.code); }
      cap.socket.close();
      const mapped = readFileSync("/proc/self/maps", "utf8").split("\\n").filter((l) => l.includes("socket:")).length;
      out({ errors, closed: cap.ring.closed, mapped });`,
    );
    assert.deepEqual(r.errors, [
      "ERR_INVALID_ARG_VALUE",
      "ERR_OUT_OF_RANGE",
      "ERR_OUT_OF_RANGE",
      "ERR_OUT_OF_RANGE",
      "ERR_OUT_OF_RANGE",
    ]);
    assert.equal(r.closed, true);
    assert.equal(r.mapped, 0);
  });
});
