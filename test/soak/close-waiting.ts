/**
 * Close with thousands of waiting calls: 20,000 receives wait on one socket,
 * 20,000 more across 200 sockets under one shared AbortSignal. close() must
 * reject every one with ERR_SOCKET_CLOSED (abort: AbortError), leave no abort
 * listener on the signal, no fd, and no warning.
 */
import { getEventListeners } from "node:events";
import { socketpair } from "../../src/index.js";
import { check, fds, figure, rssMiB } from "./common.js";

const N = 20_000;
const warnings: string[] = [];
process.on("warning", (w) => warnings.push(w.name));
const fdsBefore = fds();

// One socket, N waiting receives.
const [a, b] = socketpair("unix", "stream");
const one = Array.from({ length: N }, () => a.recv(16));
const rssWaiting = rssMiB();
let t0 = performance.now();
a.close();
const r1 = await Promise.allSettled(one);
const closeOneMs = Math.round(performance.now() - t0);
const closedOk = r1.filter(
  (r) => r.status === "rejected" && (r.reason as { code?: string }).code === "ERR_SOCKET_CLOSED",
);
check(closedOk.length === N, `close rejected all ${N} (${closedOk.length})`);
b.close();

// 200 sockets, N waiting receives under one signal: half closed, half aborted.
const ac = new AbortController();
const pairs = Array.from({ length: 100 }, () => socketpair("unix", "dgram"));
const sockets = pairs.flat();
const many = Array.from({ length: N }, (_, i) => sockets[i % sockets.length]!.recv(16, { signal: ac.signal }));
check(getEventListeners(ac.signal, "abort").length === 1, "one abort listener for all of them");
t0 = performance.now();
for (const [x] of pairs) x.close();
ac.abort();
const r2 = await Promise.allSettled(many);
const manyMs = Math.round(performance.now() - t0);
const codes = new Map<string, number>();
for (const r of r2) {
  const c = r.status === "rejected" ? String((r.reason as { code?: string }).code) : "fulfilled";
  codes.set(c, (codes.get(c) ?? 0) + 1);
}
check(
  (codes.get("ERR_SOCKET_CLOSED") ?? 0) + (codes.get("ABORT_ERR") ?? 0) === N,
  `all rejected: ${JSON.stringify(Object.fromEntries(codes))}`,
);
check(getEventListeners(ac.signal, "abort").length === 0, "no abort listener left");
for (const [, y] of pairs) y.close();
await new Promise((r) => setImmediate(r));
check(warnings.length === 0, `no warnings (${warnings.join(", ")})`);
check(fds() === fdsBefore, `fds back to ${fdsBefore} (${fds()})`);
figure(
  "close-waiting",
  `close() with ${N} receives waiting on one socket rejected all in ${closeOneMs} ms (RSS with them waiting ${rssWaiting} MiB); ${N} more on 200 sockets under one signal: ${JSON.stringify(Object.fromEntries(codes))} in ${manyMs} ms, 1 abort listener while waiting, 0 after, 0 warnings, fds ${fdsBefore} → ${fds()}`,
  { waiting: N, closeOneMs, manyMs, codes: Object.fromEntries(codes), warnings: warnings.length },
);
