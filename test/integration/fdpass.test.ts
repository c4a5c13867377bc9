/**
 * Fd passing (SCM_RIGHTS) and credentials (SO_PEERCRED, SO_PASSCRED +
 * SCM_CREDENTIALS) over Unix sockets: every kind of fd source, ownership of
 * received fds (nothing leaks on any path: more fds than maxFds, MSG_CTRUNC,
 * aborted and abandoned receives), and interop with CPython's
 * socket.send_fds/recv_fds/sendmsg/recvmsg in both directions.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { open as openFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { CMSG_LEN, CMSG_SPACE } from "../../src/control.js";
import { MSG, SCM, SO } from "../../src/constants.js";
import { acceptAllowed, peerAllowed, peerCredentials, peerGroups } from "../../src/credentials.js";
import { recvFds, sendFds } from "../../src/fdpass.js";
import { Socket, socketpair } from "../../src/socket.js";
import { turn, newFds, openFds, readFd } from "../helpers.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const dir = mkdtempSync(join(tmpdir(), "sockit-fdpass-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `body` and checks the process has as many fds afterwards as before. */
async function noLeak(body: () => Promise<void>): Promise<void> {
  const before = openFds();
  await body();
  assert.deepEqual(newFds(before), [], "fds leaked");
}

function fileWith(text: string): string {
  const p = join(dir, `f-${Math.random().toString(36).slice(2)}`);
  writeFileSync(p, text);
  return p;
}

describe("fd passing", () => {
  test("a file fd crosses a stream socketpair and reads the same file", async () => {
    await noLeak(async () => {
      const [a, b] = socketpair("unix", "stream");
      const f = openSync(fileWith("hello through SCM_RIGHTS"), "r");
      assert.equal(await a.sendmsg({ buffers: ["x"], fds: [f] }), 1);
      const m = await b.recvmsg({ size: 16, maxFds: 4 });
      assert.equal(m.data.toString(), "x");
      assert.equal(m.fds.length, 1);
      const [got] = m.fds;
      assert.notEqual(got, f);
      assert.equal(readFd(got!), "hello through SCM_RIGHTS");
      assert.equal(fstatSync(got!).ino, fstatSync(f).ino);
      assert.equal(m.controlTruncated, false);
      // the SCM_RIGHTS entry of the raw list carries the same fd
      assert.equal(m.control.length, 1);
      assert.equal(m.control[0]!.type, SCM.RIGHTS);
      closeSync(got!);
      closeSync(f);
      a.close();
      b.close();
    });
  });

  test("sends numbers, sockit Sockets, net.Socket, net.Server and FileHandle", async () => {
    await noLeak(async () => {
      const [a, b] = socketpair("unix", "seqpacket");
      const [x, y] = socketpair("unix", "stream");
      const srv = net.createServer();
      await new Promise<void>((res) => srv.listen(0, "127.0.0.1", res));
      const client = net.connect((srv.address() as net.AddressInfo).port, "127.0.0.1");
      await new Promise((res) => client.once("connect", res));
      const fh = await openFile(fileWith("file handle"), "r");
      const num = openSync(fileWith("plain number"), "r");
      await a.sendmsg({ buffers: ["five"], fds: [num, x, client, srv, fh] });
      const m = await b.recvmsg({ maxFds: 8 });
      assert.equal(m.fds.length, 5);
      const [fNum, fSock, fClient, fServer, fHandle] = m.fds as [number, number, number, number, number];
      assert.equal(readFd(fNum), "plain number");
      assert.equal(readFd(fHandle), "file handle");
      // a received socket fd is adopted as a sockit Socket and works
      const adopted = Socket.fromFd(fSock);
      await adopted.sendAll("via passed socket");
      assert.equal((await y.recv(100)).toString(), "via passed socket");
      const adoptedClient = Socket.fromFd(fClient);
      assert.deepEqual(
        adoptedClient.getpeername(),
        srv.address() && { family: "inet", address: "127.0.0.1", port: (srv.address() as net.AddressInfo).port },
      );
      const adoptedServer = Socket.fromFd(fServer);
      assert.equal(adoptedServer.getsockopt("SOL_SOCKET", "SO_ACCEPTCONN"), true);
      for (const s of [adopted, adoptedClient, adoptedServer]) s.close();
      closeSync(fNum);
      closeSync(fHandle);
      closeSync(num);
      await fh.close();
      client.destroy();
      await new Promise((res) => srv.close(res));
      for (const s of [a, b, x, y]) s.close();
    });
  });

  test("a Node net.Socket can be rebuilt from a received fd", async () => {
    await noLeak(async () => {
      const [a, b] = socketpair("unix", "dgram");
      const [x, y] = socketpair("unix", "stream");
      await a.sendmsg({ fds: [y] });
      const m = await b.recvmsg({ maxFds: 1 });
      assert.equal(m.data.length, 0);
      const ns = new net.Socket({ fd: m.fds[0]!, readable: true, writable: true });
      const got = new Promise<string>((res) => ns.once("data", (d) => res(d.toString())));
      await x.sendAll("to node");
      assert.equal(await got, "to node");
      ns.destroy();
      await new Promise((res) => ns.once("close", res));
      y.close();
      for (const s of [a, b, x]) s.close();
    });
  });

  test("fds beyond maxFds are closed and reported", async () => {
    await noLeak(async () => {
      const [a, b] = socketpair("unix", "stream");
      const f = openSync(fileWith("many"), "r");
      await a.sendmsg({ buffers: ["m"], fds: [f, f, f, f, f] });
      const m = await b.recvmsg({ maxFds: 2 });
      assert.equal(m.fds.length, 2);
      assert.equal(m.controlTruncated, true);
      assert.equal(m.control.length, 1);
      assert.equal(m.control[0]!.data.length, 8, "the raw list names only the fds handed out");
      for (const fd of m.fds) closeSync(fd);
      // the default maxFds is 0: all closed
      await a.sendmsg({ buffers: ["n"], fds: [f, f] });
      const n = await b.recvmsg();
      assert.deepEqual(n.fds, []);
      assert.equal(n.controlTruncated, true);
      closeSync(f);
      a.close();
      b.close();
    });
  });

  test("MSG_CTRUNC: a control buffer too small keeps what fits, the kernel drops the rest", async () => {
    await noLeak(async () => {
      const [a, b] = socketpair("unix", "stream");
      const f = openSync(fileWith("ctrunc"), "r");
      // room for exactly one int after the header: the kernel installs one fd
      await a.sendmsg({ buffers: ["c"], fds: [f, f, f] });
      const m = await b.recvmsg({ maxFds: 3, controlSize: CMSG_LEN(4) });
      assert.equal(m.controlTruncated, true);
      assert.equal(m.fds.length, 1);
      // CMSG_SPACE(4) is aligned up: on 64-bit it has room for two
      await a.sendmsg({ buffers: ["c"], fds: [f, f, f] });
      const m2 = await b.recvmsg({ maxFds: 3, controlSize: CMSG_SPACE(4) });
      assert.equal(m2.controlTruncated, true);
      assert.equal(m2.fds.length, (CMSG_SPACE(4) - CMSG_LEN(0)) / 4);
      for (const fd of [...m.fds, ...m2.fds]) {
        assert.equal(readFd(fd), "ctrunc");
        closeSync(fd);
      }
      // no room at all for control data
      await a.sendmsg({ buffers: ["d"], fds: [f] });
      const z = await b.recvmsg({ maxFds: 3, controlSize: 0 });
      assert.equal(z.controlTruncated, true);
      assert.deepEqual(z.fds, []);
      closeSync(f);
      a.close();
      b.close();
    });
  });

  test("an aborted receive consumes nothing; the fds wait for the next one", async () => {
    await noLeak(async () => {
      const [a, b] = socketpair("unix", "seqpacket");
      const f = openSync(fileWith("abort"), "r");
      const ac = new AbortController();
      const p = b.recvmsg({ maxFds: 1, signal: ac.signal });
      ac.abort();
      await assert.rejects(p, { name: "AbortError" });
      await a.sendmsg({ buffers: ["after"], fds: [f] });
      // an already-aborted signal rejects at once, without receiving
      await assert.rejects(b.recvmsg({ maxFds: 1, signal: AbortSignal.abort() }), { name: "AbortError" });
      const m = await b.recvmsg({ maxFds: 1 });
      assert.equal(m.data.toString(), "after");
      assert.equal(readFd(m.fds[0]!), "abort");
      closeSync(m.fds[0]!);
      // a receive that times out leaves nothing behind either
      await assert.rejects(b.recvmsg({ maxFds: 1, timeout: 20 }), { code: "ETIMEDOUT" });
      closeSync(f);
      a.close();
      b.close();
    });
  });

  test("closing the socket rejects a waiting receive and leaks nothing", async () => {
    await noLeak(async () => {
      const [a, b] = socketpair("unix", "stream");
      const p = b.recvmsg({ maxFds: 4 });
      b.close();
      await assert.rejects(p, { code: "ERR_SOCKET_CLOSED" });
      a.close();
    });
  });

  test("the fds of a result dropped unread are closed when it is collected", async () => {
    const [a, b] = socketpair("unix", "stream");
    const f = openSync(fileWith("abandoned"), "r");
    const before = openFds();
    await a.sendmsg({ buffers: ["a"], fds: [f, f, f] });
    // Promise.race abandons the receive's result: nobody ever reads its fds.
    await Promise.race([b.recvmsg({ maxFds: 3 }).then(() => undefined), new Promise((res) => setTimeout(res, 50))]);
    assert.equal(newFds(before).length, 3, "the three fds arrived");
    for (let i = 0; i < 200 && newFds(before).length > 0; i++) {
      gc();
      await new Promise((res) => setTimeout(res, 10));
    }
    assert.deepEqual(newFds(before), [], "the unread result's fds were closed");
    // a result whose fds were read keeps them open, even after it is collected
    await a.sendmsg({ buffers: ["b"], fds: [f] });
    let kept: number[] = [];
    await (async () => {
      kept = [...(await b.recvmsg({ maxFds: 1 })).fds];
    })();
    for (let i = 0; i < 5; i++) {
      gc();
      await new Promise((res) => setTimeout(res, 10));
    }
    assert.equal(readFd(kept[0]!), "abandoned");
    closeSync(kept[0]!);
    closeSync(f);
    a.close();
    b.close();
  });

  test("batch receives (recvBatch, messages()) take no fds: the kernel drops them, nothing leaks", async () => {
    await noLeak(async () => {
      const [a, b] = socketpair("unix", "dgram");
      const f = openSync(fileWith("batch"), "r");
      await a.sendmsg({ buffers: ["one"], fds: [f, f] });
      await a.sendmsg({ buffers: ["two"], fds: [f] });
      const got = await b.recvBatch();
      assert.deepEqual(
        got.map((d) => d.data.toString()),
        ["one", "two"],
      );
      await a.sendmsg({ buffers: ["three"], fds: [f] });
      for await (const m of b.messages()) {
        assert.equal(m.data.toString(), "three");
        break;
      }
      closeSync(f);
      a.close();
      b.close();
    });
  });

  test("MSG_WAITALL on a stream: one result from several writes, fds from each; none leak on abort", async () => {
    await noLeak(async () => {
      const [a, b] = socketpair("unix", "stream");
      const f = openSync(fileWith("waitall"), "r");
      const whole = b.recvmsg({ size: 6, flags: MSG.WAITALL, maxFds: 4 });
      await a.sendmsg({ buffers: ["ab"], fds: [f] });
      await new Promise((res) => setTimeout(res, 20));
      await a.sendmsg({ buffers: ["cd"] });
      await new Promise((res) => setTimeout(res, 20));
      await a.sendmsg({ buffers: ["ef"], fds: [f, f] });
      const m = await whole;
      assert.equal(m.data.toString(), "abcdef");
      assert.equal(m.size, 6);
      assert.equal(m.fds.length, 3);
      for (const fd of m.fds) closeSync(fd);
      // into caller buffers, across their boundary
      const x = Buffer.alloc(3);
      const y = Buffer.alloc(3);
      const into = b.recvmsg({ buffers: [x, y], flags: MSG.WAITALL });
      await a.sendmsg({ buffers: ["12"] });
      await new Promise((res) => setTimeout(res, 20));
      await a.sendmsg({ buffers: ["3456"] });
      assert.equal((await into).size, 6);
      assert.equal(Buffer.concat([x, y]).toString(), "123456");
      // aborted half way: the fds of the part already read are closed
      const ac = new AbortController();
      const half = b.recvmsg({ size: 10, flags: MSG.WAITALL, maxFds: 2, signal: ac.signal });
      await a.sendmsg({ buffers: ["half"], fds: [f, f] });
      // abort only once the waiting call has read "half" (and taken its fds) off the queue
      const deadline = Date.now() + 10_000;
      while (b.bytesAvailable() > 0) {
        if (Date.now() > deadline) throw new Error("the waiting MSG_WAITALL recvmsg did not read 'half' within 10 s");
        await turn();
      }
      ac.abort();
      await assert.rejects(half, { name: "AbortError" });
      // EOF ends the wait with what came
      await a.sendmsg({ buffers: ["tail"] });
      a.shutdown("write");
      const tail = await b.recvmsg({ size: 100, flags: MSG.WAITALL });
      assert.equal(tail.data.toString(), "tail");
      closeSync(f);
      a.close();
      b.close();
    });
  });

  test("SCM_MAX_FD fds go in one message; one more is a RangeError before any syscall", async () => {
    await noLeak(async () => {
      const [a, b] = socketpair("unix", "stream");
      const f = openSync(fileWith("max"), "r");
      const many = new Array<number>(SCM.MAX_FD).fill(f);
      assert.throws(() => a.sendmsg({ buffers: ["!"], fds: [...many, f] }), {
        name: "RangeError",
        code: "ERR_OUT_OF_RANGE",
      });
      assert.throws(() => sendFds(a, "!", [...many, f]), { code: "ERR_OUT_OF_RANGE" });
      assert.equal(b.bytesAvailable(), 0, "nothing was sent");
      await a.sendmsg({ buffers: ["!"], fds: many });
      const m = await b.recvmsg({ maxFds: SCM.MAX_FD });
      assert.equal(m.fds.length, SCM.MAX_FD);
      assert.equal(m.controlTruncated, false);
      for (const fd of m.fds) closeSync(fd);
      closeSync(f);
      a.close();
      b.close();
    });
  });

  test("programmer errors are thrown at once", async () => {
    const [a, b] = socketpair("unix", "stream");
    const closed = new Socket("unix", "stream");
    closed.close();
    assert.throws(() => a.sendmsg({ buffers: ["x"], fds: [closed] }), { code: "ERR_INVALID_ARG_VALUE" });
    assert.throws(() => a.sendmsg({ buffers: ["x"], fds: [{} as never] }), { code: "ERR_INVALID_ARG_TYPE" });
    assert.throws(() => a.sendmsg({ buffers: ["x"], fds: [-1] }), { code: "ERR_OUT_OF_RANGE" });
    assert.throws(
      () => a.sendmsg({ buffers: [], fds: [0] }),
      { code: "ERR_INVALID_ARG_VALUE" },
      "a stream needs one byte with the fds",
    );
    assert.throws(() => b.recvmsg({ maxFds: SCM.MAX_FD + 1 }), { code: "ERR_OUT_OF_RANGE" });
    const u = new Socket("inet", "dgram");
    assert.throws(() => u.sendmsg({ buffers: ["x"], fds: [0], address: "127.0.0.1:9" }), {
      code: "ERR_INVALID_ARG_VALUE",
    });
    u.close();
    a.close();
    b.close();
  });

  test("sendFds / recvFds", async () => {
    await noLeak(async () => {
      const [a, b] = socketpair("unix", "stream");
      const f = openSync(fileWith("convenient"), "r");
      const big = Buffer.alloc(1 << 20, 7);
      // a large payload: the kernel takes part, sendFds sends the rest
      const sent = sendFds(a, big, [f]);
      const first = await recvFds(b, 1 << 20, 1);
      assert.equal(first.fds.length, 1);
      let total = first.data.length;
      while (total < big.length) total += (await b.recv(1 << 20)).length;
      assert.equal(await sent, big.length);
      assert.equal(readFd(first.fds[0]!), "convenient");
      closeSync(first.fds[0]!);
      closeSync(f);
      a.close();
      b.close();
    });
  });
});

describe("credentials", () => {
  test("SO_PEERCRED names this process on both ends of a socketpair", () => {
    const [a, b] = socketpair("unix", "stream");
    const want = { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() };
    assert.deepEqual(peerCredentials(a), want);
    assert.deepEqual(peerCredentials(b), want);
    assert.ok(Array.isArray(peerGroups(a)));
    a.close();
    b.close();
    assert.throws(() => peerCredentials(a), { code: "ERR_SOCKET_CLOSED" });
  });

  test("SO_PASSCRED: the kernel attaches the sender's credentials", async () => {
    const [a, b] = socketpair("unix", "dgram");
    b.setsockopt("SOL_SOCKET", "SO_PASSCRED", true);
    await a.sendmsg({ buffers: ["who"] });
    const m = await b.recvmsg();
    assert.deepEqual(m.credentials, { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
    // explicit credentials: our own are always allowed
    await a.sendmsg({
      buffers: ["me"],
      credentials: { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() },
    });
    assert.equal((await b.recvmsg()).credentials?.pid, process.pid);
    a.close();
    b.close();
  });

  test("SCM_CREDENTIALS of another user: allowed with CAP_SETUID/CAP_SETGID, else EPERM", async () => {
    const [a, b] = socketpair("unix", "seqpacket");
    b.setsockopt("SOL_SOCKET", "SO_PASSCRED", true);
    const other = { pid: process.pid, uid: 65534, gid: 65534 };
    if (process.getuid!() === 0) {
      await a.sendmsg({ buffers: ["as nobody"], credentials: other });
      assert.deepEqual((await b.recvmsg()).credentials, other);
    } else {
      await assert.rejects(a.sendmsg({ buffers: ["as nobody"], credentials: other }), {
        code: "EPERM",
        syscall: "sendmsg",
      });
    }
    a.close();
    b.close();
  });

  test(
    "root sends another process's credentials (CAP_SYS_ADMIN for the pid); a pid that does not exist is ESRCH",
    { skip: process.getuid!() === 0 ? false : "needs root (CAP_SYS_ADMIN, CAP_SETUID, CAP_SETGID)" },
    async () => {
      const [a, b] = socketpair("unix", "dgram");
      b.setsockopt("SOL_SOCKET", "SO_PASSCRED", true);
      const other = { pid: process.ppid, uid: 65534, gid: 65534 };
      await a.sendmsg({ buffers: ["as my parent"], credentials: other });
      assert.deepEqual((await b.recvmsg()).credentials, other);
      // the kernel looks the pid up (find_get_pid): there must be such a process
      await assert.rejects(a.sendmsg({ buffers: ["ghost"], credentials: { ...other, pid: 0x3ffffffe } }), {
        code: "ESRCH",
        syscall: "sendmsg",
      });
      a.close();
      b.close();
    },
  );

  test("SO_PEERSEC: the peer's security context where an LSM provides one, else ENOPROTOOPT", () => {
    const [a, b] = socketpair("unix", "stream");
    try {
      let label: string | undefined;
      try {
        label = a.getsockopt("SOL_SOCKET", "SO_PEERSEC");
      } catch (e) {
        // No LSM that labels sockets (SELinux, Smack, AppArmor with af_unix
        // mediation): security_socket_getpeersec_stream() answers ENOPROTOOPT.
        assert.equal((e as { code?: string }).code, "ENOPROTOOPT");
        assert.equal((e as { syscall?: string }).syscall, "getsockopt");
      }
      if (label !== undefined) assert.ok(typeof label === "string" && label.length > 0, `label ${label}`);
      // SO_PASSSEC is a plain boolean (SCM_SECURITY then comes with each message, where an LSM labels them)
      b.setsockopt("SOL_SOCKET", "SO_PASSSEC", true);
      assert.equal(b.getsockopt("SOL_SOCKET", "SO_PASSSEC"), true);
      assert.throws(() => a.setsockopt("SOL_SOCKET", "SO_PEERSEC", "x" as never), { code: "ERR_INVALID_ARG_VALUE" });
    } finally {
      a.close();
      b.close();
    }
  });

  test("SO_PASSPIDFD / SO_PEERPIDFD / SCM_PIDFD without header support are ERR_NOT_SUPPORTED, never a guessed number", () => {
    const [a, b] = socketpair("unix", "stream");
    try {
      for (const name of ["SO_PASSPIDFD", "SO_PEERPIDFD"] as const) {
        if (SO[name.slice(3)] === undefined) {
          assert.throws(() => a.getsockopt("SOL_SOCKET", name), { code: "ERR_NOT_SUPPORTED" });
        } else {
          assert.doesNotThrow(() => b.setsockopt("SOL_SOCKET", "SO_PASSPIDFD", true));
        }
      }
      if (SCM.PIDFD === undefined) {
        assert.throws(
          () =>
            a.sendmsg({ buffers: ["x"], control: [{ level: "SOL_SOCKET", type: "SCM_PIDFD", data: Buffer.alloc(4) }] }),
          {
            code: "ERR_UNKNOWN_CONSTANT",
          },
        );
      }
    } finally {
      a.close();
      b.close();
    }
  });

  test(
    "SO_PEERPIDFD and SCM_PIDFD: a pidfd of the peer, owned by the caller",
    {
      skip:
        SO.PEERPIDFD !== undefined && SO.PASSPIDFD !== undefined && SCM.PIDFD !== undefined
          ? false
          : "this system's headers (linux-libc-dev < 6.5, glibc < 2.39) define none of SO_PEERPIDFD, SO_PASSPIDFD, SCM_PIDFD; the kernel has them, but sockit takes numbers only from headers",
    },
    async () => {
      const pidOf = (fd: number): number => {
        const info = readFileSync(`/proc/self/fdinfo/${fd}`, "utf8");
        return Number(/^Pid:\s*(-?\d+)/m.exec(info)?.[1]);
      };
      await noLeak(async () => {
        const [a, b] = socketpair("unix", "stream");
        const peer = a.getsockopt("SOL_SOCKET", "SO_PEERPIDFD") as number;
        assert.equal(pidOf(peer), process.pid);
        closeSync(peer);
        b.setsockopt("SOL_SOCKET", "SO_PASSPIDFD", true);
        await a.sendmsg({ buffers: ["x"] });
        const m = await b.recvmsg();
        assert.equal(typeof m.pidfd, "number");
        assert.equal(pidOf(m.pidfd!), process.pid);
        closeSync(m.pidfd!);
        // a batch hands out no pidfd: it is closed
        const [c, d] = socketpair("unix", "dgram");
        d.setsockopt("SOL_SOCKET", "SO_PASSPIDFD", true);
        await c.sendmsg({ buffers: ["y"] });
        const [got] = await d.recvBatch({ controlSize: 256 });
        assert.equal(got!.controlTruncated, true);
        for (const s of [a, b, c, d]) s.close();
      });
    },
  );

  test("acceptAllowed admits listed users and closes everyone else", async () => {
    const path = join(dir, "admit.sock");
    const server = new Socket("unix", "stream");
    server.bind(path);
    server.listen();
    const uid = process.getuid!();
    const gid = process.getgid!();
    // admitted by uid
    const c1 = new Socket("unix", "stream");
    await c1.connect(path);
    const { socket: s1, credentials } = await acceptAllowed(server, { uids: [uid] });
    assert.equal(credentials.pid, process.pid);
    assert.equal(peerAllowed(s1, { gids: [gid] }), true);
    assert.equal(peerAllowed(s1, { uids: [uid + 1], gids: [] }), false);
    s1.close();
    c1.close();
    // denied: the connection is closed (the client reads EOF) and the wait goes on
    const c2 = new Socket("unix", "stream");
    await c2.connect(path);
    const denied: number[] = [];
    await assert.rejects(
      acceptAllowed(server, { uids: [uid + 1] }, { timeout: 100, onDenied: (c) => denied.push(c.uid) }),
      { code: "ETIMEDOUT" },
    );
    assert.deepEqual(denied, [uid]);
    assert.equal((await c2.recv(10)).length, 0, "EOF: the server closed the denied connection");
    c2.close();
    assert.throws(() => peerAllowed(server, {}), { code: "ERR_INVALID_ARG_VALUE" });
    server.close();
  });

  test("credential policies on a non-Unix socket are refused at setup: TypeError ERR_SOCKET_BAD_TYPE, thrown at once", async () => {
    // TCP has no peer credentials: SO_PEERCRED reads uid/gid -1 (or the overflow id 65534 on older
    // kernels — nobody's id!) and SO_PEERGROUPS fails ENODATA. A policy there can never mean anything.
    const before = openFds();
    for (const family of ["inet", "inet6"] as const) {
      const l = new Socket(family, "stream");
      l.bind(family === "inet" ? "127.0.0.1:0" : "[::1]:0");
      l.listen();
      const c = new Socket(family, "stream");
      await c.connect(l.getsockname());
      for (const policy of [{ gids: [process.getgid!()] }, { uids: [process.getuid!()] }, { uids: [0xffffffff] }]) {
        let p: unknown;
        assert.throws(
          () => {
            p = acceptAllowed(l, policy, { timeout: 2000 });
          },
          (e: unknown) => e instanceof TypeError && (e as { code?: string }).code === "ERR_SOCKET_BAD_TYPE",
        );
        assert.equal(p, undefined);
      }
      // The pending connection was not consumed: a plain accept still gets it.
      const conn = await l.accept({ timeout: 2000 });
      assert.throws(() => peerAllowed(conn, { gids: [1] }), { code: "ERR_SOCKET_BAD_TYPE" });
      assert.throws(() => peerCredentials(conn), { code: "ERR_SOCKET_BAD_TYPE" });
      assert.throws(() => peerGroups(conn), { code: "ERR_SOCKET_BAD_TYPE" });
      for (const s of [conn, c, l]) s.close();
    }
    assert.deepEqual(newFds(before), []);
  });
});

// ---------------------------------------------------------------------------
// Interop with CPython (socket.send_fds / recv_fds, sendmsg / recvmsg).

/**
 * Runs a Python script; `done` resolves with its stdout when it exits 0. A
 * script still running after `timeout` ms is killed (and `done` rejects);
 * `kill()` (for a test's `finally`) ends one the test no longer waits for.
 */
function python(script: string, args: string[], timeout = 20_000): { done: Promise<string>; kill: () => void } {
  const child = spawn("python3", ["-c", script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  let timedOut = false;
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, timeout);
  const done = new Promise<string>((res, rej) => {
    child.on("error", (e) => {
      clearTimeout(timer);
      rej(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) res(out);
      else if (timedOut) rej(new Error(`python3 did not finish within ${timeout} ms and was killed: ${err}`));
      else rej(new Error(`python3 exited ${code ?? signal}: ${err}`));
    });
  });
  // a test that fails before awaiting `done` must not also leave an unhandled rejection
  done.catch(() => {});
  return { done, kill };
}

describe("interop with CPython", { skip: spawnSyncOk() ? false : "python3 is not available" }, () => {
  let server: Socket;
  let path: string;
  before(() => {
    path = join(dir, "py.sock");
    server = new Socket("unix", "stream");
    server.bind(path);
    server.listen();
  });
  after(() => server.close());

  test("Python passes an fd of a file it opened; sockit reads the file through it, and passes one back", async () => {
    const mine = fileWith("opened by sockit");
    await noLeak(async () => {
      const py = python(
        `
import socket, sys, os
path, theirs = sys.argv[1], sys.argv[2]
with open(theirs, "w") as f:
    f.write("opened by python")
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
fd = os.open(theirs, os.O_RDONLY)
socket.send_fds(s, [b"from python"], [fd])
os.close(fd)
msg, fds, flags, addr = socket.recv_fds(s, 100, 4)
print(msg.decode())
print(len(fds))
print(os.pread(fds[0], 100, 0).decode())
for f in fds: os.close(f)
`,
        [path, join(dir, "python-file")],
      );
      try {
        const conn = await server.accept({ timeout: 10000 });
        const m = await recvFds(conn, 100, 4);
        assert.equal(m.data.toString(), "from python");
        assert.equal(m.fds.length, 1);
        assert.equal(readFd(m.fds[0]!), "opened by python");
        closeSync(m.fds[0]!);
        const f = openSync(mine, "r");
        await sendFds(conn, "from sockit", [f]);
        closeSync(f);
        assert.deepEqual((await py.done).trim().split("\n"), ["from sockit", "1", "opened by sockit"]);
        conn.close();
      } finally {
        py.kill();
      }
    });
  });

  test("Python's recvmsg sees sockit's SCM_CREDENTIALS; sockit's recvmsg sees Python's", async () => {
    const py = python(
      `
import socket, sys, os, struct
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.connect(sys.argv[1])
msg, anc, flags, addr = s.recvmsg(100, socket.CMSG_SPACE(12))
for level, typ, data in anc:
    if level == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS:
        print("%d %d %d" % struct.unpack("iII", data))
creds = struct.pack("iII", os.getpid(), os.getuid(), os.getgid())
s.sendmsg([b"py creds"], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, creds)])
print(os.getpid())
s.recv(1)
`,
      [path],
    );
    try {
      const conn = await server.accept({ timeout: 10000 });
      conn.setsockopt("SOL_SOCKET", "SO_PASSCRED", true);
      // Python enabled SO_PASSCRED before connecting, so the kernel adds ours anyway
      await conn.sendmsg({
        buffers: ["hi"],
        credentials: { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() },
      });
      const m = await conn.recvmsg({ size: 100 });
      assert.equal(m.data.toString(), "py creds");
      const creds = m.credentials!;
      assert.equal(creds.uid, process.getuid!());
      conn.shutdown("write");
      const lines = (await py.done).trim().split("\n");
      assert.equal(lines[0], `${process.pid} ${process.getuid!()} ${process.getgid!()}`);
      assert.equal(String(creds.pid), lines[1]);
      conn.close();
    } finally {
      py.kill();
    }
  });

  test("Python recvmsg reads sockit's gathered buffers and fds on a datagram socket", async () => {
    const dpath = join(dir, "py-dgram.sock");
    const d = new Socket("unix", "dgram");
    d.bind(dpath);
    const py = python(
      `
import socket, sys, os, array
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[2])
s.sendto(b"ready", sys.argv[1])
msg, anc, flags, addr = s.recvmsg(100, socket.CMSG_SPACE(3 * 4))
fds = array.array("i")
for level, typ, data in anc:
    if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
        fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
print(msg.decode(), len(fds), flags & socket.MSG_CTRUNC)
print(os.pread(fds[0], 100, 0).decode())
for f in fds: os.close(f)
`,
      [dpath, join(dir, "py-dgram-peer.sock")],
    );
    try {
      const ready = await d.recvmsg({ timeout: 10000 });
      assert.equal(ready.data.toString(), "ready");
      assert.deepEqual(ready.address, { family: "unix", path: join(dir, "py-dgram-peer.sock") });
      const f = openSync(fileWith("dgram fd"), "r");
      await d.sendmsg({ buffers: ["ga", "th", "er"], fds: [f, f, f], address: ready.address! });
      closeSync(f);
      assert.deepEqual((await py.done).trim().split("\n"), ["gather 3 0", "dgram fd"]);
      d.close();
    } finally {
      py.kill();
    }
  });
});

function spawnSyncOk(): boolean {
  try {
    return readdirSync("/usr/bin").includes("python3") || readdirSync("/usr/local/bin").includes("python3");
  } catch {
    return false;
  }
}
