// sockit, the library under test, on every transport and workload.
//
// Written the way the README teaches: `await` on send/recv, one loop per
// connection, no callbacks. The library is loaded from the repository's
// build (dist/src/index.js + build/Release/sockit.node); if it is not built
// the worker says "ERROR sockit: not built" and the orchestrator skips it.
import { pathToFileURL } from "node:url";
import {
  CHUNK,
  ICMP_TARGET,
  MSG,
  SOCKIT_ENTRY,
  echoRequest,
  hostPort,
  inWindows,
  isEchoReply,
  joinHostPort,
  main,
  now,
  streamFlood,
} from "./common.mjs";

let sockit;
try {
  sockit = await import(pathToFileURL(SOCKIT_ENTRY).href);
} catch (e) {
  process.stdout.write(`ERROR sockit: not built (${String(e?.message ?? e).split("\n")[0]})\n`);
  process.exit(3);
}
const { Socket } = sockit;

/**
 * Which receive call the sockit rows use. "auto" (the default) is the fast
 * path the README teaches: recvInto() on a buffer the loop owns (no Buffer per
 * message), and messages() for the datagram/seqpacket W2 receiver (the call
 * that batches with recvmmsg where the library does). SOCKIT_RECV=recv|into|
 * messages forces one, to compare them.
 */
const RECV = process.env.SOCKIT_RECV || "auto";
const hasInto = typeof Socket.prototype.recvInto === "function";
const useInto = RECV === "into" || (RECV === "auto" && hasInto);
const useBatchSend = process.env.SOCKIT_SEND !== "single" && typeof Socket.prototype.sendBatch === "function";
const useMessages = (RECV === "messages" || RECV === "auto") && typeof Socket.prototype.messages === "function";

/**
 * recvInto() reads up to 256 KiB into a buffer the loop owns (the C baseline
 * does the same). recv() is asked for 64 KiB, its default: above that it
 * allocates a fresh Buffer of the asked size on every call.
 */
const RBUF = 256 * 1024;
const recvSize = (stream) => (stream ? CHUNK : 2048);
const msg = Buffer.alloc(MSG, "p");
const chunk = Buffer.alloc(CHUNK, "w");
const noop = () => {};

const KINDS = {
  tcp: ["inet", "stream"],
  tcp6: ["inet6", "stream"],
  udp: ["inet", "dgram"],
  "unix-stream": ["unix", "stream"],
  "unix-dgram": ["unix", "dgram"],
  "unix-seqpacket": ["unix", "seqpacket"],
};

/** The loopback address each IP transport binds. */
const LOOPBACK = { tcp: "127.0.0.1", udp: "127.0.0.1", tcp6: "::1" };

/** An address object from the protocol's string form. */
function addressOf(transport, text) {
  if (!LOOPBACK[transport]) return { family: "unix", path: text };
  const { host, port } = hostPort(text);
  return { family: KINDS[transport][0], address: host, port };
}

/** The protocol's string form of getsockname(). */
function addressText(a) {
  return a.family === "inet" || a.family === "inet6" ? joinHostPort(a.address, a.port) : String(a.path);
}

/** TCP_NODELAY, as every implementation in the bench sets it. */
function nodelay(s, transport) {
  if (transport === "tcp" || transport === "tcp6") s.setsockopt("IPPROTO_TCP", "TCP_NODELAY", 1);
}

/** Connection errors at teardown (the peer process exits) end a loop quietly. */
const gone = (e) => ["ECONNRESET", "EPIPE", "EBADF", "ERR_SOCKET_CLOSED"].includes(e?.code);

async function server(workload, transport, params, counters) {
  if (transport === "icmp") return ICMP_TARGET; // the kernel answers echo requests
  const [family, type] = KINDS[transport];
  const s = new Socket(family, type);
  const ip = LOOPBACK[transport];
  s.bind(ip ? { family, address: ip, port: 0 } : { family: "unix", path: params.path });
  if (type === "dgram") {
    (workload === "W1" ? echoDatagrams(s) : sink(s, counters, true)).catch(crash);
  } else {
    nodelay(s, transport);
    s.listen(params.backlog ?? 4096);
    acceptLoop(s, workload, transport, counters, params.toNet).catch(crash);
  }
  return addressText(s.getsockname());
}

function crash(e) {
  throw e; // reaches common.mjs's unhandledRejection handler: "ERROR ..."
}

async function acceptLoop(s, workload, transport, counters, toNet) {
  for (;;) {
    const c = await s.accept();
    counters.accepted++;
    if (workload === "W4") {
      c.close();
      continue;
    }
    nodelay(c, transport);
    if (toNet) {
      // sockit-net: Node's net.Socket reads from here on.
      const n = c.toNetSocket();
      n.on("data", (d) => counters.count(d.length));
      n.on("error", noop);
      continue;
    }
    const loop =
      workload === "W1"
        ? echo(c, transport)
        : workload === "W5"
          ? idle(c)
          : sink(c, counters, transport === "unix-seqpacket", transport === "unix-seqpacket");
    loop.catch((e) => (gone(e) ? c.close() : crash(e)));
  }
}

/** W1 server, stream or seqpacket: send back whatever arrives. */
async function echo(c, transport) {
  const stream = transport !== "unix-seqpacket";
  const scratch = Buffer.allocUnsafe(stream ? RBUF : 2048);
  for (;;) {
    let b;
    if (useInto) {
      const n = await c.recvInto(scratch);
      b = scratch.subarray(0, Math.min(n, scratch.length));
    } else {
      b = await c.recv(recvSize(stream));
    }
    if (b.length === 0) break;
    if (stream) await c.sendAll(b);
    else await c.send(b);
  }
  c.close();
}

/** W2/W3 server: count what arrives. */
async function sink(c, counters, messageBased, seqpacket = false) {
  if (messageBased && useMessages) return sinkMessages(c, counters, seqpacket);
  const scratch = Buffer.allocUnsafe(RBUF);
  for (;;) {
    const n = useInto ? await c.recvInto(scratch) : (await c.recv(CHUNK)).length;
    if (n === 0) break;
    counters.count(n);
  }
  c.close();
}

/** W2 server for datagram and seqpacket sockets: the messages() iterator. */
async function sinkMessages(s, counters, seqpacket) {
  for await (const m of s.messages({ size: 2048 })) {
    if (seqpacket && m.data.length === 0) break; // the peer closed
    counters.count(m.data.length);
  }
  s.close();
}

/** W5 server: an idle connection with a pending receive, as a real server has. */
async function idle(c) {
  await c.recv(1);
  c.close();
}

async function echoDatagrams(s) {
  const scratch = Buffer.allocUnsafe(2048);
  for (;;) {
    const { data, address } = await s.recvfrom(scratch.length);
    await s.sendto(data, address);
  }
}

async function client(workload, transport, params, address) {
  if (transport === "icmp") {
    new Socket("inet", "raw", "icmp").close(); // fails now if raw sockets are not allowed
    return { run: ping(address) };
  }
  const [family, type] = KINDS[transport];
  const peer = addressOf(transport, address);
  if (workload === "W4") return { run: (secs) => connectRate(family, peer, secs, params.window ?? 16) };
  if (workload === "W5") return { run: () => holdMany(family, peer, params.n) };
  const s = new Socket(family, type);
  // A Unix datagram client binds a name of its own so the W1 server can answer.
  if (transport === "unix-dgram") s.bind({ family: "unix", path: params.cpath });
  nodelay(s, transport);
  await s.connect(peer);
  const stream = type === "stream";
  if (workload === "W1") return { run: (secs) => pingPong(s, stream, secs) };
  if (workload === "W2") return { run: (secs) => flood(s, msg, secs, false) };
  if (params.toNet) return streamFlood(s.toNetSocket(), chunk); // sockit-net: Node's net.Socket writes
  return { run: (secs) => flood(s, chunk, secs, true) };
}

/** W1: send 64 B, wait for 64 B back, repeat. */
async function pingPong(s, stream, secs) {
  const scratch = Buffer.allocUnsafe(stream ? RBUF : 2048);
  let ops = 0;
  const t0 = now();
  const end = t0 + secs;
  let t = t0;
  while (t < end) {
    await s.send(msg);
    let got = 0;
    while (got < MSG) {
      const n = useInto ? await s.recvInto(scratch) : (await s.recv(recvSize(stream))).length;
      if (n === 0 && stream) throw new Error("unexpected EOF");
      got += n;
    }
    ops++;
    t = now();
  }
  return { ops, secs: t - t0 };
}

/**
 * W1 over icmp: sendto() one echo request, recvInto() until its reply comes
 * (skipping our own request and anyone else's ICMP), repeat. A fresh raw
 * socket per run (see common.mjs).
 */
function ping(host) {
  const req = Buffer.alloc(MSG, "p");
  const to = { family: "inet", address: host, port: 0 };
  const scratch = Buffer.allocUnsafe(2048);
  let seq = 0;
  return async (secs) => {
    const s = new Socket("inet", "raw", "icmp");
    let ops = 0;
    const t0 = now();
    const end = t0 + secs;
    let t = t0;
    while (t < end) {
      seq = (seq + 1) & 0xffff;
      await s.sendto(echoRequest(req, seq), to);
      let n;
      do n = await s.recvInto(scratch);
      while (!isEchoReply(scratch, n, seq));
      ops++;
      t = now();
    }
    s.close();
    return { ops, secs: t - t0 };
  };
}

/**
 * W2/W3: send as fast as the peer takes (sends wait on EAGAIN themselves).
 * W2 sends batches of 64 messages with sendBatch where the library has it —
 * issue 7's "batching on both ends": sendmmsg on message sockets, one
 * gathered sendmsg (writev) on streams, as Node's net gathers queued writes
 * with writev. SOCKIT_SEND=single sends one message per call for comparison.
 */
async function flood(s, buf, secs, all) {
  let sent = 0;
  const t0 = now();
  const end = t0 + secs;
  let t = t0;
  const batch = !all && useBatchSend ? Array.from({ length: 64 }, () => ({ data: buf })) : null;
  while (t < end) {
    if (batch) {
      await s.sendBatch(batch);
      sent += batch.length;
    } else {
      for (let i = 0; i < 64; i++) {
        if (all) await s.sendAll(buf);
        else await s.send(buf);
        sent++;
      }
    }
    t = now();
  }
  return { sent, bytes: sent * buf.length, secs: t - t0 };
}

/** W4: `window` lanes of connect, wait for the server's close, close. */
async function connectRate(family, peer, secs, window) {
  let ops = 0;
  let failed = 0;
  let firstError = null;
  const t0 = now();
  const end = t0 + secs;
  const lane = async () => {
    while (now() < end) {
      const c = new Socket(family, "stream");
      try {
        await c.connect(peer);
        await c.recv(16); // EOF when the server closes
        ops++;
      } catch (e) {
        failed++;
        firstError ??= e;
      } finally {
        c.close();
      }
    }
  };
  await Promise.all(Array.from({ length: window }, lane));
  if (!ops && firstError) throw firstError;
  return { ops, failed, secs: now() - t0 };
}

/** W5: open n connections and keep them, each with a pending receive. */
async function holdMany(family, peer, n) {
  const kept = [];
  await inWindows(n, 64, async () => {
    const c = new Socket(family, "stream");
    await c.connect(peer);
    c.recv(1).catch(noop);
    kept.push(c);
  });
  return { ops: kept.length, secs: 0 };
}

main({ server, client });
