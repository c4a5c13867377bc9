/**
 * Socket close and misuse, fd ownership (fromFd, detach) and hand-over to Node
 * (toNetSocket, toNetServer) on the real kernel.
 * No mocks; no timing decides a pass (the `within` guard only turns a hang
 * into a failure).
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { closeSync, openSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { constants as osConstants } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { getSystemErrorName, inspect } from "node:util";
import { FCNTL, Socket, socketpair } from "../../src/index.js";
import * as raw from "../../src/raw/index.js";
import {
  abstractName,
  fdTarget,
  readAll,
  tempDir,
  turn,
  within,
  throwsNow,
  rejectsClosed,
  connectedPair,
  rejectsSys,
  throwsSys,
  socketTracker,
} from "../helpers.js";

const E = osConstants.errno;

const dir = tempDir();
after(() => dir.cleanup());
const track = socketTracker();

describe("close and misuse", () => {
  test("close is idempotent; fd becomes -1 and closed true; the fd is released", () => {
    const s = track(new Socket("inet", "dgram"));
    const fd = s.fd;
    const target = fdTarget(fd);
    assert.match(target ?? "", /^socket:\[\d+\]$/);
    assert.equal(s.closed, false);
    s.close();
    assert.equal(s.closed, true);
    assert.equal(s.fd, -1);
    assert.notEqual(fdTarget(fd), target, "the socket's fd is closed");
    s.close();
    s.close();
    assert.equal(s.closed, true);
  });

  test("an fd closed behind sockit's back: close() reports EBADF once, pending calls are rejected, the socket is closed", async () => {
    const [a, b] = track(socketpair("unix", "stream"));
    const waiting = b.recv();
    await turn();
    closeSync(b.fd);
    throwsSys(() => b.close(), "EBADF", "close");
    assert.equal(b.closed, true);
    await rejectsClosed(waiting, "recv");
    b.close(); // idempotent from then on
    a.close();
  });

  test("every operation after close is ERR_SOCKET_CLOSED: waiting calls reject, the others throw", async () => {
    const s = new Socket("inet", "stream");
    s.close();
    const peer = { family: "inet", address: "127.0.0.1", port: 9 } as const;
    await rejectsClosed(s.connect(peer), "connect");
    await rejectsClosed(s.accept(), "accept");
    await rejectsClosed(s.send("x"), "send");
    await rejectsClosed(s.sendAll("x"), "sendAll");
    await rejectsClosed(s.recv(), "recv");
    await rejectsClosed(s.recvInto(Buffer.alloc(4)), "recvInto");
    await rejectsClosed(s.sendto("x", peer), "sendto");
    await rejectsClosed(s.recvfrom(), "recvfrom");
    for (const [what, fn] of [
      ["bind", () => s.bind("127.0.0.1:0")],
      ["listen", () => s.listen()],
      ["shutdown", () => s.shutdown("write")],
      ["getsockname", () => s.getsockname()],
      ["getpeername", () => s.getpeername()],
      ["getsockopt", () => s.getsockopt("SOL_SOCKET", "SO_TYPE")],
      ["setsockopt", () => s.setsockopt("SOL_SOCKET", "SO_REUSEADDR", true)],
      ["bytesAvailable", () => s.bytesAvailable()],
      ["detach", () => s.detach()],
      ["toNetSocket", () => s.toNetSocket()],
      ["toNetServer", () => s.toNetServer()],
    ] as const) {
      try {
        throwsNow(fn, "ERR_SOCKET_CLOSED", Error);
      } catch (e) {
        (e as Error).message = `${what}: ${(e as Error).message}`;
        throw e;
      }
    }
  });

  test("calls that do not fit the socket type are SocketErrors from the kernel", async () => {
    const d = track(new Socket("inet", "dgram"));
    const err = throwsSys(() => d.listen(), getSystemErrorName(-E.EOPNOTSUPP), "listen");
    assert.equal(err.errno, -E.EOPNOTSUPP);
    const [a, b] = track(socketpair("unix", "stream"));
    await rejectsSys(a.sendto("x", `@${abstractName("elsewhere")}`), "EISCONN", "sendto");
    const unconnected = track(new Socket("inet", "stream"));
    throwsSys(() => unconnected.getpeername(), "ENOTCONN", "getpeername");
    throwsSys(() => unconnected.shutdown("both"), "ENOTCONN", "shutdown");
    const notListening = track(new Socket("inet", "stream"));
    await rejectsSys(notListening.accept(), "EINVAL", "accept4");
    const ud = track(new Socket("unix", "dgram"));
    await rejectsSys(ud.send("no peer"), "ENOTCONN", "send");
    for (const s of [d, a, b, unconnected, notListening, ud]) s.close();
  });

  test("sendto with an address on a connected TCP socket is EISCONN (Linux would ignore the address)", async () => {
    const [c, conn] = track(await connectedPair("inet", "stream", "127.0.0.1:0"));
    await rejectsSys(c.sendto("x", "127.0.0.1:9"), "EISCONN", "sendto");
    assert.equal(conn.bytesAvailable(), 0, "nothing reached the connected peer");
    c.close();
    conn.close();
  });

  test("messages() on a stream socket is TypeError ERR_SOCKET_BAD_TYPE, thrown at once", () => {
    const [a, b] = track(socketpair("unix", "stream"));
    throwsNow(() => a.messages(), "ERR_SOCKET_BAD_TYPE");
    a.close();
    b.close();
  });

  test("toNetSocket/toNetServer refuse what Node's net cannot take", () => {
    const d = track(new Socket("inet", "dgram"));
    throwsNow(() => d.toNetSocket(), "ERR_SOCKET_BAD_TYPE");
    const [a, b] = track(socketpair("unix", "seqpacket"));
    throwsNow(() => a.toNetServer(), "ERR_SOCKET_BAD_TYPE");
    assert.equal(d.closed, false, "a refused hand-over leaves the socket open");
    for (const s of [d, a, b]) s.close();
  });

  test("wrong argument types and ranges are TypeError/RangeError with ERR_ codes, thrown synchronously", async () => {
    throwsNow(() => new Socket("ipx" as never, "stream"), "ERR_INVALID_ARG_VALUE");
    throwsNow(() => new Socket("inet", "datagram" as never), "ERR_INVALID_ARG_VALUE");
    throwsNow(() => new Socket("inet", "stream", "tpc"), "ERR_INVALID_ARG_VALUE");
    throwsNow(() => new Socket("inet", "stream", {} as never), "ERR_INVALID_ARG_TYPE");
    throwsNow(() => new Socket("constructor" as never, "stream"), "ERR_INVALID_ARG_VALUE");
    const s = track(new Socket("inet", "stream"));
    const [a, b] = track(socketpair("unix", "dgram"));
    const cases: [string, () => unknown, string, ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor][] = [
      ["bind(42)", () => s.bind(42 as never), "ERR_INVALID_ARG_TYPE", TypeError],
      ["bind(null)", () => s.bind(null as never), "ERR_INVALID_ARG_TYPE", TypeError],
      ['bind("localhost:80")', () => s.bind("localhost:80"), "ERR_INVALID_ADDRESS", TypeError],
      ['bind("1.2.3.4")', () => s.bind("1.2.3.4"), "ERR_INVALID_ADDRESS", TypeError],
      [
        "bind port 70000",
        () => s.bind({ family: "inet", address: "127.0.0.1", port: 70000 }),
        "ERR_OUT_OF_RANGE",
        RangeError,
      ],
      ["connect(undefined)", () => s.connect(undefined as never), "ERR_INVALID_ARG_TYPE", TypeError],
      ["connect timeout -1", () => s.connect("127.0.0.1:9", { timeout: -1 }), "ERR_OUT_OF_RANGE", RangeError],
      [
        'connect timeout "5"',
        () => s.connect("127.0.0.1:9", { timeout: "5" as never }),
        "ERR_OUT_OF_RANGE",
        RangeError,
      ],
      ["connect signal {}", () => s.connect("127.0.0.1:9", { signal: {} as never }), "ERR_INVALID_ARG_TYPE", TypeError],
      ['listen("x")', () => s.listen("x" as never), "ERR_INVALID_ARG_TYPE", TypeError],
      ["listen(2 ** 31)", () => s.listen(2 ** 31), "ERR_OUT_OF_RANGE", RangeError], // listen(-1) is listen(0): POSIX
      ["send(123)", () => a.send(123 as never), "ERR_INVALID_ARG_TYPE", TypeError],
      ["send(null)", () => a.send(null as never), "ERR_INVALID_ARG_TYPE", TypeError],
      ["send flags 1.5", () => a.send("x", { flags: 1.5 }), "ERR_INVALID_ARG_TYPE", TypeError],
      ["sendAll({})", () => a.sendAll({} as never), "ERR_INVALID_ARG_TYPE", TypeError],
      ["recv(-1)", () => b.recv(-1), "ERR_OUT_OF_RANGE", RangeError],
      ['recv("10")', () => b.recv("10" as never), "ERR_INVALID_ARG_TYPE", TypeError],
      ["recv(1.5)", () => b.recv(1.5), "ERR_INVALID_ARG_TYPE", TypeError],
      ['recv options "x"', () => b.recv(10, "x" as never), "ERR_INVALID_ARG_TYPE", TypeError],
      ["recvfrom(-5)", () => b.recvfrom(-5), "ERR_OUT_OF_RANGE", RangeError],
      ["recvInto([])", () => b.recvInto([] as never), "ERR_INVALID_ARG_TYPE", TypeError],
      [
        "recvInto offset past the end",
        () => b.recvInto(Buffer.alloc(4), { offset: 5 }),
        "ERR_OUT_OF_RANGE",
        RangeError,
      ],
      ["sendto without address", () => a.sendto("x", undefined as never), "ERR_INVALID_ARG_TYPE", TypeError],
      [
        "sendto bad address",
        () => a.sendto("x", { family: "inet", address: "nope", port: 1 }),
        "ERR_INVALID_ADDRESS",
        TypeError,
      ],
      ['shutdown("sideways")', () => s.shutdown("sideways" as never), "ERR_INVALID_ARG_VALUE", TypeError],
      ['shutdown("toString")', () => s.shutdown("toString" as never), "ERR_INVALID_ARG_VALUE", TypeError],
      ['fromFd("3")', () => Socket.fromFd("3" as never), "ERR_INVALID_ARG_TYPE", TypeError],
      ["fromFd(-1)", () => Socket.fromFd(-1), "ERR_OUT_OF_RANGE", RangeError],
      ["fromFd(1.5)", () => Socket.fromFd(1.5), "ERR_INVALID_ARG_TYPE", TypeError],
      ["fromFd({})", () => Socket.fromFd({}), "ERR_INVALID_ARG_TYPE", TypeError],
    ];
    for (const [what, fn, code, cls] of cases) {
      try {
        throwsNow(fn, code, cls);
      } catch (e) {
        (e as Error).message = `${what}: ${(e as Error).message}`;
        throw e;
      }
    }
    // An IPv6 address for an IPv4 socket is well-formed: the kernel says no.
    await rejectsSys(s.connect("[::1]:80"), "EAFNOSUPPORT", "connect");
    // None of these reached the kernel: the sockets are as they were.
    assert.equal(s.closed, false);
    throwsSys(() => s.getpeername(), "ENOTCONN", "getpeername");
    for (const x of [s, a, b]) x.close();
  });
});

describe("fd ownership and Node interop", () => {
  test("detach gives the fd back open; fromFd adopts it with its family, type and protocol", async () => {
    const srv = track(new Socket("inet6", "stream", "tcp"));
    srv.bind("[::1]:0");
    srv.listen();
    const addr = srv.getsockname();
    const fd = srv.detach();
    assert.equal(srv.closed, true);
    assert.equal(srv.fd, -1);
    assert.match(fdTarget(fd) ?? "", /^socket:/, "the fd is still open");
    throwsNow(() => srv.detach(), "ERR_SOCKET_CLOSED", Error);
    const again = track(Socket.fromFd(fd));
    assert.equal(again.fd, fd);
    assert.equal(again.family, "inet6");
    assert.equal(again.type, "stream");
    assert.equal(again.protocol, "tcp");
    assert.deepEqual(again.getsockname(), addr);
    const c = track(new Socket("inet6", "stream"));
    const [conn] = await within(Promise.all([again.accept(), c.connect(addr)]), "accept on the adopted fd");
    track(conn);
    await c.send("via adopted");
    assert.equal((await within(conn.recv(), "recv")).toString(), "via adopted");
    const target = fdTarget(fd);
    for (const s of [again, c, conn]) s.close();
    assert.notEqual(fdTarget(fd), target, "closing the adopting Socket closed the fd");
  });

  test("fromFd makes a blocking fd non-blocking and close-on-exec", () => {
    const [a, b] = socketpair("unix", "dgram");
    const fd = a.detach();
    raw.fcntl(fd, FCNTL.F_SETFL!, raw.fcntl(fd, FCNTL.F_GETFL!) & ~FCNTL.O_NONBLOCK!);
    raw.fcntl(fd, FCNTL.F_SETFD!, 0);
    const s = track(Socket.fromFd(fd));
    assert.ok(raw.fcntl(fd, FCNTL.F_GETFL!) & FCNTL.O_NONBLOCK!);
    assert.ok(raw.fcntl(fd, FCNTL.F_GETFD!) & FCNTL.FD_CLOEXEC!);
    assert.equal(s.type, "dgram");
    s.close();
    b.close();
  });

  test("fromFd of something that is not a socket is ENOTSOCK; of a closed fd, EBADF", () => {
    const path = join(dir.path, "plain-file");
    const fd = openSync(path, "w");
    try {
      throwsSys(() => Socket.fromFd(fd), "ENOTSOCK", "getsockopt");
    } finally {
      closeSync(fd);
    }
    throwsSys(() => Socket.fromFd(fd), "EBADF", "getsockopt");
  });

  test("Socket.fromFd(net.Socket) adopts a duplicate: both work, closing ours leaves Node's open", async () => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as net.AddressInfo;
    const accepted = once(server, "connection");
    const client = net.connect(port, "127.0.0.1");
    await once(client, "connect");
    const [peer] = (await accepted) as [net.Socket];
    const nodeFd = (client as unknown as { _handle: { fd: number } })._handle.fd;
    const s = track(Socket.fromFd(client));
    assert.notEqual(s.fd, nodeFd, "a duplicate, since Node keeps owning its fd");
    assert.equal(s.family, "inet");
    assert.deepEqual(s.getpeername(), { family: "inet", address: "127.0.0.1", port });
    const gotAll = readAll(peer);
    await s.sendAll("from sockit;");
    s.close();
    client.end("from node");
    assert.equal((await within(gotAll, "peer reads to end")).toString(), "from sockit;from node");
    server.close();
  });

  test("Socket.fromFd(net.Server) adopts a duplicate of the listening socket, which outlives Node's", async () => {
    const server = net.createServer();
    server.listen(0, "::1");
    await once(server, "listening");
    const { port } = server.address() as net.AddressInfo;
    const s = track(Socket.fromFd(server));
    assert.equal(s.family, "inet6");
    assert.deepEqual(s.getsockname(), { family: "inet6", address: "::1", port, flowinfo: 0, scopeId: 0 });
    await new Promise((r) => server.close(r));
    const c = track(new Socket("inet6", "stream"));
    const [conn] = await within(Promise.all([s.accept(), c.connect(`[::1]:${port}`)]), "accept on the adopted dup");
    track(conn);
    assert.deepEqual(conn.getpeername(), c.getsockname());
    for (const x of [s, c, conn]) x.close();
  });

  test("toNetSocket() hands a connected socket to Node, data flows both ways", async () => {
    const server = net.createServer((conn) => {
      conn.setEncoding("utf8");
      conn.on("data", (d: string) => conn.end(`echo:${d}`));
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as net.AddressInfo;
    const s = track(new Socket("inet", "stream"));
    await within(s.connect(`127.0.0.1:${port}`), "connect");
    const ns = s.toNetSocket();
    assert.equal(s.closed, true, "ownership moved to Node");
    assert.equal(ns.remotePort, port);
    const reply = readAll(ns);
    ns.write("hello");
    assert.equal((await within(reply, "reply")).toString(), "echo:hello");
    ns.destroy();
    server.close();
  });

  test("toNetServer() serves http on a socket with SO_REUSEPORT set through sockit", async () => {
    const s = track(new Socket("inet", "stream"));
    s.setsockopt("SOL_SOCKET", "SO_REUSEPORT", true);
    assert.equal(s.getsockopt("SOL_SOCKET", "SO_REUSEPORT"), true);
    s.bind("127.0.0.1:0");
    s.listen();
    const { port } = s.getsockname() as { port: number };
    // The option is in force: a second SO_REUSEPORT socket may bind the same port; one without may not.
    const twin = track(new Socket("inet", "stream"));
    twin.setsockopt("SOL_SOCKET", "SO_REUSEPORT", true);
    twin.bind(`127.0.0.1:${port}`);
    twin.close();
    const plain = track(new Socket("inet", "stream"));
    throwsSys(() => plain.bind(`127.0.0.1:${port}`), "EADDRINUSE", "bind");
    plain.close();

    const server = s.toNetServer(http.createServer((req, res) => res.end(`hello ${req.url}`)));
    assert.equal(s.closed, true);
    if (!server.listening) await once(server, "listening");
    assert.equal((server.address() as net.AddressInfo).port, port);
    const body = await within(
      new Promise<string>((resolve, reject) => {
        http
          .get({ host: "127.0.0.1", port, path: "/from-sockit", agent: false }, (res) => {
            res.setEncoding("utf8");
            let b = "";
            res.on("data", (d: string) => (b += d));
            res.on("end", () => resolve(b));
          })
          .on("error", reject);
      }),
      "http GET",
    );
    assert.equal(body, "hello /from-sockit");
    await new Promise((r) => server.close(r));
  });

  test("util.inspect shows fd, family, type, local and remote address, and closed", async () => {
    const [c, conn] = track(await connectedPair("inet", "stream", "127.0.0.1:0"));
    const local = c.getsockname() as { port: number };
    const remote = c.getpeername() as { port: number };
    const text = inspect(c);
    assert.match(text, new RegExp(`fd: ${c.fd}\\b`));
    assert.match(text, /family: 'inet'/);
    assert.match(text, /type: 'stream'/);
    assert.match(text, new RegExp(`local: '127\\.0\\.0\\.1:${local.port}'`));
    assert.match(text, new RegExp(`remote: '127\\.0\\.0\\.1:${remote.port}'`));
    assert.match(text, /closed: false/);
    c.close();
    const closed = inspect(c);
    assert.match(closed, /closed: true/);
    assert.match(closed, /fd: -1/);
    const abs = `@${abstractName("inspect")}`;
    const u = track(new Socket("unix", "dgram"));
    u.bind(abs);
    assert.match(inspect(u), new RegExp(`local: '${abs.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}'`));
    for (const s of [conn, u]) s.close();
  });

  test("Symbol.asyncDispose and Symbol.dispose close the socket", async () => {
    const s = new Socket("unix", "dgram");
    await s[Symbol.asyncDispose]();
    assert.equal(s.closed, true);
    const t = new Socket("unix", "dgram");
    t[Symbol.dispose]();
    assert.equal(t.closed, true);
  });
});
