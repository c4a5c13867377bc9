/**
 * Selector: CPython's selectors shape, asynchronous. Many sockets, readiness
 * as the data arrives, modify/unregister/register while a select() waits,
 * closed fds, plain fds (pipes), rollback of a failed register, timeouts.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { closeSync, openSync } from "node:fs";
import { describe, test } from "node:test";
import v8 from "node:v8";
import vm from "node:vm";
import { EVENT_READ, EVENT_WRITE, Selector, Socket, posix, socketpair } from "../../src/index.js";
import { newFds, openFds, within } from "../helpers.js";

const tick = (ms = 20): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Two connected plain fds (by number, not Socket objects). */
function pipe(): [number, number] {
  return posix.socketpair("unix", "stream");
}

describe("Selector", () => {
  test("registrations survive garbage collections between selects: each select still wakes", async () => {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    const sel = new Selector();
    const [x, y] = socketpair("unix", "stream");
    try {
      // The addon holds a stopped watcher's callback weakly: a collection
      // between register() and select(), or between two selects, must not
      // take it (it did: the select never woke).
      sel.register(x, EVENT_READ);
      for (let round = 0; round < 3; round++) {
        gc();
        await new Promise((r) => setTimeout(r, 5));
        gc();
        const selected = sel.select(null);
        await y.send("x");
        const ready = await within(selected, `select, round ${round}`, 5000);
        assert.equal(ready.length, 1);
        await x.recv(16);
      }
    } finally {
      sel.close();
      x.close();
      y.close();
    }
  });

  test("select over many sockets reports exactly the ready ones, with their data", async () => {
    const before = openFds();
    const sel = new Selector<number>();
    const pairs = Array.from({ length: 64 }, () => socketpair("unix", "stream"));
    pairs.forEach(([a], i) => sel.register(a, EVENT_READ, i));
    assert.equal(sel.getMap().size, 64);
    assert.deepEqual(await sel.select(0), []);
    const pick = [3, 17, 42, 63];
    for (const i of pick) await pairs[i]![1].send("x");
    const ready = await sel.select(1000);
    assert.deepEqual(
      ready.map(([k, ev]) => [k.data, ev]).sort((x, y) => x[0]! - y[0]!),
      pick.map((i) => [i, EVENT_READ]),
    );
    assert.equal(ready[0]![0].fileobj, pairs[ready[0]![0].data]![0]);
    // Readiness is level-triggered: still ready until read.
    assert.equal((await sel.select(0)).length, 4);
    for (const i of pick) await pairs[i]![0].recv(10);
    assert.deepEqual(await sel.select(0), []);
    sel.close();
    for (const [a, b] of pairs) {
      a.close();
      b.close();
    }
    assert.deepEqual(newFds(before), []);
  });

  test("a waiting select wakes on the first readiness, in arrival order", async () => {
    const sel = new Selector<string>();
    const [a, b] = socketpair("unix", "stream");
    const [c, d] = socketpair("unix", "stream");
    sel.register(a, EVENT_READ, "a");
    sel.register(c, EVENT_READ, "c");
    const p = sel.select(5000);
    setTimeout(() => void d.send("1"), 30);
    const first = await p;
    assert.deepEqual(
      first.map(([k]) => k.data),
      ["c"],
    );
    await c.recv(10);
    setTimeout(() => void b.send("2"), 30);
    const second = await sel.select(5000);
    assert.deepEqual(
      second.map(([k]) => k.data),
      ["a"],
    );
    sel.close();
    for (const s of [a, b, c, d]) s.close();
  });

  test("WRITE readiness, both events, and modify while waiting", async () => {
    const sel = new Selector();
    const [a, b] = socketpair("unix", "stream");
    sel.register(a, EVENT_READ | EVENT_WRITE);
    assert.deepEqual(
      (await sel.select(0)).map(([, ev]) => ev),
      [EVENT_WRITE],
    );
    sel.modify(a, EVENT_READ, "now read");
    const p = sel.select(5000);
    await tick();
    sel.modify(a, EVENT_WRITE, "now write"); // the pending select sees it at once
    const got = await p;
    assert.equal(got.length, 1);
    assert.equal(got[0]![0].data, "now write");
    assert.equal(got[0]![1], EVENT_WRITE);
    assert.equal(sel.getKey(a).events, EVENT_WRITE);
    sel.close();
    a.close();
    b.close();
  });

  test("register and unregister while a select waits", async () => {
    const sel = new Selector<string>();
    const [a, b] = socketpair("unix", "stream");
    const [c, d] = socketpair("unix", "stream");
    sel.register(a, EVENT_READ, "a");
    const p = sel.select(5000);
    await tick();
    sel.unregister(a);
    await b.send("ignored now");
    await tick(50);
    sel.register(c, EVENT_READ, "c");
    await d.send("seen");
    const got = await p;
    assert.deepEqual(
      got.map(([k]) => k.data),
      ["c"],
    );
    sel.close();
    for (const s of [a, b, c, d]) s.close();
  });

  test("timeouts: fractions round up to whole ms; 0 only checks; null waits", async () => {
    const sel = new Selector();
    const [a, b] = socketpair("unix", "stream");
    sel.register(a, EVENT_READ);
    // 0.2 ms waits (1 ms), it does not become a bare check.
    assert.deepEqual(await sel.select(0.2), []);
    const t = performance.now();
    assert.deepEqual(await sel.select(60), []);
    assert.ok(performance.now() - t >= 55);
    setTimeout(() => void b.send("x"), 30);
    assert.equal((await sel.select(null)).length, 1);
    const ac = new AbortController();
    await a.recv(1);
    const p = sel.select(undefined, { signal: ac.signal });
    ac.abort();
    await assert.rejects(p, { name: "AbortError" });
    sel.close();
    a.close();
    b.close();
  });

  test("closed sockets: never reported, released at once, unregister still works", async () => {
    const before = openFds();
    const sel = new Selector();
    const [a, b] = socketpair("unix", "stream");
    sel.register(a, EVENT_READ);
    const pending = sel.select(200);
    await tick();
    a.close();
    // The peer sees the close at once: the Selector's duplicate went with it.
    assert.equal((await b.recv(10, { timeout: 100 })).length, 0, "the peer did not see EOF");
    assert.deepEqual(await pending, []);
    assert.deepEqual(await sel.select(0), []);
    assert.equal(sel.unregister(a).fileobj, a);
    b.close();
    // The closed Socket's fd number, reused by a new socket, can be registered again;
    // the old key still unregisters.
    const [e, f] = socketpair("unix", "stream");
    sel.register(e, EVENT_READ, "old");
    const reused = e.fd;
    e.close();
    const g = Socket.fromFd(posix.socket("unix", "dgram"));
    assert.equal(g.fd, reused, "the kernel gives the lowest free fd");
    sel.register(g, EVENT_READ, "new");
    assert.equal(sel.getKey(reused).fileobj, g);
    assert.equal(sel.unregister(e).fileobj, e);
    assert.equal(sel.unregister(g).fileobj, g);
    g.close();
    f.close();
    // Detach releases it too.
    const [c, d] = socketpair("unix", "stream");
    sel.register(c, EVENT_READ);
    const fd = c.detach();
    assert.deepEqual(await sel.select(0), []);
    sel.unregister(c);
    posix.close(fd);
    assert.equal((await d.recv(10, { timeout: 100 })).length, 0);
    d.close();
    // A plain fd closed while registered: unregister is fine too.
    const [x, y] = pipe();
    sel.register(x, EVENT_READ);
    posix.close(x);
    sel.unregister(x);
    posix.close(y);
    sel.close();
    assert.deepEqual(newFds(before), []);
  });

  test("plain fds: a socket by number, and a pipe Node itself owns", async () => {
    const sel = new Selector<string>();
    const [x, y] = pipe();
    sel.register(x, EVENT_READ, "x");
    posix.send(y, "data");
    const got = await sel.select(1000);
    assert.equal(got[0]![0].fd, x);
    assert.equal(got[0]![0].data, "x");
    sel.unregister(x);
    posix.close(x);
    posix.close(y);
    // The read end of a child's stdout pipe: libuv already has it (uv_pipe_t), which the
    // Selector's duplicate does not disturb.
    const child = spawn("sh", ["-c", "sleep 0.1; echo hi"], { stdio: ["ignore", "pipe", "ignore"] });
    const fd = (child.stdout as unknown as { _handle: { fd: number } })._handle.fd;
    sel.register(fd, EVENT_READ, "pipe");
    assert.deepEqual(await sel.select(0), []);
    const ready = await sel.select(5000);
    assert.equal(ready[0]![0].data, "pipe");
    sel.unregister(fd);
    const text = await new Promise<string>((r) => child.stdout!.once("data", (b: Buffer) => r(b.toString())));
    assert.equal(text, "hi\n");
    await once(child, "exit");
    sel.close();
  });

  test("a fd epoll cannot watch (a regular file) fails register with EPERM, rolled back", () => {
    const before = openFds();
    const sel = new Selector();
    const f = openSync("/proc/self/status", "r");
    assert.throws(() => sel.register(f, EVENT_READ), { code: "EPERM" });
    assert.equal(sel.getMap().size, 0);
    closeSync(f);
    sel.close();
    assert.deepEqual(newFds(before), []);
  });

  test("a failed register leaves nothing behind", () => {
    const before = openFds();
    const sel = new Selector();
    assert.throws(() => sel.register(987654, EVENT_READ), { code: "EBADF" });
    assert.equal(sel.getMap().size, 0);
    const [a, b] = socketpair("unix", "stream");
    sel.register(a, EVENT_READ);
    assert.throws(() => sel.register(a, EVENT_READ), { code: "ERR_INVALID_ARG_VALUE" });
    assert.throws(() => sel.register(b, 0), { code: "ERR_INVALID_ARG_VALUE" });
    assert.throws(() => sel.register(b, 4), { code: "ERR_INVALID_ARG_VALUE" });
    assert.throws(() => sel.register("3" as never, EVENT_READ), { code: "ERR_INVALID_ARG_TYPE" });
    assert.throws(() => sel.unregister(b), { code: "ERR_INVALID_ARG_VALUE" });
    assert.throws(() => sel.modify(b, EVENT_READ), { code: "ERR_INVALID_ARG_VALUE" });
    assert.throws(() => sel.select(Number.NaN), { code: "ERR_OUT_OF_RANGE" });
    assert.equal(sel.getMap().size, 1);
    sel.close();
    a.close();
    b.close();
    assert.deepEqual(newFds(before), []);
  });

  test("one select at a time; close rejects a pending select; an idle Selector keeps nothing alive", async () => {
    const sel = new Selector();
    const [a, b] = socketpair("unix", "stream");
    sel.register(a, EVENT_READ);
    const p = sel.select();
    await assert.rejects(sel.select(), { code: "ERR_NOT_SUPPORTED" });
    sel.close();
    await assert.rejects(p, { code: "ERR_SOCKET_CLOSED" });
    await assert.rejects(sel.select(), { code: "ERR_SOCKET_CLOSED" });
    assert.throws(() => sel.register(b, EVENT_READ), { code: "ERR_SOCKET_CLOSED" });
    a.close();
    b.close();
    assert.equal(new Socket("inet", "stream").closed, false);
  });
});
