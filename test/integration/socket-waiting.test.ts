/**
 * Socket waiting calls on the real kernel: abort, timeout, deadline and close
 * while calls wait; ref/unref; AsyncLocalStorage; a pending socket error
 * (EPOLLERR).
 * No mocks; no timing decides a pass (the `within` guard only turns a hang
 * into a failure).
 */
import assert from "node:assert/strict";
import { constants as osConstants } from "node:os";
import { describe, test } from "node:test";
import { MSG, Socket, SocketError, socketpair, type Datagram } from "../../src/index.js";
import * as raw from "../../src/raw/index.js";
import {
  isPending,
  nodeScript,
  pattern,
  turn,
  within,
  rejectsClosed,
  rejectsAbort,
  rejectsSys,
  socketTracker,
} from "../helpers.js";

const E = osConstants.errno;

const track = socketTracker();

describe("waiting calls: abort, timeout, close", () => {
  test("AbortSignal aborts a pending recv and a pending accept; the sockets stay usable", async () => {
    const [a, b] = track(socketpair("unix", "stream"));
    const ac = new AbortController();
    const p = b.recv(100, { signal: ac.signal });
    await turn();
    assert.equal(await isPending(p), true);
    ac.abort("enough");
    await rejectsAbort(p, "enough");
    await a.send("still works");
    assert.equal((await within(b.recv(), "recv after abort")).toString(), "still works");

    const srv = track(new Socket("inet", "stream"));
    srv.bind("127.0.0.1:0");
    srv.listen();
    const ac2 = new AbortController();
    const acc = srv.accept({ signal: ac2.signal });
    await turn();
    assert.equal(await isPending(acc), true);
    ac2.abort();
    await rejectsAbort(acc);
    const c = track(new Socket("inet", "stream"));
    const [conn] = await within(Promise.all([srv.accept(), c.connect(srv.getsockname())]), "accept after abort");
    track(conn);
    for (const s of [a, b, srv, c, conn]) s.close();
  });

  test("an already-aborted signal rejects at once and consumes nothing", async () => {
    const [a, b] = track(socketpair("unix", "dgram"));
    await a.send("keep me");
    const reason = new Error("already");
    await rejectsAbort(b.recv(100, { signal: AbortSignal.abort(reason) }), reason);
    assert.equal((await within(b.recv(), "recv")).toString(), "keep me", "the aborted recv did not take the message");
    a.close();
    b.close();
  });

  test("aborting one waiter leaves the others in order", async () => {
    const [a, b] = track(socketpair("unix", "dgram"));
    const ac = new AbortController();
    const first = b.recv();
    const second = b.recv(100, { signal: ac.signal });
    const third = b.recv();
    ac.abort();
    await rejectsAbort(second);
    await a.send("1");
    await a.send("2");
    assert.deepEqual((await within(Promise.all([first, third]), "recvs")).map(String), ["1", "2"]);
    a.close();
    b.close();
  });

  for (const [at, which] of [
    [0, "first"],
    [1, "middle"],
    [2, "last"],
  ] as const) {
    test(`aborting the ${which} of three waiting calls keeps the others in order, and later calls queue behind them`, async () => {
      // Reads on a datagram pair; writes on a stream pair with a full buffer.
      const [a, b] = track(socketpair("unix", "dgram"));
      const acs = [0, 1, 2].map(() => new AbortController());
      const reads: Promise<Buffer | Datagram>[] = acs.map((ac) => b.recv(64, { signal: ac.signal }));
      const { a: w, b: r, empty } = fullPair();
      const wcs = [0, 1, 2].map(() => new AbortController());
      const writes = wcs.map((ac, i) => w.send(`w${i}`, { signal: ac.signal }));
      acs[at]!.abort();
      wcs[at]!.abort();
      await rejectsAbort(reads[at]!);
      await rejectsAbort(writes[at]!);
      // Calls made after the abort go behind the two left, in call order.
      reads.push(b.recv(64), b.recvfrom(64));
      writes.push(w.send("w3"), w.send("w4"));
      for (const t of ["m0", "m1", "m2", "m3"]) await a.send(t);
      const got = await within(Promise.all(reads.filter((_, i) => i !== at)), "reads");
      assert.deepEqual(
        got.map((v) => (Buffer.isBuffer(v) ? v.toString() : v.data.toString())),
        ["m0", "m1", "m2", "m3"],
      );
      empty();
      assert.deepEqual(await within(Promise.all(writes.filter((_, i) => i !== at)), "writes"), [2, 2, 2, 2]);
      assert.equal(queued(r), ["w0", "w1", "w2", "w3", "w4"].filter((_, i) => i !== at).join(""));
      for (const s of [a, b, w, r]) s.close();
    });
  }

  test("a queued recv whose result is an error (EMSGSIZE) rejects alone; the one after it gets the next message", async () => {
    const [a, b] = track(socketpair("unix", "dgram"));
    const first = b.recv(4);
    const second = b.recv(64);
    await a.send("too long");
    await a.send("next");
    const err = await rejectsSys(first, "EMSGSIZE", "recv");
    assert.equal((err as SocketError & { data: Buffer }).data.toString(), "too ");
    assert.equal((await within(second, "second recv")).toString(), "next");
    a.close();
    b.close();
  });

  test("close while calls wait in both directions rejects every one of them ERR_SOCKET_CLOSED", async () => {
    const { a, b } = fullPair();
    const waiting = [a.recv(), a.send("x"), a.recvfrom(), a.sendAll(pattern(100_000)), a.recvInto(Buffer.alloc(8))];
    await turn();
    for (const p of waiting) assert.equal(await isPending(p), true);
    a.close();
    for (const [i, p] of waiting.entries()) await rejectsClosed(p, `call ${i}`);
    // The peer sees the close: EOF after the bytes that went before it.
    const sink = Buffer.alloc(65536);
    let n;
    while ((n = raw.recv(b.fd, sink, 0, sink.length, 0)) > 0);
    assert.equal(n, 0);
    b.close();
  });

  test("timeout on recv rejects ETIMEDOUT from recv; the socket stays usable", async () => {
    const [a, b] = track(socketpair("unix", "stream"));
    const err = await rejectsSys(b.recv(10, { timeout: 20 }), "ETIMEDOUT", "recv");
    assert.equal(err.errno, -E.ETIMEDOUT);
    await a.send("later");
    assert.equal((await within(b.recv(10, { timeout: 60_000 }), "recv")).toString(), "later");
    a.close();
    b.close();
  });

  test("close while recv, recvfrom and accept wait: each rejects ERR_SOCKET_CLOSED and the process stays healthy", async () => {
    const [a, b] = track(socketpair("unix", "dgram"));
    const r1 = b.recv();
    const r2 = b.recvfrom();
    const srv = track(new Socket("inet6", "stream"));
    srv.bind("[::1]:0");
    srv.listen();
    const acc = srv.accept();
    await turn();
    b.close();
    srv.close();
    await rejectsClosed(r1, "recv");
    await rejectsClosed(r2, "recvfrom");
    await rejectsClosed(acc, "accept");
    // Healthy: new sockets work, the old fds are closed.
    const [x, y] = track(socketpair("unix", "seqpacket"));
    await x.send("alive");
    assert.equal((await within(y.recv(), "recv")).toString(), "alive");
    for (const s of [a, x, y]) s.close();
  });

  /**
   * A Unix stream pair whose writer `a` has a full send buffer, and a function
   * emptying it: both synchronous (raw calls), so that whatever is queued on
   * `a` meanwhile is served by the next wakeup, in one drain.
   */
  function fullPair(): { a: Socket; b: Socket; empty: () => void } {
    const [a, b] = track(socketpair("unix", "stream"));
    a.setsockopt("SOL_SOCKET", "SO_SNDBUF", 4096);
    const chunk = Buffer.alloc(4096);
    while (raw.send(a.fd, chunk, 0, chunk.length, 0) !== raw.AGAIN);
    const sink = Buffer.alloc(65536);
    const empty = (): void => {
      while (raw.recv(b.fd, sink, 0, sink.length, 0) !== raw.AGAIN);
    };
    return { a, b, empty };
  }

  /** What `s` has received and not yet read, as text (read synchronously). */
  function queued(s: Socket): string {
    const sink = Buffer.alloc(64);
    let text = "";
    for (let n; (n = raw.recv(s.fd, sink, 0, sink.length, 0)) > 0;) text += sink.toString("latin1", 0, n);
    return text;
  }

  test("an attempt that throws while queued (sendmsg of an fd closed meanwhile) rejects alone; the calls after it go on", async () => {
    const { a, b, empty } = fullPair();
    const [x, y] = track(socketpair("unix", "dgram"));
    const first = a.send("1");
    const passing = a.sendmsg({ buffers: ["2"], fds: [x] });
    const third = a.send("3");
    x.close(); // read again at send time: EBADF, not whatever file gets its number
    empty();
    assert.equal(await within(first, "first send"), 1);
    await rejectsSys(passing, "EBADF", "sendmsg");
    assert.equal(await within(third, "third send"), 1);
    assert.equal(queued(b), "13");
    for (const s of [a, b, y]) s.close();
  });

  test("code an attempt runs (an fd getter in sendmsg) may close the socket or abort that very call", async () => {
    const errors: unknown[] = [];
    const onError = (e: unknown): void => void errors.push(e);
    process.on("uncaughtException", onError);
    try {
      // Closing: every waiting call rejects ERR_SOCKET_CLOSED, and the drain
      // that ran the attempt does not trip over the emptied queue.
      {
        const { a, b, empty } = fullPair();
        let armed = false;
        const closer = {
          get fd(): number {
            if (armed) a.close();
            return b.fd;
          },
        };
        const first = a.send("1");
        const closing = a.sendmsg({ buffers: ["2"], fds: [closer] });
        const third = a.send("3");
        armed = true;
        empty();
        assert.equal(await within(first, "first send"), 1);
        await rejectsClosed(closing, "sendmsg");
        await rejectsClosed(third, "send");
        await turn();
        assert.deepEqual(errors, []);
        b.close();
      }
      // Aborting its own call: that call rejects AbortError, and the call
      // queued after it is still served.
      {
        const { a, b, empty } = fullPair();
        const ac = new AbortController();
        let armed = false;
        const aborter = {
          get fd(): number {
            if (armed) ac.abort();
            return b.fd;
          },
        };
        const first = a.send("1");
        const aborted = a.sendmsg({ buffers: ["2"], fds: [aborter], signal: ac.signal });
        const third = a.send("3");
        armed = true;
        empty();
        assert.equal(await within(first, "first send"), 1);
        await rejectsAbort(aborted);
        assert.equal(await within(third, "the call after the aborted one"), 1);
        // The abort came while its message was being sent: that one went.
        assert.equal(queued(b), "123");
        a.close();
        b.close();
      }
      assert.deepEqual(errors, []);
    } finally {
      process.off("uncaughtException", onError);
    }
  });

  test("close while a send waits for buffer space rejects it", async () => {
    const [a, b] = track(socketpair("unix", "stream"));
    a.setsockopt("SOL_SOCKET", "SO_SNDBUF", 4096);
    const p = a.sendAll(pattern(4 * 1024 * 1024));
    await turn();
    assert.equal(await isPending(p), true);
    a.close();
    await rejectsClosed(p, "sendAll");
    b.close();
  });
});

describe("ref/unref: whether a waiting socket keeps the process alive", () => {
  const script = (mode: "unref" | "unref-first" | "ref" | "unref-then-ref") => `
    import { Socket, socketpair } from "{{ENTRY}}";
    const srv = new Socket("inet", "stream");
    srv.bind("127.0.0.1:0");
    srv.listen();
    const [a, b] = socketpair("unix", "stream");
    ${mode === "unref-first" ? "srv.unref(); b.unref();" : ""}
    const pending = srv.accept().then((c) => { console.log("accepted"); c.close(); srv.close(); });
    const rd = b.recv().catch(() => {});
    // The socketpair recv never completes; only the listener differs between modes.
    b.unref();
    ${mode === "unref" ? "srv.unref();" : ""}
    ${mode === "unref-then-ref" ? "srv.unref(); srv.ref();" : ""}
    console.log(JSON.stringify({ port: srv.getsockname().port }));
    process.on("exit", () => console.log("exiting"));
    void pending; void rd; void a;
  `;

  for (const [mode, when] of [
    ["unref", "after the calls were made"],
    ["unref-first", "before the first call waited"],
  ] as const) {
    test(`with pending accept and recv unref'd ${when}, the process exits by itself`, async () => {
      const child = nodeScript(script(mode));
      try {
        JSON.parse(await child.line("port"));
        assert.equal(await child.line("exit notice"), "exiting");
        const { code, stderr } = await within(child.exited, "child exit");
        assert.equal(code, 0, stderr);
      } finally {
        child.kill();
      }
    });
  }

  test("with an unref'd Unix connect waiting on a full backlog (EAGAIN back-off), the process exits by itself", async () => {
    const child = nodeScript(`
      import { Socket } from "{{ENTRY}}";
      const name = "@sockit-unref-connect-" + process.pid;
      const srv = new Socket("unix", "stream");
      srv.bind(name);
      srv.listen(0);
      let waiting = null;
      for (let i = 0; i < 100 && !waiting; i++) {
        const c = new Socket("unix", "stream");
        let done = false;
        const p = c.connect(name).then(() => (done = true));
        await new Promise((r) => setTimeout(r, 20));
        if (!done) waiting = [c, p];
      }
      if (!waiting) throw new Error("the backlog never filled");
      waiting[0].unref();
      console.log("waiting");
      process.on("exit", () => console.log("exiting"));
    `);
    try {
      assert.equal(await child.line("waiting"), "waiting");
      assert.equal(await child.line("exit notice"), "exiting");
      const { code, stderr } = await within(child.exited, "child exit");
      assert.equal(code, 0, stderr);
    } finally {
      child.kill();
    }
  });

  for (const mode of ["ref", "unref-then-ref"] as const) {
    test(`with a ${mode === "ref" ? "ref'd" : "re-ref'd"} pending accept, it stays alive (and accepts)`, async () => {
      const child = nodeScript(script(mode));
      try {
        const { port } = JSON.parse(await child.line("port")) as { port: number };
        // Give it the chance to exit wrongly; then prove it is alive by being accepted.
        await new Promise((r) => setTimeout(r, 300));
        const c = track(new Socket("inet", "stream"));
        await within(c.connect(`127.0.0.1:${port}`), "connect to the child");
        assert.equal(await child.line("accept"), "accepted");
        c.close();
        // With the accept done and nothing ref'd left, it now exits on its own.
        assert.equal(await child.line("exit notice"), "exiting");
        const { code, stderr } = await within(child.exited, "child exit");
        assert.equal(code, 0, stderr);
      } finally {
        child.kill();
      }
    });
  }
});

test("AsyncLocalStorage: each waiting call resumes in the context it was made in", async () => {
  const { AsyncLocalStorage } = await import("node:async_hooks");
  const als = new AsyncLocalStorage<string>();
  const [a, b] = socketpair("unix", "seqpacket");
  const [c, d] = socketpair("unix", "seqpacket");
  const first = als.run("first", async () => {
    await a.recv();
    return als.getStore();
  });
  const second = als.run("second", async () => {
    await c.recv();
    return als.getStore();
  });
  await d.send("2");
  await b.send("1");
  assert.deepEqual(await Promise.all([first, second]), ["first", "second"]);
  assert.equal(als.getStore(), undefined);
  for (const s of [a, b, c, d]) s.close();
});

describe("a pending socket error (EPOLLERR) is not a bad fd", () => {
  test("UDP with IP_RECVERR: after an ICMP error, waiting receives still wake for data", async () => {
    const s = new Socket("inet", "dgram");
    s.bind("127.0.0.1:0");
    s.setsockopt("IPPROTO_IP", "IP_RECVERR", true);
    const closedPort = new Socket("inet", "dgram");
    closedPort.bind("127.0.0.1:0");
    const dead = closedPort.getsockname();
    closedPort.close();
    // Connected to a port nobody listens on: the kernel answers with ICMP port
    // unreachable, which leaves an error in the queue (EPOLLERR stays up).
    await s.connect(dead);
    await s.send("probe");
    const waiting = s.recv(100);
    await assert.rejects(within(waiting, "the ICMP error"), { code: "ECONNREFUSED" });
    // The error queue still holds the report, so EPOLLERR is still raised; an
    // ordinary receive must keep waiting and get data when it comes.
    const peer = new Socket("inet", "dgram");
    peer.bind(dead);
    const data = s.recv(100);
    await peer.sendto("hello", s.getsockname());
    assert.equal((await within(data, "data after an error")).toString(), "hello");
    const report = await within(s.recvmsg({ flags: MSG.ERRQUEUE, controlSize: 512 }), "the error report");
    assert.equal(report.error?.errno, E.ECONNREFUSED);
    s.close();
    peer.close();
  });
});
