// The npm peer `raw-socket` (raw IP sockets; ICMP echo in W1).
//
// Its send() queues the request and sends it when the socket next polls
// writable; replies come as "message" events (the IPv4 header first), one
// recvfrom per readable event. Like every icmp client, it opens a fresh
// socket per run (see common.mjs). The addon holds only a weak reference to
// its socket object — neither the poll watcher nor a queued send keeps it
// alive — so a socket the program does not hold from a root is collected,
// and closed, mid-run, and the run waits forever: `live` below is that root.
// Its callbacks run through Nan::Call without a callback scope, so the worker
// stays in callbacks and returns through setImmediate (see peers.mjs).
import { createRequire } from "node:module";
import { MSG, echoRequest, isEchoReply, main, now } from "./common.mjs";
import { settleLater } from "./peers.mjs";

const require = createRequire(import.meta.url);
const raw = require("raw-socket");

/** The socket of the run in progress, held from module scope (see above). */
const live = new Set();

async function server() {
  return "127.0.0.1"; // the kernel answers echo requests
}

function open() {
  const s = raw.createSocket({ protocol: raw.Protocol.ICMP });
  s.on("error", (e) => {
    throw e;
  });
  return s;
}

async function client(workload, transport, params, address) {
  open().close(); // fails now if raw sockets are not allowed
  const req = Buffer.alloc(MSG, "p");
  let seq = 0;
  const sent = (err) => {
    if (err) throw err;
  };
  return {
    run: (secs) =>
      new Promise((resolve) => {
        const s = open();
        live.add(s);
        const send = () => {
          seq = (seq + 1) & 0xffff;
          s.send(echoRequest(req, seq), 0, req.length, address, sent);
        };
        let ops = 0;
        const t0 = now();
        const end = t0 + secs;
        s.on("message", (b) => {
          if (!isEchoReply(b, b.length, seq)) return;
          ops++;
          const t = now();
          if (t < end) send();
          else {
            s.close();
            live.delete(s);
            settleLater(resolve, { ops, secs: t - t0 });
          }
        });
        send();
      }),
  };
}

main({ server, client });
