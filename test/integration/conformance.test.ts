/**
 * Argument edges held against what C, CPython and Go promise (issue 15):
 * every numeric argument that reaches a C int is refused with RangeError
 * ERR_OUT_OF_RANGE past the int range, never wrapped (a table over the
 * audited calls of Socket, posix and the raw layer); listen() with a negative
 * backlog behaves as POSIX says (as 0, checked with iproute2's ss against
 * CPython's listen(-1)); one default backlog for Socket and posix;
 * CMSG_LEN/CMSG_SPACE stop at the socklen_t limit; inet_ntop/inet_ntoa take
 * exactly 4 / 16 bytes.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import {
  AF,
  CMSG_LEN,
  CMSG_SPACE,
  FCNTL,
  IOCTL,
  LIMITS,
  SHUT,
  SOCK,
  Socket,
  createServer,
  encodeSockaddr,
  inet_ntoa,
  posix,
  socketpair,
  type SocketAddress,
} from "../../src/index.js";
import * as raw from "../../src/raw/index.js";
import { native } from "../../src/raw/native.js";
import { which, within } from "../helpers.js";

const WRAPS_TO_2 = 2 + 2 ** 32; // 2 once wrapped to 32 bits: SHUT_RDWR, AF_INET, SOCK_DGRAM
const BIG = 2 ** 31; // INT_MAX + 1
const SMALL = -(2 ** 31) - 1; // INT_MIN - 1

/** A packet address with the fields under test (the rest zero). */
function pkt(o: { protocol: number; ifindex: number; hatype?: number; pkttype?: number }): SocketAddress {
  return { family: "packet", hatype: 0, pkttype: 0, addr: Buffer.alloc(0), ...o };
}

function outOfRange(e: unknown): boolean {
  return e instanceof RangeError && (e as { code?: string }).code === "ERR_OUT_OF_RANGE";
}

describe("numeric arguments past the C int range are refused, never wrapped", () => {
  test("every audited call throws RangeError ERR_OUT_OF_RANGE at once", () => {
    const [a, b] = socketpair("unix", "stream");
    const [pa, pb] = posix.socketpair(AF.UNIX, SOCK.STREAM | SOCK.NONBLOCK);
    const u = new Socket("unix", "dgram");
    const tcp = new Socket("inet", "stream");
    const fd = pa;
    const rows: [string, () => unknown][] = [
      // Socket
      ["new Socket(family 2 + 2**32)", () => new Socket(WRAPS_TO_2, "stream")],
      ["new Socket(type 2 + 2**32)", () => new Socket("inet", WRAPS_TO_2)],
      ["new Socket(protocol 6 + 2**32)", () => new Socket("inet", "stream", 6 + 2 ** 32)],
      ["new Socket({ fd: 2**31 })", () => new Socket("unix", "stream", 0, { fd: BIG })],
      ["Socket.fromFd(2**32)", () => Socket.fromFd(2 ** 32)],
      ["socketpair(type 1 + 2**32)", () => socketpair("unix", 1 + 2 ** 32)],
      ["Socket.shutdown(2 + 2**32)", () => a.shutdown(WRAPS_TO_2)],
      ["Socket.shutdown(INT_MIN - 1)", () => a.shutdown(SMALL)],
      ["Socket.listen(2**31)", () => tcp.listen(BIG)],
      ["Socket.listen(INT_MIN - 1)", () => tcp.listen(SMALL)],
      ["Socket.send flags 2**32", () => a.send("x", { flags: 2 ** 32 })],
      ["Socket.sendAll flags 2**32", () => a.sendAll("x", { flags: 2 ** 32 })],
      ["Socket.recv size 2**31", () => a.recv(BIG)],
      ["Socket.recv flags 2**32", () => a.recv(1, { flags: 2 ** 32 })],
      ["Socket.recv timeout 2**31", () => a.recv(1, { timeout: BIG })],
      ["Socket.recvInto offset 2**32", () => a.recvInto(Buffer.alloc(4), { offset: 2 ** 32 })],
      ["Socket.recvfrom size 2**31", () => u.recvfrom(BIG)],
      ["Socket.sendto flags 2**32", () => u.sendto("x", "/nonexistent", { flags: 2 ** 32 })],
      ["Socket.sendmsg flags 2**32", () => a.sendmsg({ buffers: [Buffer.from("x")], flags: 2 ** 32 })],
      ["Socket.recvmsg flags 2**32", () => a.recvmsg({ flags: 2 ** 32 })],
      ["Socket.setsockopt level 1 + 2**32", () => a.setsockopt(1 + 2 ** 32, 7, 1 as never)],
      ["Socket.setsockopt name 7 + 2**32", () => a.setsockopt("SOL_SOCKET", 7 + 2 ** 32, 1 as never)],
      ["Socket.setsockopt SO_SNDBUF 2**31", () => a.setsockopt("SOL_SOCKET", "SO_SNDBUF", BIG)],
      ["Socket.getsockopt level 1 + 2**32", () => a.getsockopt(1 + 2 ** 32, 7)],
      ["Socket.getsockopt size 2**31", () => a.getsockopt("SOL_SOCKET", 7, { size: BIG })],
      ["Socket.connect timeout 2**31", () => tcp.connect("127.0.0.1:1", { timeout: BIG })],
      // Addresses: every field bound for a C int or smaller is range-checked.
      ["packet address ifindex 2**32 + 1", () => encodeSockaddr(pkt({ protocol: 0, ifindex: 2 ** 32 + 1 }))],
      ["packet address pkttype 256", () => encodeSockaddr(pkt({ protocol: 0, ifindex: 1, pkttype: 256 }))],
      ["packet address hatype 2**16", () => encodeSockaddr(pkt({ protocol: 0, ifindex: 1, hatype: 2 ** 16 }))],
      [
        "inet6 scopeId 2**32 + 1",
        () => encodeSockaddr({ family: "inet6", address: "::1", port: 1, scopeId: 2 ** 32 + 1 }),
      ],
      ["inet port 2**16 + 80", () => encodeSockaddr({ family: "inet", address: "127.0.0.1", port: 2 ** 16 + 80 })],
      ["netlink pid 2**32", () => encodeSockaddr({ family: "netlink", pid: 2 ** 32, groups: 0 })],
      // posix
      ["posix.socket(domain 2 + 2**32)", () => posix.socket(WRAPS_TO_2, SOCK.STREAM)],
      ["posix.socket(type 1 + 2**32)", () => posix.socket(AF.INET, 1 + 2 ** 32)],
      ["posix.socket(protocol 2**32)", () => posix.socket(AF.INET, SOCK.STREAM, 2 ** 32)],
      ["posix.socketpair(type 1 + 2**32)", () => posix.socketpair(AF.UNIX, 1 + 2 ** 32)],
      ["posix.shutdown(fd, 2 + 2**32)", () => posix.shutdown(fd, WRAPS_TO_2)],
      ["posix.shutdown(2**32, SHUT_RDWR)", () => posix.shutdown(2 ** 32, SHUT.RDWR)],
      ["posix.listen(fd, 2**31)", () => posix.listen(fd, BIG)],
      ["posix.accept4(fd, flags 2**32)", () => posix.accept4(fd, 2 ** 32)],
      ["posix.send flags 2**32", () => posix.send(fd, "x", 2 ** 32)],
      ["posix.recv size 2**31", () => posix.recv(fd, BIG)],
      ["posix.recv flags 2**32", () => posix.recv(fd, 1, 2 ** 32)],
      ["posix.recvfrom flags 2**32", () => posix.recvfrom(fd, 1, 2 ** 32)],
      ["posix.sendto flags 2**32", () => posix.sendto(fd, "x", 2 ** 32, "/nonexistent")],
      ["posix.sendmsg flags 2**32", () => posix.sendmsg(fd, { buffers: [Buffer.from("x")] }, 2 ** 32)],
      ["posix.recvmsg flags 2**32", () => posix.recvmsg(fd, {}, 2 ** 32)],
      ["posix.setsockopt name 2**32", () => posix.setsockopt(fd, "SOL_SOCKET", 2 ** 32, 1 as never)],
      ["posix.getsockopt level 2**32", () => posix.getsockopt(fd, 2 ** 32, 7)],
      ["posix.fcntl cmd 2**32 + F_GETFL", () => posix.fcntl(fd, 2 ** 32 + FCNTL.F_GETFL!)],
      ["posix.fcntl arg 2**32", () => posix.fcntl(fd, FCNTL.F_SETFL!, 2 ** 32)],
      ["posix.ioctl request 2**32 + FIONREAD", () => posix.ioctl(fd, 2 ** 32 + IOCTL.FIONREAD)],
      ["posix.ioctl arg 2**31", () => posix.ioctl(fd, IOCTL.FIONBIO, BIG)],
      ["posix.poll fd 2**32", () => posix.poll([{ fd: 2 ** 32 + fd, events: 1 }], 0)],
      ["posix.poll events 2**16", () => posix.poll([{ fd, events: 2 ** 16 }], 0)],
      ["posix.poll timeout 2**31", () => posix.poll([], BIG)],
      ["posix.select fd 2**32", () => posix.select([2 ** 32 + fd], [], [], 0)],
      ["posix.close(2**32)", () => posix.close(2 ** 32 + 999)],
      ["posix.if_indextoname(2**32 + 1)", () => posix.if_indextoname(2 ** 32 + 1)],
      ["posix.htons(2**16)", () => posix.htons(2 ** 16)],
      // The raw layer: the addon's own check is the backstop under every thunk.
      ["raw.shutdown(fd, 2 + 2**32)", () => raw.shutdown(fd, WRAPS_TO_2)],
      ["raw.listen(fd, 2**31)", () => raw.listen(fd, BIG)],
      ["raw.send flags 2**32", () => raw.send(fd, Buffer.from("x"), 0, 1, 2 ** 32)],
      ["raw.recv fd 2**32 + fd", () => raw.recv(2 ** 32 + fd, Buffer.alloc(1), 0, 1, 0)],
      ["raw.fcntl cmd 2**32 + F_GETFL", () => raw.fcntl(fd, 2 ** 32 + FCNTL.F_GETFL!)],
      ["raw.socket(domain 2 + 2**32)", () => raw.socket(WRAPS_TO_2, SOCK.STREAM, 0)],
      ["raw.close(2**32 + fd)", () => raw.close(2 ** 32 + fd)],
      ["native.shutdown(fd, 1.5)", () => native.shutdown(fd, 1.5)],
      ["native.shutdown(fd, NaN)", () => native.shutdown(fd, NaN)],
    ];
    const wrong: string[] = [];
    try {
      for (const [what, fn] of rows) {
        let outcome: string;
        try {
          const r = fn();
          if (r instanceof Promise) r.catch(() => {});
          outcome = `returned ${r instanceof Promise ? "a promise" : String(r)}`;
          if (r instanceof Socket) r.close();
        } catch (e) {
          if (outOfRange(e)) continue;
          outcome = `threw ${(e as Error).name} ${(e as { code?: string }).code}: ${(e as Error).message}`;
        }
        wrong.push(`${what}: ${outcome}`);
      }
      // Nothing was shut down by the refused calls: both directions still carry data.
      assert.equal(posix.send(pa, "ab"), 2);
      assert.equal(posix.recv(pb, 2).toString(), "ab");
      assert.equal(posix.send(pb, "cd"), 2);
      assert.equal(posix.recv(pa, 2).toString(), "cd");
    } finally {
      for (const s of [a, b, u, tcp]) s.close();
      posix.close(pa);
      posix.close(pb);
    }
    assert.deepEqual(wrong, [], `calls that did not refuse a value past the int range:\n${wrong.join("\n")}`);
  });

  test("shutdown(2 + 2**32) shuts nothing: the socket still sends and receives both ways", async () => {
    const [a, b] = socketpair("unix", "stream");
    try {
      assert.throws(() => a.shutdown(WRAPS_TO_2), outOfRange);
      await a.sendAll("ping");
      assert.equal((await within(b.recv(4), "b.recv")).toString(), "ping");
      await b.sendAll("pong");
      assert.equal((await within(a.recv(4), "a.recv")).toString(), "pong");
    } finally {
      a.close();
      b.close();
    }
  });
});

/** The accept queue's maximum length of a TCP listener, as iproute2's ss prints it (Send-Q). */
function ssBacklog(port: number): number {
  const r = spawnSync("ss", ["-ltnH", `sport = :${port}`], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const fields = r.stdout.trim().split(/\s+/);
  assert.equal(fields[0], "LISTEN", r.stdout);
  return Number(fields[2]);
}

function listener(backlog?: number): { s: Socket; port: number } {
  const s = new Socket("inet", "stream");
  s.bind("127.0.0.1:0");
  if (backlog === undefined) s.listen();
  else s.listen(backlog);
  return { s, port: (s.getsockname() as { port: number }).port };
}

describe("listen(2) backlog", { skip: which("ss") ? false : "needs iproute2's ss" }, () => {
  const somaxconn = (): number => Number(spawnSync("cat", ["/proc/sys/net/core/somaxconn"]).stdout.toString());

  test("a negative backlog is taken as 0 (POSIX), as CPython's listen(-1) does", () => {
    const py = spawnSync(
      "python3",
      [
        "-c",
        "import socket, subprocess\n" +
          "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(-1)\n" +
          "print(subprocess.run(['ss', '-ltnH', 'sport = :%d' % s.getsockname()[1]], capture_output=True, text=True).stdout.split()[2])",
      ],
      { encoding: "utf8" },
    );
    assert.equal(py.status, 0, py.stderr);
    const cpython = Number(py.stdout.trim());
    for (const backlog of [-1, -(2 ** 31)]) {
      const { s, port } = listener(backlog);
      try {
        assert.equal(ssBacklog(port), cpython, `listen(${backlog})`);
        assert.equal(ssBacklog(port), 0);
      } finally {
        s.close();
      }
    }
    const fd = posix.socket(AF.INET, SOCK.STREAM);
    try {
      posix.bind(fd, "127.0.0.1:0");
      posix.listen(fd, -5);
      assert.equal(ssBacklog((posix.getsockname(fd) as { port: number }).port), 0, "posix.listen(fd, -5)");
    } finally {
      posix.close(fd);
    }
  });

  test("Socket, posix and createServer share one default: SOMAXCONN (capped by the kernel)", async () => {
    const expected = Math.min(LIMITS.SOMAXCONN, somaxconn());
    const { s, port } = listener();
    const fd = posix.socket(AF.INET, SOCK.STREAM);
    await using srv = await createServer({ host: "127.0.0.1", port: 0 });
    try {
      posix.bind(fd, "127.0.0.1:0");
      posix.listen(fd);
      assert.equal(ssBacklog(port), expected, "Socket.listen()");
      assert.equal(ssBacklog((posix.getsockname(fd) as { port: number }).port), expected, "posix.listen(fd)");
      const srvPort = (srv.address() as { port: number }).port;
      assert.equal(ssBacklog(srvPort), expected, "createServer()");
    } finally {
      s.close();
      posix.close(fd);
    }
  });
});

describe("CMSG_LEN / CMSG_SPACE stop at the socklen_t limit", () => {
  test("the largest lengths that fit are accepted; one more is refused", () => {
    const hdr = CMSG_LEN(0);
    const maxLen = 0x7fffffff - hdr;
    assert.equal(CMSG_LEN(maxLen), 0x7fffffff);
    assert.throws(() => CMSG_LEN(maxLen + 1), outOfRange);
    assert.throws(() => CMSG_LEN(2147483632), outOfRange); // issue 15's example: was 2147483648
    assert.throws(() => CMSG_LEN(Number.MAX_SAFE_INTEGER), outOfRange);
    // CMSG_SPACE rounds the data up to the alignment unit.
    const align = CMSG_SPACE(1) - hdr;
    const maxSpace = Math.floor((0x7fffffff - hdr) / align) * align;
    assert.ok(CMSG_SPACE(maxSpace) <= 0x7fffffff);
    assert.throws(() => CMSG_SPACE(maxSpace + 1), outOfRange);
    assert.throws(() => CMSG_SPACE(2147483632), outOfRange);
  });
});

describe("inet_ntop / inet_ntoa take exactly 4 / 16 bytes", () => {
  test("any other length is a RangeError, as CPython's ValueError", () => {
    for (const n of [0, 3, 5, 16]) {
      assert.throws(() => posix.inet_ntop("inet", Buffer.alloc(n)), outOfRange, `inet_ntop(inet, ${n} bytes)`);
      assert.throws(() => inet_ntoa(Buffer.alloc(n)), outOfRange, `inet_ntoa(${n} bytes)`);
    }
    for (const n of [0, 4, 15, 17, 32]) {
      assert.throws(() => posix.inet_ntop("inet6", Buffer.alloc(n)), outOfRange, `inet_ntop(inet6, ${n} bytes)`);
    }
    // The addon refuses them too (the thunk formatted the first 4/16 bytes).
    assert.throws(() => native.inetNtop(AF.INET, Buffer.alloc(5)), RangeError);
    assert.throws(() => native.inetNtop(AF.INET6, Buffer.alloc(17)), RangeError);
    assert.equal(posix.inet_ntop("inet", Buffer.from([10, 0, 0, 1])), "10.0.0.1");
    assert.equal(inet_ntoa(Buffer.from([10, 0, 0, 1])), "10.0.0.1");
    assert.equal(posix.inet_ntop("inet6", Buffer.alloc(16)), "::");
  });
});
