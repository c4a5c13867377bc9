// Node's built-ins: `net` for TCP (IPv4 and IPv6) and Unix stream, `dgram` for UDP.
// Written the way a Node user would: events, write() with 'drain' for
// backpressure, noDelay on TCP (every implementation sets TCP_NODELAY).
import dgram from "node:dgram";
import { once } from "node:events";
import net from "node:net";
import { CHUNK, MSG, hostPort, inWindows, joinHostPort, main, now, streamFlood } from "./common.mjs";

const msg = Buffer.alloc(MSG, "p");
const chunk = Buffer.alloc(CHUNK, "w");
const noop = () => {};

/** The loopback address each TCP transport listens on. */
const LOOPBACK = { tcp: "127.0.0.1", tcp6: "::1" };

/** Options for net.connect / server.listen from an address string. */
function endpoint(transport, address) {
  return LOOPBACK[transport] ? hostPort(address) : { path: address };
}

async function server(workload, transport, params, counters) {
  if (transport === "udp") {
    const s = dgram.createSocket("udp4");
    if (workload === "W1") s.on("message", (m, r) => s.send(m, r.port, r.address));
    else s.on("message", (m) => counters.count(m.length));
    s.bind(0, "127.0.0.1");
    await once(s, "listening");
    return `127.0.0.1:${s.address().port}`;
  }
  const srv = net.createServer({ noDelay: true }, (c) => {
    counters.accepted++;
    c.on("error", noop);
    if (workload === "W1") c.on("data", (d) => c.write(d));
    else if (workload === "W2" || workload === "W3") c.on("data", (d) => counters.count(d.length));
    else if (workload === "W4") c.destroy();
    // W5: the connection stays open and idle (reading, as any server would).
  });
  const backlog = params.backlog ?? 4096;
  const host = LOOPBACK[transport];
  if (host) srv.listen({ host, port: 0, backlog });
  else srv.listen({ path: params.path, backlog });
  await once(srv, "listening");
  return host ? joinHostPort(host, srv.address().port) : params.path;
}

async function client(workload, transport, params, address) {
  if (transport === "udp") {
    const { host, port } = hostPort(address);
    const s = dgram.createSocket("udp4");
    s.on("error", noop); // ICMP port unreachable after the server exits
    s.connect(port, host);
    await once(s, "connect");
    return workload === "W1" ? pingPong(s, "message", (m) => s.send(m)) : udpFlood(s);
  }
  const opts = endpoint(transport, address);
  if (workload === "W4") return { run: (secs) => connectRate(opts, secs, params.window ?? 16) };
  if (workload === "W5") return { run: () => holdMany(opts, params.n) };
  const c = net.connect(opts);
  c.setNoDelay(true);
  await once(c, "connect");
  if (workload === "W1") return pingPong(c, "data", (m) => c.write(m));
  return streamFlood(c, workload === "W3" ? chunk : msg);
}

/** W1: one 64 B message out, wait for 64 B back, repeat. */
function pingPong(emitter, event, send) {
  return {
    run: (secs) =>
      new Promise((resolve) => {
        let ops = 0;
        let got = 0;
        const t0 = now();
        const end = t0 + secs;
        const onData = (d) => {
          got += d.length;
          if (got < MSG) return;
          got -= MSG;
          ops++;
          const t = now();
          if (t < end) send(msg);
          else {
            emitter.off(event, onData);
            resolve({ ops, secs: t - t0 });
          }
        };
        emitter.on(event, onData);
        send(msg);
      }),
  };
}

/** W2 over UDP: send() with a bounded number of callbacks outstanding. */
function udpFlood(s) {
  const WINDOW = 256;
  return {
    async run(secs) {
      let sent = 0;
      let inflight = 0;
      let wake = null;
      const done = () => {
        inflight--;
        if (wake && inflight <= WINDOW / 2) {
          const w = wake;
          wake = null;
          w();
        }
      };
      const t0 = now();
      const end = t0 + secs;
      let t = t0;
      while (t < end) {
        for (let i = 0; i < 64; i++) {
          s.send(msg, done);
          sent++;
          if (++inflight >= WINDOW) await new Promise((r) => (wake = r));
        }
        t = now();
      }
      while (inflight > 0) await new Promise((r) => (wake = r));
      return { sent, bytes: sent * MSG, secs: t - t0 };
    },
  };
}

/** W4: `window` connections in flight, each ends when the server closes it. */
function connectRate(opts, secs, window) {
  return new Promise((resolve) => {
    let ops = 0;
    let failed = 0;
    let inflight = 0;
    const t0 = now();
    const end = t0 + secs;
    const start = () => {
      inflight++;
      const c = net.connect(opts);
      let error = false;
      c.on("error", () => (error = true));
      c.on("close", () => {
        inflight--;
        if (error) failed++;
        else ops++;
        if (now() < end) start();
        else if (inflight === 0) resolve({ ops, failed, secs: now() - t0 });
      });
      c.resume(); // read to EOF: the server's close
    };
    for (let i = 0; i < window; i++) start();
  });
}

/**
 * W5: open n connections and keep them. A Unix connect fails with EAGAIN when
 * the server's backlog is full (Node does not retry it); wait and try again.
 */
async function holdMany(opts, n) {
  const kept = [];
  const open = () =>
    new Promise((resolve, reject) => {
      const c = net.connect(opts);
      c.once("error", reject);
      c.once("connect", () => {
        c.off("error", reject);
        c.on("error", noop);
        resolve(c);
      });
    });
  await inWindows(n, 64, async () => {
    for (;;) {
      try {
        kept.push(await open());
        return;
      } catch (e) {
        if (e.code !== "EAGAIN") throw e;
        await new Promise((r) => setTimeout(r, 1));
      }
    }
  });
  return { ops: kept.length, secs: 0 };
}

main({ server, client });
