/**
 * Handing a socket to Node (toNetServer, toNetSocket): everything is checked
 * before the fd changes hands, a refusal is thrown at once, and the Socket
 * keeps its fd — nothing leaks, a listening port stays served (issue 12, item 4).
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import net from "node:net";
import { test } from "node:test";
import { Socket, SocketError } from "../../src/index.js";
import { within, newFds, openFds } from "../helpers.js";

function listener(): Socket {
  const s = new Socket("inet", "stream");
  s.bind("127.0.0.1:0");
  s.listen();
  return s;
}

function code(e: unknown): unknown {
  return (e as { code?: unknown }).code;
}

test("toNetServer(bad) throws ERR_INVALID_ARG_TYPE at once and keeps the listening fd owned", async () => {
  const s = listener();
  const before = openFds();
  for (const bad of [{}, "server", 42, null, { listen: () => undefined }, new net.Socket()]) {
    let err: unknown;
    try {
      s.toNetServer(bad as never);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof TypeError, `toNetServer(${String(bad)}) threw ${String(err)}`);
    assert.equal(code(err), "ERR_INVALID_ARG_TYPE");
    assert.equal(s.closed, false, "the socket still owns its fd");
  }
  assert.deepEqual(newFds(before), [], "no fd leaked");
  // The port is still served by the Socket.
  const c = new Socket("inet", "stream");
  await within(c.connect(s.getsockname()), "connect");
  const conn = await within(s.accept(), "accept");
  conn.close();
  c.close();
  s.close();
});

test("toNetServer on a socket that is not listening is a SocketError EINVAL, thrown at once; the fd stays owned", async () => {
  const l = listener();
  const c = new Socket("inet", "stream");
  await c.connect(l.getsockname());
  const before = openFds();
  let server: net.Server | undefined;
  let err: unknown;
  try {
    server = c.toNetServer(http.createServer());
  } catch (e) {
    err = e;
  }
  server?.close();
  assert.ok(err instanceof SocketError, `got ${String(err)}`);
  assert.equal(err.code, "EINVAL");
  assert.equal(err.syscall, "toNetServer");
  assert.equal(c.closed, false);
  const unbound = new Socket("inet", "stream");
  assert.throws(() => unbound.toNetServer(), { code: "EINVAL" });
  assert.equal(unbound.closed, false);
  unbound.close();
  assert.deepEqual(newFds(before), []);
  c.close();
  l.close();
});

test("toNetServer to a server that already listens is refused at once", async () => {
  const busy = net.createServer().listen(0, "127.0.0.1");
  await once(busy, "listening");
  const s = listener();
  assert.throws(() => s.toNetServer(busy), { code: "ERR_INVALID_ARG_VALUE" });
  assert.equal(s.closed, false);
  busy.close();
  s.close();
});

test("toNetSocket(bad options) and toNetSocket on a listening socket throw at once and keep the fd", () => {
  const s = listener();
  const before = openFds();
  assert.throws(
    () => s.toNetSocket(),
    (e: unknown) => e instanceof SocketError && e.code === "EINVAL",
  );
  assert.equal(s.closed, false);
  const c = new Socket("inet", "stream");
  for (const bad of ["x", 1, { allowHalfOpen: "yes" }]) {
    assert.throws(() => c.toNetSocket(bad as never), { code: "ERR_INVALID_ARG_TYPE" });
    assert.equal(c.closed, false);
  }
  c.close();
  assert.deepEqual(newFds(before), [], "no fd leaked");
  s.close();
});

test("a good hand-over still works after refused ones", async () => {
  const s = listener();
  assert.throws(() => s.toNetServer({} as never));
  const server = s.toNetServer(http.createServer((_req, res) => res.end("ok")));
  if (!server.listening) await once(server, "listening");
  const port = (server.address() as net.AddressInfo).port;
  const body = await within(
    new Promise<string>((resolve, reject) => {
      http
        .get({ host: "127.0.0.1", port, agent: false }, (res) => {
          let t = "";
          res.on("data", (d: Buffer) => (t += d));
          res.on("end", () => resolve(t));
        })
        .on("error", reject);
    }),
    "http get",
  );
  assert.equal(body, "ok");
  server.close();
});
