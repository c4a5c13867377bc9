/**
 * Socket sending and receiving on the real kernel: sizes, truncation, flags
 * that change how a call waits, and messages() iteration.
 * No mocks; no timing decides a pass (the `within` guard only turns a hang
 * into a failure).
 */
import assert from "node:assert/strict";
import { writeSync } from "node:fs";
import { networkInterfaces, constants as osConstants } from "node:os";
import { describe, test } from "node:test";
import { MSG, Socket, SocketError, socketpair } from "../../src/index.js";
import {
  abstractName,
  isPending,
  pattern,
  turn,
  within,
  rejectsAbort,
  recvExactly,
  connectedPair,
  rejectsSys,
  socketTracker,
} from "../helpers.js";

const E = osConstants.errno;

const track = socketTracker();

describe("sending and receiving", () => {
  // TCP gets 64 KiB: below about one loopback MSS (~64 KiB) the kernel itself
  // crawls (Nagle and delayed ACKs; CPython's sendall shows the same), which
  // tests the kernel's patience, not sendAll.
  for (const [label, make, sndbuf] of [
    ["TCP", () => connectedPair("inet", "stream", "127.0.0.1:0"), 65536],
    ["Unix stream", async () => socketpair("unix", "stream"), 4096],
  ] as const) {
    test(`sendAll pushes 8 MiB through a small SO_SNDBUF (${label}), intact and in order`, async () => {
      const [a, b] = track(await make());
      a.setsockopt("SOL_SOCKET", "SO_SNDBUF", sndbuf);
      if (label !== "TCP") b.setsockopt("SOL_SOCKET", "SO_RCVBUF", 4096);
      const got0 = a.getsockopt("SOL_SOCKET", "SO_SNDBUF") as number;
      assert.equal(got0, sndbuf * 2, "Linux doubles the value set (socket(7))");
      const data = pattern(8 * 1024 * 1024, 7);
      const sending = a.sendAll(data);
      // Nothing reads yet, so 8 MiB cannot have gone: sendAll must be waiting.
      await turn();
      assert.equal(await isPending(sending), true, "sendAll waits for buffer space");
      const received = recvExactly(b, data.length);
      await within(sending, "sendAll", 60_000);
      const got = await within(received, "receive 8 MiB", 60_000);
      assert.equal(got.length, data.length);
      assert.ok(got.equals(data), "the bytes arrive intact and in order");
      a.close();
      b.close();
    });
  }

  test("concurrent recvs complete in call order (stream and datagram)", async () => {
    const [a, b] = track(socketpair("unix", "stream"));
    const r = [b.recv(1), b.recv(1), b.recv(2), b.recv(1)];
    await a.send("abcde");
    assert.deepEqual((await within(Promise.all(r), "recvs")).map(String), ["a", "b", "cd", "e"]);
    const [x, y] = track(socketpair("unix", "dgram"));
    const m = [y.recv(), y.recvfrom(), y.recv(), y.recvfrom()];
    for (const t of ["m1", "m2", "m3", "m4"]) await x.send(t);
    const got = await within(Promise.all(m), "dgram recvs");
    assert.deepEqual(
      got.map((v) => (Buffer.isBuffer(v) ? v.toString() : v.data.toString())),
      ["m1", "m2", "m3", "m4"],
    );
    for (const s of [a, b, x, y]) s.close();
  });

  test("data of every view kind: exactly the view's bytes go out and come in (byteOffset and element size honoured)", async () => {
    const [a, b] = track(socketpair("unix", "seqpacket"));
    const backing = new ArrayBuffer(64);
    const bytes = new Uint8Array(backing);
    for (let i = 0; i < 64; i++) bytes[i] = i;
    const views: [string, ArrayBufferView][] = [
      ["DataView", new DataView(backing, 3, 13)],
      ["Uint16Array", new Uint16Array(backing, 8, 5)],
      ["Float64Array", new Float64Array(backing, 16, 2)],
      ["Int32Array", new Int32Array(backing, 4, 3)],
    ];
    // Node 24+: a kind Node-API did not name at first (napi_float16_array).
    const F16 = (globalThis as { Float16Array?: new (b: ArrayBuffer, o: number, n: number) => ArrayBufferView })
      .Float16Array;
    if (F16 !== undefined) views.push(["Float16Array", new F16(backing, 40, 6)]);
    for (const [kind, v] of views) {
      const want = Buffer.from(backing, v.byteOffset, v.byteLength);
      assert.equal(await a.send(v), v.byteLength, `${kind}: send`);
      assert.ok((await b.recv(64)).equals(want), `${kind}: send`);
      await a.sendAll(v);
      assert.ok((await b.recv(64)).equals(want), `${kind}: sendAll`);
      assert.equal(await a.sendmsg({ buffers: [v, "!"] }), v.byteLength + 1, `${kind}: sendmsg`);
      assert.ok((await b.recv(64)).equals(Buffer.concat([want, Buffer.from("!")])), `${kind}: sendmsg`);
      // Into a view: only its bytes change, and the count is in bytes.
      const into = new ArrayBuffer(64);
      const target = new (v.constructor as new (b: ArrayBuffer, o: number, n: number) => ArrayBufferView)(
        into,
        v.byteOffset,
        v instanceof DataView ? v.byteLength : v.byteLength / (v as Uint16Array).BYTES_PER_ELEMENT,
      );
      const pending = b.recvInto(target);
      await a.send(Buffer.alloc(64, 0xab));
      assert.equal(await pending, 64, `${kind}: recvInto reports the real length (MSG_TRUNC)`);
      const seen = new Uint8Array(into);
      for (let i = 0; i < 64; i++) {
        const inside = i >= v.byteOffset && i < v.byteOffset + v.byteLength;
        assert.equal(seen[i], inside ? 0xab : 0, `${kind}: recvInto byte ${i}`);
      }
    }
    a.close();
    b.close();
  });

  test("receives larger than 64 KiB waiting together each get their own bytes (the shared buffer grows meanwhile)", async () => {
    const [a, b] = track(socketpair("unix", "dgram"));
    a.setsockopt("SOL_SOCKET", "SO_SNDBUF", 1 << 20);
    // The first two land in one shared buffer; the third needs a larger one,
    // which replaces it as the shared buffer while the first two still wait.
    const r = [b.recv(100_000), b.recvfrom(100_000), b.recv(300_000)] as const;
    for (const i of [1, 2, 3]) await a.send(Buffer.alloc(100_000, i));
    const [x, y, z] = await within(Promise.all(r), "recvs");
    assert.ok(x.equals(Buffer.alloc(100_000, 1)), "the first receive kept its bytes");
    assert.ok(y.data.equals(Buffer.alloc(100_000, 2)), "the second receive kept its bytes");
    assert.ok(z.equals(Buffer.alloc(100_000, 3)));
    a.close();
    b.close();
  });

  test("concurrent sends complete in call order, never interleaved", async () => {
    const [a, b] = track(socketpair("unix", "stream"));
    a.setsockopt("SOL_SOCKET", "SO_SNDBUF", 4096);
    const parts = [pattern(300_000, 1), pattern(1, 2), pattern(500_000, 3), Buffer.from("tail")];
    const order: number[] = [];
    const sends = [
      a.sendAll(parts[0]!).then(() => order.push(0)),
      a.send(parts[1]!).then((n) => (assert.equal(n, 1), order.push(1))),
      a.sendAll(parts[2]!).then(() => order.push(2)),
      a.sendAll(parts[3]!).then(() => order.push(3)),
    ];
    const total = parts.reduce((n, p) => n + p.length, 0);
    const got = await recvExactly(b, total);
    await within(Promise.all(sends), "sends");
    assert.deepEqual(order, [0, 1, 2, 3]);
    assert.ok(got.equals(Buffer.concat(parts)), "the peer reads the sends back to back, in call order");
    a.close();
    b.close();
  });

  test("datagram truncation is reported: recvfrom → truncated + size, recv → EMSGSIZE with err.data", async () => {
    for (const type of ["dgram", "seqpacket"] as const) {
      const [a, b] = track(socketpair("unix", type));
      await a.send("0123456789");
      const m = await within(b.recvfrom(4), "recvfrom");
      assert.equal(m.data.toString(), "0123");
      assert.equal(m.truncated, true, type);
      assert.equal(m.size, 10, type);
      await a.send("abcdefghij");
      const err = await rejectsSys(b.recv(3), "EMSGSIZE", "recv");
      assert.equal(String((err as unknown as { data: Buffer }).data), "abc");
      assert.equal((err as unknown as { size: number }).size, 10);
      // The truncated message is consumed; the next one is whole.
      await a.send("next");
      assert.equal((await within(b.recv(), "recv")).toString(), "next");
      const whole = await within((await a.send("fits"), b.recvfrom(4)), "recvfrom");
      assert.equal(whole.truncated, false);
      a.close();
      b.close();
    }
    // And over UDP.
    const u = track(new Socket("inet", "dgram"));
    const v = track(new Socket("inet", "dgram"));
    u.bind("127.0.0.1:0");
    v.bind("127.0.0.1:0");
    await u.sendto(pattern(1000), v.getsockname());
    const m = await within(v.recvfrom(100), "recvfrom");
    assert.deepEqual([m.data.length, m.truncated, m.size], [100, true, 1000]);
    assert.ok(m.data.equals(pattern(1000).subarray(0, 100)));
    u.close();
    v.close();
  });

  test("a datagram sender waits while the Unix receiver's queue is full, then goes on in order", async () => {
    const [a, b] = track(socketpair("unix", "dgram"));
    // Fill the receiver's queue (net.unix.max_dgram_qlen and the buffer sizes decide when).
    let queued = 0;
    for (;;) {
      const p = a.send(`m${queued}`);
      if (await isPending(p)) {
        // This send waits for room; the ones after it queue behind it.
        const later = a.send("after");
        assert.equal(await isPending(later), true);
        const got: string[] = [];
        for (let i = 0; i <= queued + 1; i++) got.push((await within(b.recv(), "recv")).toString());
        await within(Promise.all([p, later]), "the waiting sends");
        assert.deepEqual(got, [...Array.from({ length: queued + 1 }, (_, i) => `m${i}`), "after"]);
        break;
      }
      await p;
      queued++;
      assert.ok(queued < 100_000, "the queue fills up");
    }
    a.close();
    b.close();
  });

  test("a UDP datagram larger than the protocol allows is EMSGSIZE", async () => {
    const u = track(new Socket("inet", "dgram"));
    await rejectsSys(u.sendto(Buffer.alloc(70_000), "127.0.0.1:9"), "EMSGSIZE", "sendto");
    u.close();
  });

  const linkLocal = Object.entries(networkInterfaces())
    .flatMap(([name, addrs]) => (addrs ?? []).map((a) => ({ name, ...a })))
    .find((a) => a.family === "IPv6" && a.address.startsWith("fe80:") && !a.internal);
  test(
    "IPv6 link-local with a scope: by interface name in, by index out, through the kernel",
    { skip: linkLocal ? false : "no interface with an IPv6 link-local address" },
    async () => {
      const { name, address, scopeid } = linkLocal!;
      const a = track(new Socket("inet6", "dgram"));
      a.bind({ family: "inet6", address, port: 0, scopeId: name });
      const local = a.getsockname() as { address: string; port: number; scopeId: number };
      assert.equal(local.address, address);
      assert.equal(local.scopeId, scopeid, "the kernel's scope is Node's index for that interface");
      const b = track(new Socket("inet6", "dgram"));
      b.bind(`[${address}%${name}]:0`);
      await b.sendto("scoped", `[${address}%${scopeid}]:${local.port}`);
      const m = await within(a.recvfrom(), "recvfrom");
      assert.equal(m.data.toString(), "scoped");
      assert.deepEqual(m.address, b.getsockname());
      assert.equal((m.address as { scopeId: number }).scopeId, scopeid);
      a.close();
      b.close();
    },
  );

  test("recvInto fills the caller's buffer at an offset", async () => {
    const [a, b] = track(socketpair("unix", "stream"));
    const buf = Buffer.alloc(10, ".");
    await a.send("xyz");
    const n = await within(b.recvInto(buf, { offset: 4, length: 5 }), "recvInto");
    assert.equal(n, 3);
    assert.equal(buf.toString(), "....xyz...");
    a.close();
    b.close();
  });

  test("messages() yields each datagram with its sender and ends when the socket closes", async () => {
    const rx = track(new Socket("unix", "dgram"));
    const where = `@${abstractName("messages")}`;
    rx.bind(where);
    const tx = track(new Socket("unix", "dgram"));
    tx.bind(`${where}-tx`);
    const seen: string[] = [];
    const loop = (async () => {
      for await (const m of rx.messages()) {
        seen.push(`${m.data.toString()}@${String((m.address as { path: string }).path).slice(1)}`);
        if (seen.length === 3) rx.close();
      }
    })();
    for (const t of ["a", "bb", "ccc"]) await tx.sendto(t, where);
    await within(loop, "messages loop");
    assert.deepEqual(
      seen,
      ["a", "bb", "ccc"].map((t) => `${t}@${where.slice(1)}-tx`),
    );
    tx.close();
  });

  test("a connected UDP socket reports the ICMP port unreachable as ECONNREFUSED on recv", async () => {
    const hole = track(new Socket("inet", "dgram"));
    hole.bind("127.0.0.1:0");
    const target = hole.getsockname();
    hole.close(); // nothing listens there now
    const d = track(new Socket("inet", "dgram"));
    await d.connect(target);
    await d.send("anyone?");
    await rejectsSys(d.recv(), "ECONNREFUSED", "recv");
    d.close();
  });

  test("writing to a closed peer is EPIPE, never SIGPIPE", async () => {
    let sigpipes = 0;
    const onSigpipe = (): void => {
      sigpipes++;
    };
    process.on("SIGPIPE", onSigpipe);
    try {
      const [a, b] = track(socketpair("unix", "stream"));
      b.close();
      const err = await rejectsSys(a.send("into the void"), "EPIPE", "send");
      assert.equal(err.errno, -E.EPIPE);
      await rejectsSys(a.sendAll(pattern(100_000)), "EPIPE", "send");
      // TCP: the first write after the peer closed may still be taken; keep writing.
      const [c, conn] = track(await connectedPair("inet", "stream", "127.0.0.1:0"));
      conn.close();
      let tcpErr: unknown;
      for (let i = 0; i < 1000 && tcpErr === undefined; i++) {
        try {
          await c.send(pattern(1024));
          await turn();
        } catch (e) {
          tcpErr = e;
        }
      }
      assert.ok(tcpErr instanceof SocketError && ["EPIPE", "ECONNRESET"].includes(tcpErr.code), String(tcpErr));
      // A control: write(2) without MSG_NOSIGNAL does raise SIGPIPE, and our
      // handler sees it; the count then shows how many sockit raised (none).
      assert.throws(() => writeSync(a.fd, "x"), /EPIPE/);
      const deadline = Date.now() + 10_000;
      while (sigpipes === 0) {
        assert.ok(Date.now() < deadline, "the control write's SIGPIPE reached the handler within 10 s");
        await new Promise((r) => setImmediate(r));
      }
      await turn();
      assert.equal(sigpipes, 1, "only the control write raised SIGPIPE");
      a.close();
      c.close();
    } finally {
      process.off("SIGPIPE", onSigpipe);
    }
  });
});

describe("flags that change how a call waits", () => {
  test("MSG_DONTWAIT: recv and send reject EAGAIN at once instead of waiting", async () => {
    const [a, b] = socketpair("unix", "seqpacket");
    await rejectsSys(a.recv(100, { flags: MSG.DONTWAIT }), "EAGAIN", "recv");
    await b.send("x");
    assert.equal((await a.recv(100, { flags: MSG.DONTWAIT })).toString(), "x");
    a.close();
    b.close();
  });

  test("an error-queue read neither spins nor holds up ordinary reads queued after it", async () => {
    const rx = new Socket("inet", "dgram");
    rx.bind("127.0.0.1:0");
    rx.setsockopt("IPPROTO_IP", "IP_RECVERR", true);
    const tx = new Socket("inet", "dgram");
    const errq = rx.recv(512, { flags: MSG.ERRQUEUE });
    const ordinary = rx.recv(100);
    await tx.sendto("plain", rx.getsockname());
    // Ordinary data makes the socket readable; the error-queue read (first in
    // line) still has nothing, and must not keep the ordinary read waiting.
    assert.equal((await within(ordinary, "ordinary recv after an error-queue recv")).toString(), "plain");
    assert.equal(await isPending(errq), true, "the error queue is still empty");
    rx.close();
    await assert.rejects(errq, { code: "ERR_SOCKET_CLOSED" });
    tx.close();
  });

  test("MSG_OOB: the urgent byte is read apart from the ordinary data", async () => {
    const srv = new Socket("inet", "stream");
    srv.bind("127.0.0.1:0");
    srv.listen();
    const c = new Socket("inet", "stream");
    const [conn] = await Promise.all([srv.accept(), c.connect(srv.getsockname())]);
    await c.send("plain");
    await c.send("!", { flags: MSG.OOB });
    assert.equal((await within(conn.recv(100), "ordinary data")).toString(), "plain");
    assert.equal((await within(conn.recv(1, { flags: MSG.OOB }), "urgent byte")).toString(), "!");
    for (const s of [srv, c, conn]) s.close();
  });
});

test("messages() on seqpacket ends when the peer closes (EOF), after every message", async () => {
  const [a, b] = socketpair("unix", "seqpacket");
  await a.send("one");
  await a.send("two");
  a.close();
  const got: string[] = [];
  for await (const m of b.messages()) got.push(m.data.toString());
  assert.deepEqual(got, ["one", "two"]);
  b.close();
});

test("messages(): next() calls made before the previous settled are served in call order; return() ends it", async () => {
  const [a, b] = socketpair("unix", "dgram");
  const it = b.messages({ size: 64 });
  // Five receives asked for at once, before anything arrived.
  const pending = [0, 1, 2, 3, 4].map(() => it.next());
  for (let i = 0; i < 7; i++) await a.send(`m${i}`);
  const got = await Promise.all(pending);
  assert.deepEqual(
    got.map((r) => (r.done ? "done" : r.value.data.toString())),
    ["m0", "m1", "m2", "m3", "m4"],
  );
  // One sender, one frozen address object shared by its datagrams.
  assert.ok(!got[0]!.done && !got[1]!.done);
  assert.equal(got[0]!.value.address, got[1]!.value.address);
  assert.ok(Object.isFrozen(got[0]!.value.address));
  const sixth = await it.next();
  assert.equal(sixth.done ? "done" : sixth.value.data.toString(), "m5");
  assert.deepEqual(await it.return(), { value: undefined, done: true });
  assert.deepEqual(await it.next(), { value: undefined, done: true });
  // m6 came in the same recvmmsg batch: it went with the iterator (documented).
  await a.send("after");
  assert.equal((await b.recv(64)).toString(), "after");
  a.close();
  b.close();
});

test("messages(): return() or throw() made while a next() waits is served after it, as by an async generator", async () => {
  const [a, b] = track(socketpair("unix", "dgram"));
  const it = b.messages({ size: 64 });
  const order: string[] = [];
  const first = it.next().then((r) => (order.push("next"), r));
  const ended = it.return().then((r) => (order.push("return"), r));
  await turn();
  assert.equal(await isPending(ended), true, "return() waits for the pending next()");
  await a.send("m0");
  // The datagram the pending next() received is handed to it, not dropped.
  const r = await within(first, "pending next()");
  assert.equal(r.done ? "done" : r.value.data.toString(), "m0");
  assert.deepEqual(await within(ended, "return()"), { value: undefined, done: true });
  assert.deepEqual(order, ["next", "return"]);
  assert.deepEqual(await it.next(), { value: undefined, done: true });

  const it2 = b.messages({ size: 64 });
  const second = it2.next();
  const reason = new Error("stop");
  const thrown = it2.throw(reason);
  thrown.catch(() => {});
  await a.send("m1");
  const r2 = await within(second, "pending next()");
  assert.equal(r2.done ? "done" : r2.value.data.toString(), "m1");
  await assert.rejects(within(thrown, "throw()"), (e) => e === reason);
  assert.deepEqual(await it2.next(), { value: undefined, done: true });
  a.close();
  b.close();
});

test("messages(): an abort rejects the pending next() with AbortError; next() calls queued behind it and after are done", async () => {
  const [a, b] = track(socketpair("unix", "dgram"));
  const ac = new AbortController();
  const it = b.messages({ size: 64, signal: ac.signal });
  const first = it.next();
  const second = it.next();
  await turn();
  ac.abort("enough");
  await rejectsAbort(first, "enough");
  assert.deepEqual(await within(second, "queued next()"), { value: undefined, done: true });
  assert.deepEqual(await it.next(), { value: undefined, done: true });
  // The iterator took nothing: a datagram sent now is still there.
  await a.send("kept");
  assert.equal((await within(b.recv(64), "recv")).toString(), "kept");
  a.close();
  b.close();
});
