/**
 * sendmsg/recvmsg on loopback and socketpairs: scatter/gather, addresses,
 * truncation, flags, packet metadata (IP_PKTINFO/IPV6_PKTINFO both ways,
 * TTL/hop limit, TOS/traffic class, SO_TIMESTAMPNS, UDP GSO), the error queue
 * (IP_RECVERR/IPV6_RECVERR with MSG_ERRQUEUE), and the batched calls
 * (recvmmsg/sendmmsg, messages()).
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { IPPROTO, IP, MSG, SOL } from "../../src/constants.js";
import { SOF } from "../../src/control.js";
import type { BatchDatagram } from "../../src/messages.js";
import { ERRNO } from "../../src/errors.js";
import { clockRealtimeNs } from "../../src/raw/index.js";
import { native } from "../../src/raw/native.js";
import { Socket, socketpair } from "../../src/socket.js";
import { newFds, openFds } from "../helpers.js";

const open: Socket[] = [];
function track<T extends Socket>(s: T): T {
  open.push(s);
  return s;
}
after(() => {
  for (const s of open) s.close();
});

function udp(family: "inet" | "inet6", bind = family === "inet" ? "127.0.0.1:0" : "[::1]:0"): Socket {
  const s = track(new Socket(family, "dgram"));
  s.bind(bind);
  return s;
}

function i32(v: number): Buffer {
  const b = Buffer.alloc(4);
  new DataView(b.buffer).setInt32(0, v, new Uint8Array(new Uint16Array([1]).buffer)[0] === 1);
  return b;
}

function lo(): number {
  return native.ifNameToIndex("lo");
}

describe("sendmsg / recvmsg", () => {
  test("gathers buffers on send and scatters into caller buffers on receive", async () => {
    const [a, b] = socketpair("unix", "seqpacket").map(track) as [Socket, Socket];
    assert.equal(await a.sendmsg({ buffers: ["ab", Buffer.from("cd"), new Uint8Array([101, 102])] }), 6);
    const x = Buffer.alloc(2);
    const y = Buffer.alloc(10);
    const m = await b.recvmsg({ buffers: [x, y] });
    assert.equal(m.size, 6);
    assert.equal(x.toString(), "ab");
    assert.equal(y.subarray(0, 4).toString(), "cdef");
    assert.equal(m.data.toString(), "abcdef");
    assert.equal(m.truncated, false);
    // data that fits the first buffer is a view of it, not a copy
    await a.sendmsg({ buffers: ["z"] });
    const v = await b.recvmsg({ buffers: [x, y] });
    assert.equal(v.data.buffer, x.buffer);
    assert.equal(v.data.toString(), "z");
  });

  test("truncation is reported with the real length", async () => {
    const [a, b] = socketpair("unix", "dgram").map(track) as [Socket, Socket];
    await a.sendmsg({ buffers: [Buffer.alloc(100, 1)] });
    const m = await b.recvmsg({ size: 10 });
    assert.equal(m.truncated, true);
    assert.equal(m.size, 100);
    assert.equal(m.data.length, 10);
    assert.ok(m.flags & MSG.TRUNC);
    // larger than the shared scratch buffer
    await a.sendmsg({ buffers: [Buffer.alloc(70000, 2)] });
    const big = await b.recvmsg({ size: 100000 });
    assert.equal(big.data.length, 70000);
    assert.equal(big.truncated, false);
    assert.ok(big.data.every((x) => x === 2));
  });

  test("addresses: sender of a datagram, unnamed Unix peer, none on a stream", async () => {
    const s = udp("inet");
    const c = udp("inet");
    await c.sendmsg({ buffers: ["to"], address: s.getsockname() });
    const m = await s.recvmsg();
    assert.deepEqual(m.address, c.getsockname());
    await c.sendmsg({ buffers: ["str"], address: `127.0.0.1:${(s.getsockname() as { port: number }).port}` });
    assert.equal((await s.recvmsg()).data.toString(), "str");
    const [a, b] = socketpair("unix", "dgram").map(track) as [Socket, Socket];
    await a.sendmsg({ buffers: ["u"] });
    assert.deepEqual((await b.recvmsg()).address, { family: "unix", path: "" });
    const l = track(new Socket("inet", "stream"));
    l.bind("127.0.0.1:0");
    l.listen();
    const t = track(new Socket("inet", "stream"));
    await t.connect(l.getsockname());
    const conn = track(await l.accept());
    await t.sendmsg({ buffers: ["tcp"] });
    const r = await conn.recvmsg();
    assert.equal(r.data.toString(), "tcp");
    assert.equal(r.address, null);
    assert.deepEqual(r.control, []);
    assert.deepEqual(r.fds, []);
  });

  test("flags: MSG_PEEK leaves the message; MSG_CMSG_CLOEXEC is not echoed", async () => {
    const [a, b] = socketpair("unix", "dgram").map(track) as [Socket, Socket];
    await a.sendmsg({ buffers: ["peek"] });
    const p = await b.recvmsg({ flags: MSG.PEEK });
    assert.equal(p.data.toString(), "peek");
    assert.equal(p.flags & MSG.CMSG_CLOEXEC, 0);
    assert.equal((await b.recvmsg()).data.toString(), "peek");
  });

  test("MSG_OOB: TCP urgent data, read apart from the stream", async () => {
    const l = track(new Socket("inet", "stream"));
    l.bind("127.0.0.1:0");
    l.listen();
    const c = track(new Socket("inet", "stream"));
    await c.connect(l.getsockname());
    const s = track(await l.accept());
    // no urgent data at all: the kernel says EINVAL at once
    await assert.rejects(s.recvmsg({ flags: MSG.OOB }), { code: "EINVAL", syscall: "recvmsg" });
    await c.sendmsg({ buffers: ["abc"] });
    await c.sendmsg({ buffers: ["!"], flags: MSG.OOB });
    // until the urgent segment is in, the kernel still says EINVAL: retry a little
    let u;
    for (let i = 0; ; i++) {
      try {
        u = await s.recvmsg({ flags: MSG.OOB, timeout: 2000 });
        break;
      } catch (e) {
        if ((e as { code?: string }).code !== "EINVAL" || i > 100) throw e;
        await new Promise((res) => setTimeout(res, 10));
      }
    }
    assert.equal(u.data.toString(), "!");
    assert.equal((await s.recvmsg({ size: 3 })).data.toString(), "abc");
  });

  test("SIOCATMARK: atMark() finds urgent data, inline (SO_OOBINLINE) and out of line", async () => {
    const l = track(new Socket("inet", "stream"));
    l.bind("127.0.0.1:0");
    l.listen();
    async function pair(): Promise<[Socket, Socket]> {
      const c = track(new Socket("inet", "stream"));
      await c.connect(l.getsockname());
      return [c, track(await l.accept())];
    }
    async function arrived(s: Socket, n: number): Promise<void> {
      for (let i = 0; s.bytesAvailable() < n; i++) {
        assert.ok(i < 200, `waited for ${n} bytes, have ${s.bytesAvailable()}`);
        await new Promise((res) => setTimeout(res, 10));
      }
    }

    // Inline: the urgent byte stays in the stream; a read stops at the mark.
    let [c, s] = await pair();
    s.setsockopt("SOL_SOCKET", "SO_OOBINLINE", true);
    assert.equal(s.atMark(), false);
    await c.send("abc");
    await c.send("!", { flags: MSG.OOB });
    await c.send("def");
    await arrived(s, 7);
    assert.equal(s.atMark(), false);
    assert.equal((await s.recv(100)).toString(), "abc"); // stops at the mark
    assert.equal(s.atMark(), true); // the next byte is the urgent one
    assert.equal((await s.recv(100)).toString(), "!def");
    assert.equal(s.atMark(), false);

    // Out of line: the urgent byte is read with MSG_OOB; the mark is where it was.
    [c, s] = await pair();
    await c.send("xy");
    await c.send("U", { flags: MSG.OOB });
    await c.send("z");
    // (FIONREAD counts only the bytes before the mark here, so wait on the mark itself.)
    assert.equal((await s.recv(100)).toString(), "xy");
    for (let i = 0; !s.atMark(); i++) {
      assert.ok(i < 200, "the urgent byte never arrived");
      await new Promise((res) => setTimeout(res, 10));
    }
    assert.equal((await s.recv(1, { flags: MSG.OOB })).toString(), "U");
    assert.equal((await s.recv(100)).toString(), "z");
    assert.equal(s.atMark(), false);

    // UDP has no urgent data; a closed socket is a programmer error.
    assert.throws(() => udp("inet").atMark(), { code: "ENOTTY", syscall: "ioctl" });
    s.close();
    assert.throws(() => s.atMark(), { code: "ERR_SOCKET_CLOSED" });
  });

  test("MSG_MORE corks a UDP datagram until a send without it", async () => {
    const s = udp("inet");
    const c = udp("inet");
    await c.connect(s.getsockname());
    await c.sendmsg({ buffers: ["one "], flags: MSG.MORE });
    await c.sendmsg({ buffers: ["two "], flags: MSG.MORE });
    await c.sendmsg({ buffers: ["three"] });
    assert.equal((await s.recvmsg()).data.toString(), "one two three");
  });

  test("closed, timed out, aborted", async () => {
    const [a, b] = socketpair("unix", "dgram").map(track) as [Socket, Socket];
    await assert.rejects(b.recvmsg({ timeout: 10 }), { code: "ETIMEDOUT" });
    const ac = new AbortController();
    const p = b.recvmsg({ signal: ac.signal });
    ac.abort();
    await assert.rejects(p, { name: "AbortError" });
    const q = b.recvmsg();
    b.close();
    await assert.rejects(q, { code: "ERR_SOCKET_CLOSED" });
    await assert.rejects(b.sendmsg({ buffers: ["x"] }), { code: "ERR_SOCKET_CLOSED" });
    await assert.rejects(b.recvmsg(), { code: "ERR_SOCKET_CLOSED" });
    assert.throws(() => a.recvmsg({ size: 1, buffers: [Buffer.alloc(1)] }), { code: "ERR_INVALID_ARG_VALUE" });
    assert.throws(() => a.recvmsg({ buffers: new Array(1025).fill(Buffer.alloc(1)) }), { code: "ERR_OUT_OF_RANGE" });
    assert.throws(() => a.sendmsg({ buffers: [1 as never] }), { code: "ERR_INVALID_ARG_TYPE" });
    assert.throws(() => a.sendmsg(undefined as never), { code: "ERR_INVALID_ARG_TYPE" });
    assert.throws(() => a.recvmsg({ controlSize: -1 }), { code: "ERR_OUT_OF_RANGE" });
    assert.throws(() => a.recvmsg({ signal: {} as AbortSignal }), { code: "ERR_INVALID_ARG_TYPE" });
    assert.throws(() => a.sendmsg({ timeout: -1 }), { code: "ERR_OUT_OF_RANGE" });
    assert.throws(() => a.recvBatch({ timeout: NaN }), { code: "ERR_OUT_OF_RANGE" });
    assert.throws(() => a.sendBatch([], { signal: "x" as never }), { code: "ERR_INVALID_ARG_TYPE" });
  });

  test("raw control messages go out as given", async () => {
    const [a, b] = socketpair("unix", "dgram").map(track) as [Socket, Socket];
    b.setsockopt("SOL_SOCKET", "SO_PASSCRED", true);
    const ucred = Buffer.alloc(12);
    ucred.writeInt32LE(process.pid, 0);
    ucred.writeUInt32LE(process.getuid!(), 4);
    ucred.writeUInt32LE(process.getgid!(), 8);
    await a.sendmsg({ buffers: ["raw"], control: [{ level: "SOL_SOCKET", type: "SCM_CREDENTIALS", data: ucred }] });
    const m = await b.recvmsg();
    assert.equal(m.credentials?.pid, process.pid);
    // a control message the protocol does not know: EINVAL from the kernel
    await assert.rejects(
      a.sendmsg({ buffers: ["bad"], control: [{ level: SOL.SOCKET, type: 12345, data: Buffer.alloc(4) }] }),
      {
        code: "EINVAL",
        syscall: "sendmsg",
      },
    );
  });
});

describe("packet metadata", () => {
  test("IP_PKTINFO: destination and interface on receive; the source chosen on send", async () => {
    const server = track(new Socket("inet", "dgram"));
    server.bind("0.0.0.0:0");
    server.setsockopt("IPPROTO_IP", "IP_PKTINFO", true);
    const port = (server.getsockname() as { port: number }).port;
    const client = udp("inet");
    // 127.0.0.2 is a loopback address too: a reply from 0.0.0.0 would come from 127.0.0.1
    await client.sendmsg({ buffers: ["q"], address: `127.0.0.2:${port}` });
    const q = await server.recvmsg();
    assert.deepEqual(q.pktinfo, { family: "inet", address: "127.0.0.2", ifindex: lo(), specDst: "127.0.0.2" });
    await server.sendmsg({ buffers: ["plain"], address: q.address! });
    assert.deepEqual((await client.recvmsg()).address, { family: "inet", address: "127.0.0.1", port });
    await server.sendmsg({ buffers: ["from dst"], address: q.address!, pktinfo: q.pktinfo! });
    const r = await client.recvmsg();
    assert.equal(r.data.toString(), "from dst");
    assert.deepEqual(r.address, { family: "inet", address: "127.0.0.2", port });
    // choosing by interface only
    await server.sendmsg({ buffers: ["by if"], address: q.address!, pktinfo: { ifindex: "lo" } });
    assert.equal((await client.recvmsg()).data.toString(), "by if");
  });

  test("IPV6_RECVPKTINFO on ::1, and v4-mapped replies from a dual-stack socket", async () => {
    const server = track(new Socket("inet6", "dgram"));
    server.setsockopt("IPPROTO_IPV6", "IPV6_V6ONLY", false);
    server.bind("[::]:0");
    server.setsockopt("IPPROTO_IPV6", "IPV6_RECVPKTINFO", true);
    const port = (server.getsockname() as { port: number }).port;
    const c6 = udp("inet6");
    await c6.sendmsg({ buffers: ["six"], address: `[::1]:${port}` });
    const m6 = await server.recvmsg();
    assert.deepEqual(m6.pktinfo, { family: "inet6", address: "::1", ifindex: lo() });
    await server.sendmsg({ buffers: ["back6"], address: m6.address!, pktinfo: m6.pktinfo! });
    assert.equal((await c6.recvmsg()).data.toString(), "back6");
    const c4 = udp("inet");
    await c4.sendmsg({ buffers: ["four"], address: `127.0.0.2:${port}` });
    const m4 = await server.recvmsg();
    assert.equal(m4.pktinfo?.address, "::ffff:127.0.0.2");
    await server.sendmsg({ buffers: ["back4"], address: m4.address!, pktinfo: m4.pktinfo! });
    const r = await c4.recvmsg();
    assert.deepEqual(r.address, { family: "inet", address: "127.0.0.2", port });
  });

  test("TTL and TOS (IPv4), hop limit and traffic class (IPv6), per datagram", async () => {
    const s4 = udp("inet");
    s4.setsockopt("IPPROTO_IP", "IP_RECVTTL", true);
    s4.setsockopt("IPPROTO_IP", "IP_RECVTOS", true);
    const c4 = udp("inet");
    await c4.sendmsg({ buffers: ["t"], address: s4.getsockname(), ttl: 17, tos: 0x28 });
    const m4 = await s4.recvmsg();
    assert.equal(m4.ttl, 17);
    assert.equal(m4.tos, 0x28);
    await c4.sendmsg({ buffers: ["d"], address: s4.getsockname() });
    assert.equal((await s4.recvmsg()).ttl, 64);

    const s6 = udp("inet6");
    s6.setsockopt("IPPROTO_IPV6", "IPV6_RECVHOPLIMIT", true);
    s6.setsockopt("IPPROTO_IPV6", "IPV6_RECVTCLASS", true);
    const c6 = udp("inet6");
    await c6.sendmsg({ buffers: ["h"], address: s6.getsockname(), hopLimit: 9, tclass: 0x20 });
    const m6 = await s6.recvmsg();
    assert.equal(m6.hopLimit, 9);
    assert.equal(m6.tclass, 0x20);
  });

  test("SO_TIMESTAMPNS: the receive time", async () => {
    const s = udp("inet");
    s.setsockopt("SOL_SOCKET", "SO_TIMESTAMPNS", true);
    const c = udp("inet");
    const t0 = Date.now();
    await c.sendmsg({ buffers: ["when"], address: s.getsockname() });
    const m = await s.recvmsg();
    assert.ok(m.timestamp);
    const ms = m.timestamp.sec * 1000 + m.timestamp.nsec / 1e6;
    assert.ok(Math.abs(ms - t0) < 5000, `timestamp ${ms} is near ${t0}`);
    assert.ok(m.timestamp.nsec >= 0 && m.timestamp.nsec < 1e9);
  });

  test("clockRealtimeNs reads the clock SO_TIMESTAMPNS stamps with: it brackets a receive stamp and Date.now()", async () => {
    const s = udp("inet");
    s.setsockopt("SOL_SOCKET", "SO_TIMESTAMPNS", true);
    const c = udp("inet");
    for (let i = 0; i < 20; i++) {
      const d0 = Date.now();
      const before = clockRealtimeNs();
      await c.sendmsg({ buffers: ["when"], address: s.getsockname() });
      const m = await s.recvmsg();
      const after = clockRealtimeNs();
      const d1 = Date.now();
      assert.ok(m.timestamp);
      const stamp = BigInt(m.timestamp.sec) * 1_000_000_000n + BigInt(m.timestamp.nsec);
      // Sent after `before`, stamped on arrival (or, while the kernel is still
      // turning stamping on, when read): never outside the two readings.
      assert.ok(before <= stamp && stamp <= after, `stamp ${stamp} in [${before}, ${after}]`);
      assert.ok(BigInt(d0) <= before / 1_000_000n && after / 1_000_000n <= BigInt(d1), "Date.now() agrees to the ms");
    }
  });

  test("SO_TIMESTAMPING: software receive and transmit timestamps", async () => {
    const s = udp("inet");
    s.setsockopt("SOL_SOCKET", "SO_TIMESTAMPING", SOF.RX_SOFTWARE! | SOF.SOFTWARE!);
    const c = udp("inet");
    c.setsockopt("SOL_SOCKET", "SO_TIMESTAMPING", SOF.TX_SOFTWARE! | SOF.SOFTWARE! | SOF.OPT_TSONLY!);
    const t0 = Date.now();
    // The kernel turns receive timestamping on asynchronously (a static key
    // flipped from a work queue): the first datagrams may come unstamped.
    let m;
    for (let i = 0; ; i++) {
      await c.sendmsg({ buffers: ["stamp"], address: s.getsockname() });
      m = await s.recvmsg();
      if (m.timestamping !== undefined || i > 100) break;
      await new Promise((res) => setTimeout(res, 10));
    }
    const [sw] = m.timestamping!;
    assert.ok(Math.abs(sw.sec * 1000 + sw.nsec / 1e6 - t0) < 5000);
    // the transmit timestamp comes back on the sender's error queue
    const tx = await c.recvmsg({ flags: MSG.ERRQUEUE, timeout: 2000 });
    assert.equal(tx.error?.origin, "txstatus");
    assert.equal(tx.error?.errno, ERRNO.ENOMSG);
    assert.ok(tx.timestamping![0].sec > 0);
  });

  test("UDP_GRO: a GSO send arrives as one datagram with its segment size", async () => {
    const s = udp("inet");
    s.setsockopt("IPPROTO_UDP", "UDP_GRO", true);
    const c = udp("inet");
    await c.sendmsg({ buffers: [Buffer.alloc(3000, 1)], address: s.getsockname(), segmentSize: 1000 });
    const m = await s.recvmsg();
    assert.equal(m.size, 3000);
    assert.equal(m.groSize, 1000);
  });

  test("IP_RECVERR: an ICMP port unreachable read from the error queue", async () => {
    const s = udp("inet");
    s.setsockopt("IPPROTO_IP", "IP_RECVERR", true);
    const closed = udp("inet");
    const dst = closed.getsockname();
    closed.close();
    await s.sendmsg({ buffers: ["nobody home"], address: dst });
    const e = await s.recvmsg({ flags: MSG.ERRQUEUE, timeout: 2000 });
    assert.ok(e.flags & MSG.ERRQUEUE);
    assert.equal(e.data.toString(), "nobody home");
    assert.equal(e.error?.code, "ECONNREFUSED");
    assert.equal(e.error?.origin, "icmp");
    assert.equal(e.error?.type, 3);
    assert.equal(e.error?.icmpCode, 3);
    assert.deepEqual(e.error?.offender, { family: "inet", address: "127.0.0.1", port: 0 });
    assert.deepEqual(e.address, dst);
    const raw = e.control.find((m) => m.level === IPPROTO.IP && m.type === IP.RECVERR);
    assert.ok(raw);
  });

  test("IPV6_RECVERR: ICMPv6 port unreachable", async () => {
    const s = udp("inet6");
    s.setsockopt("IPPROTO_IPV6", "IPV6_RECVERR", true);
    const closed = udp("inet6");
    const dst = closed.getsockname();
    closed.close();
    await s.sendmsg({ buffers: ["v6"], address: dst });
    const e = await s.recvmsg({ flags: MSG.ERRQUEUE, timeout: 2000 });
    assert.equal(e.error?.code, "ECONNREFUSED");
    assert.equal(e.error?.origin, "icmp6");
    assert.equal(e.error?.type, 1);
    assert.equal(e.error?.icmpCode, 4);
    assert.equal((e.error?.offender as { address: string }).address, "::1");
  });

  test("an error-queue read waits without spinning or holding up ordinary reads", async () => {
    const s = udp("inet");
    s.setsockopt("IPPROTO_IP", "IP_RECVERR", true);
    const c = udp("inet");
    // ordinary data waits unread while the error-queue read waits
    await c.sendmsg({ buffers: ["data"], address: s.getsockname() });
    const errRead = s.recvmsg({ flags: MSG.ERRQUEUE, timeout: 3000 });
    const cpu0 = process.cpuUsage();
    await new Promise((res) => setTimeout(res, 200));
    const cpu = process.cpuUsage(cpu0);
    assert.ok(cpu.user + cpu.system < 150_000, `waiting burned ${cpu.user + cpu.system} µs of CPU`);
    // a normal read issued later is not stuck behind it
    assert.equal((await s.recvmsg({ timeout: 1000 })).data.toString(), "data");
    const closed = udp("inet");
    const dst = closed.getsockname();
    closed.close();
    await s.sendmsg({ buffers: ["late"], address: dst });
    const e = await errRead;
    assert.equal(e.error?.code, "ECONNREFUSED");
    // and it ends on close and on abort
    const p = s.recvmsg({ flags: MSG.ERRQUEUE });
    s.close();
    await assert.rejects(p, { code: "ERR_SOCKET_CLOSED" });
    const t = udp("inet");
    const ac = new AbortController();
    const q = t.recvmsg({ flags: MSG.ERRQUEUE, signal: ac.signal });
    ac.abort();
    await assert.rejects(q, { name: "AbortError" });
    await assert.rejects(t.recvmsg({ flags: MSG.ERRQUEUE, timeout: 20 }), { code: "ETIMEDOUT" });
  });

  test("MSG_DONTWAIT: EAGAIN instead of waiting", async () => {
    const [a, b] = socketpair("unix", "dgram").map(track) as [Socket, Socket];
    await assert.rejects(b.recvmsg({ flags: MSG.DONTWAIT }), { code: "EAGAIN", syscall: "recvmsg" });
    await assert.rejects(b.recvBatch({ flags: MSG.DONTWAIT }), { code: "EAGAIN", syscall: "recvmmsg" });
    await a.sendmsg({ buffers: ["now"], flags: MSG.DONTWAIT });
    assert.equal((await b.recvmsg({ flags: MSG.DONTWAIT })).data.toString(), "now");
    // a full socket: the batch goes as far as it can and says how far
    a.setsockopt("SOL_SOCKET", "SO_SNDBUF", 4096);
    const n = await a.sendBatch(
      Array.from({ length: 1000 }, () => ({ data: Buffer.alloc(500) })),
      { flags: MSG.DONTWAIT },
    );
    assert.ok(n > 0 && n < 1000, `sent ${n}`);
    await assert.rejects(a.sendmsg({ buffers: [Buffer.alloc(500)], flags: MSG.DONTWAIT }), { code: "EAGAIN" });
  });

  test("UDP_SEGMENT: one send, several datagrams", async (t) => {
    const s = udp("inet");
    const c = udp("inet");
    try {
      assert.equal(
        await c.sendmsg({ buffers: [Buffer.alloc(3000, 5)], address: s.getsockname(), segmentSize: 1000 }),
        3000,
      );
    } catch (e) {
      if ((e as { code?: string }).code === "EIO" || (e as { code?: string }).code === "EINVAL") {
        t.skip("UDP GSO is not available here");
        return;
      }
      throw e;
    }
    const got = await s.recvBatch({ count: 8, timeout: 1000 });
    let total = got.length;
    while (total < 3) total += (await s.recvBatch({ timeout: 1000 })).length;
    assert.equal(total, 3);
    assert.equal(got[0]!.size, 1000);
  });
});

describe("batched I/O", () => {
  test("sendBatch and recvBatch carry many datagrams per call, in order", async () => {
    const s = udp("inet");
    const c = udp("inet");
    const to = s.getsockname();
    const msgs = Array.from({ length: 100 }, (_, i) => ({ data: `m${i}`, address: to }));
    assert.equal(await c.sendBatch(msgs), 100);
    const got: string[] = [];
    while (got.length < 100) {
      const batch = await s.recvBatch({ count: 64, timeout: 2000 });
      assert.ok(batch.length >= 1 && batch.length <= 64);
      for (const d of batch) {
        assert.deepEqual(d.address, c.getsockname());
        got.push(d.data.toString());
      }
    }
    assert.deepEqual(
      got,
      msgs.map((m) => m.data),
    );
  });

  test("recvBatch names each datagram's own sender, across senders, sockets and families (decoded once per sender)", async () => {
    // Two Unix senders whose names differ in their last byte only, an
    // unnamed one, and UDP senders on two ports: interleaved in one batch and
    // alternating between receiving sockets.
    const tag = `sockit-batch-${process.pid}-${Date.now()}`;
    const unixRx = [0, 1].map((i) => {
      const s = track(new Socket("unix", "dgram"));
      s.bind(`@${tag}-r${i}`);
      return s;
    });
    const unixTx = ["x", "y"].map((c) => {
      const s = track(new Socket("unix", "dgram"));
      s.bind(`@${tag}-${c}`);
      return s;
    });
    const unnamed = track(new Socket("unix", "dgram"));
    const udpRx = udp("inet");
    const udpTx = [udp("inet"), udp("inet")];
    const path = (s: Socket): unknown => s.getsockname();
    const expect: [Socket, Socket | null][] = [];
    for (let round = 0; round < 2; round++) {
      for (const [i, rx] of unixRx.entries()) {
        for (const tx of [unixTx[i]!, unixTx[1 - i]!, unnamed, unixTx[i]!]) {
          await tx.sendto(`${round}`, rx.getsockname());
          expect.push([rx, tx === unnamed ? null : tx]);
        }
      }
      for (const tx of [udpTx[0]!, udpTx[1]!, udpTx[1]!, udpTx[0]!]) {
        await tx.sendto(`${round}`, udpRx.getsockname());
        expect.push([udpRx, tx]);
      }
    }
    for (const rx of [...unixRx, udpRx]) {
      const mine = expect
        .filter(([r]) => r === rx)
        .map(([, tx]) => (tx === null ? { family: "unix", path: "" } : path(tx)));
      const got: unknown[] = [];
      while (got.length < mine.length) for (const d of await rx.recvBatch({ count: 64 })) got.push({ ...d.address });
      assert.deepEqual(got, mine);
    }
  });

  test("recvBatch reports truncation per datagram", async () => {
    const [a, b] = socketpair("unix", "dgram").map(track) as [Socket, Socket];
    await a.sendBatch([{ data: Buffer.alloc(5, 1) }, { data: Buffer.alloc(50, 2) }]);
    const batch = await b.recvBatch({ size: 10 });
    assert.deepEqual(
      batch.map((d) => [d.data.length, d.size, d.truncated]),
      [
        [5, 5, false],
        [10, 50, true],
      ],
    );
    assert.deepEqual(batch[0]!.address, { family: "unix", path: "" });
  });

  test("sendBatch on a connected socket, empty batch, errors", async () => {
    const [a, b] = socketpair("unix", "seqpacket").map(track) as [Socket, Socket];
    assert.equal(await a.sendBatch([]), 0);
    assert.equal(await a.sendBatch([{ data: "x" }, { data: new Uint8Array([1, 2]) }]), 2);
    assert.equal((await b.recvBatch()).length, 2);
    const st = track(socketpair("unix", "stream")[0]);
    assert.throws(() => st.recvBatch(), { code: "ERR_SOCKET_BAD_TYPE" });
    assert.throws(() => a.sendBatch({} as never), { code: "ERR_INVALID_ARG_TYPE" });
    assert.throws(() => a.recvBatch({ count: 0 }), { code: "ERR_OUT_OF_RANGE" });
    b.close();
    await assert.rejects(a.sendBatch([{ data: "gone" }]), { code: "EPIPE", syscall: "sendmmsg" });
  });

  test("recvmsg and recvBatch waiting beside recv settle in call order", async () => {
    const [a, b] = socketpair("unix", "dgram").map(track) as [Socket, Socket];
    const order: string[] = [];
    const calls = [
      b.recvmsg({ size: 64 }).then(() => order.push("recvmsg")),
      b.recv(64).then(() => order.push("recv")),
      b.recvBatch({ count: 1, size: 64 }).then(() => order.push("recvBatch")),
      b.recv(64).then(() => order.push("recv 2")),
    ];
    for (const m of ["1", "2", "3", "4"]) await a.send(m);
    await Promise.all(calls);
    assert.deepEqual(order, ["recvmsg", "recv", "recvBatch", "recv 2"]);
  });

  test("sendBatch on a stream delivers every byte in order under backpressure (Node net peer reads)", async () => {
    const net = await import("node:net");
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1");
    await new Promise((r) => srv.once("listening", r));
    const port = (srv.address() as { port: number }).port;
    const chunks: Buffer[] = [];
    const ended = new Promise<void>((resolve) =>
      srv.once("connection", (c) => {
        c.pause(); // let the sender fill both buffers first
        setTimeout(() => c.resume(), 50);
        c.on("data", (d: Buffer) => chunks.push(d));
        c.on("end", () => resolve());
      }),
    );
    const a = track(new Socket("inet", "stream"));
    a.setsockopt("SOL_SOCKET", "SO_SNDBUF", 4096);
    await a.connect({ family: "inet", address: "127.0.0.1", port });
    // 300 messages of uneven sizes, each filled with its own index: a split or
    // reordered message shows in the bytes.
    const msgs = Array.from({ length: 300 }, (_, i) => ({ data: Buffer.alloc(1 + ((i * 7919) % 40000), i & 0xff) }));
    const total = msgs.reduce((n, m) => n + m.data.length, 0);
    assert.equal(await a.sendBatch(msgs), 300);
    a.shutdown("write");
    await ended;
    const got = Buffer.concat(chunks);
    assert.equal(got.length, total);
    assert.ok(got.equals(Buffer.concat(msgs.map((m) => m.data))), "the bytes arrive as sent, in order");
    a.close();
    srv.close();
  });

  test("sendBatch on a stream: data only, no MSG_DONTWAIT; errors carry the messages sent", async () => {
    const [a, b] = socketpair("unix", "stream").map(track) as [Socket, Socket];
    assert.throws(() => a.sendBatch([{ data: "x", control: [] }]), { code: "ERR_INVALID_ARG_VALUE" });
    assert.throws(() => a.sendBatch([{ data: "x" }], { flags: MSG.DONTWAIT }), { code: "ERR_INVALID_ARG_VALUE" });
    assert.equal(await a.sendBatch([{ data: "ab" }, { data: "" }, { data: "c" }]), 3);
    assert.equal((await b.recv(16)).toString(), "abc");
    b.close();
    await assert.rejects(
      a.sendBatch([{ data: "gone" }]),
      (e: Error & { code?: string; syscall?: string; sent?: number }) => {
        assert.equal(e.code, "EPIPE");
        assert.equal(e.syscall, "sendmsg");
        assert.equal(e.sent, 0);
        return true;
      },
    );
  });

  test("sendBatch on a stream: more than 1024 messages of every view kind, split mid-message under backpressure, arrive exactly", async () => {
    const [a, b] = socketpair("unix", "stream").map(track) as [Socket, Socket];
    a.setsockopt("SOL_SOCKET", "SO_SNDBUF", 4096);
    b.setsockopt("SOL_SOCKET", "SO_RCVBUF", 4096);
    // Each message is a view into the middle of a larger buffer (bytes around
    // it that must not be sent), of an element size other than 1 for most,
    // and numbered through its bytes; zero-length ones sit in between and on
    // the 1024-message boundaries.
    const expected: Buffer[] = [];
    const msgs = Array.from({ length: 3000 }, (_, i) => {
      if (i % 1024 === 1023 || i % 1024 === 0 || i % 97 === 5) {
        expected.push(Buffer.alloc(0));
        return { data: new Uint8Array(0) };
      }
      const bytes = 8 * (1 + ((i * 7919) % 300));
      const backing = Buffer.alloc(bytes + 16, 0xee); // 0xee marks bytes outside the view
      const inner = backing.subarray(8, 8 + bytes);
      for (let k = 0; k < bytes; k++) inner[k] = (i + k) & 0xff;
      expected.push(Buffer.from(inner));
      const { buffer, byteOffset } = inner;
      switch (i % 4) {
        case 0:
          return { data: new DataView(buffer, byteOffset, bytes) };
        case 1:
          return { data: new Uint16Array(buffer, byteOffset, bytes / 2) };
        case 2:
          return { data: new Float64Array(buffer, byteOffset, bytes / 8) };
        default:
          return { data: inner };
      }
    });
    const want = Buffer.concat(expected);
    const sending = a.sendBatch(msgs);
    const parts: Buffer[] = [];
    let got = 0;
    while (got < want.length) {
      const c = await b.recv(65536);
      assert.notEqual(c.length, 0, "early EOF");
      parts.push(c);
      got += c.length;
    }
    assert.equal(await sending, 3000);
    const all = Buffer.concat(parts);
    assert.equal(all.length, want.length);
    assert.ok(all.equals(want), "the bytes arrive as sent, in order, and only those");
    assert.ok(parts.length > 1, "the batch went out in several writes");
  });

  test("a large sendBatch waits for buffer space and completes", async () => {
    const [a, b] = socketpair("unix", "dgram").map(track) as [Socket, Socket];
    a.setsockopt("SOL_SOCKET", "SO_SNDBUF", 4096);
    const msgs = Array.from({ length: 2000 }, (_, i) => ({ data: Buffer.alloc(200, i & 0xff) }));
    const sent = a.sendBatch(msgs);
    let n = 0;
    while (n < 2000) n += (await b.recvBatch({ count: 256 })).length;
    assert.equal(await sent, 2000);
  });

  test("recvBatch with controlSize gives each datagram its pktinfo; sendBatch answers from it", async () => {
    const server = track(new Socket("inet", "dgram"));
    server.bind("0.0.0.0:0");
    server.setsockopt("IPPROTO_IP", "IP_PKTINFO", true);
    server.setsockopt("IPPROTO_IP", "IP_RECVTTL", true);
    const port = (server.getsockname() as { port: number }).port;
    const c1 = udp("inet");
    const c2 = udp("inet");
    await c1.sendmsg({ buffers: ["to .1"], address: `127.0.0.1:${port}` });
    await c2.sendmsg({ buffers: ["to .2"], address: `127.0.0.2:${port}` });
    const got: BatchDatagram[] = [];
    while (got.length < 2) got.push(...(await server.recvBatch({ controlSize: 128 })));
    assert.deepEqual(
      got.map((d) => [d.data.toString(), d.pktinfo?.address, d.ttl, d.controlTruncated]),
      [
        ["to .1", "127.0.0.1", 64, false],
        ["to .2", "127.0.0.2", 64, false],
      ],
    );
    assert.equal(got[0]!.control!.length, 2);
    assert.equal(await server.sendBatch(got.map((d) => ({ data: "re", address: d.address, pktinfo: d.pktinfo! }))), 2);
    assert.deepEqual((await c1.recvmsg()).address, { family: "inet", address: "127.0.0.1", port });
    assert.deepEqual((await c2.recvmsg()).address, { family: "inet", address: "127.0.0.2", port });
    // raw per-message control
    await c1.sendBatch([
      {
        data: "ttl 5",
        address: server.getsockname(),
        control: [{ level: "IPPROTO_IP", type: "IP_TTL", data: i32(5) }],
      },
      { data: "plain", address: server.getsockname() },
    ]);
    const two: BatchDatagram[] = [];
    while (two.length < 2) two.push(...(await server.recvBatch({ controlSize: 128 })));
    assert.deepEqual(
      two.map((d) => d.ttl),
      [5, 64],
    );
  });

  test("recvBatch with controlSize closes fds that arrive", async () => {
    const [a, b] = socketpair("unix", "dgram").map(track) as [Socket, Socket];
    const before = openFds();
    await a.sendmsg({ buffers: ["with fds"], fds: [0, 1, 2] });
    const [d] = await b.recvBatch({ controlSize: 256 });
    assert.equal(d!.data.toString(), "with fds");
    assert.equal(d!.controlTruncated, true);
    assert.deepEqual(d!.control, []);
    assert.deepEqual(newFds(before), []);
  });

  test("messages() drains batches, keeps its contract, ends on close", async () => {
    const s = udp("inet");
    const c = udp("inet");
    await c.sendBatch(Array.from({ length: 50 }, (_, i) => ({ data: `d${i}`, address: s.getsockname() })));
    const seen: string[] = [];
    for await (const m of s.messages()) {
      assert.deepEqual(Object.keys(m).sort(), ["address", "data", "size", "truncated"]);
      seen.push(m.data.toString());
      if (seen.length === 50) setImmediate(() => s.close());
    }
    assert.equal(seen.length, 50);
    assert.equal(seen[49], "d49");
  });
});
