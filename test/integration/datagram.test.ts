/**
 * The event face (DatagramSocket, issue 18) on real sockets: Unix datagram
 * and seqpacket, UDP against Node's own dgram, CPython's socket module as a
 * peer, ICMP echo over a raw socket; ordering under EAGAIN backpressure,
 * close with queued sends, errors as 'error' events, ref/unref in a child
 * process, fd accounting, and bad input refused at once.
 */
import assert from "node:assert/strict";
import nodeDgram from "node:dgram";
import { once } from "node:events";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { DatagramSocket, Socket, createDatagramSocket, dgram, socketpair, type RemoteInfo } from "../../src/index.js";
import { hasCap, CAP_NET_RAW, nodeScript, python, tempDir, within, newFds, openFds } from "../helpers.js";

const dir = tempDir("sockit-dgram-");
after(dir.cleanup);
let seq = 0;
const path = (tag: string): string => join(dir.path, `${tag}-${seq++}.sock`);

/** The next `n` messages of `s`, with their senders. */
function messages(s: DatagramSocket, n: number): Promise<{ data: Buffer; rinfo: RemoteInfo }[]> {
  const got: { data: Buffer; rinfo: RemoteInfo }[] = [];
  return within(
    new Promise((resolve) => {
      const on = (data: Buffer, rinfo: RemoteInfo): void => {
        got.push({ data: Buffer.from(data), rinfo });
        if (got.length === n) {
          s.off("message", on);
          resolve(got);
        }
      };
      s.on("message", on);
    }),
    `${n} messages`,
  );
}

/** Closes each of them. */
function closeAll(...socks: { close(): unknown }[]): void {
  for (const s of socks) s.close();
}

describe("DatagramSocket over Unix datagram sockets", () => {
  test("'message' carries the data and the sender's path; send forms and callbacks", async () => {
    const a = dgram.createSocket("unix-dgram");
    const b = createDatagramSocket("unix_dgram");
    const pa = path("a");
    const pb = path("b");
    await new Promise<void>((resolve) => a.bind(pa, resolve));
    b.bind(pb);
    await once(b, "listening");
    assert.deepEqual(a.address(), { path: pa });
    const got = messages(a, 3);
    const sent: unknown[] = [];
    let sync = true;
    b.send("hello", pa, (err, n) => sent.push([err, n, sync]));
    b.send(Buffer.from("xxworldxx"), 2, 5, pa);
    b.send([Buffer.from("a"), "b", new Uint8Array([99])], { family: "unix", path: pa });
    sync = false;
    const m = await got;
    assert.deepEqual(
      m.map((x) => x.data.toString()),
      ["hello", "world", "abc"],
    );
    assert.deepEqual(m[0]!.rinfo, { path: pb, size: 5 });
    // node:dgram's contract: the callback of a send made at once runs later, with (null, bytes).
    assert.deepEqual(sent, [[null, 5, false]]);
    // Replying to the rinfo itself works too.
    const back = messages(b, 1);
    a.send("re", m[0]!.rinfo);
    assert.equal((await back)[0]!.data.toString(), "re");
    closeAll(a, b);
    await once(b, "close");
  });

  test("a connected pair: send(msg) without an address, remoteAddress, zero-length datagrams", async () => {
    const [x, y] = socketpair("unix", "dgram");
    const a = new DatagramSocket(x);
    const b = new DatagramSocket(y);
    const got = messages(b, 2);
    assert.equal(a.send(Buffer.alloc(0)), true);
    a.send("z");
    const m = await got;
    assert.deepEqual(
      m.map((d) => [d.data.length, d.rinfo]),
      [
        [0, { path: "", size: 0 }],
        [1, { path: "", size: 1 }],
      ],
    );
    assert.deepEqual(a.remoteAddress(), { path: "" });
    closeAll(a, b);
  });

  test("ordering under EAGAIN: every datagram arrives once, in call order; send() returns false and 'drain' follows", async () => {
    const [x, y] = socketpair("unix", "dgram");
    const a = new DatagramSocket(x);
    const N = 3000;
    const MORE = 500;
    const results: boolean[] = [];
    const callbacks: number[] = [];
    let drains = 0;
    a.on("drain", () => drains++);
    // Every send carries the number of its call; the first MORE callbacks each
    // make one more send, from inside the flush of the queue (the socket then
    // has room, and the new send must still wait behind the queued ones).
    let next = 0;
    const send = (): boolean => {
      const i = next++;
      const buf = Buffer.alloc(32);
      buf.writeUInt32BE(i, 0);
      return a.send(buf, (err) => {
        callbacks.push(err ? -1 : i);
        if (i < MORE) send();
      });
    };
    for (let i = 0; i < N; i++) results.push(send());
    // The peer reads nothing yet: its queue fills at once.
    const firstQueued = results.indexOf(false);
    assert.ok(
      firstQueued > 0 && firstQueued < N,
      `some sends went at once, the rest queued (first queued: ${firstQueued})`,
    );
    assert.ok(
      results.slice(firstQueued).every((r) => r === false),
      "once one waits, every later send waits behind it",
    );
    assert.equal(a.getSendQueueCount(), N - firstQueued);
    assert.equal(a.getSendQueueSize(), (N - firstQueued) * 32);
    // Now the receiver starts reading (wrapping it starts the reader).
    const b = new DatagramSocket(y);
    const m = await messages(b, N + MORE);
    assert.deepEqual(
      m.map((d) => d.data.readUInt32BE(0)),
      Array.from({ length: N + MORE }, (_, i) => i),
    );
    await within(
      (async () => {
        while (drains === 0) await once(a, "drain");
      })(),
      "drain",
    );
    assert.equal(drains, 1);
    assert.deepEqual(
      callbacks,
      Array.from({ length: N + MORE }, (_, i) => i),
    );
    assert.equal(a.getSendQueueCount(), 0);
    closeAll(a, b);
  });

  test("an unconnected sender to a full peer queues, backs off, and delivers every datagram in order", async () => {
    // Unconnected: the receiver's queue (net.unix.max_dgram_qlen) is the limit,
    // and the sender's readiness does not follow it (see #writable's back-off).
    const rp = path("full");
    const r = new Socket("unix", "dgram");
    r.bind(rp);
    const a = dgram.createSocket("unix-dgram");
    const N = 300;
    let waited = 0;
    for (let i = 0; i < N; i++) {
      const buf = Buffer.alloc(8);
      buf.writeUInt32BE(i, 0);
      if (!a.send(buf, rp)) waited++;
    }
    assert.ok(waited > 0, "the peer's queue filled");
    const b = new DatagramSocket(r);
    const m = await messages(b, N);
    assert.deepEqual(
      m.map((d) => d.data.readUInt32BE(0)),
      Array.from({ length: N }, (_, i) => i),
    );
    closeAll(a, b);
  });

  test("close() with queued sends: their callbacks get ERR_SOCKET_CLOSED, then 'close'; no 'drain'", async () => {
    const [x, y] = socketpair("unix", "dgram");
    const a = new DatagramSocket(x);
    const errors: string[] = [];
    const onSent = (err: Error | null): void => {
      if (err) errors.push((err as { code?: string }).code ?? "?");
    };
    // Fill the peer (which reads nothing) until a send has to wait, then queue 50 more.
    for (let i = 0; i < 100_000 && a.send(Buffer.alloc(8), onSent); i++);
    let queued = 1;
    for (let i = 0; i < 50; i++, queued++) assert.equal(a.send(Buffer.alloc(8), onSent), false);
    assert.equal(a.getSendQueueCount(), queued);
    let drained = false;
    a.on("drain", () => (drained = true));
    const order: string[] = [];
    a.close(() => order.push("close cb"));
    assert.equal(a.closed, true);
    assert.throws(() => a.send("x"), { code: "ERR_SOCKET_CLOSED" });
    await once(a, "close");
    assert.equal(errors.length, queued);
    assert.ok(errors.every((c) => c === "ERR_SOCKET_CLOSED"));
    assert.deepEqual(order, ["close cb"]);
    assert.equal(drained, false);
    a.close(); // idempotent
    y.close();
  });

  test("kernel errors go to 'error' (no callback) or to the callback", async () => {
    const a = dgram.createSocket("unix-dgram");
    a.bind(path("e"));
    const missing = path("missing");
    a.send("x", missing);
    const [err] = (await within(once(a, "error"), "error event")) as [NodeJS.ErrnoException];
    assert.equal(err.code, "ENOENT");
    assert.equal(err.syscall, "sendto");
    const viaCb = await new Promise<NodeJS.ErrnoException | null>((resolve) => a.send("x", missing, resolve));
    assert.equal(viaCb?.code, "ENOENT");
    // bind to a path in use: 'error', not a throw.
    const b = dgram.createSocket("unix-dgram");
    b.bind((a.address() as { path: string }).path);
    const [bindErr] = (await within(once(b, "error"), "bind error")) as [NodeJS.ErrnoException];
    assert.equal(bindErr.code, "EADDRINUSE");
    closeAll(a, b);
  });

  test("a datagram longer than recvSize arrives cut, with rinfo.truncated and its real size", async () => {
    const [x, y] = socketpair("unix", "dgram");
    const b = new DatagramSocket(y, { recvSize: 16, recvBatch: 4 });
    const got = messages(b, 1);
    x.send(Buffer.alloc(100, 7));
    const [m] = await got;
    assert.equal(m!.data.length, 16);
    assert.deepEqual(m!.rinfo, { path: "", size: 100, truncated: true });
    closeAll(x, b);
  });

  test("datagrams queued before the reader starts come out in order, many per wakeup", async () => {
    const [x, y] = socketpair("unix", "dgram");
    y.setsockopt("SOL_SOCKET", "SO_RCVBUF", 1 << 20);
    for (let i = 0; i < 10; i++) await x.send(Buffer.from([i]));
    const b = new DatagramSocket(y, { recvBatch: 3 });
    const m = await messages(b, 10);
    assert.deepEqual(
      m.map((d) => d.data[0]),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    closeAll(x, b);
  });
});

describe("DatagramSocket over Unix seqpacket sockets", () => {
  test("connect, echo through a sockit listener, and 'end' then 'close' when the peer closes", async () => {
    const l = new Socket("unix", "seqpacket");
    const p = path("seq");
    l.bind(p);
    l.listen();
    const c = dgram.createSocket("unix-seqpacket");
    const connected = new Promise<void>((resolve, reject) => c.connect(p, (err) => (err ? reject(err) : resolve())));
    const srv = new DatagramSocket(await l.accept());
    srv.on("message", (b) => srv.send(b));
    await connected;
    const got = messages(c, 2);
    c.send("one");
    c.send("two");
    assert.deepEqual(
      (await got).map((m) => m.data.toString()),
      ["one", "two"],
    );
    const ended = once(srv, "end");
    const closed = once(srv, "close");
    c.close();
    await within(Promise.all([ended, closed]), "end and close");
    assert.equal(srv.closed, true);
    l.close();
  });
});

describe("DatagramSocket over UDP, against node:dgram", () => {
  test("both directions: rinfo shaped as node:dgram's, send(msg, port, address), connect/disconnect", async () => {
    const n = nodeDgram.createSocket("udp4");
    await new Promise<void>((resolve) => n.bind(0, "127.0.0.1", resolve));
    const nport = n.address().port;
    const s = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => s.bind(0, resolve)); // loopback by default
    const mine = s.address() as { address: string; family: string; port: number };
    assert.equal(mine.address, "127.0.0.1");
    assert.equal(mine.family, "IPv4");
    const nodeGot = new Promise<[Buffer, nodeDgram.RemoteInfo]>((resolve) =>
      n.once("message", (m, r) => resolve([m, r])),
    );
    s.send("to node", nport, "127.0.0.1");
    const [nm, nr] = await within(nodeGot, "node:dgram receives");
    assert.equal(nm.toString(), "to node");
    assert.deepEqual(nr, { address: "127.0.0.1", family: "IPv4", port: mine.port, size: 7 });
    const got = messages(s, 1);
    n.send("to sockit", nr.port, nr.address);
    const [m] = await got;
    assert.equal(m!.data.toString(), "to sockit");
    assert.deepEqual(m!.rinfo, { address: "127.0.0.1", family: "IPv4", port: nport, size: 9 });
    // Connected: send(msg) only; remoteAddress as node's.
    await new Promise<void>((resolve, reject) => s.connect(nport, "127.0.0.1", (e) => (e ? reject(e) : resolve())));
    assert.deepEqual(s.remoteAddress(), { address: "127.0.0.1", family: "IPv4", port: nport });
    const again = new Promise<Buffer>((resolve) => n.once("message", resolve));
    s.send(Buffer.from("connected"));
    assert.equal((await within(again, "connected send")).toString(), "connected");
    s.disconnect();
    assert.throws(() => s.remoteAddress(), { code: "ENOTCONN" });
    closeAll(s, n);
  });

  test("udp6, options that map to socket options, and ECONNREFUSED on a connected socket as 'error'", async () => {
    const s = dgram.createSocket({ type: "udp6", recvBufferSize: 65536, ipv6Only: true });
    s.bind(0);
    await once(s, "listening");
    assert.equal((s.address() as { address: string }).address, "::1");
    assert.ok(s.getRecvBufferSize() >= 65536);
    s.setSendBufferSize(65536);
    assert.ok(s.getSendBufferSize() >= 65536);
    assert.equal(s.setTTL(7), 7);
    assert.equal(s.socket.getsockopt("IPPROTO_IPV6", "IPV6_UNICAST_HOPS"), 7);
    s.setMulticastTTL(3);
    s.setMulticastLoopback(false);
    s.setBroadcast(true);
    // A port nobody listens on: the kernel's ICMP error reaches the connected socket's receive.
    const closed = nodeDgram.createSocket("udp6");
    await new Promise<void>((resolve) => closed.bind(0, "::1", resolve));
    const deadPort = closed.address().port;
    closed.close();
    await new Promise<void>((resolve, reject) => s.connect(deadPort, "::1", (e) => (e ? reject(e) : resolve())));
    s.send("anyone?");
    const [err] = (await within(once(s, "error"), "ECONNREFUSED")) as [NodeJS.ErrnoException];
    assert.equal(err.code, "ECONNREFUSED");
    s.close();
  });

  test("multicast membership on loopback (IP_ADD_MEMBERSHIP / IP_DROP_MEMBERSHIP)", () => {
    const s = dgram.createSocket({ type: "udp4", reuseAddr: true });
    s.bind(0, "0.0.0.0");
    s.addMembership("239.255.0.1", "127.0.0.1");
    assert.throws(() => s.addMembership("239.255.0.1", "127.0.0.1"), { code: "EADDRINUSE" });
    s.setMulticastInterface("127.0.0.1");
    assert.equal(s.socket.getsockopt("IPPROTO_IP", "IP_MULTICAST_IF"), "127.0.0.1");
    s.dropMembership("239.255.0.1", "127.0.0.1");
    assert.throws(() => s.addMembership("not-an-ip"), { code: "ERR_INVALID_ADDRESS" });
    s.close();
  });
});

describe("DatagramSocket against CPython", () => {
  test("unix dgram: Python sends, sockit replies to its path", async () => {
    const p = path("py-d");
    const q = path("py-c");
    const s = dgram.createSocket("unix-dgram");
    s.bind(p);
    s.on("message", (b, r) => s.send(Buffer.concat([Buffer.from("echo:"), b]), (r as { path: string }).path));
    const py = python(
      `
import socket, sys
c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
c.bind(sys.argv[2])
for i in range(5):
    c.sendto(b"m%d" % i, sys.argv[1])
    print(c.recv(100).decode(), flush=True)
`,
      p,
      q,
    );
    const lines = [];
    for (let i = 0; i < 5; i++) lines.push(await py.line());
    assert.deepEqual(lines, ["echo:m0", "echo:m1", "echo:m2", "echo:m3", "echo:m4"]);
    await py.exited;
    s.close();
  });

  test("unix seqpacket: a Python listener, message boundaries kept both ways", async () => {
    const p = path("py-s");
    const py = python(
      `
import socket, sys
l = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
l.bind(sys.argv[1]); l.listen(1)
print("ready", flush=True)
c, _ = l.accept()
while True:
    m = c.recv(65536)
    if not m: break
    c.send(m[::-1])
print("eof", flush=True)
`,
      p,
    );
    assert.equal(await py.line(), "ready");
    const c = dgram.createSocket("unix-seqpacket");
    c.connect(p);
    await once(c, "connect");
    const got = messages(c, 3);
    for (const m of ["abc", "hello", "x".repeat(5000)]) c.send(m);
    assert.deepEqual(
      (await got).map((m) => m.data.toString()),
      ["cba", "olleh", "x".repeat(5000)],
    );
    c.close();
    assert.equal(await py.line(), "eof");
    await py.exited;
  });
});

describe("DatagramSocket over other families", () => {
  test(
    "ICMP echo over a raw socket: the kernel's reply arrives as 'message'",
    { skip: !hasCap(CAP_NET_RAW) && "needs CAP_NET_RAW" },
    async () => {
      const s = new DatagramSocket(new Socket("inet", "raw", "icmp"));
      const req = Buffer.alloc(16);
      req[0] = 8; // echo request
      req.writeUInt16BE(0x5eed, 4);
      req.writeUInt16BE(1, 6);
      let sum = 0;
      for (let i = 0; i < req.length; i += 2) sum += req.readUInt16BE(i);
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
      req.writeUInt16BE(~sum & 0xffff, 2);
      const reply = within(
        new Promise<[Buffer, RemoteInfo]>((resolve) => {
          s.on("message", (b, r) => {
            const ihl = (b[0]! & 0x0f) * 4;
            if (b[ihl] === 0 && b.readUInt16BE(ihl + 4) === 0x5eed) resolve([b, r]);
          });
        }),
        "echo reply",
      );
      s.send(req, "127.0.0.1:0");
      const [, r] = await reply;
      assert.deepEqual(r, { address: "127.0.0.1", family: "IPv4", port: 0, size: 36 });
      s.close();
    },
  );
});

describe("DatagramSocket lifetime", () => {
  test("ref keeps the process alive while open, unref lets it exit", async () => {
    const src = (unref: boolean): string => `
import { dgram } from "{{ENTRY}}";
const s = dgram.createSocket("unix-dgram");
s.bind(process.argv[2] ?? "${path("ref")}-" + process.pid);
${unref ? "s.unref();" : ""}
s.on("message", (m) => { console.log("got " + m); s.close(); });
s.on("listening", () => console.log("ready " + s.address().path));
`;
    // unref: the process exits on its own with the socket open.
    const u = nodeScript(src(true));
    assert.match(await u.line(), /^ready /);
    const ue = await within(u.exited, "the unref'd child exits");
    assert.equal(ue.code, 0, ue.stderr);
    // ref (the default): the process waits, and it is still there to receive a datagram.
    const r = nodeScript(src(false));
    const m = /^ready (.*)$/.exec(await r.line())!;
    const t = dgram.createSocket("unix-dgram");
    t.send("hi", m[1]!);
    assert.equal(await r.line(), "got hi");
    const re = await within(r.exited, "the child exits after close()");
    assert.equal(re.code, 0, re.stderr);
    t.close();
  });

  test("no fd leak: sockets created, used, wrapped, closed with queued sends", async () => {
    const before = openFds();
    for (let i = 0; i < 20; i++) {
      const [x, y] = socketpair("unix", "dgram");
      const a = new DatagramSocket(x);
      for (let k = 0; k < 40; k++) a.send(Buffer.alloc(16), () => {});
      const u = dgram.createSocket("udp4");
      u.bind(0);
      const q = dgram.createSocket("unix-seqpacket");
      closeAll(a, u, q);
      y.close();
      await once(a, "close");
    }
    assert.deepEqual(newFds(before), []);
  });

  test("bad input throws ERR_* at once, and changes nothing", async () => {
    const u = dgram.createSocket("udp4");
    const errors: unknown[] = [];
    u.on("error", (e) => errors.push(e));
    // What a JavaScript caller can pass whatever the types say.
    const loose = u as unknown as { send(...a: unknown[]): boolean; bind(...a: unknown[]): unknown };
    assert.throws(() => loose.send(123), { code: "ERR_INVALID_ARG_TYPE" });
    assert.throws(() => u.send(Buffer.alloc(4), 3, 5, 9), { code: "ERR_OUT_OF_RANGE" });
    assert.throws(() => u.send(Buffer.alloc(4), 70000, "127.0.0.1"), { code: "ERR_OUT_OF_RANGE" });
    assert.throws(() => u.send(Buffer.alloc(4), 9, "example.com"), { code: "ERR_INVALID_ADDRESS" });
    assert.throws(() => loose.send(Buffer.alloc(4), 9, "127.0.0.1", "nope"), { code: "ERR_INVALID_ARG_TYPE" });
    assert.throws(() => u.bind(-1), { code: "ERR_OUT_OF_RANGE" });
    assert.throws(() => loose.bind(0, "127.0.0.1", 5), { code: "ERR_INVALID_ARG_TYPE" });
    assert.throws(() => u.close(5 as unknown as () => void), { code: "ERR_INVALID_ARG_TYPE" });
    assert.throws(() => u.setRecvBufferSize(-1), { code: "ERR_OUT_OF_RANGE" });
    assert.throws(() => u.setTTL(0), { code: "ERR_OUT_OF_RANGE" });
    assert.throws(() => dgram.createSocket("tcp" as "udp4"), { code: "ERR_SOCKET_BAD_TYPE" });
    assert.throws(() => new DatagramSocket(new Socket("inet", "stream")), { code: "ERR_SOCKET_BAD_TYPE" });
    assert.throws(() => new DatagramSocket({} as Socket), { code: "ERR_INVALID_ARG_TYPE" });
    const [x, y] = socketpair("unix", "dgram");
    assert.throws(() => new DatagramSocket(x, { recvSize: 0 }), { code: "ERR_OUT_OF_RANGE" });
    assert.throws(() => new DatagramSocket(x, { recvBatch: 5000 }), { code: "ERR_OUT_OF_RANGE" });
    // Nothing changed: the socket is unbound, open, and no error was emitted.
    assert.deepEqual(u.address(), { address: "0.0.0.0", family: "IPv4", port: 0 });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(errors, []);
    assert.equal(u.closed, false);
    closeAll(u, x, y);
  });
});
