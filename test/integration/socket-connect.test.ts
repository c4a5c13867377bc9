/**
 * Socket connect on the real kernel: addresses, refusals, non-blocking
 * completion and its errors.
 * No mocks; no timing decides a pass (the `within` guard only turns a hang
 * into a failure).
 */
import assert from "node:assert/strict";
import { constants as osConstants } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { getSystemErrorName } from "node:util";
import { Socket, SocketError, type SocketAddress } from "../../src/index.js";
import {
  abstractName,
  isPending,
  tempDir,
  turn,
  within,
  rejectsClosed,
  rejectsAbort,
  rejectsSys,
  socketTracker,
} from "../helpers.js";

const E = osConstants.errno;

const dir = tempDir();
after(() => dir.cleanup());
const track = socketTracker();

describe("connect", () => {
  test("refused: SocketError ECONNREFUSED from connect, with address, port and Node's message", async () => {
    // A bound socket that does not listen holds the port and answers SYN with RST.
    const holder = track(new Socket("inet", "stream"));
    holder.bind("127.0.0.1:0");
    const { port } = holder.getsockname() as { port: number };
    const c = track(new Socket("inet", "stream"));
    const err = await rejectsSys(c.connect(`127.0.0.1:${port}`), "ECONNREFUSED", "connect");
    assert.equal(err.errno, -E.ECONNREFUSED);
    assert.equal(getSystemErrorName(err.errno), "ECONNREFUSED");
    assert.equal(err.address, "127.0.0.1");
    assert.equal(err.port, port);
    assert.equal(err.message, `connect ECONNREFUSED 127.0.0.1:${port}`);
    assert.ok(err.stack?.includes("connect ECONNREFUSED"));
    const c6 = track(new Socket("inet6", "stream"));
    const holder6 = track(new Socket("inet6", "stream"));
    holder6.bind("[::1]:0");
    const port6 = (holder6.getsockname() as { port: number }).port;
    const err6 = await rejectsSys(
      c6.connect({ family: "inet6", address: "::1", port: port6 }),
      "ECONNREFUSED",
      "connect",
    );
    assert.equal(err6.address, "::1");
    assert.equal(err6.port, port6);
    for (const s of [holder, c, c6, holder6]) s.close();
  });

  test("Unix: no such path is ENOENT with the path; a socket file nobody listens on is ECONNREFUSED", async () => {
    const missing = join(dir.path, "nobody-here.sock");
    const c = track(new Socket("unix", "stream"));
    const err = await rejectsSys(c.connect(missing), "ENOENT", "connect");
    assert.equal(err.path, missing);
    const stale = join(dir.path, "stale.sock");
    const s = track(new Socket("unix", "stream"));
    s.bind(stale);
    s.close(); // the file stays, nobody listens
    const c2 = track(new Socket("unix", "stream"));
    await rejectsSys(c2.connect(stale), "ECONNREFUSED", "connect");
    c.close();
    c2.close();
  });

  /** A TCP listener with backlog 0 whose queue is already full: SYNs to it are dropped. */
  async function fullListener(): Promise<{ addr: SocketAddress; close: () => void }> {
    const srv = track(new Socket("inet", "stream"));
    srv.bind("127.0.0.1:0");
    srv.listen(0);
    const addr = srv.getsockname();
    const filler = track(new Socket("inet", "stream"));
    await within(filler.connect(addr), "filling the accept queue");
    return {
      addr,
      close: () => {
        filler.close();
        srv.close();
      },
    };
  }

  test("timeout: a connect to a listener whose backlog is full rejects ETIMEDOUT", async () => {
    const full = await fullListener();
    const c = track(new Socket("inet", "stream"));
    const { port } = full.addr as { port: number };
    const err = await rejectsSys(c.connect(full.addr, { timeout: 200 }), "ETIMEDOUT", "connect");
    assert.equal(err.errno, -E.ETIMEDOUT);
    assert.equal(err.address, "127.0.0.1");
    assert.equal(err.port, port);
    c.close();
    full.close();
  });

  test("timeout: a Unix connect to a full backlog (EAGAIN) rejects ETIMEDOUT too", async () => {
    const where = `@${abstractName("backlog")}`;
    const srv = track(new Socket("unix", "stream"));
    srv.bind(where);
    srv.listen(0);
    const queued: Socket[] = [];
    // Fill the queue: connects succeed until the listener's backlog is full.
    for (;;) {
      const c = track(new Socket("unix", "stream"));
      try {
        await c.connect(where, { timeout: 100 });
        queued.push(c);
        assert.ok(queued.length < 100, "the backlog fills up");
      } catch (e) {
        assert.ok(e instanceof SocketError && e.code === "ETIMEDOUT", String(e));
        assert.equal(e.syscall, "connect");
        c.close();
        break;
      }
    }
    const late = track(new Socket("unix", "stream"));
    const pending = late.connect(where, { timeout: 60_000 });
    // Accepting one frees a slot: the waiting connect goes through.
    track(await within(srv.accept(), "accept"));
    await within(pending, "connect after a slot was freed");
    assert.equal(late.getpeername().family, "unix");
    for (const s of [...queued, late, srv]) s.close();
  });

  test("AbortSignal aborts a pending connect with AbortError (cause = reason); the socket can close cleanly", async () => {
    const full = await fullListener();
    const c = track(new Socket("inet", "stream"));
    const ac = new AbortController();
    const p = c.connect(full.addr, { signal: ac.signal });
    await turn();
    assert.equal(await isPending(p), true);
    const reason = new Error("user gave up");
    ac.abort(reason);
    await rejectsAbort(p, reason);
    c.close();
    full.close();
  });

  test("close while connect waits rejects ERR_SOCKET_CLOSED", async () => {
    const full = await fullListener();
    const c = track(new Socket("inet", "stream"));
    const p = c.connect(full.addr);
    await turn();
    assert.equal(await isPending(p), true);
    c.close();
    await rejectsClosed(p, "connect after close");
    full.close();
    // Same on the Unix EAGAIN path.
    const where = `@${abstractName("closewait")}`;
    const srv = track(new Socket("unix", "stream"));
    srv.bind(where);
    srv.listen(0);
    const fillers: Socket[] = [];
    let waiting: Promise<void> | undefined;
    let waiter: Socket | undefined;
    while (!waiting) {
      const x = track(new Socket("unix", "stream"));
      const q = x.connect(where);
      await turn();
      if (await isPending(q)) {
        waiting = q;
        waiter = x;
      } else {
        await q;
        fillers.push(x);
      }
    }
    waiter!.close();
    await rejectsClosed(waiting, "unix connect after close");
    for (const s of [...fillers, srv]) s.close();
  });
});
