/**
 * A default timeout per socket (CPython's settimeout) and an absolute deadline
 * (Go's SetDeadline) — issue 15, item 7. No pass/fail depends on how long
 * anything took: "still waiting" is checked after a later timer than the
 * one that would have ended the call (Node runs due timers in order), and
 * "rejected" is checked by the error.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Socket, SocketError, socketpair } from "../../src/index.js";
import { abstractName, fdCount, isPending, pattern, sleep, tempDir, within } from "../helpers.js";

function isTimeout(syscall: string, text?: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof SocketError, String(e));
    assert.equal(e.code, "ETIMEDOUT");
    assert.equal(e.syscall, syscall);
    if (text) assert.match(e.message, text);
    return true;
  };
}

describe("Socket default timeout: setTimeout(ms) and { timeout }", () => {
  test("the constructor's timeout ends a waiting recvfrom with the per-call timeout's error", async () => {
    const s = new Socket("inet", "dgram", 0, { timeout: 20 });
    try {
      assert.equal(s.timeout, 20);
      s.bind("127.0.0.1:0");
      await assert.rejects(within(s.recvfrom(), "recvfrom"), isTimeout("recvfrom", /within 20 ms/));
    } finally {
      s.close();
    }
  });

  test("setTimeout applies to every waiting call without its own timeout: recv, accept, send", async () => {
    const [a, b] = socketpair("unix", "stream");
    const l = new Socket("unix", "stream");
    try {
      assert.equal(a.setTimeout(20), a, "chainable");
      await assert.rejects(within(a.recv(10), "recv"), isTimeout("recv"));
      l.bind(`@${abstractName("timeout")}`);
      l.listen();
      l.setTimeout(20);
      await assert.rejects(within(l.accept(), "accept"), isTimeout("accept4"));
      // A write that has to wait (nobody reads b) ends too, having sent a prefix.
      await assert.rejects(within(a.sendAll(pattern(8 << 20)), "sendAll"), isTimeout("send"));
    } finally {
      for (const s of [a, b, l]) s.close();
    }
  });

  test("a call's own timeout replaces the default; setTimeout(null) removes it", async () => {
    const [a, b] = socketpair("unix", "stream");
    try {
      a.setTimeout(20);
      const own = a.recv(10, { timeout: 60_000 });
      await sleep(200); // the default's 20 ms timer would have run before this one
      assert.ok(await isPending(own), "the call's own timeout wins over the default");
      await b.sendAll("x");
      assert.equal((await within(own, "recv")).toString(), "x");

      a.setTimeout(null);
      assert.equal(a.timeout, undefined);
      const none = a.recv(10);
      await sleep(100);
      assert.ok(await isPending(none), "no default: the call waits");
      await b.sendAll("y");
      assert.equal((await within(none, "recv")).toString(), "y");
    } finally {
      a.close();
      b.close();
    }
  });

  test("setTimeout(0): a call served at once succeeds, one that would wait rejects", async () => {
    const [a, b] = socketpair("unix", "stream");
    try {
      a.setTimeout(0);
      await b.sendAll("ready");
      assert.equal((await a.recv(10)).toString(), "ready");
      await assert.rejects(within(a.recv(10), "recv"), isTimeout("recv"));
    } finally {
      a.close();
      b.close();
    }
  });

  test("with a signal both apply and the first wins", async () => {
    const [a, b] = socketpair("unix", "stream");
    try {
      a.setTimeout(60_000);
      const ac = new AbortController();
      const p = a.recv(10, { signal: ac.signal });
      ac.abort();
      await assert.rejects(within(p, "recv"), { name: "AbortError" });
      a.setTimeout(10);
      const ac2 = new AbortController();
      await assert.rejects(within(a.recv(10, { signal: ac2.signal }), "recv"), isTimeout("recv"));
    } finally {
      a.close();
      b.close();
    }
  });

  test("the default covers a whole sendfile, whose error carries the bytes sent", async () => {
    const dir = tempDir();
    const [a, b] = socketpair("unix", "stream");
    try {
      const path = join(dir.path, "f.bin");
      writeFileSync(path, pattern(8 << 20));
      a.setTimeout(30);
      const err = (await within(
        a.sendfile(path).catch((e: unknown) => e),
        "sendfile",
      )) as SocketError & { sent?: number };
      assert.equal(err.code, "ETIMEDOUT");
      assert.ok(err.sent! > 0);
    } finally {
      a.close();
      b.close();
      dir.cleanup();
    }
  });

  test("bad values throw at once; the constructor creates no fd first", () => {
    const [a, b] = socketpair("unix", "stream");
    try {
      for (const v of [-1, NaN, 2 ** 31, "10"]) {
        assert.throws(() => a.setTimeout(v as never), { code: "ERR_OUT_OF_RANGE" }, String(v));
      }
      const before = fdCount();
      assert.throws(() => new Socket("inet", "stream", 0, { timeout: -5 }), { code: "ERR_OUT_OF_RANGE" });
      assert.equal(fdCount(), before);
      assert.throws(() => a.setDeadline("tomorrow" as never), { code: "ERR_INVALID_ARG_TYPE" });
      assert.throws(() => a.setDeadline(new Date(NaN)), { code: "ERR_OUT_OF_RANGE" });
    } finally {
      a.close();
      b.close();
    }
  });
});

describe("Socket.setDeadline: absolute, for pending calls too", () => {
  test("a deadline set while calls wait ends them, reads and writes", async () => {
    const [a, b] = socketpair("unix", "stream");
    try {
      const reading = a.recv(10);
      const writing = a.sendAll(pattern(8 << 20));
      await sleep(20);
      assert.ok(await isPending(reading));
      assert.ok(await isPending(writing));
      a.setDeadline(new Date(Date.now() + 30));
      await assert.rejects(within(reading, "recv"), isTimeout("recv", /deadline/));
      await assert.rejects(within(writing, "sendAll"), isTimeout("send", /deadline/));
      assert.ok(a.deadline instanceof Date);
    } finally {
      a.close();
      b.close();
    }
  });

  test("past the deadline, waiting is refused at once but data already there is served", async () => {
    const [a, b] = socketpair("unix", "stream");
    try {
      a.setDeadline(Date.now() - 1);
      await assert.rejects(within(a.recv(10), "recv"), isTimeout("recv"));
      await b.sendAll("here");
      assert.equal((await a.recv(10)).toString(), "here");
      // Removing it lets calls wait again.
      a.setDeadline(null);
      assert.equal(a.deadline, undefined);
      const p = a.recv(10);
      await sleep(50);
      assert.ok(await isPending(p));
      await b.sendAll("late");
      assert.equal((await within(p, "recv")).toString(), "late");
    } finally {
      a.close();
      b.close();
    }
  });

  test("moving the deadline later keeps a pending call waiting; a per-call timeout still applies (first wins)", async () => {
    const [a, b] = socketpair("unix", "stream");
    try {
      a.setDeadline(Date.now() + 20);
      const p = a.recv(10);
      a.setDeadline(Date.now() + 3_600_000);
      await sleep(200); // the old deadline's timer would have run by now
      assert.ok(await isPending(p), "moved deadline: still waiting");
      await b.sendAll("ok");
      assert.equal((await within(p, "recv")).toString(), "ok");
      // The far deadline and a short per-call timeout: the timeout comes first.
      await assert.rejects(within(a.recv(10, { timeout: 10 }), "recv"), isTimeout("recv", /within 10 ms/));
    } finally {
      a.close();
      b.close();
    }
  });

  test("a Unix connect retrying a full backlog (EAGAIN) stops at the deadline", async () => {
    const where = `@${abstractName("deadline")}`;
    const srv = new Socket("unix", "stream");
    srv.bind(where);
    srv.listen(0);
    const queued: Socket[] = [];
    try {
      for (;;) {
        const c = new Socket("unix", "stream");
        c.setDeadline(Date.now() + 100);
        try {
          await within(c.connect(where), "connect");
          queued.push(c);
          assert.ok(queued.length < 100, "the backlog fills up");
        } catch (e) {
          assert.ok(isTimeout("connect")(e));
          c.close();
          break;
        }
      }
    } finally {
      for (const c of queued) c.close();
      srv.close();
    }
  });

  test("close clears the deadline: nothing fires on a closed socket", async () => {
    const [a, b] = socketpair("unix", "stream");
    a.setDeadline(Date.now() + 20);
    const p = a.recv(10);
    a.close();
    await assert.rejects(p, { code: "ERR_SOCKET_CLOSED" });
    await sleep(50);
    b.close();
  });
});
