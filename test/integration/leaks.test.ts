/**
 * Fd leaks: the set of open fds (/proc/self/fd) is the same after 10,000
 * create/close cycles that go through every error path a program meets —
 * failed connect and bind, aborted and timed-out waits, close while waiting,
 * detach/adopt — as before them. Memory is not a criterion here.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import v8 from "node:v8";
import vm from "node:vm";
import { Socket, SocketError, socketpair, type SocketAddress } from "../../src/index.js";
import * as raw from "../../src/raw/index.js";
import { abstractName, fdTarget, newFds, openFds, tempDir, within } from "../helpers.js";

const CYCLES = 10_000;
const dir = tempDir();
after(() => dir.cleanup());

/** Asserts p rejects with an error whose code is `code`. */
async function rejectsCode(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(within(p, code), (e: unknown) => {
    assert.equal((e as { code?: string }).code, code, String(e));
    return true;
  });
}

describe("no fd leaks", () => {
  test(`${CYCLES} create/close cycles through the success and error paths leave the fd set unchanged`, async () => {
    // Long-lived fixtures, opened before the baseline is taken.
    const holder = new Socket("inet", "stream");
    holder.bind("127.0.0.1:0"); // bound, not listening: its port refuses connections
    const refused = holder.getsockname();
    const listener = new Socket("inet", "stream");
    listener.bind("127.0.0.1:0");
    listener.listen();
    const listening = listener.getsockname();
    // A listener whose one-slot backlog is full: SYNs to it are dropped, so a
    // connect to it stays in flight until it is aborted.
    const full = new Socket("inet", "stream");
    full.bind("127.0.0.1:0");
    full.listen(0);
    const fullAddr = full.getsockname();
    const filler = new Socket("inet", "stream");
    await within(filler.connect(fullAddr), "filling the backlog");
    const missingDir = join(dir.path, "no-such-dir", "x.sock");
    const abstract = `@${abstractName("leaks")}`;

    const before = openFds();
    const paths = new Map<string, number>();
    const count = (k: string): void => void paths.set(k, (paths.get(k) ?? 0) + 1);

    for (let i = 0; i < CYCLES; i++) {
      switch (i % 14) {
        case 0: {
          // Plain create/close of each family and type.
          for (const [f, t] of [
            ["inet", "stream"],
            ["inet6", "dgram"],
            ["unix", "seqpacket"],
          ] as const)
            new Socket(f, t).close();
          count("create/close");
          break;
        }
        case 1: {
          const c = new Socket("inet", "stream");
          await rejectsCode(c.connect(refused), "ECONNREFUSED");
          c.close();
          count("connect ECONNREFUSED");
          break;
        }
        case 2: {
          const c = new Socket("unix", "stream");
          await rejectsCode(c.connect(missingDir), "ENOENT");
          c.close();
          count("connect ENOENT");
          break;
        }
        case 3: {
          const b = new Socket("inet", "stream");
          assert.throws(
            () => b.bind(refused),
            (e: unknown) => e instanceof SocketError && e.code === "EADDRINUSE",
          );
          b.close();
          count("bind EADDRINUSE");
          break;
        }
        case 4: {
          const b = new Socket("unix", "dgram");
          assert.throws(
            () => b.bind(missingDir),
            (e: unknown) => e instanceof SocketError && e.code === "ENOENT",
          );
          assert.throws(
            () => b.bind(`/${"x".repeat(200)}`),
            (e: unknown) => e instanceof SocketError && e.code === "ENAMETOOLONG",
          );
          b.close();
          count("bind ENOENT/ENAMETOOLONG");
          break;
        }
        case 5: {
          const [a, b] = socketpair("unix", "stream");
          const ac = new AbortController();
          const p = b.recv(16, { signal: ac.signal });
          ac.abort();
          await rejectsCode(p, "ABORT_ERR");
          a.close();
          b.close();
          count("aborted recv");
          break;
        }
        case 6: {
          const [a, b] = socketpair("unix", "dgram");
          const p = b.recvfrom();
          const q = b.recv();
          b.close();
          await rejectsCode(p, "ERR_SOCKET_CLOSED");
          await rejectsCode(q, "ERR_SOCKET_CLOSED");
          a.close();
          count("close while recv waits");
          break;
        }
        case 7: {
          const s = new Socket("inet6", "stream");
          s.bind("[::1]:0");
          s.listen();
          const p = s.accept();
          s.close();
          await rejectsCode(p, "ERR_SOCKET_CLOSED");
          count("close while accept waits");
          break;
        }
        case 8: {
          const [a, b] = socketpair("unix", "seqpacket");
          await rejectsCode(b.recv(16, { timeout: 0 }), "ETIMEDOUT");
          a.close();
          b.close();
          count("timed-out recv");
          break;
        }
        case 9: {
          const c = new Socket("inet", "stream");
          const [conn] = await Promise.all([listener.accept(), c.connect(listening)]);
          await c.send("x");
          assert.equal((await conn.recv()).toString(), "x");
          conn.close();
          assert.equal((await c.recv()).length, 0);
          // The passive side aborts (SO_LINGER 0: RST instead of FIN), which ends the
          // closer's FIN_WAIT2 at once: no TIME-WAIT per cycle (700 per run otherwise).
          c.setsockopt("SOL_SOCKET", "SO_LINGER", { onoff: true, linger: 0 });
          c.close();
          count("accept/connect/send/recv");
          break;
        }
        case 10: {
          const [a, b] = socketpair("unix", "dgram");
          const fd = a.detach();
          const again = Socket.fromFd(fd);
          await again.send("via adopted");
          assert.equal((await b.recv()).toString(), "via adopted");
          again.close();
          const fd2 = b.detach();
          raw.close(fd2);
          count("detach/fromFd");
          break;
        }
        case 11: {
          const s = new Socket("unix", "dgram");
          s.bind(`${abstract}-${i}`);
          const loop = (async () => {
            let n = 0;
            for await (const _ of s.messages()) n++;
            return n;
          })();
          const tx = new Socket("unix", "dgram");
          await tx.sendto("m", `${abstract}-${i}`);
          tx.close();
          // Let the loop take the message, then close: the loop ends.
          while (s.bytesAvailable() > 0) await new Promise((r) => setImmediate(r));
          s.close();
          assert.equal(await within(loop, "messages loop"), 1);
          count("messages() ended by close");
          break;
        }
        case 12: {
          const s = new Socket("inet", "dgram");
          s.close();
          s.close();
          await rejectsCode(s.recv(), "ERR_SOCKET_CLOSED");
          await rejectsCode(s.connect(refused), "ERR_SOCKET_CLOSED");
          assert.throws(() => new Socket("inet", "nope" as never), { code: "ERR_INVALID_ARG_VALUE" });
          count("misuse after close, bad arguments");
          break;
        }
        case 13: {
          // A connect aborted, and one closed, while the handshake is in flight.
          const c = new Socket("inet", "stream");
          const ac = new AbortController();
          const p = c.connect(fullAddr, { signal: ac.signal });
          ac.abort();
          await rejectsCode(p, "ABORT_ERR");
          c.close();
          const d = new Socket("inet", "stream");
          const q = d.connect(fullAddr);
          d.close();
          await rejectsCode(q, "ERR_SOCKET_CLOSED");
          count("aborted connect");
          break;
        }
      }
    }
    const leaked = newFds(before);
    assert.deepEqual(leaked, [], `fds opened during the cycles and never closed`);
    // Every path ran, many times.
    assert.equal(paths.size, 14);
    for (const [k, n] of paths) assert.ok(n >= Math.floor(CYCLES / 14), `${k} ran ${n} times`);
    for (const s of [holder, listener, full, filler]) s.close();
  });

  test("the leak check itself: a new fd counts, a reused number pointing elsewhere counts, a closed one does not", () => {
    const a = new Socket("unix", "dgram");
    const aFd = a.fd;
    const before = openFds();
    a.close(); // closed since the snapshot: not a leak
    assert.deepEqual(newFds(before), []);
    const b = new Socket("unix", "dgram"); // the lowest free number: a's, now another socket
    assert.equal(b.fd, aFd, "the kernel reused the number");
    assert.deepEqual(newFds(before), [`${b.fd} -> socket:[${/socket:\[(\d+)\]/.exec(String(fdTarget(b.fd)))![1]}]`]);
    b.close();
    assert.deepEqual(newFds(before), []);
  });

  test("a socket dropped without close() is closed when it is garbage-collected", async () => {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    const before = openFds();
    let fds: number[] = [];
    (() => {
      const dropped = Array.from({ length: 50 }, () => new Socket("unix", "dgram"));
      fds = dropped.map((s) => s.fd);
    })();
    assert.equal(newFds(before).length, 50);
    // FinalizationRegistry callbacks run after a collection, from the event loop.
    await within(
      (async () => {
        while (newFds(before).length > 0) {
          gc();
          await new Promise((r) => setTimeout(r, 10));
        }
      })(),
      "the registry closing collected sockets' fds",
    );
    assert.deepEqual(newFds(before), []);
    assert.equal(fds.length, 50);
  });

  test("a socket dropped after it waited is closed with its watcher; the sockets that follow still wake", async () => {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    const before = openFds();
    const peers: Socket[] = [];
    await (async () => {
      const dropped: Socket[] = [];
      for (let i = 0; i < 20; i++) {
        const [a, b] = socketpair("unix", "stream");
        const got = a.recv(16); // waits: a watcher is made and started
        await b.send("1");
        await within(got, "the first recv");
        await b.send("2"); // a wakeup with nothing waiting stops the watcher
        await new Promise((r) => setTimeout(r, 1));
        dropped.push(a);
        peers.push(b);
      }
    })();
    // The registry closes each collected socket's watcher and fd together,
    // in libuv's order; meanwhile new sockets take the freed numbers and wait.
    await within(
      (async () => {
        for (;;) {
          gc();
          const [x, y] = socketpair("unix", "stream");
          const got = x.recv(16);
          await y.send("z");
          assert.equal(String(await within(got, "a new socket's recv", 5000)), "z");
          x.close();
          y.close();
          const left = newFds(before).length - peers.length;
          if (left === 0) break;
          await new Promise((r) => setTimeout(r, 10));
        }
      })(),
      "the registry closing collected sockets that had waited",
    );
    for (const b of peers) b.close();
    assert.deepEqual(newFds(before), []);
  });

  test("an idle listening address is reusable after close (the fd really went)", () => {
    const a = new Socket("inet", "stream");
    a.bind("127.0.0.1:0");
    a.listen();
    const addr: SocketAddress = a.getsockname();
    a.close();
    const b = new Socket("inet", "stream");
    b.bind(addr);
    b.listen();
    b.close();
  });
});
