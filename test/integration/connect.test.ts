/**
 * createConnection and Happy Eyeballs v2 (RFC 8305).
 *
 * The race itself runs in a child process inside a fresh network namespace,
 * where `ip netns exec` bind-mounts /etc/netns/<ns>/hosts over /etc/hosts: there
 * the name "he.sockit.test" maps to ::1 and 127.0.0.1. The IPv6 port belongs to a
 * listener that never accepts and whose queue is full, so SYNs to it are
 * dropped (the connect would hang for the OS timeout, minutes); the IPv4 port
 * accepts. The connection must arrive over IPv4 soon after the 250 ms attempt
 * delay, and the losing socket must be closed (/proc/self/fd counted).
 * Needs root (network namespaces); skipped with the reason otherwise.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import { Socket, SocketError, createConnection, getaddrinfo } from "../../src/index.js";
import { newFds, openFds } from "../helpers.js";

const HOST = "he.sockit.test";

/**
 * Fills a listener's accept queue so that further SYNs are dropped. With
 * listen(0) the queue holds one connection (Linux counts "more than the
 * backlog" as full): one filler, whose connect must complete. (Probing with
 * short connect timeouts until one hangs would read a stall of the loaded
 * test machine as "full".)
 */
async function fillQueue(address: string, port: number, family: "inet" | "inet6"): Promise<Socket[]> {
  const filler = new Socket(family, "stream");
  await filler.connect({ family, address, port }, { timeout: 10_000 });
  return [filler];
}

/** Child mode: runs inside the namespace and prints one JSON line. */
async function child(): Promise<void> {
  const v4 = new Socket("inet", "stream");
  v4.bind("127.0.0.1:0");
  v4.listen();
  const port = (v4.getsockname() as { port: number }).port;
  const v6 = new Socket("inet6", "stream");
  v6.setsockopt("IPPROTO_IPV6", "IPV6_V6ONLY", true);
  v6.bind({ family: "inet6", address: "::1", port });
  v6.listen(0);
  const fillers = await fillQueue("::1", port, "inet6");
  const order = (await getaddrinfo(HOST, port, { socktype: "stream" })).map((a) => a.family);
  const before = openFds();
  const t0 = performance.now();
  const c = await createConnection(HOST, port);
  const elapsed = performance.now() - t0;
  const peer = c.getpeername();
  const accepted = await v4.accept({ timeout: 2000 });
  const during = newFds(before); // the connection and the accepted socket: two new fds
  c.close();
  accepted.close();
  const afterClose = newFds(before);
  for (const f of fillers) f.close();
  v4.close();
  v6.close();
  process.stdout.write(`${JSON.stringify({ order, elapsed, peer, during, afterClose })}\n`);
}

if (process.env.SOCKIT_HE_CHILD === "1") {
  await child();
} else {
  const isRoot = process.getuid?.() === 0;
  const ns = `sockit-he-${process.pid}`;
  const ip = (...args: string[]): ReturnType<typeof spawnSync> => spawnSync("ip", args, { encoding: "utf8" });
  const canNetns = isRoot && ip("netns", "add", ns).status === 0;
  after(() => {
    if (canNetns) ip("netns", "del", ns);
    rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
  });

  describe("Happy Eyeballs v2", () => {
    test(
      "an IPv6 address that never answers loses to IPv4 after the attempt delay; the loser is closed",
      { skip: canNetns ? false : "needs root and network namespaces (ip netns add)", timeout: 30_000 },
      () => {
        mkdirSync(`/etc/netns/${ns}`, { recursive: true });
        writeFileSync(`/etc/netns/${ns}/hosts`, `::1 ${HOST}\n127.0.0.1 ${HOST}\n127.0.0.1 localhost\n`);
        assert.equal(ip("netns", "exec", ns, "ip", "link", "set", "lo", "up").status, 0);
        const r = spawnSync(
          "ip",
          ["netns", "exec", ns, process.execPath, "--import", "tsx", fileURLToPath(import.meta.url)],
          { encoding: "utf8", env: { ...process.env, SOCKIT_HE_CHILD: "1" }, timeout: 25_000 },
        );
        assert.equal(r.status, 0, r.stderr);
        const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as {
          order: string[];
          elapsed: number;
          peer: { family: string; address: string };
          during: string[];
          afterClose: string[];
        };
        // The resolver orders ::1 first (RFC 6724), so IPv6 really is tried first.
        assert.deepEqual(out.order, ["inet6", "inet"]);
        assert.deepEqual([out.peer.family, out.peer.address], ["inet", "127.0.0.1"]);
        assert.ok(out.elapsed >= 240, `IPv4 started before the attempt delay: ${out.elapsed} ms`);
        assert.ok(out.elapsed < 20_000, `took ${out.elapsed} ms (the OS timeout is minutes)`);
        assert.equal(out.during.length, 2, `the losing IPv6 socket is still open: ${out.during.join(", ")}`);
        assert.deepEqual(out.afterClose, []);
      },
    );
  });

  describe("createConnection", () => {
    test("connects by name and by numeric address; socket options are set before connect", async () => {
      const l = new Socket("inet", "stream");
      l.bind("127.0.0.1:0");
      l.listen();
      const port = (l.getsockname() as { port: number }).port;
      const c = await createConnection("localhost", port, {
        noDelay: true,
        keepAlive: true,
        socketOptions: [["SOL_SOCKET", "SO_RCVBUF", 65536]],
      });
      assert.deepEqual(c.getpeername(), { family: "inet", address: "127.0.0.1", port });
      assert.equal(c.getsockopt("IPPROTO_TCP", "TCP_NODELAY"), true);
      assert.equal(c.getsockopt("SOL_SOCKET", "SO_KEEPALIVE"), true);
      assert.equal(c.getsockopt("SOL_SOCKET", "SO_RCVBUF"), 131072); // Linux doubles it
      const a = await l.accept();
      await c.sendAll("hi");
      assert.equal((await a.recv(10)).toString(), "hi");
      c.close();
      a.close();
      const d = await createConnection("127.0.0.1", port, { family: "inet" });
      d.close();
      (await l.accept()).close();
      l.close();
    });

    test("localAddress and localPort are bound before connect", async () => {
      const l = new Socket("inet", "stream");
      l.bind("127.0.0.1:0");
      l.listen();
      const port = (l.getsockname() as { port: number }).port;
      const c = await createConnection("127.0.0.1", port, { localAddress: "127.0.0.2" });
      const a = await l.accept();
      assert.equal((a.getpeername() as { address: string }).address, "127.0.0.2");
      c.close();
      a.close();
      const probe = new Socket("inet", "stream");
      probe.bind("127.0.0.1:0");
      const free = (probe.getsockname() as { port: number }).port;
      probe.close();
      const c2 = await createConnection("127.0.0.1", port, { localPort: free });
      assert.equal((c2.getsockname() as { port: number }).port, free);
      c2.close();
      (await l.accept()).close();
      l.close();
    });

    test("every address refused: the first error, with the address", async () => {
      const before = openFds();
      await assert.rejects(createConnection("127.0.0.1", 1), (e: unknown) => {
        assert.ok(e instanceof SocketError);
        assert.equal(e.code, "ECONNREFUSED");
        assert.equal(e.address, "127.0.0.1");
        assert.equal(e.port, 1);
        // One address, one attempt: the list is there all the same (issue 15).
        const errors = (e as { errors?: unknown }).errors;
        assert.ok(Array.isArray(errors), "errors is attached with one attempt");
        assert.equal(errors.length, 1);
        assert.equal(errors[0], e);
        return true;
      });
      assert.deepEqual(newFds(before), []);
    });

    test("timeout and abort end every attempt and leak nothing", async () => {
      const l = new Socket("inet", "stream");
      l.bind("127.0.0.1:0");
      l.listen(0);
      const port = (l.getsockname() as { port: number }).port;
      const fillers = await fillQueue("127.0.0.1", port, "inet");
      const before = openFds();
      const t0 = performance.now();
      await assert.rejects(createConnection("127.0.0.1", port, { timeout: 300 }), { code: "ETIMEDOUT" });
      const took = performance.now() - t0;
      assert.ok(took >= 290 && took < 10_000, `${took}`);
      assert.deepEqual(newFds(before), []);
      const ac = new AbortController();
      setTimeout(() => ac.abort(new Error("stop")), 100);
      await assert.rejects(createConnection("127.0.0.1", port, { signal: ac.signal }), { name: "AbortError" });
      assert.deepEqual(newFds(before), []);
      await assert.rejects(createConnection("127.0.0.1", port, { signal: AbortSignal.abort() }), {
        name: "AbortError",
      });
      for (const f of fillers) f.close();
      l.close();
    });

    test("a name that does not resolve is a ResolveError", async () => {
      await assert.rejects(createConnection("nosuch.invalid", 80, { timeout: 10_000 }), (e: unknown) => {
        assert.match(String((e as { code?: string }).code), /^EAI_/);
        return true;
      });
    });

    test("bad arguments throw at once", () => {
      assert.throws(() => createConnection("", 80), { code: "ERR_INVALID_ARG_TYPE" });
      assert.throws(() => createConnection("localhost", 70000), { code: "ERR_OUT_OF_RANGE" });
      assert.throws(() => createConnection("localhost", 80, { family: "unix" as never }), {
        code: "ERR_INVALID_ARG_VALUE",
      });
      assert.throws(() => createConnection("localhost", 80, { timeout: -1 }), { code: "ERR_OUT_OF_RANGE" });
      assert.throws(() => createConnection("localhost", 80, { attemptDelay: 1 }), { code: "ERR_OUT_OF_RANGE" });
      assert.throws(() => createConnection("localhost", 80, { signal: {} as never }), {
        code: "ERR_INVALID_ARG_TYPE",
      });
      assert.throws(() => createConnection("localhost", 80, { socketOptions: [["x"]] as never }), {
        code: "ERR_INVALID_ARG_TYPE",
      });
    });
  });
}
