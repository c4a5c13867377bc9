// The npm peer `unix-dgram` (Unix datagram sockets; W1 and W2).
//
// Its send() does not queue: on EAGAIN it reports "congestion", drops the
// datagram and later emits 'writable'; the caller must send it again. The
// W2 sender here does exactly that, so nothing is lost on our side.
import { createRequire } from "node:module";
import { main, now } from "./common.mjs";
import { msg, pingPong, settleLater } from "./peers.mjs";

const require = createRequire(import.meta.url);
const unix = require("unix-dgram");

async function server(workload, transport, params, counters) {
  const s = unix.createSocket("unix_dgram");
  s.on("error", (e) => {
    throw e;
  });
  if (workload === "W1") s.on("message", (buf, rinfo) => s.send(buf, 0, buf.length, rinfo.path));
  else s.on("message", (buf) => counters.count(buf.length));
  s.bind(params.path);
  return params.path;
}

async function client(workload, transport, params, address) {
  const s = unix.createSocket("unix_dgram");
  s.on("error", (e) => {
    throw e;
  });
  s.bind(params.cpath); // so that the W1 server can answer
  s.connect(address);
  if (workload === "W1") {
    return pingPong(
      (fn) => {
        s.on("message", fn);
        return () => s.off("message", fn);
      },
      (m) => s.send(m),
    );
  }
  return { run: (secs) => flood(s, secs) };
}

/** W2: send until congestion, wait for 'writable', resend, repeat. */
function flood(s, secs) {
  return new Promise((resolve) => {
    let sent = 0;
    let congested = false;
    const onResult = (err) => {
      if (err) congested = true; // "congestion": EAGAIN, datagram dropped
    };
    const t0 = now();
    const end = t0 + secs;
    const pump = () => {
      for (;;) {
        const t = now();
        if (t >= end) return settleLater(resolve, { sent, bytes: sent * msg.length, secs: t - t0 });
        for (let i = 0; i < 64; i++) {
          s.send(msg, onResult);
          if (congested) {
            congested = false;
            s.once("writable", pump); // then the same message goes again
            return;
          }
          sent++;
        }
      }
    };
    pump();
  });
}

main({ server, client });
