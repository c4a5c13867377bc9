/**
 * createServer: dual-stack wildcard, per-address sockets, reusePort, backlog,
 * Unix socket files (mode, owner, stale file removed only when nothing
 * listens), and the accept loop with its cap on open connections.
 */
import assert from "node:assert/strict";
import { lstatSync, mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { Server, Socket, SocketError, createConnection, createServer, isStaleSocket, posix } from "../../src/index.js";
import { limitFds, nodeScript, readAll, which } from "../helpers.js";

const dir = mkdtempSync(join(tmpdir(), "sockit-server-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const portOf = (s: Server): number => (s.address() as { port: number }).port;

describe("createServer: TCP", () => {
  test("no host: one dual-stack IPv6 socket that takes IPv4 and IPv6 clients", async () => {
    await using srv = await createServer({ port: 0 });
    assert.equal(srv.sockets.length, 1);
    assert.equal(srv.sockets[0]!.family, "inet6");
    assert.equal(srv.sockets[0]!.getsockopt("IPPROTO_IPV6", "IPV6_V6ONLY"), false);
    assert.equal(srv.sockets[0]!.getsockopt("SOL_SOCKET", "SO_REUSEADDR"), true);
    const port = portOf(srv);
    const c4 = await createConnection("127.0.0.1", port);
    const a4 = (await srv.accept())!;
    assert.equal((a4.getpeername() as { address: string }).address, "::ffff:127.0.0.1");
    const c6 = await createConnection("::1", port);
    const a6 = (await srv.accept())!;
    assert.equal((a6.getpeername() as { address: string }).address, "::1");
    for (const s of [c4, a4, c6, a6]) s.close();
  });

  test("a host: one socket per resolved address, on one port", async () => {
    await using srv = await createServer({ host: "127.0.0.1", port: 0, backlog: 8 });
    assert.equal(srv.sockets.length, 1);
    assert.deepEqual(srv.address(), { family: "inet", address: "127.0.0.1", port: portOf(srv) });
    // Node's net can connect to it.
    const port = portOf(srv);
    const nc = net.connect(port, "127.0.0.1");
    const a = (await srv.accept())!;
    nc.write("x");
    assert.equal((await a.recv(1)).toString(), "x");
    nc.destroy();
    a.close();
  });

  test("reusePort lets two servers share a port", async () => {
    await using one = await createServer({ host: "127.0.0.1", port: 0, reusePort: true });
    await using two = await createServer({ host: "127.0.0.1", port: portOf(one), reusePort: true });
    assert.equal(portOf(one), portOf(two));
    assert.equal(two.sockets[0]!.getsockopt("SOL_SOCKET", "SO_REUSEPORT"), true);
    await assert.rejects(createServer({ host: "127.0.0.1", port: portOf(one) }), { code: "EADDRINUSE" });
  });

  test("the accept loop is an async iterator capped at maxConnections; close and detach free a slot", async () => {
    const srv = await createServer({ host: "127.0.0.1", port: 0, maxConnections: 2 });
    const port = portOf(srv);
    const clients = await Promise.all([1, 2, 3, 4].map(() => createConnection("127.0.0.1", port)));
    const got: Socket[] = [];
    const loop = (async () => {
      for await (const conn of srv) got.push(conn);
    })();
    const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 100));
    await settle();
    assert.equal(got.length, 2, "a third connection was accepted past the cap");
    assert.equal(srv.connections, 2);
    got[0]!.close();
    await settle();
    assert.equal(got.length, 3);
    assert.equal(srv.connections, 2);
    posix.close(got[1]!.detach());
    await settle();
    assert.equal(got.length, 4);
    srv.close();
    await loop;
    assert.equal(await srv.accept(), null);
    for (const s of [...got, ...clients]) s.close();
  });

  test("bad options throw at once", () => {
    assert.throws(() => createServer({} as never), { code: "ERR_INVALID_ARG_VALUE" });
    assert.throws(() => createServer({ port: 70000 }), { code: "ERR_OUT_OF_RANGE" });
    assert.throws(() => createServer({ port: 1, path: "/x" }), { code: "ERR_INVALID_ARG_VALUE" });
    assert.throws(() => createServer({ port: 0, mode: 0o600 }), { code: "ERR_INVALID_ARG_VALUE" });
    assert.throws(() => createServer({ path: "/x", mode: 0o10000 }), { code: "ERR_OUT_OF_RANGE" });
    assert.throws(() => createServer({ port: 0, maxConnections: 0 }), { code: "ERR_OUT_OF_RANGE" });
    assert.throws(() => createServer({ port: 0, type: "seqpacket" }), { code: "ERR_INVALID_ARG_VALUE" });
    assert.throws(() => createServer(null as never), { code: "ERR_INVALID_ARG_TYPE" });
  });
});

describe("createServer: Unix", () => {
  test("mode and owner are applied; close() removes the file", async () => {
    const path = join(dir, "a.sock");
    const srv = await createServer({ path, mode: 0o660, owner: { uid: process.getuid!(), gid: 0 } });
    const st = statSync(path);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o7777, 0o660);
    assert.equal(st.gid, 0);
    const c = new Socket("unix", "stream");
    await c.connect(path);
    const a = (await srv.accept())!;
    a.close();
    c.close();
    srv.close();
    assert.equal(existsSync(path), false);
  });

  test("a stale socket file is replaced; a live one is EADDRINUSE; other files are left alone", async () => {
    const path = join(dir, "stale.sock");
    const old = new Socket("unix", "stream");
    old.bind(path);
    old.close(); // the file stays, nothing listens: stale
    const srv = await createServer({ path });
    assert.ok(lstatSync(path).isSocket());
    await assert.rejects(createServer({ path }), (e: unknown) => {
      assert.ok(e instanceof SocketError);
      assert.equal(e.code, "EADDRINUSE");
      return true;
    });
    assert.ok(existsSync(path), "a live socket file was removed");
    srv.close();
    const file = join(dir, "plain");
    writeFileSync(file, "data");
    await assert.rejects(createServer({ path: file }), { code: "EADDRINUSE" });
    assert.ok(existsSync(file));
  });

  test("abstract names and seqpacket", async () => {
    const name = `@sockit-server-${process.pid}`;
    await using srv = await createServer({ path: name, type: "seqpacket" });
    assert.equal(srv.sockets[0]!.type, "seqpacket");
    const c = new Socket("unix", "seqpacket");
    await c.connect(name);
    const a = (await srv.accept())!;
    await c.send("m");
    assert.equal((await a.recv(10)).toString(), "m");
    a.close();
    c.close();
  });
});

describe("isStaleSocket: the one staleness check (createServer and the CLI's unlink)", () => {
  test("a live Node listener is not stale; a socket file whose owner closed is; other paths are not", async () => {
    const live = join(dir, "stale-live.sock");
    const node = net.createServer().listen(live);
    await new Promise((r) => node.once("listening", r));
    assert.equal(await isStaleSocket(live), false, "something listens: never stale");
    const dgramLive = join(dir, "stale-dgram.sock");
    const d = new Socket("unix", "dgram");
    d.bind(dgramLive);
    assert.equal(await isStaleSocket(dgramLive, "dgram"), false, "a bound datagram socket is live");
    assert.equal(await isStaleSocket(dgramLive, "stream"), false, "another type: EPROTOTYPE, left alone");
    d.close();
    assert.equal(await isStaleSocket(dgramLive, "dgram"), true, "its owner closed it: stale");
    await new Promise((r) => node.close(r)); // net.Server unlinks its file on close
    const dead = join(dir, "stale-dead.sock");
    const s = new Socket("unix", "stream");
    s.bind(dead);
    s.close();
    assert.equal(await isStaleSocket(dead), true);
    const file = join(dir, "stale-file");
    writeFileSync(file, "x");
    assert.equal(await isStaleSocket(file), false, "not a socket");
    assert.equal(await isStaleSocket(join(dir, "missing.sock")), false);
    assert.throws(() => isStaleSocket("" as never), { code: "ERR_INVALID_ARG_TYPE" });
    assert.throws(() => isStaleSocket(dead, "raw" as never), { code: "ERR_INVALID_ARG_VALUE" });
  });
});

describe("createServer under fd exhaustion (prlimit: 20 fds to spare)", () => {
  test(
    "a 150-connection flood: accept backs off and says so once, never exits; once the flood is gone new clients are served",
    { skip: which("prlimit") ? false : "prlimit (util-linux) is not installed" },
    async () => {
      const child = nodeScript(
        `
import { createServer } from "{{ENTRY}}";
import { createInterface } from "node:readline";
const server = await createServer({ host: "127.0.0.1", port: 0 });
const held = [];
let holding = true;
process.on("warning", (w) => console.log(JSON.stringify({ warning: w.code ?? w.name, message: w.message })));
createInterface({ input: process.stdin }).on("line", (l) => {
  if (l !== "release") return;
  holding = false;
  for (const c of held.splice(0)) c.close();
  console.log(JSON.stringify({ released: true }));
});
console.log(JSON.stringify({ port: server.address().port }));
for await (const c of server) {
  c.send("hi\\n").catch(() => undefined).finally(() => (holding ? held.push(c) : c.close()));
}
console.log(JSON.stringify({ ended: true }));
`,
      );
      const clients: net.Socket[] = [];
      try {
        const { port } = JSON.parse(await child.line("the port")) as { port: number };
        limitFds(child.proc.pid!, 20);
        // The flood: more connections than the server has fds; the kernel queues them (backlog 511).
        for (let i = 0; i < 150; i++) {
          const c = net.connect(port, "127.0.0.1");
          c.on("error", () => undefined);
          clients.push(c);
        }
        const warning = JSON.parse(await child.line("the back-off warning")) as { warning: string; message: string };
        assert.equal(warning.warning, "SOCKIT_ACCEPT_BACKOFF");
        assert.match(warning.message, /accept4 EMFILE/);
        child.send("release");
        for (const c of clients.splice(0)) c.resetAndDestroy(); // RST: no TIME-WAIT left per flood connection;
        assert.deepEqual(JSON.parse(await child.line("released")), { released: true });
        // Fresh clients are served: each reads the greeting (then EOF).
        const replies = await Promise.all(
          Array.from({ length: 10 }, async () => {
            const c = net.connect(port, "127.0.0.1");
            clients.push(c);
            const got = await readAll(c);
            return got.toString();
          }),
        );
        assert.deepEqual(replies, Array(10).fill("hi\n"));
        assert.equal(child.proc.exitCode, null, "the server is still running");
        child.kill();
        const { stderr } = await child.exited;
        // Said once: Node prints the warning on stderr, one episode, one line.
        assert.equal(stderr.match(/SockitWarning/g)?.length ?? 0, 1, stderr);
      } finally {
        for (const c of clients) c.destroy();
        child.kill();
      }
    },
  );
});
