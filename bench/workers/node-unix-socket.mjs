// The npm peer `node-unix-socket` (Unix datagram and seqpacket; W1 and W2).
//
// Its sends queue inside the addon and call back once written. Issuing a
// send from inside such a callback while the queue is non-empty crashes it
// (double free, see issue 7), so the W2 sender resumes from setImmediate.
import { createRequire } from "node:module";
import { main, now } from "./common.mjs";
import { msg, pingPong, settleLater } from "./peers.mjs";

const require = createRequire(import.meta.url);
const { DgramSocket, SeqpacketServer, SeqpacketSocket } = require("node-unix-socket");

async function server(workload, transport, params, counters) {
  if (transport === "unix-dgram") {
    const s = new DgramSocket();
    s.on("error", (e) => {
      throw e;
    });
    if (workload === "W1") s.on("data", (buf, from) => s.sendTo(buf, 0, buf.length, from));
    else s.on("data", (buf) => counters.count(buf.length));
    s.bind(params.path);
    return params.path;
  }
  const srv = new SeqpacketServer();
  srv.on("error", (e) => {
    throw e;
  });
  srv.on("connection", (c) => {
    counters.accepted++;
    c.on("error", () => {});
    if (workload === "W1") c.on("data", (d) => c.write(d));
    else c.on("data", (d) => counters.count(d.length));
  });
  srv.listen(params.path, params.backlog ?? 4096);
  return params.path;
}

async function client(workload, transport, params, address) {
  let send; // (buf, cb?) => void
  let emitter;
  if (transport === "unix-dgram") {
    const s = new DgramSocket();
    s.bind(params.cpath); // so that the W1 server can answer
    send = (buf, cb) => s.sendTo(buf, 0, buf.length, address, cb);
    emitter = s;
  } else {
    const c = new SeqpacketSocket();
    await new Promise((resolve) => c.connect(address, () => setImmediate(resolve)));
    send = (buf, cb) => c.write(buf, 0, buf.length, cb);
    emitter = c;
  }
  emitter.on("error", (e) => {
    throw e;
  });
  if (workload === "W1") {
    return pingPong(
      (fn) => {
        emitter.on("data", fn);
        return () => emitter.off("data", fn);
      },
      (m) => send(m),
    );
  }
  return { run: (secs) => flood(send, secs) };
}

/** W2: keep up to WINDOW sends queued in the addon. */
function flood(send, secs) {
  const WINDOW = 256;
  return new Promise((resolve) => {
    let sent = 0;
    let inflight = 0;
    let waiting = false;
    let finished = false;
    const t0 = now();
    const end = t0 + secs;
    let t1 = t0;
    const finish = () => {
      finished = true;
      t1 = now();
    };
    const onWritten = () => {
      inflight--;
      if (finished) {
        if (inflight === 0) settleLater(resolve, { sent, bytes: sent * msg.length, secs: t1 - t0 });
      } else if (waiting && inflight <= WINDOW / 2) {
        waiting = false;
        setImmediate(pump); // not from inside the callback: see the header
      }
    };
    const pump = () => {
      for (;;) {
        if (now() >= end) {
          finish();
          if (inflight === 0) settleLater(resolve, { sent, bytes: sent * msg.length, secs: t1 - t0 });
          return;
        }
        for (let i = 0; i < 64; i++) {
          send(msg, onWritten);
          sent++;
          if (++inflight >= WINDOW) {
            waiting = true;
            return;
          }
        }
      }
    };
    pump();
  });
}

main({ server, client });
