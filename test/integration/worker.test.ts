/**
 * Worker threads: sockets made and used inside a worker run on the worker's
 * own event loop; when the worker ends — normally, by process.exit(), or by
 * terminate() — with sockets still open and calls still waiting, the addon's
 * env cleanup hook closes them: no fd outlives the worker (/proc/self/fd is
 * shared by every thread), the main thread's sockets are untouched, and the
 * process stays healthy.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Worker } from "node:worker_threads";
import { Socket, socketpair } from "../../src/index.js";
import { ENTRY, fdTarget, newFds, openFds, within } from "../helpers.js";

/** Worker source: registers tsx in the worker, imports sockit, then runs `body` (with Socket, socketpair, parentPort, workerData). */
function workerSource(body: string): string {
  return `
    const { parentPort, workerData } = require("node:worker_threads");
    (async () => {
      const { register } = await import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))});
      register();
      const { Socket, socketpair } = await import(${JSON.stringify(ENTRY)});
      ${body}
    })().catch((e) => { parentPort.postMessage({ error: String(e && e.stack || e) }); });
  `;
}

interface Started {
  worker: Worker;
  /** Resolves with the worker's next message (rejects on a reported error). */
  next(): Promise<Record<string, unknown>>;
  exited: Promise<number>;
}

function start(body: string, workerData?: unknown): Started {
  const worker = new Worker(workerSource(body), { eval: true, workerData });
  const inbox: Record<string, unknown>[] = [];
  const waiting: ((m: Record<string, unknown>) => void)[] = [];
  worker.on("message", (m: Record<string, unknown>) => {
    const w = waiting.shift();
    if (w) w(m);
    else inbox.push(m);
  });
  const exited = new Promise<number>((resolve, reject) => {
    worker.on("exit", resolve);
    worker.on("error", reject);
  });
  return {
    worker,
    next: async () => {
      const m =
        inbox.shift() ?? (await within(new Promise<Record<string, unknown>>((r) => waiting.push(r)), "worker message"));
      if (m.error) throw new Error(`worker: ${String(m.error)}`);
      return m;
    },
    exited,
  };
}

/** A main-thread listener the workers connect to. */
function mainListener(): { srv: Socket; port: number } {
  const srv = new Socket("inet", "stream");
  srv.bind("127.0.0.1:0");
  srv.listen();
  return { srv, port: (srv.getsockname() as { port: number }).port };
}

/** A main-thread exchange, to show the process is healthy. */
async function healthy(): Promise<void> {
  const [a, b] = socketpair("unix", "stream");
  await a.send("still fine");
  assert.equal((await within(b.recv(), "main-thread recv")).toString(), "still fine");
  a.close();
  b.close();
}

/** Worker body: opens sockets of every kind, leaves calls waiting, reports its fds. */
const LEAVE_OPEN = `
  const idle = new Socket("inet", "dgram");
  idle.bind("127.0.0.1:0");
  const [a, b] = socketpair("unix", "stream");
  const waitingRecv = b.recv();
  const lst = new Socket("inet6", "stream");
  lst.bind("[::1]:0");
  lst.listen();
  const waitingAccept = lst.accept();
  const c = new Socket("inet", "stream");
  await c.connect({ family: "inet", address: "127.0.0.1", port: workerData.port });
  await c.send("hello from the worker");
  const waitingOnMain = c.recv();
  waitingRecv.catch(() => {}); waitingAccept.catch(() => {}); waitingOnMain.catch(() => {});
  // Held to the end: a socket nothing refers to (idle, a) may be collected and
  // its fd closed by the library's FinalizationRegistry before the worker ends
  // (it was, once, on a busy CI host), and these are the fds the worker's end must close.
  globalThis.leftOpen = [idle, a, b, lst, c];
  parentPort.postMessage({ fds: [idle.fd, a.fd, b.fd, lst.fd, c.fd] });
`;

describe("sockets in worker threads", () => {
  test("a worker creates and uses sockets on its own loop, with a main-thread peer", async () => {
    const { srv, port } = mainListener();
    const before = openFds();
    const w = start(
      `
      const [a, b] = socketpair("unix", "seqpacket");
      await a.send("inside");
      const inside = (await b.recv()).toString();
      const u = new Socket("inet6", "dgram"); u.bind("[::1]:0");
      const v = new Socket("inet6", "dgram"); v.bind("[::1]:0");
      await u.sendto("udp inside", v.getsockname());
      const m = await v.recvfrom();
      const c = new Socket("inet", "stream");
      await c.connect("127.0.0.1:" + workerData.port);
      await c.sendAll("from the worker");
      c.shutdown("write");
      const reply = (await c.recv()).toString();
      const sameSender = JSON.stringify(m.address) === JSON.stringify(u.getsockname());
      for (const s of [a, b, u, v, c]) s.close();
      parentPort.postMessage({ inside, udp: m.data.toString(), sameSender, reply });
    `,
      { port },
    );
    const conn = await within(srv.accept(), "accept the worker's connection");
    const parts: Buffer[] = [];
    for (;;) {
      const b = await within(conn.recv(), "recv from worker");
      if (b.length === 0) break;
      parts.push(b);
    }
    assert.equal(Buffer.concat(parts).toString(), "from the worker");
    await conn.send("main says hi");
    const result = await w.next();
    assert.equal(result.inside, "inside");
    assert.equal(result.udp, "udp inside");
    assert.equal(result.sameSender, true, "recvfrom in the worker reports the sender's address");
    assert.equal(result.reply, "main says hi");
    assert.equal(await within(w.exited, "worker exit"), 0);
    conn.close();
    srv.close();
    assert.deepEqual(newFds(before), [], "no fd outlives the worker");
  });

  for (const how of ["terminate", "process.exit", "loop drains (unref'd waits)"] as const) {
    test(`a worker that ends by ${how} with sockets open and calls waiting leaks no fd`, async () => {
      const { srv, port } = mainListener();
      // The main thread has its own waiting socket through all of this.
      const [ma, mb] = socketpair("unix", "dgram");
      const mainWait = mb.recv();
      const before = openFds();
      // The worker ends once the main thread has looked at its fds (the "go"
      // message): ending on its own, it could close them before that look.
      const tail =
        how === "process.exit"
          ? `parentPort.once("message", () => process.exit(0));`
          : how === "loop drains (unref'd waits)"
            ? `for (const s of [idle, b, lst, c]) s.unref(); parentPort.once("message", () => parentPort.unref());`
            : ``;
      const w = start(LEAVE_OPEN + tail, { port });
      const conn = await within(srv.accept(), "accept the worker's connection");
      assert.equal((await within(conn.recv(), "hello")).toString(), "hello from the worker");
      const { fds } = (await w.next()) as { fds: number[] };
      for (const fd of fds) assert.match(fdTarget(fd) ?? "", /^socket:/, `worker fd ${fd} is open while it runs`);
      if (how === "terminate") await w.worker.terminate();
      else w.worker.postMessage("go");
      const code = await within(w.exited, "worker exit");
      assert.equal(code, how === "terminate" ? 1 : 0);

      // The worker's end of the TCP connection was closed: the main side reads EOF.
      assert.equal((await within(conn.recv(), "EOF from the dead worker")).length, 0);
      conn.close();
      srv.close();
      assert.deepEqual(newFds(before), [], "every fd the worker left open was closed");

      // The main thread's sockets were not touched, and it carries on.
      await ma.send("main's own");
      assert.equal((await within(mainWait, "main's waiting recv")).toString(), "main's own");
      ma.close();
      mb.close();
      await healthy();
    });
  }

  test("twenty workers in a row, each leaving sockets open: no fds accumulate", async () => {
    const { srv, port } = mainListener();
    const before = openFds();
    for (let i = 0; i < 20; i++) {
      const w = start(LEAVE_OPEN, { port });
      const conn = await within(srv.accept(), "accept");
      assert.equal((await within(conn.recv(), "hello")).toString(), "hello from the worker");
      await w.next();
      await w.worker.terminate();
      await within(w.exited, "exit");
      assert.equal((await within(conn.recv(), "EOF")).length, 0);
      conn.close();
    }
    srv.close();
    assert.deepEqual(newFds(before), []);
    await healthy();
  });

  test("a socket detached in a worker is the caller's: it survives the worker's end", async () => {
    const before = openFds();
    const w = start(
      `
      const s = new Socket("unix", "dgram");
      s.bind("@" + workerData.name);
      parentPort.postMessage({ fd: s.detach() });
      setInterval(() => {}, 1000);
    `,
      { name: `sockit-worker-detach-${process.pid}` },
    );
    const { fd } = (await w.next()) as { fd: number };
    await w.worker.terminate();
    await within(w.exited, "exit");
    assert.match(fdTarget(fd) ?? "", /^socket:/, "a detached fd is not the worker's to close");
    const s = Socket.fromFd(fd);
    assert.deepEqual(s.getsockname(), { family: "unix", path: `\0sockit-worker-detach-${process.pid}` });
    s.close();
    assert.deepEqual(newFds(before), []);
  });

  test("a worker can end while the main thread's sockets wait, repeatedly, without disturbing them", async () => {
    const [a, b] = socketpair("unix", "stream");
    const waiting = b.recv(5);
    for (let i = 0; i < 3; i++) {
      const w = start(`parentPort.postMessage({ ok: true });`);
      await w.next();
      assert.equal(await within(w.exited, "exit"), 0);
    }
    await a.send("after");
    assert.equal((await within(waiting, "recv")).toString(), "after");
    a.close();
    b.close();
  });
});
