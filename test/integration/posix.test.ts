/**
 * posix: the synchronous calls on fd numbers, against the real kernel.
 *
 * Calls that block are only made where they cannot block for long (the data
 * is already there), or in a worker thread / child process, so the test's own
 * event loop never stops; every such test has a hard timeout and a way to
 * unblock or kill what it started. Every test checks that /proc/self/fd holds
 * as many fds at its end as at its start.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeSync, constants as fsc } from "node:fs";
import { isIP } from "node:net";
import { constants as osConstants, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { test } from "node:test";
import { Worker } from "node:worker_threads";
import { AF, FCNTL, IOCTL, LIMITS, MSG, POLL, SHUT, SO, SOCK, SOL, SocketError, posix } from "../../src/index.js";
import { newFds, openFds, throwsSys } from "../helpers.js";

const ERRNO_EOPNOTSUPP = osConstants.errno.EOPNOTSUPP;
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const INDEX_URL = pathToFileURL(join(ROOT, "src/index.ts")).href;

/** Runs a test body and asserts that it left no fd behind. */
function leakFree(body: () => void | Promise<void>): () => Promise<void> {
  return async () => {
    const before = openFds();
    await body();
    // Worker threads and child pipes release their fds a moment after they end.
    for (let i = 0; i < 50 && newFds(before).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(newFds(before), [], "fds left open");
  };
}

/** Expects `fn` to throw a coded TypeError/RangeError. */
function throwsCoded(fn: () => unknown, Ctor: typeof TypeError | typeof RangeError, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof Ctor && (e as { code?: string }).code === code);
}

function isBlocking(fd: number): boolean {
  return (posix.fcntl(fd, FCNTL.F_GETFL!) & FCNTL.O_NONBLOCK!) === 0;
}

function isCloexec(fd: number): boolean {
  return (posix.fcntl(fd, FCNTL.F_GETFD!) & FCNTL.FD_CLOEXEC!) !== 0;
}

function port(fd: number): number {
  const a = posix.getsockname(fd);
  assert.ok(a.family === "inet" || a.family === "inet6");
  return a.port;
}

/** A blocking TCP listener on 127.0.0.1 and a connected, accepted pair. */
function tcpPair(): { listener: number; client: number; server: number; close(): void } {
  const listener = posix.socket(AF.INET, SOCK.STREAM, 0);
  posix.bind(listener, "127.0.0.1:0");
  posix.listen(listener, 8);
  const client = posix.socket(AF.INET, SOCK.STREAM, 0);
  posix.connect(client, { family: "inet", address: "127.0.0.1", port: port(listener) });
  const { fd: server } = posix.accept(listener); // the connection is already queued: returns at once
  return {
    listener,
    client,
    server,
    close() {
      for (const fd of [client, server, listener]) posix.close(fd);
    },
  };
}

function ipv6Available(): boolean {
  const fd = posix.socket(AF.INET6, SOCK.DGRAM, 0);
  try {
    posix.bind(fd, "[::1]:0");
    return true;
  } catch {
    return false;
  } finally {
    posix.close(fd);
  }
}

// ---------------------------------------------------------------------------
// Round trips.

test(
  "TCP over loopback: socket, bind, listen, connect, accept, send, recv, shutdown, close",
  leakFree(() => {
    const listener = posix.socket(AF.INET, SOCK.STREAM, 0);
    assert.ok(isBlocking(listener), "posix.socket makes a blocking socket");
    assert.ok(isCloexec(listener), "and a close-on-exec one");
    posix.bind(listener, "127.0.0.1:0");
    posix.listen(listener, 8);
    const p = port(listener);
    assert.ok(p > 0);

    const client = posix.socket("inet", "stream", "tcp");
    posix.connect(client, `127.0.0.1:${p}`);
    const { fd: server, address } = posix.accept(listener);
    assert.ok(isBlocking(server), "the accepted fd is blocking");
    assert.ok(isCloexec(server));
    assert.deepEqual(address, posix.getsockname(client));
    assert.deepEqual(posix.getpeername(client), { family: "inet", address: "127.0.0.1", port: p });
    assert.deepEqual(posix.getpeername(server), posix.getsockname(client));

    assert.equal(posix.send(client, "hello, server", 0), 13);
    assert.equal(posix.recv(server, 100, 0).toString(), "hello, server");
    assert.equal(posix.send(server, new Uint8Array([1, 2, 3])), 3);
    assert.deepEqual([...posix.recv(client, 100)], [1, 2, 3]);

    // MSG_PEEK leaves the data queued; FIONREAD counts it.
    posix.send(client, Buffer.from("peekaboo"));
    assert.equal(posix.ioctl(server, IOCTL.FIONREAD), 8);
    assert.equal(posix.recv(server, 4, MSG.PEEK).toString(), "peek");
    assert.equal(posix.recv(server, 100).toString(), "peekaboo");

    // recvfrom on a connected TCP socket: the kernel reports no address.
    posix.send(server, "x");
    const r = posix.recvfrom(client, 10);
    assert.equal(r.data.toString(), "x");
    assert.equal(r.address, null);

    posix.shutdown(client, SHUT.WR);
    assert.equal(posix.recv(server, 100).length, 0, "EOF after the peer's shutdown(SHUT_WR)");
    posix.shutdown(server, "both");
    for (const fd of [client, server, listener]) posix.close(fd);
  }),
);

test(
  "TCP over IPv6 loopback",
  { skip: !ipv6Available() && "no IPv6 loopback on this machine" },
  leakFree(() => {
    const listener = posix.socket(AF.INET6, SOCK.STREAM, 0);
    posix.bind(listener, "[::1]:0");
    posix.listen(listener);
    const client = posix.socket(AF.INET6, SOCK.STREAM, 0);
    posix.connect(client, { family: "inet6", address: "::1", port: port(listener) });
    const { fd: server, address } = posix.accept(listener);
    assert.equal(address.family, "inet6");
    assert.equal((address as { address: string }).address, "::1");
    posix.send(client, "v6");
    assert.equal(posix.recv(server, 10).toString(), "v6");
    for (const fd of [client, server, listener]) posix.close(fd);
  }),
);

test(
  "UDP over loopback: sendto/recvfrom in both call forms, sender address, truncation",
  leakFree(() => {
    const a = posix.socket(AF.INET, SOCK.DGRAM, 0);
    const b = posix.socket(AF.INET, SOCK.DGRAM, 0);
    posix.bind(a, "127.0.0.1:0");
    posix.bind(b, { family: "inet", address: "127.0.0.1", port: 0 });
    const aAddr = posix.getsockname(a);

    assert.equal(posix.sendto(b, "one", 0, aAddr), 3);
    assert.equal(posix.sendto(b, Buffer.from("two"), `127.0.0.1:${port(a)}`), 3);
    const m1 = posix.recvfrom(a, 100, 0);
    assert.equal(m1.data.toString(), "one");
    assert.deepEqual(m1.address, posix.getsockname(b));
    assert.equal(m1.size, 3);
    assert.equal(posix.recvfrom(a, 100).data.toString(), "two");

    // A datagram longer than the buffer is cut, as in C; MSG_TRUNC gives its real length.
    posix.sendto(b, Buffer.alloc(50, 7), aAddr);
    posix.sendto(b, Buffer.alloc(50, 8), aAddr);
    const cut = posix.recv(a, 10);
    assert.equal(cut.length, 10);
    const trunc = posix.recvfrom(a, 10, MSG.TRUNC);
    assert.equal(trunc.data.length, 10);
    assert.equal(trunc.size, 50);

    // connect() on a datagram socket sets the default destination.
    posix.connect(b, aAddr);
    posix.send(b, "connected");
    assert.equal(posix.recv(a, 100).toString(), "connected");

    // Empty datagrams exist: recv returns an empty Buffer (not EOF).
    posix.send(b, Buffer.alloc(0));
    assert.equal(posix.recvfrom(a, 100).data.length, 0);
    posix.close(a);
    posix.close(b);
  }),
);

test(
  "Unix sockets: path names, abstract names, unnamed senders, socketpair",
  leakFree(() => {
    const dir = mkdtempSync(join(tmpdir(), "sockit-posix-"));
    try {
      // Stream over a path name.
      const path = join(dir, "s.sock");
      const listener = posix.socket(AF.UNIX, SOCK.STREAM, 0);
      posix.bind(listener, path);
      posix.listen(listener, 4);
      assert.deepEqual(posix.getsockname(listener), { family: "unix", path });
      const client = posix.socket("unix", "stream");
      posix.connect(client, { family: "unix", path });
      const { fd: server, address } = posix.accept(listener);
      assert.deepEqual(address, { family: "unix", path: "" }, "an unbound client is unnamed");
      posix.send(client, "over a path");
      assert.equal(posix.recv(server, 100).toString(), "over a path");
      for (const fd of [client, server, listener]) posix.close(fd);

      // Datagrams in the abstract namespace, from an unnamed sender.
      const name = `@sockit-posix-test-${process.pid}`;
      const rx = posix.socket(AF.UNIX, SOCK.DGRAM, 0);
      posix.bind(rx, name);
      assert.deepEqual(posix.getsockname(rx), { family: "unix", path: `\0sockit-posix-test-${process.pid}` });
      const tx = posix.socket(AF.UNIX, SOCK.DGRAM, 0);
      posix.sendto(tx, "abstract", name);
      const got = posix.recvfrom(rx, 100);
      assert.equal(got.data.toString(), "abstract");
      assert.deepEqual(got.address, { family: "unix", path: "" });
      // A relative string is a path for a Unix socket (the family comes from SO_DOMAIN).
      throwsSys(() => posix.sendto(tx, "x", "no-such-dir/none.sock"), "ENOENT", "sendto");
      posix.close(rx);
      posix.close(tx);

      // socketpair: seqpacket keeps message boundaries.
      const [x, y] = posix.socketpair(AF.UNIX, SOCK.SEQPACKET, 0);
      assert.ok(isBlocking(x) && isBlocking(y));
      assert.ok(isCloexec(x) && isCloexec(y));
      posix.send(x, "first");
      posix.send(x, "2");
      posix.send(x, Buffer.alloc(3000, 1));
      assert.equal(posix.recv(y, 65536).toString(), "first");
      assert.equal(posix.recv(y, 65536).toString(), "2");
      assert.equal(posix.recv(y, 65536).length, 3000);
      posix.close(x);
      assert.equal(posix.recv(y, 100).length, 0, "EOF once the peer is closed");
      posix.close(y);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }),
);

test(
  "getsockopt/setsockopt go through the option table",
  leakFree(() => {
    const fd = posix.socket(AF.INET, SOCK.STREAM, 0);
    try {
      assert.equal(posix.getsockopt(fd, "SOL_SOCKET", "SO_TYPE"), SOCK.STREAM);
      assert.equal(posix.getsockopt(fd, SOL.SOCKET, SO.DOMAIN), AF.INET);
      const before = posix.getsockopt(fd, "SOL_SOCKET", "SO_REUSEADDR");
      assert.ok(!before);
      posix.setsockopt(fd, "SOL_SOCKET", "SO_REUSEADDR", 1);
      assert.ok(posix.getsockopt(fd, "SOL_SOCKET", "SO_REUSEADDR"));
      posix.setsockopt(fd, "IPPROTO_TCP", "TCP_NODELAY", true);
      assert.ok(posix.getsockopt(fd, "IPPROTO_TCP", "TCP_NODELAY"));
      throwsSys(() => posix.getsockopt(fd, SOL.SOCKET, 0x7fff), "ENOPROTOOPT", "getsockopt");
    } finally {
      posix.close(fd);
    }
  }),
);

// ---------------------------------------------------------------------------
// Blocking and non-blocking.

test(
  "SOCK.NONBLOCK: calls that would block throw SocketError EAGAIN / EINPROGRESS, as C returns -1",
  leakFree(() => {
    const listener = posix.socket(AF.INET, SOCK.STREAM | SOCK.NONBLOCK, 0);
    assert.ok(!isBlocking(listener));
    posix.bind(listener, "127.0.0.1:0");
    posix.listen(listener);
    const e = throwsSys(() => posix.accept(listener), "EAGAIN", "accept4");
    assert.equal(e.errno, -11);

    const [x, y] = posix.socketpair(AF.UNIX, SOCK.STREAM | SOCK.NONBLOCK, 0);
    assert.ok(!isBlocking(x) && !isBlocking(y));
    throwsSys(() => posix.recv(x, 10), "EAGAIN", "recv");
    throwsSys(() => posix.recvfrom(x, 10), "EAGAIN", "recvfrom");
    // MSG.DONTWAIT works on a blocking fd too.
    const [b1, b2] = posix.socketpair("unix", "dgram");
    throwsSys(() => posix.recv(b1, 10, MSG.DONTWAIT), "EAGAIN", "recv");
    // Fill a non-blocking send buffer until it would block.
    const chunk = Buffer.alloc(65536);
    assert.throws(
      () => {
        for (let i = 0; i < 10000; i++) posix.send(x, chunk);
      },
      (err: unknown) => err instanceof SocketError && err.code === "EAGAIN" && err.syscall === "send",
    );

    // A non-blocking connect: EINPROGRESS (or done at once), then writable, then SO_ERROR 0.
    const c = posix.socket(AF.INET, SOCK.STREAM | SOCK.NONBLOCK, 0);
    try {
      posix.connect(c, `127.0.0.1:${port(listener)}`);
    } catch (err) {
      assert.ok(err instanceof SocketError && err.code === "EINPROGRESS" && err.syscall === "connect", String(err));
    }
    const [, writable] = posix.select([], [c], [], 5);
    assert.deepEqual(writable, [c]);
    assert.equal(posix.getsockopt(c, "SOL_SOCKET", "SO_ERROR"), 0);
    // accept4 with SOCK.NONBLOCK gives a non-blocking fd; plain accept a blocking one.
    const acc = posix.accept4(listener, SOCK.NONBLOCK);
    assert.ok(!isBlocking(acc.fd));
    assert.ok(isCloexec(acc.fd));
    for (const fd of [x, y, b1, b2, c, acc.fd, listener]) posix.close(fd);
  }),
);

test(
  "fcntl and ioctl(FIONBIO) switch blocking mode as in C",
  leakFree(() => {
    const [x, y] = posix.socketpair(AF.UNIX, SOCK.STREAM, 0);
    const fl = posix.fcntl(x, FCNTL.F_GETFL!);
    assert.equal(posix.fcntl(x, FCNTL.F_SETFL!, fl | FCNTL.O_NONBLOCK!), 0);
    throwsSys(() => posix.recv(x, 1), "EAGAIN", "recv");
    posix.fcntl(x, FCNTL.F_SETFL!, fl);
    assert.ok(isBlocking(x));
    posix.ioctl(y, IOCTL.FIONBIO, 1);
    assert.ok(!isBlocking(y));
    throwsSys(() => posix.recv(y, 1), "EAGAIN", "recv");
    posix.ioctl(y, IOCTL.FIONBIO, 0);
    assert.ok(isBlocking(y));
    // FIONREAD on a datagram socket: the size of the next datagram.
    const [d1, d2] = posix.socketpair("unix", "dgram");
    posix.send(d1, Buffer.alloc(33));
    posix.send(d1, Buffer.alloc(5));
    assert.equal(posix.ioctl(d2, IOCTL.FIONREAD), 33);
    // F_DUPFD_CLOEXEC gives another fd for the same socket.
    const dup = posix.fcntl(x, FCNTL.F_DUPFD_CLOEXEC!, 0);
    assert.notEqual(dup, x);
    posix.send(dup, "via dup");
    assert.equal(posix.recv(y, 100).toString(), "via dup");
    throwsSys(() => posix.ioctl(x, 0x7fff), "ENOTTY", "ioctl");
    for (const fd of [x, y, d1, d2, dup]) posix.close(fd);
  }),
);

/** Code for a worker thread: registers tsx, then imports sockit from source. */
function workerSource(body: string): string {
  return `
    const { parentPort, workerData } = require("node:worker_threads");
    (async () => {
      const { register } = await import(workerData.tsxApi);
      register();
      const { posix, AF, SOCK } = await import(workerData.index);
      ${body}
    })().catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));
  `;
}

function nextMessage(w: Worker, ms: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no message from the worker in ${ms} ms`)), ms);
    const onError = (e: Error): void => {
      clearTimeout(timer);
      reject(e);
    };
    w.once("error", onError);
    w.once("message", (m: Record<string, unknown>) => {
      clearTimeout(timer);
      w.off("error", onError);
      if (typeof m.error === "string") reject(new Error(`worker: ${m.error}`));
      else resolve(m);
    });
  });
}

const tsxApi = import.meta.resolve("tsx/esm/api");

test(
  "in a worker thread, posix.accept and posix.recv block that thread (and only that thread)",
  { timeout: 20000 },
  leakFree(async () => {
    const w = new Worker(
      workerSource(`
      // A timer that would tick every 5 ms if the thread were free.
      let ticks = 0;
      const iv = setInterval(() => ticks++, 5);
      const l = posix.socket(AF.INET, SOCK.STREAM, 0);
      posix.bind(l, "127.0.0.1:0");
      posix.listen(l, 1);
      parentPort.postMessage({ listener: l, port: posix.getsockname(l).port });
      let t = Date.now();
      const { fd } = posix.accept(l);              // blocks until the main thread connects
      parentPort.postMessage({ accepted: fd, acceptMs: Date.now() - t, ticks });
      t = Date.now();
      const data = posix.recv(fd, 100);              // blocks until the main thread sends
      parentPort.postMessage({ data: data.toString(), recvMs: Date.now() - t, ticks });
      posix.close(fd);
      posix.close(l);
      clearInterval(iv);
      parentPort.postMessage({ done: true });
    `),
      { eval: true, workerData: { tsxApi, index: INDEX_URL } },
    );
    let listener = -1;
    let accepted = -1;
    let client = -1;
    try {
      const first = await nextMessage(w, 10000);
      listener = first.listener as number;
      // The worker is now stuck in accept(); this thread is not.
      const mainTicks = await new Promise<number>((resolve) => {
        let n = 0;
        const iv = setInterval(() => {
          if (++n === 10) {
            clearInterval(iv);
            resolve(n);
          }
        }, 20);
      });
      assert.equal(mainTicks, 10);
      client = posix.socket(AF.INET, SOCK.STREAM, 0);
      posix.connect(client, `127.0.0.1:${first.port as number}`);
      const second = await nextMessage(w, 10000);
      accepted = second.accepted as number;
      assert.ok((second.acceptMs as number) >= 150, `accept waited ${String(second.acceptMs)} ms`);
      assert.equal(second.ticks, 0, "no timer ran in the worker while accept blocked it");
      await new Promise((r) => setTimeout(r, 200));
      posix.send(client, "wake up");
      const third = await nextMessage(w, 10000);
      assert.equal(third.data, "wake up");
      assert.ok((third.recvMs as number) >= 150, `recv waited ${String(third.recvMs)} ms`);
      assert.equal(third.ticks, 0, "no timer ran in the worker while recv blocked it");
      assert.deepEqual(await nextMessage(w, 10000), { done: true });
      listener = accepted = -1;
    } finally {
      // If anything failed, wake the worker: shutdown() on its sockets (fds are
      // process-wide) ends a blocked accept or recv, so terminate() can finish.
      for (const fd of [accepted, listener]) {
        if (fd >= 0) {
          try {
            posix.shutdown(fd, SHUT.RDWR);
          } catch {
            /* already gone */
          }
        }
      }
      if (client >= 0) posix.close(client);
      await w.terminate();
    }
  }),
);

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs TypeScript source in a child node (with tsx), killing it after `ms`. */
function runChild(
  source: string,
  ms: number,
  onStart?: (child: ReturnType<typeof spawn>, stdout: () => string) => void,
): Promise<ChildResult> {
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", source], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), ms);
  onStart?.(child, () => stdout);
  return new Promise((resolve) => {
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

async function waitFor(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test(
  "a blocking recv in a child process waits until data arrives",
  { timeout: 30000 },
  leakFree(async () => {
    let started: ReturnType<typeof spawn> | undefined;
    let out: () => string = () => "";
    const done = runChild(
      `import { posix, AF, SOCK } from ${JSON.stringify(INDEX_URL)};
     import { writeSync } from "node:fs";
     const fd = posix.socket(AF.INET, SOCK.DGRAM, 0);
     posix.bind(fd, "127.0.0.1:0");
     writeSync(1, "port " + posix.getsockname(fd).port + "\\n");
     const t = Date.now();
     const m = posix.recvfrom(fd, 100);
     writeSync(1, "got " + m.data.toString() + " after " + (Date.now() - t) + "\\n");
     posix.close(fd);`,
      15000,
      (c, o) => {
        started = c;
        out = o;
      },
    );
    assert.ok(started);
    await waitFor(() => /port \d+/.test(out()), 10000, "the child's port");
    const p = Number(/port (\d+)/.exec(out())![1]);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(!/got/.test(out()), "the child is still waiting in recvfrom");
    const tx = posix.socket(AF.INET, SOCK.DGRAM, 0);
    posix.sendto(tx, "ping", 0, `127.0.0.1:${p}`);
    posix.close(tx);
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    const m = /got ping after (\d+)/.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.ok(Number(m[1]) >= 250, `recvfrom returned after ${m[1]} ms`);
  }),
);

test(
  "select with no timeout blocks until the child is killed; select resumes after a signal (EINTR)",
  { timeout: 30000 },
  leakFree(async () => {
    // Blocks forever on a socket nobody writes to: only SIGKILL ends it.
    let child: ReturnType<typeof spawn> | undefined;
    let out: () => string = () => "";
    const forever = runChild(
      `import { posix } from ${JSON.stringify(INDEX_URL)};
     import { writeSync } from "node:fs";
     const [a] = posix.socketpair("unix", "stream");
     writeSync(1, "selecting\\n");
     posix.select([a], [], []);
     writeSync(1, "returned\\n");`,
      15000,
      (c, o) => {
        child = c;
        out = o;
      },
    );
    await waitFor(() => out().includes("selecting"), 10000, "the child to start select");
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(!out().includes("returned"));
    child!.kill("SIGKILL");
    const r1 = await forever;
    assert.equal(r1.signal, "SIGKILL");
    assert.ok(!r1.stdout.includes("returned"));

    // A handled signal interrupts select(2) with EINTR; posix.select resumes
    // with the time left, so the call still lasts its full timeout and returns
    // empty lists.
    let c2: ReturnType<typeof spawn> | undefined;
    let out2: () => string = () => "";
    const interrupted = runChild(
      `import { posix } from ${JSON.stringify(INDEX_URL)};
     import { writeSync } from "node:fs";
     process.on("SIGUSR1", () => writeSync(1, "handled SIGUSR1\\n"));
     const [a, b] = posix.socketpair("unix", "stream");
     writeSync(1, "selecting\\n");
     const t = performance.now();
     const r = posix.select([a], [], [], 1.0);
     writeSync(1, JSON.stringify({ r, ms: performance.now() - t }) + "\\n");
     const p = posix.poll([{ fd: a, events: 1 }], 1000);
     writeSync(1, JSON.stringify({ p, ms: performance.now() - t }) + "\\n");
     posix.close(a); posix.close(b);`,
      15000,
      (c, o) => {
        c2 = c;
        out2 = o;
      },
    );
    await waitFor(() => out2().includes("selecting"), 10000, "the second child to start select");
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 150));
      c2!.kill("SIGUSR1");
    }
    await waitFor(() => out2().includes('"r"'), 10000, "select to return");
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 150));
      c2!.kill("SIGUSR1");
    }
    const r2 = await interrupted;
    assert.equal(r2.code, 0, r2.stderr);
    const lines = r2.stdout.split("\n").filter((l) => l.startsWith("{"));
    const sel = JSON.parse(lines[0]!) as { r: number[][]; ms: number };
    assert.deepEqual(sel.r, [[], [], []]);
    assert.ok(sel.ms >= 950, `select lasted ${sel.ms} ms`);
    const pol = JSON.parse(lines[1]!) as { p: { revents: number }[]; ms: number };
    assert.equal(pol.p[0]!.revents, 0);
    assert.ok(pol.ms >= 1900, `select + poll lasted ${pol.ms} ms`);
  }),
);

// ---------------------------------------------------------------------------
// select and poll.

test(
  "select: readiness on socketpairs and pipes; a timeout gives three empty lists",
  leakFree(() => {
    const [a, b] = posix.socketpair(AF.UNIX, SOCK.STREAM, 0);
    const dir = mkdtempSync(join(tmpdir(), "sockit-fifo-"));
    const fifo = join(dir, "pipe");
    const mk = spawnSync("mkfifo", [fifo]);
    assert.equal(mk.status, 0, "mkfifo");
    // O_RDWR on a FIFO opens without waiting for the other side (Linux).
    const pr = openSync(fifo, fsc.O_RDONLY | fsc.O_NONBLOCK);
    const pw = openSync(fifo, fsc.O_WRONLY | fsc.O_NONBLOCK);
    try {
      // Nothing to read yet: a zero timeout polls, a short one waits, both give empty lists.
      assert.deepEqual(posix.select([a, b, pr], [], [], 0), [[], [], []]);
      const t = performance.now();
      assert.deepEqual(posix.select([a, b, pr], [], [], 0.1), [[], [], []]);
      assert.ok(performance.now() - t >= 95, "the timeout is in seconds");

      // Writable at once (empty buffers).
      const [, w] = posix.select([], [a, b, pw], [], 1);
      assert.deepEqual(w, [a, b, pw]);

      posix.send(a, "for b");
      writeSync(pw, "for the pipe");
      const [r, w2, x] = posix.select([a, b, pr], [pw], [a, b], 1);
      assert.deepEqual(r, [b, pr]);
      assert.deepEqual(w2, [pw]);
      assert.deepEqual(x, []);
      posix.recv(b, 100);

      // EOF counts as readable.
      posix.shutdown(a, SHUT.WR);
      assert.deepEqual(posix.select([b], [], [], 1)[0], [b]);
      assert.equal(posix.recv(b, 100).length, 0);

      // Exceptional condition: TCP urgent data.
      const tcp = tcpPair();
      posix.send(tcp.client, "!", MSG.OOB);
      const [, , ex] = posix.select([], [], [tcp.server], 2);
      assert.deepEqual(ex, [tcp.server]);
      tcp.close();
    } finally {
      closeSync(pr);
      closeSync(pw);
      rmSync(dir, { recursive: true, force: true });
      posix.close(a);
      posix.close(b);
    }
  }),
);

test(
  "poll: revents for every entry, negative fds ignored, POLLNVAL for a closed fd, HUP after close",
  leakFree(() => {
    const [a, b] = posix.socketpair(AF.UNIX, SOCK.STREAM, 0);
    const [c, d] = posix.socketpair(AF.UNIX, SOCK.STREAM, 0);
    posix.close(d);
    const closed = d;
    const t = performance.now();
    let res = posix.poll([{ fd: a, events: POLL.IN }], 50);
    assert.ok(performance.now() - t >= 45);
    assert.deepEqual(res, [{ fd: a, events: POLL.IN, revents: 0 }]);

    posix.send(b, "data");
    res = posix.poll(
      [
        { fd: a, events: POLL.IN | POLL.OUT },
        { fd: -1, events: POLL.IN },
        { fd: b, events: POLL.IN },
        { fd: c, events: POLL.IN | POLL.RDHUP },
      ],
      1000,
    );
    assert.equal(res.length, 4);
    assert.equal(res[0]!.revents, POLL.IN | POLL.OUT);
    assert.equal(res[1]!.revents, 0, "a negative fd is ignored");
    assert.equal(res[2]!.revents, 0);
    assert.ok(res[3]!.revents & POLL.HUP, "the peer of c is closed");
    assert.ok(res[3]!.revents & POLL.RDHUP);

    // A closed fd is not an error for poll: it reports POLLNVAL.
    res = posix.poll([{ fd: closed, events: POLL.IN }], 0);
    assert.equal(res[0]!.revents, POLL.NVAL);
    // Empty list with a timeout just sleeps.
    assert.deepEqual(posix.poll([], 10), []);
    for (const fd of [a, b, c]) posix.close(fd);
  }),
);

// ---------------------------------------------------------------------------
// Bad input and closed fds.

test(
  "bad arguments throw TypeError/RangeError ERR_* before any syscall",
  leakFree(() => {
    const [a, b] = posix.socketpair("unix", "stream");
    try {
      throwsCoded(() => posix.socket("bogus" as never, "stream"), TypeError, "ERR_INVALID_ARG_VALUE");
      throwsCoded(() => posix.socket("inet", "bogus" as never), TypeError, "ERR_INVALID_ARG_VALUE");
      throwsCoded(() => posix.bind("3" as never, "127.0.0.1:0"), TypeError, "ERR_INVALID_ARG_TYPE");
      throwsCoded(() => posix.close(-1), RangeError, "ERR_OUT_OF_RANGE");
      throwsCoded(() => posix.close(1.5), TypeError, "ERR_INVALID_ARG_TYPE");
      throwsCoded(() => posix.send(a, 42 as never), TypeError, "ERR_INVALID_ARG_TYPE");
      throwsCoded(() => posix.send(a, "x", "0" as never), TypeError, "ERR_INVALID_ARG_TYPE");
      throwsCoded(() => posix.recv(a, -1), RangeError, "ERR_OUT_OF_RANGE");
      throwsCoded(() => posix.recv(a, "10" as never), TypeError, "ERR_INVALID_ARG_TYPE");
      throwsCoded(() => posix.sendto(a, "x", 0, undefined as never), TypeError, "ERR_INVALID_ARG_TYPE");
      throwsCoded(() => posix.sendto(a, "x", 42 as never), TypeError, "ERR_INVALID_ARG_TYPE");
      throwsCoded(() => posix.connect(a, 42 as never), TypeError, "ERR_INVALID_ARG_TYPE");
      throwsCoded(() => posix.shutdown(a, "sideways" as never), TypeError, "ERR_INVALID_ARG_VALUE");
      throwsCoded(() => posix.listen(a, 2 ** 31), RangeError, "ERR_OUT_OF_RANGE"); // listen(-1) is listen(0): POSIX
      throwsCoded(() => posix.fcntl(a, "F_GETFL" as never), TypeError, "ERR_INVALID_ARG_TYPE");
      throwsCoded(() => posix.getsockopt(a, "SOL_SOCKET", "SO_BOGUS" as never), TypeError, "ERR_UNKNOWN_CONSTANT");

      const inet = posix.socket("inet", "dgram");
      try {
        throwsCoded(() => posix.bind(inet, "not an address"), TypeError, "ERR_INVALID_ADDRESS");
        throwsCoded(
          () => posix.bind(inet, { family: "inet", address: "1.2.3.4", port: 70000 }),
          RangeError,
          "ERR_OUT_OF_RANGE",
        );
        throwsCoded(
          () => posix.bind(inet, { family: "inet", address: "1.2.3", port: 1 }),
          TypeError,
          "ERR_INVALID_ADDRESS",
        );
      } finally {
        posix.close(inet);
      }

      // select: fds outside 0..FD_SETSIZE-1, wrong types, bad timeouts.
      throwsCoded(() => posix.select([LIMITS.FD_SETSIZE], [], []), RangeError, "ERR_OUT_OF_RANGE");
      throwsCoded(() => posix.select([], [LIMITS.FD_SETSIZE + 5000], []), RangeError, "ERR_OUT_OF_RANGE");
      throwsCoded(() => posix.select([], [], [-1]), RangeError, "ERR_OUT_OF_RANGE");
      throwsCoded(() => posix.select("0" as never, [], []), TypeError, "ERR_INVALID_ARG_TYPE");
      throwsCoded(() => posix.select(["0"] as never, [], []), TypeError, "ERR_INVALID_ARG_TYPE");
      throwsCoded(() => posix.select([a], [], [], -1), RangeError, "ERR_OUT_OF_RANGE");
      throwsCoded(() => posix.select([a], [], [], NaN), RangeError, "ERR_OUT_OF_RANGE");
      throwsCoded(() => posix.select([a], [], [], "1" as never), TypeError, "ERR_INVALID_ARG_TYPE");

      throwsCoded(() => posix.poll({} as never, 0), TypeError, "ERR_INVALID_ARG_TYPE");
      throwsCoded(() => posix.poll([{ fd: "x", events: 1 }] as never, 0), TypeError, "ERR_INVALID_ARG_TYPE");
      throwsCoded(() => posix.poll([{ fd: a, events: 0x10000 }], 0), RangeError, "ERR_OUT_OF_RANGE");
      throwsCoded(() => posix.poll([null] as never, 0), TypeError, "ERR_INVALID_ARG_TYPE");
      throwsCoded(() => posix.poll([], NaN), TypeError, "ERR_INVALID_ARG_TYPE");

      throwsCoded(() => posix.htons(0x10000), RangeError, "ERR_OUT_OF_RANGE");
      throwsCoded(() => posix.htonl(-1), RangeError, "ERR_OUT_OF_RANGE");
      throwsCoded(() => posix.ntohl(2 ** 32), RangeError, "ERR_OUT_OF_RANGE");
      throwsCoded(() => posix.ntohs("1" as never), TypeError, "ERR_INVALID_ARG_TYPE");
      throwsCoded(() => posix.inet_pton(AF.INET, 5 as never), TypeError, "ERR_INVALID_ARG_TYPE");
      throwsCoded(() => posix.inet_ntop(AF.INET, Buffer.alloc(3)), RangeError, "ERR_OUT_OF_RANGE");
      throwsCoded(() => posix.inet_ntop(AF.INET6, Buffer.alloc(15)), RangeError, "ERR_OUT_OF_RANGE");
      throwsCoded(() => posix.inet_ntop(AF.INET, "1.2.3.4" as never), TypeError, "ERR_INVALID_ARG_TYPE");
      throwsCoded(() => posix.if_nametoindex(1 as never), TypeError, "ERR_INVALID_ARG_TYPE");
      throwsCoded(() => posix.if_nametoindex("lo\0"), TypeError, "ERR_INVALID_ARG_VALUE");
      throwsCoded(() => posix.if_indextoname(-1), RangeError, "ERR_OUT_OF_RANGE");
    } finally {
      posix.close(a);
      posix.close(b);
    }
  }),
);

test(
  "calls on a closed fd throw SocketError EBADF naming the syscall",
  leakFree(() => {
    const fd = posix.socket(AF.INET, SOCK.DGRAM, 0);
    posix.close(fd);
    throwsSys(() => posix.close(fd), "EBADF", "close");
    throwsSys(() => posix.bind(fd, "127.0.0.1:0"), "EBADF", "bind");
    throwsSys(() => posix.connect(fd, "127.0.0.1:9"), "EBADF", "connect");
    throwsSys(() => posix.listen(fd), "EBADF", "listen");
    throwsSys(() => posix.accept(fd), "EBADF", "accept4");
    throwsSys(() => posix.send(fd, "x"), "EBADF", "send");
    throwsSys(() => posix.recv(fd, 1), "EBADF", "recv");
    throwsSys(() => posix.sendto(fd, "x", "127.0.0.1:9"), "EBADF", "sendto");
    throwsSys(() => posix.recvfrom(fd, 1), "EBADF", "recvfrom");
    throwsSys(() => posix.shutdown(fd, SHUT.RDWR), "EBADF", "shutdown");
    throwsSys(() => posix.getsockname(fd), "EBADF", "getsockname");
    throwsSys(() => posix.getpeername(fd), "EBADF", "getpeername");
    throwsSys(() => posix.getsockopt(fd, "SOL_SOCKET", "SO_TYPE"), "EBADF", "getsockopt");
    throwsSys(() => posix.setsockopt(fd, "SOL_SOCKET", "SO_REUSEADDR", 1), "EBADF", "setsockopt");
    throwsSys(() => posix.fcntl(fd, FCNTL.F_GETFL!), "EBADF", "fcntl");
    throwsSys(() => posix.ioctl(fd, IOCTL.FIONREAD), "EBADF", "ioctl");
    throwsSys(() => posix.select([fd], [], [], 0), "EBADF", "select");
    const e = throwsSys(() => posix.select([], [fd], [], 1), "EBADF", "select");
    assert.equal(e.message, "select EBADF");
  }),
);

test(
  "errors carry the address and Node's message shape",
  leakFree(() => {
    // A port nobody listens on: bind one, note it, close it.
    const tmp = posix.socket(AF.INET, SOCK.STREAM, 0);
    posix.bind(tmp, "127.0.0.1:0");
    const p = port(tmp);
    posix.close(tmp);
    const c = posix.socket(AF.INET, SOCK.STREAM, 0);
    const e = throwsSys(() => posix.connect(c, `127.0.0.1:${p}`), "ECONNREFUSED", "connect");
    assert.equal(e.message, `connect ECONNREFUSED 127.0.0.1:${p}`);
    assert.equal(e.address, "127.0.0.1");
    assert.equal(e.port, p);
    posix.close(c);

    const a = posix.socket(AF.INET, SOCK.STREAM, 0);
    const b = posix.socket(AF.INET, SOCK.STREAM, 0);
    posix.bind(a, "127.0.0.1:0");
    posix.listen(a);
    const inUse = throwsSys(() => posix.bind(b, `127.0.0.1:${port(a)}`), "EADDRINUSE", "bind");
    assert.equal(inUse.port, port(a));
    posix.close(a);
    posix.close(b);

    const d = posix.socket(AF.INET, SOCK.DGRAM, 0);
    const notsup = throwsSys(() => posix.listen(d), "ENOTSUP", "listen"); // EOPNOTSUPP: the same number on Linux
    assert.equal(notsup.errno, -ERRNO_EOPNOTSUPP);
    throwsSys(() => posix.getpeername(d), "ENOTCONN", "getpeername");
    posix.close(d);
    const u = posix.socket(AF.UNIX, SOCK.STREAM, 0);
    const enoent = throwsSys(() => posix.connect(u, "/nonexistent/sockit.sock"), "ENOENT", "connect");
    assert.equal(enoent.path, "/nonexistent/sockit.sock");
    throwsSys(() => posix.bind(u, "/" + "x".repeat(200)), "ENAMETOOLONG", "bind");
    posix.close(u);
    throwsSys(() => posix.socket(AF.INET, SOCK.STREAM, "udp"), "EPROTONOSUPPORT", "socket");
    throwsSys(() => posix.socket(AF.INET, SOCK.SEQPACKET, 0), "ESOCKTNOSUPPORT", "socket");
  }),
);

// ---------------------------------------------------------------------------
// Addresses and byte order.

test(
  "inet_pton / inet_ntop agree with libc and with Node",
  leakFree(() => {
    assert.deepEqual([...posix.inet_pton(AF.INET, "192.0.2.1")!], [192, 0, 2, 1]);
    assert.equal(posix.inet_ntop(AF.INET, Buffer.from([192, 0, 2, 1])), "192.0.2.1");
    const v6 = posix.inet_pton("inet6", "2001:db8::1")!;
    assert.equal(v6.length, 16);
    assert.equal(v6.toString("hex"), "20010db8000000000000000000000001");
    assert.equal(posix.inet_ntop(AF.INET6, v6), "2001:db8::1");
    assert.equal(posix.inet_ntop("inet6", posix.inet_pton(AF.INET6, "::ffff:1.2.3.4")!), "::ffff:1.2.3.4");
    for (const bad of ["", "1.2.3", "256.1.1.1", "01.2.3.4", "1.2.3.4 ", "::1"]) {
      assert.equal(posix.inet_pton(AF.INET, bad), null, bad);
    }
    for (const bad of ["", ":::", "1::2::3", "12345::", "1.2.3.4", "x".repeat(200)]) {
      assert.equal(posix.inet_pton(AF.INET6, bad), null, bad);
    }
    // Random round trips, checked against Node's own parser.
    for (let i = 0; i < 200; i++) {
      const bytes = Buffer.from(
        Array.from({ length: 16 }, () => (Math.random() < 0.4 ? 0 : Math.floor(Math.random() * 256))),
      );
      const text = posix.inet_ntop(AF.INET6, bytes);
      assert.equal(isIP(text), 6, text);
      assert.ok(posix.inet_pton(AF.INET6, text)!.equals(bytes), text);
    }
    throwsSys(() => posix.inet_pton(AF.UNIX, "1.2.3.4"), "EAFNOSUPPORT", "inet_pton");
    throwsSys(() => posix.inet_ntop(AF.UNIX, Buffer.alloc(16)), "EAFNOSUPPORT", "inet_ntop");
  }),
);

test(
  "htons / ntohs / htonl / ntohl convert to and from network byte order",
  leakFree(() => {
    // What C's htons gives: the value written big-endian, read back in host order.
    const net16 = (v: number): number => {
      const u = new Uint16Array(1);
      new DataView(u.buffer).setUint16(0, v, false);
      return u[0]!;
    };
    const net32 = (v: number): number => {
      const u = new Uint32Array(1);
      new DataView(u.buffer).setUint32(0, v, false);
      return u[0]!;
    };
    for (const v of [0, 1, 0x1234, 0xff00, 0xffff, 80, 443]) {
      assert.equal(posix.htons(v), net16(v));
      assert.equal(posix.ntohs(posix.htons(v)), v);
    }
    for (const v of [0, 1, 0x12345678, 0xffffffff, 0x80000000, 0x7f000001]) {
      assert.equal(posix.htonl(v), net32(v));
      assert.equal(posix.ntohl(posix.htonl(v)), v);
    }
    if (new Uint8Array(new Uint16Array([1]).buffer)[0] === 1) {
      assert.equal(posix.htons(0x1234), 0x3412);
      assert.equal(posix.htonl(0x7f000001), 0x0100007f);
    }
  }),
);

test(
  "if_nametoindex / if_indextoname",
  leakFree(() => {
    const lo = posix.if_nametoindex("lo");
    assert.ok(lo >= 1);
    assert.equal(posix.if_indextoname(lo), "lo");
    const e = throwsSys(() => posix.if_nametoindex("sockit-none0"), "ENODEV", "if_nametoindex");
    assert.equal(e.address, "sockit-none0");
    throwsSys(() => posix.if_nametoindex("x".repeat(40)), "ENODEV", "if_nametoindex");
    throwsSys(() => posix.if_indextoname(0), "ENXIO", "if_indextoname");
    throwsSys(() => posix.if_indextoname(0x7ffffff0), "ENXIO", "if_indextoname");
  }),
);

test(
  "fds from posix are plain numbers the caller owns; Socket.fromFd can adopt them",
  leakFree(async () => {
    const { Socket } = await import("../../src/index.js");
    const [a, b] = posix.socketpair("unix", "stream");
    const s = Socket.fromFd(a); // takes ownership and makes it non-blocking
    assert.ok(!isBlocking(a));
    posix.send(b, "to the event loop");
    assert.equal((await s.recv(100)).toString(), "to the event loop");
    s.close();
    posix.close(b);
  }),
);
