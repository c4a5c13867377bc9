// The subset of the suite that runs under every runtime sockit supports — Node,
// Deno 2 and Bun — on the built package (dist/): every socket type, calls that
// wait, fd passing, close with calls waiting, a Selector, name lookups, netlink,
// ICMP, and a worker that exits with its sockets open. Plain JavaScript with
// node:assert, since the runtimes' test runners differ; it prints
// "N passed, N failed" and exits non-zero on a failure. The process must also
// exit cleanly afterwards (Deno used to abort at exit: a double free), which
// .ci/run checks through the exit code.
//
//   node test/runtimes/subset.mjs | deno run -A test/runtimes/subset.mjs | bun test/runtimes/subset.mjs
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";

const lib = await import(new URL("../../dist/src/index.js", import.meta.url).href);
const { Socket, socketpair, Selector, EVENT_READ, getaddrinfo, sendFds, recvFds, listLinks, ping } = lib;
const { pollerBackend, runtime } = (await import(new URL("../../dist/src/raw/native.js", import.meta.url).href)).native;

const results = [];
async function check(name, fn) {
  const deadline = new Promise((_, reject) => {
    const t = setTimeout(() => reject(new Error(`${name}: did not finish within 10 s`)), 10_000);
    t.unref?.();
  });
  try {
    await Promise.race([fn(), deadline]);
    results.push([name, null]);
    console.log(`ok - ${name}`);
  } catch (e) {
    results.push([name, e]);
    console.log(
      `not ok - ${name}\n  ${String(e?.stack ?? e)
        .split("\n")
        .join("\n  ")}`,
    );
  }
}

// fd → target; a leak is an fd open now that was not (or pointed elsewhere) in
// the snapshot: fds the runtime closes on its own in between don't count.
const openFds = () => {
  const m = new Map();
  for (const n of readdirSync("/proc/self/fd")) {
    try {
      m.set(Number(n), readlinkSync(`/proc/self/fd/${n}`));
    } catch {
      /* the listing's own directory fd */
    }
  }
  return m;
};
const newFds = (before) => [...openFds()].filter(([fd, t]) => before.get(fd) !== t).map(([fd, t]) => `${fd} -> ${t}`);
const dir = mkdtempSync(join(tmpdir(), "sockit-rt-"));

async function recvAll(s) {
  const parts = [];
  for (;;) {
    const b = await s.recv(65536);
    if (b.length === 0) return Buffer.concat(parts);
    parts.push(b);
  }
}

console.log(`# runtime ${runtime}, readiness backend ${pollerBackend}`);
const fdsAtStart = openFds();

for (const type of ["stream", "dgram", "seqpacket"]) {
  await check(`unix ${type} socketpair: a waiting recv is served by a later send`, async () => {
    const [a, b] = socketpair("unix", type);
    try {
      const pending = b.recv(100);
      await a.send(Buffer.from(`hello ${type}`));
      assert.equal((await pending).toString(), `hello ${type}`);
    } finally {
      a.close();
      b.close();
    }
  });
}

await check("tcp over loopback: accept and connect wait, 1 MiB each way, then EOF", async () => {
  const srv = new Socket("inet", "stream");
  const c = new Socket("inet", "stream");
  try {
    srv.bind("127.0.0.1:0");
    srv.listen();
    const accepted = srv.accept();
    await c.connect(`127.0.0.1:${srv.getsockname().port}`);
    const conn = await accepted;
    try {
      const payload = Buffer.alloc(1 << 20, 0x5a);
      const got = recvAll(conn);
      await c.sendAll(payload);
      c.shutdown("write");
      assert.ok((await got).equals(payload));
      const back = recvAll(c);
      await conn.sendAll(payload.subarray(0, 1000));
      conn.shutdown("write");
      assert.equal((await back).length, 1000);
    } finally {
      conn.close();
    }
  } finally {
    c.close();
    srv.close();
  }
});

await check("udp over IPv6 loopback: recvfrom waits and names the sender", async () => {
  const a = new Socket("inet6", "dgram");
  const b = new Socket("inet6", "dgram");
  try {
    a.bind("[::1]:0");
    b.bind("[::1]:0");
    const pending = b.recvfrom(2048);
    await a.sendto(Buffer.from("datagram"), `[::1]:${b.getsockname().port}`);
    const { data, address } = await pending;
    assert.equal(data.toString(), "datagram");
    assert.equal(address.port, a.getsockname().port);
  } finally {
    a.close();
    b.close();
  }
});

await check("unix dgram on a path: the sender's path comes back with the datagram", async () => {
  const a = new Socket("unix", "dgram");
  const b = new Socket("unix", "dgram");
  try {
    a.bind(join(dir, "a.sock"));
    b.bind(join(dir, "b.sock"));
    const pending = b.recvfrom(100);
    await a.sendto(Buffer.from("over a path"), join(dir, "b.sock"));
    const { data, address } = await pending;
    assert.equal(data.toString(), "over a path");
    assert.equal(address.path, join(dir, "a.sock"));
  } finally {
    a.close();
    b.close();
  }
});

await check("fd passing: a socket sent over SCM_RIGHTS works on the receiving side", async () => {
  const [a, b] = socketpair("unix", "seqpacket");
  const [x, y] = socketpair("unix", "stream");
  try {
    const pending = recvFds(b, 16, 4);
    await sendFds(a, Buffer.from("fd"), [y]);
    const m = await pending;
    assert.equal(m.fds.length, 1);
    const yy = Socket.fromFd(m.fds[0]);
    try {
      await yy.send(Buffer.from("through the passed fd"));
      assert.equal((await x.recv(100)).toString(), "through the passed fd");
    } finally {
      yy.close();
    }
  } finally {
    for (const s of [a, b, x, y]) s.close();
  }
});

await check("close with calls waiting: each rejects with ERR_SOCKET_CLOSED, no fd stays open", async () => {
  const before = openFds();
  const [a, b] = socketpair("unix", "dgram");
  const waits = [b.recv(10), b.recv(10), b.recvfrom(10)];
  b.close();
  for (const w of waits) await assert.rejects(w, { code: "ERR_SOCKET_CLOSED" });
  a.close();
  assert.deepEqual(newFds(before), []);
});

await check("Selector: select waits until a registered fd is readable", async () => {
  const [a, b] = socketpair("unix", "stream");
  const sel = new Selector();
  try {
    sel.register(b, EVENT_READ, "b");
    const ready = sel.select(5000);
    await a.send(Buffer.from("x"));
    const events = await ready;
    assert.equal(events.length, 1);
    assert.equal(events[0][0].data, "b");
  } finally {
    sel.close();
    a.close();
    b.close();
  }
});

await check("getaddrinfo resolves localhost on the thread pool", async () => {
  const list = await getaddrinfo("localhost", "80", { socktype: "stream" });
  assert.ok(list.length > 0);
  assert.ok(list.some((r) => r.address.port === 80));
});

await check("netlink route: listLinks names lo", async () => {
  const links = await listLinks();
  assert.ok(links.some((l) => l.name === "lo"));
});

await check("icmp: ping 127.0.0.1 gets its replies", async () => {
  const r = await ping("127.0.0.1", { count: 2, interval: 10, timeout: 2000 });
  assert.equal(r.received, 2);
});

rmSync(dir, { recursive: true, force: true });
await check("no fd leaked across the run", async () => {
  assert.deepEqual(newFds(fdsAtStart), []);
});

// Last, since Deno's own workers leave two sockets of theirs open. The check
// follows the worker's sockets by inode: their fd numbers may be reused.
await check("a worker that ends with sockets open and a recv waiting leaves none of them open", async () => {
  const inodes = () =>
    new Set(
      readdirSync("/proc/self/fd").map((f) => {
        try {
          return readlinkSync(`/proc/self/fd/${f}`);
        } catch {
          return "";
        }
      }),
    );
  const worker = new Worker(
    `
    const { parentPort } = require("node:worker_threads");
    import(${JSON.stringify(new URL("../../dist/src/index.js", import.meta.url).href)}).then(({ socketpair }) => {
      const pairs = [socketpair("unix", "stream"), socketpair("unix", "dgram")];
      pairs[0][0].recv(10).catch(() => {});
      parentPort.postMessage(pairs.flat().map((s) => s.fd));
    });
    `,
    { eval: true },
  );
  const fds = await new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  const theirs = fds.map((fd) => readlinkSync(`/proc/self/fd/${fd}`));
  assert.equal(theirs.filter((l) => l.startsWith("socket:")).length, 4);
  await worker.terminate();
  // Env teardown closes what the worker's sockets still owned (on Deno, which
  // runs no Node-API cleanup hook when a worker ends, the GC's safety net does).
  let open = theirs;
  for (let i = 0; i < 150 && open.length > 0; i++) {
    globalThis.gc?.();
    await new Promise((r) => setTimeout(r, 20));
    const now = inodes();
    open = theirs.filter((l) => now.has(l));
  }
  assert.deepEqual(open, []);
});

const failed = results.filter(([, e]) => e !== null).length;
console.log(`${results.length - failed} passed, ${failed} failed`);
if (failed > 0) process.exitCode = 1;
