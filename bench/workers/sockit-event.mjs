// sockit's event face (DatagramSocket, issue 18) on the message transports:
// udp, unix-dgram, unix-seqpacket (W1, W2) and icmp (W1).
//
// Written as a node:dgram / unix-dgram user writes it: a 'message' listener,
// send() without awaiting anything. No promise per message on either side:
// each readable wakeup drains a recvmmsg batch and emits, send() makes the
// syscall at once and queues only on EAGAIN (send() returns false, then
// 'drain'). The seqpacket server accepts with the promise API (one await per
// connection) and wraps each connection.
import { pathToFileURL } from "node:url";
import { ICMP_TARGET, MSG, SOCKIT_ENTRY, echoRequest, hostPort, isEchoReply, main, now } from "./common.mjs";

let sockit;
try {
  sockit = await import(pathToFileURL(SOCKIT_ENTRY).href);
} catch (e) {
  process.stdout.write(`ERROR sockit-event: not built (${String(e?.message ?? e).split("\n")[0]})\n`);
  process.exit(3);
}
const { Socket, DatagramSocket, dgram } = sockit;
if (typeof DatagramSocket !== "function") {
  process.stdout.write("ERROR sockit-event: this build has no DatagramSocket\n");
  process.exit(3);
}

const msg = Buffer.alloc(MSG, "p");
const crash = (e) => {
  throw e; // common.mjs turns it into "ERROR ..."
};
const TYPES = { udp: "udp4", "unix-dgram": "unix-dgram" };

async function server(workload, transport, params, counters) {
  if (transport === "icmp") return ICMP_TARGET; // the kernel answers
  if (transport === "unix-seqpacket") {
    const l = new Socket("unix", "seqpacket");
    l.bind({ family: "unix", path: params.path });
    l.listen(params.backlog ?? 4096);
    (async () => {
      for (;;) {
        const c = new DatagramSocket(await l.accept());
        counters.accepted++;
        c.on("error", () => c.close());
        if (workload === "W1") c.on("message", (b) => c.send(b));
        else c.on("message", (b) => counters.count(b.length));
      }
    })().catch(crash);
    return params.path;
  }
  const s = dgram.createSocket(TYPES[transport]);
  s.on("error", crash);
  if (workload === "W1") {
    if (transport === "udp") s.on("message", (b, r) => s.send(b, r.port, r.address));
    else s.on("message", (b, r) => s.send(b, r.path));
  } else s.on("message", (b) => counters.count(b.length));
  if (transport === "udp") {
    s.bind(0, "127.0.0.1");
    return `127.0.0.1:${s.address().port}`;
  }
  s.bind(params.path);
  return params.path;
}

async function client(workload, transport, params, address) {
  if (transport === "icmp") return { run: ping(address) };
  let s;
  if (transport === "unix-seqpacket") {
    s = dgram.createSocket("unix-seqpacket");
  } else {
    s = dgram.createSocket(TYPES[transport]);
    if (transport === "unix-dgram") s.bind(params.cpath); // so that the W1 server can answer
  }
  s.on("error", crash);
  await new Promise((resolve, reject) => {
    const done = (err) => (err ? reject(err) : resolve());
    if (transport === "udp") {
      const { host, port } = hostPort(address);
      s.connect(port, host, done);
    } else s.connect(address, done);
  });
  if (workload === "W1") return { run: (secs) => pingPong(s, secs) };
  return { run: (secs) => flood(s, secs) };
}

/** W1: one message in flight; the next goes from the 'message' listener. */
function pingPong(s, secs) {
  return new Promise((resolve) => {
    let ops = 0;
    const t0 = now();
    const end = t0 + secs;
    const onMessage = () => {
      ops++;
      const t = now();
      if (t < end) s.send(msg);
      else {
        s.off("message", onMessage);
        resolve({ ops, secs: t - t0 });
      }
    };
    s.on("message", onMessage);
    s.send(msg);
  });
}

/** W2: send until send() returns false (queued on EAGAIN), resume on 'drain'. */
function flood(s, secs) {
  return new Promise((resolve) => {
    let sent = 0;
    const t0 = now();
    const end = t0 + secs;
    const pump = () => {
      for (;;) {
        const t = now();
        if (t >= end) return resolve({ sent, bytes: sent * MSG, secs: t - t0 });
        for (let i = 0; i < 64; i++) {
          sent++; // a queued datagram is sent too, in order
          if (!s.send(msg)) return s.once("drain", pump);
        }
      }
    };
    pump();
  });
}

/** W1 over icmp: a fresh raw socket per run (see common.mjs), replies as 'message' events. */
function ping(host) {
  const req = Buffer.alloc(MSG, "p");
  const to = Object.freeze({ family: "inet", address: host, port: 0 }); // frozen: encoded once
  let seq = 0;
  return (secs) =>
    new Promise((resolve) => {
      const s = new DatagramSocket(new Socket("inet", "raw", "icmp"));
      s.on("error", crash);
      let ops = 0;
      const t0 = now();
      const end = t0 + secs;
      const send = () => {
        seq = (seq + 1) & 0xffff;
        s.send(echoRequest(req, seq), to);
      };
      s.on("message", (b) => {
        if (!isEchoReply(b, b.length, seq)) return;
        ops++;
        const t = now();
        if (t < end) send();
        else {
          s.close();
          resolve({ ops, secs: t - t0 });
        }
      });
      send();
    });
}

main({ server, client });
