/**
 * Many waiting calls under one AbortSignal: no MaxListenersExceededWarning,
 * abort rejects every one of them, and once they have settled no listener is
 * left on the signal (issue 12, item 6).
 */
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { test } from "node:test";
import { EVENT_READ, Selector, Socket, socketpair } from "../../src/index.js";
import { turn, within } from "../helpers.js";

/** Collects process warnings while `fn` runs. */
async function warningsDuring(fn: () => Promise<void>): Promise<Error[]> {
  const seen: Error[] = [];
  const onWarning = (w: Error): void => void seen.push(w);
  process.on("warning", onWarning);
  try {
    await fn();
    // Warnings are emitted on process.nextTick.
    await turn();
    await turn();
  } finally {
    process.off("warning", onWarning);
  }
  return seen;
}

test("100 waiting calls on 60 sockets under one signal: no warning, abort rejects all, no listener left", async () => {
  const pairs = Array.from({ length: 30 }, () => socketpair("unix", "stream"));
  const sockets = pairs.flat();
  const ac = new AbortController();
  const calls: Promise<unknown>[] = [];
  const warnings = await warningsDuring(async () => {
    for (let i = 0; i < 100; i++) {
      const s = sockets[i % sockets.length]!;
      calls.push(i % 2 === 0 ? s.recv(16, { signal: ac.signal }) : s.recvfrom(16, { signal: ac.signal }));
    }
    assert.ok(getEventListeners(ac.signal, "abort").length <= 1, "at most one abort listener on the signal");
    ac.abort();
    const results = await within(Promise.allSettled(calls), "aborted calls");
    for (const r of results) {
      assert.equal(r.status, "rejected");
      assert.equal((r.reason as { name?: string }).name, "AbortError");
    }
  });
  assert.deepEqual(
    warnings.map((w) => `${w.name}: ${w.message}`),
    [],
  );
  assert.equal(getEventListeners(ac.signal, "abort").length, 0, "no abort listener left after abort");
  for (const s of sockets) s.close();
});

test("waiting calls that complete (not aborted) leave no listener on the shared signal", async () => {
  const pairs = Array.from({ length: 60 }, () => socketpair("unix", "dgram"));
  const ac = new AbortController();
  const warnings = await warningsDuring(async () => {
    const calls = pairs.map(([a]) => a.recv(16, { signal: ac.signal }));
    const accepts: Promise<unknown>[] = [];
    const listener = new Socket("unix", "stream");
    listener.bind({ family: "unix", path: "" });
    listener.listen();
    for (let i = 0; i < 20; i++) accepts.push(listener.accept({ signal: ac.signal }));
    const sel = new Selector();
    const [x, y] = socketpair("unix", "stream");
    sel.register(x, EVENT_READ);
    const selected = sel.select(null, { signal: ac.signal });
    for (const [, b] of pairs) await b.send("hi");
    for (const r of await within(Promise.all(calls), "recvs")) assert.equal(String(r), "hi");
    const addr = listener.getsockname();
    const clients = Array.from({ length: 20 }, () => new Socket("unix", "stream"));
    await Promise.all(clients.map((c) => c.connect(addr)));
    for (const conn of (await within(Promise.all(accepts), "accepts")) as Socket[]) conn.close();
    await y.send("x");
    assert.equal((await within(selected, "select")).length, 1);
    sel.close();
    for (const c of clients) c.close();
    listener.close();
    x.close();
    y.close();
  });
  assert.deepEqual(
    warnings.map((w) => `${w.name}: ${w.message}`),
    [],
  );
  assert.equal(getEventListeners(ac.signal, "abort").length, 0, "no abort listener left after the calls settled");
  for (const [a, b] of pairs) {
    a.close();
    b.close();
  }
});

test("a call that times out or is closed under a shared signal removes its share of the listener", async () => {
  const ac = new AbortController();
  const [a, b] = socketpair("unix", "stream");
  const p1 = a.recv(16, { signal: ac.signal, timeout: 20 });
  const p2 = b.recv(16, { signal: ac.signal });
  await assert.rejects(within(p1, "timeout"), { code: "ETIMEDOUT" });
  b.close();
  await assert.rejects(within(p2, "closed"), { code: "ERR_SOCKET_CLOSED" });
  assert.equal(getEventListeners(ac.signal, "abort").length, 0);
  a.close();
});
