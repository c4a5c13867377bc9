/**
 * posix.sendmsg / posix.recvmsg: the message calls on plain fd numbers,
 * blocking as in C — scatter/gather, fds and credentials over Unix sockets,
 * truncation (MSG_TRUNC for the real length), IP_PKTINFO both ways, the
 * error queue, interop with Socket, no fd leaks, and errors before the
 * syscall.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { closeSync, openSync, writeFileSync, writeSync } from "node:fs";
import { after, describe, test } from "node:test";
import { AF, IPPROTO, MSG, SCM, SOCK } from "../../src/constants.js";
import { CMSG_LEN } from "../../src/control.js";
import * as posix from "../../src/posix.js";
import { Socket } from "../../src/socket.js";
import { tempDir, within, newFds, openFds, readFd } from "../helpers.js";

const fds: number[] = [];
function own(fd: number): number {
  fds.push(fd);
  return fd;
}
after(() => {
  for (const fd of fds) {
    try {
      posix.close(fd);
    } catch {
      // already closed by the test
    }
  }
});

const tmp = tempDir("sockit-posix-msg-");
after(() => tmp.cleanup());

function pair(type: number = SOCK.DGRAM): [number, number] {
  const [a, b] = posix.socketpair(AF.UNIX, type, 0);
  return [own(a), own(b)];
}

/** Whether this kernel can make an SCTP socket (the sctp module may be absent). */
function sctp(): boolean {
  try {
    posix.close(posix.socket(AF.INET, SOCK.SEQPACKET, IPPROTO.SCTP));
    return true;
  } catch {
    return false;
  }
}

describe("posix.sendmsg / posix.recvmsg", () => {
  test("gathers on send, scatters into caller buffers on receive", () => {
    const [a, b] = pair();
    assert.equal(posix.sendmsg(a, { buffers: ["hello ", Buffer.from("posix "), new Uint8Array([0x21])] }), 13);
    const x = Buffer.alloc(4);
    const y = Buffer.alloc(16);
    const m = posix.recvmsg(b, { buffers: [x, y] });
    assert.equal(m.size, 13);
    assert.equal(m.data.toString(), "hello posix !");
    assert.equal(x.toString(), "hell");
    assert.equal(y.subarray(0, 9).toString(), "o posix !");
    assert.equal(m.truncated, false);
    assert.equal(m.controlTruncated, false);
    assert.deepEqual(m.fds, []);
    assert.deepEqual(m.address, { family: "unix", path: "" });
  });

  test("a long datagram is cut as in C; MSG_TRUNC gives its real length", () => {
    const [a, b] = pair();
    posix.sendmsg(a, { buffers: ["0123456789"] });
    posix.sendmsg(a, { buffers: ["abcdefghij"] });
    const m = posix.recvmsg(b, { size: 4 });
    assert.equal(m.data.toString(), "0123");
    assert.equal(m.size, 4);
    assert.equal(m.truncated, true);
    assert.ok(m.flags & MSG.TRUNC);
    const t = posix.recvmsg(b, { size: 4 }, MSG.TRUNC);
    assert.equal(t.data.toString(), "abcd");
    assert.equal(t.size, 10);
    assert.equal(t.truncated, true);
  });

  test("passes fds and credentials; the receiver reads the file through its fd", () => {
    const [a, b] = pair(SOCK.STREAM);
    const path = `${tmp.path}/f`;
    writeFileSync(path, "through a posix fd");
    const f = openSync(path, "r");
    try {
      posix.setsockopt(b, "SOL_SOCKET", "SO_PASSCRED", true);
      const cred = { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() };
      assert.equal(posix.sendmsg(a, { buffers: ["x"], fds: [f], credentials: cred }), 1);
      const m = posix.recvmsg(b, { size: 16, maxFds: 4 });
      assert.equal(m.data.toString(), "x");
      assert.deepEqual(m.credentials, cred);
      assert.equal(m.fds.length, 1);
      const got = m.fds[0]!;
      assert.notEqual(got, f);
      assert.equal(readFd(got), "through a posix fd");
      // MSG_CMSG_CLOEXEC: the received fd is close-on-exec like every sockit fd.
      assert.ok(posix.fcntl(got, 1 /* F_GETFD */) & 1 /* FD_CLOEXEC */);
      const rights = m.control.find((c) => c.type === SCM.RIGHTS);
      assert.ok(rights && rights.data.length === 4);
      closeSync(got);
    } finally {
      closeSync(f);
    }
  });

  test("fds beyond maxFds are closed at once and reported; nothing leaks", () => {
    const [a, b] = pair();
    const f = openSync("/dev/null", "r");
    try {
      const before = openFds();
      posix.sendmsg(a, { buffers: ["three"], fds: [f, f, f] });
      const m = posix.recvmsg(b, { maxFds: 1 });
      assert.equal(m.fds.length, 1);
      assert.equal(m.controlTruncated, true);
      assert.equal(newFds(before).length, 1);
      closeSync(m.fds[0]!);
      // maxFds 0 (the default): every fd is closed.
      posix.sendmsg(a, { buffers: ["two"], fds: [f, f] });
      const n = posix.recvmsg(b);
      assert.deepEqual(n.fds, []);
      assert.equal(n.controlTruncated, true);
      assert.deepEqual(newFds(before), []);
    } finally {
      closeSync(f);
    }
  });

  test("MSG_CTRUNC: a control buffer too small keeps what fits; the rest never reaches this process", () => {
    const [a, b] = pair();
    const f = openSync("/dev/null", "r");
    try {
      const before = openFds();
      posix.sendmsg(a, { buffers: ["x"], fds: [f, f, f, f] });
      // room for one fd only (CMSG_LEN(4)): the kernel installs what fits and sets MSG_CTRUNC
      const m = posix.recvmsg(b, { maxFds: 4, controlSize: CMSG_LEN(4) });
      assert.equal(m.controlTruncated, true);
      assert.ok(m.flags & MSG.CTRUNC);
      assert.equal(m.fds.length, 1);
      for (const g of m.fds) closeSync(g);
      assert.deepEqual(newFds(before), []);
    } finally {
      closeSync(f);
    }
  });

  test("interop with Socket: posix sends fds, Socket.recvmsg adopts them, and back", async () => {
    const [a, b] = pair();
    const s = Socket.fromFd(posix.fcntl(b, 0 /* F_DUPFD */, 0));
    try {
      const [x, y] = posix.socketpair(AF.UNIX, SOCK.STREAM, 0);
      own(x);
      own(y);
      posix.sendmsg(a, { buffers: ["a socket"], fds: [x] });
      const m = await s.recvmsg({ maxFds: 1, timeout: 5000 });
      assert.equal(m.data.toString(), "a socket");
      const passed = Socket.fromFd(m.fds[0]!);
      posix.send(y, "ping", 0);
      assert.equal((await passed.recv(16, { timeout: 5000 })).toString(), "ping");
      passed.close();
      // and back: Socket.sendmsg, posix.recvmsg
      await s.sendmsg({ buffers: ["back"], fds: [y] });
      const r = posix.recvmsg(a, { maxFds: 1 });
      assert.equal(r.data.toString(), "back");
      assert.equal(r.fds.length, 1);
      posix.close(r.fds[0]!);
    } finally {
      s.close();
    }
  });

  test("blocks the thread until a message comes (a child writes later)", async () => {
    const [a, b] = pair();
    // The blocking call stops the event loop, so no test timeout could end it:
    // if the child never writes (it failed to start, was killed...), the
    // kernel's receive timeout does, and the call throws instead of hanging.
    posix.setsockopt(b, "SOL_SOCKET", "SO_RCVTIMEO", 30_000);
    const child = spawn(process.execPath, ["-e", "setTimeout(() => require('fs').writeSync(3, 'late'), 300)"], {
      stdio: ["ignore", "ignore", "inherit", a],
    });
    // 'close' also comes after a failed spawn (which has 'error' and no 'exit')
    const closed = new Promise((res) => child.on("close", res));
    child.on("error", () => {});
    try {
      const t0 = performance.now();
      const m = posix.recvmsg(b, { size: 16 });
      const waited = performance.now() - t0;
      assert.equal(m.data.toString(), "late");
      assert.ok(waited >= 150, `recvmsg returned after ${waited.toFixed(0)} ms`);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await within(closed, "the writing child's exit");
    }
  });

  test("IP_PKTINFO: the destination on receive, the source chosen on send", () => {
    const srv = own(posix.socket(AF.INET, SOCK.DGRAM, 0));
    posix.bind(srv, "0.0.0.0:0");
    posix.setsockopt(srv, "IPPROTO_IP", "IP_PKTINFO", true);
    const port = (posix.getsockname(srv) as { port: number }).port;
    const cli = own(posix.socket(AF.INET, SOCK.DGRAM, 0));
    posix.bind(cli, "127.0.0.1:0");
    posix.sendto(cli, "q", `127.0.0.2:${port}`);
    const q = posix.recvmsg(srv, { size: 64 });
    assert.equal(q.pktinfo?.address, "127.0.0.2");
    assert.equal(q.pktinfo?.family, "inet");
    assert.ok((q.pktinfo?.ifindex ?? 0) > 0);
    // answer from the address the query went to, not the wildcard's choice
    posix.sendmsg(srv, { buffers: ["a"], address: q.address!, pktinfo: q.pktinfo! });
    const r = posix.recvfrom(cli, 64);
    assert.deepEqual(r.address, { family: "inet", address: "127.0.0.2", port });
  });

  test("MSG_ERRQUEUE: an ICMP port unreachable, decoded", () => {
    const s = own(posix.socket(AF.INET, SOCK.DGRAM, 0));
    posix.setsockopt(s, "IPPROTO_IP", "IP_RECVERR", true);
    // The kernel may drop an ICMP error (icmp_msgs_per_sec, shared with every
    // test on the machine), and a port closed here may be bound again by
    // another process: send to a freshly closed port until a report comes.
    let m: posix.ReceivedMessage | undefined;
    for (let i = 0; i < 100 && !m; i++) {
      if (i % 10 === 0) {
        const closed = posix.socket(AF.INET, SOCK.DGRAM, 0);
        posix.bind(closed, "127.0.0.1:0");
        const to = posix.getsockname(closed);
        posix.close(closed);
        posix.sendmsg(s, { buffers: ["x"], address: to });
      }
      try {
        m = posix.recvmsg(s, { size: 64 }, MSG.ERRQUEUE | MSG.DONTWAIT);
      } catch (e) {
        if ((e as { code?: string }).code !== "EAGAIN") throw e;
        posix.poll([{ fd: s, events: 0 }], 50); // POLLERR: the error queue has something
      }
    }
    assert.ok(m, "no error-queue report");
    assert.ok(m.flags & MSG.ERRQUEUE);
    assert.equal(m.error?.code, "ECONNREFUSED");
    assert.equal(m.error?.origin, "icmp");
    assert.deepEqual(m.error?.offender, { family: "inet", address: "127.0.0.1", port: 0 });
    assert.equal(m.control[0]?.level, IPPROTO.IP);
  });

  test("errors: EAGAIN on a non-blocking fd, ENOTSOCK, programmer errors before any syscall", () => {
    const nb = own(posix.socket(AF.INET, SOCK.DGRAM | SOCK.NONBLOCK, 0));
    posix.bind(nb, "127.0.0.1:0");
    assert.throws(() => posix.recvmsg(nb), { code: "EAGAIN", syscall: "recvmsg" });
    const [a, b] = pair(SOCK.STREAM);
    const f = openSync("/dev/null", "r");
    try {
      assert.throws(() => posix.sendmsg(f, { buffers: ["x"] }), { code: "ENOTSOCK", syscall: "sendmsg" });
      assert.throws(() => posix.recvmsg(f), { code: "ENOTSOCK", syscall: "recvmsg" });
      const tooMany = new Array<number>(SCM.MAX_FD + 1).fill(f);
      assert.throws(() => posix.sendmsg(a, { buffers: ["x"], fds: tooMany }), { code: "ERR_OUT_OF_RANGE" });
      // unix(7): ancillary data on a stream needs at least one byte of data
      assert.throws(() => posix.sendmsg(a, { fds: [f] }), { code: "ERR_INVALID_ARG_VALUE" });
      assert.throws(() => posix.sendmsg(a, null as never), { code: "ERR_INVALID_ARG_TYPE" });
      assert.throws(() => posix.recvmsg(b, { size: -1 }), { code: "ERR_OUT_OF_RANGE" });
      assert.throws(() => posix.recvmsg(b, { size: 1, buffers: [Buffer.alloc(1)] }), {
        code: "ERR_INVALID_ARG_VALUE",
      });
      assert.throws(() => posix.recvmsg(-1), { code: "ERR_OUT_OF_RANGE" });
      assert.throws(() => posix.sendmsg(a, { buffers: ["x"] }, 1.5), { code: "ERR_INVALID_ARG_TYPE" });
      // nothing of the above reached the peer
      posix.sendmsg(a, { buffers: ["ok"] });
      assert.equal(posix.recvmsg(b, { size: 16 }).data.toString(), "ok");
    } finally {
      closeSync(f);
    }
  });

  test("MSG_NOSIGNAL on every message send: a closed peer is EPIPE, never SIGPIPE", async () => {
    let sigpipes = 0;
    const onSigpipe = (): void => {
      sigpipes++;
    };
    process.on("SIGPIPE", onSigpipe);
    try {
      const [a, b] = posix.socketpair(AF.UNIX, SOCK.STREAM, 0);
      posix.close(b);
      assert.throws(() => posix.sendmsg(a, { buffers: ["void"] }), { code: "EPIPE", syscall: "sendmsg" });
      const s = Socket.fromFd(a);
      try {
        await assert.rejects(s.sendmsg({ buffers: ["void"] }), { code: "EPIPE", syscall: "sendmsg" });
        // sendBatch on a stream is one gathered sendmsg; on seqpacket, sendmmsg.
        await assert.rejects(s.sendBatch([{ data: "void" }]), { code: "EPIPE", syscall: "sendmsg" });
        const [c, d] = posix.socketpair(AF.UNIX, SOCK.SEQPACKET, 0);
        posix.close(d);
        const q = Socket.fromFd(c);
        try {
          await assert.rejects(q.sendBatch([{ data: "void" }]), { code: "EPIPE", syscall: "sendmmsg" });
        } finally {
          q.close();
        }
        // a control: write(2) has no MSG_NOSIGNAL and does raise SIGPIPE
        assert.throws(() => writeSync(s.fd, "x"), /EPIPE/);
        for (let i = 0; sigpipes === 0 && i < 500; i++) await new Promise((r) => setImmediate(r));
        assert.equal(sigpipes, 1, "only the control write raised SIGPIPE");
      } finally {
        s.close();
      }
    } finally {
      process.off("SIGPIPE", onSigpipe);
    }
  });

  test("MSG_EOR goes through on seqpacket and TCP sends; message boundaries hold", async () => {
    const [a, b] = pair(SOCK.SEQPACKET);
    posix.sendmsg(a, { buffers: ["rec", "ord"] }, MSG.EOR);
    posix.sendmsg(a, { buffers: ["two"] }, MSG.EOR);
    assert.equal(posix.recvmsg(b, { size: 64 }).data.toString(), "record");
    assert.equal(posix.recvmsg(b, { size: 64 }).data.toString(), "two");
    // TCP (Linux 4.8): MSG_EOR keeps the bytes out of the next segment's skb; the stream is unchanged.
    const l = new Socket("inet", "stream");
    l.bind("127.0.0.1:0");
    l.listen();
    const c = own(posix.socket(AF.INET, SOCK.STREAM, 0));
    posix.connect(c, l.getsockname());
    const s = await l.accept();
    try {
      assert.equal(posix.sendmsg(c, { buffers: ["end"] }, MSG.EOR), 3);
      assert.equal((await s.recv(16, { timeout: 5000 })).toString(), "end");
    } finally {
      s.close();
      l.close();
    }
  });

  test(
    "MSG_EOR is reported in msg_flags by a record protocol (SCTP)",
    { skip: sctp() ? false : "Linux sets MSG_EOR on receive only for SCTP (and TIPC); SCTP is not available here" },
    () => {
      const srv = own(posix.socket(AF.INET, SOCK.SEQPACKET, IPPROTO.SCTP));
      posix.bind(srv, "127.0.0.1:0");
      posix.listen(srv, 1);
      const cli = own(posix.socket(AF.INET, SOCK.SEQPACKET, IPPROTO.SCTP));
      posix.sendmsg(cli, { buffers: ["whole"], address: posix.getsockname(srv) }, MSG.EOR);
      const m = posix.recvmsg(srv, { size: 64 });
      assert.equal(m.data.toString(), "whole");
      assert.ok(m.flags & MSG.EOR, "msg_flags has MSG_EOR");
    },
  );
});
