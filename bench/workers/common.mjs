// Shared scaffolding of the JavaScript workers (node, sockit, unix-dgram,
// node-unix-socket). A worker is one side of one workload in its own process;
// this module speaks the line protocol with bench/run.mjs so that each
// implementation file only has to say how it opens, sends and receives.
//
//   node workers/<impl>.mjs server|client W1..W5 TRANSPORT PARAMS_JSON
//
// server: prints "READY <address>"; then answers, one line each,
//         "RESET" -> "OK" and "STAT" -> {msgs, bytes, span, accepted, rss, base};
//         exits when stdin closes.
// client: reads "ADDR <address>", connects, prints "OK"; then each
//         "RUN <seconds>" runs the workload once and prints one JSON line
//         ({ops|sent|bytes, secs, ...}); exits when stdin closes.
// Any line starting with "ERROR" tells the orchestrator this side failed.
import { once } from "node:events";
import { createInterface } from "node:readline";

/** Size of a W1/W2 message. */
export const MSG = 64;
/** Size of a W3 write, and of every stream read. */
export const CHUNK = 64 * 1024;

/**
 * The sockit build under test: the repository's dist/ unless SOCKIT_ENTRY
 * points elsewhere (another checkout, a build in a temp dir).
 */
export const SOCKIT_ENTRY = process.env.SOCKIT_ENTRY || new URL("../../dist/src/index.js", import.meta.url).pathname;

/** Monotonic seconds. */
export const now = () => performance.now() / 1000;

/** Writes one protocol line (objects become JSON). */
export function reply(v) {
  process.stdout.write((typeof v === "string" ? v : JSON.stringify(v)) + "\n");
}

/**
 * Splits "127.0.0.1:5000" or "[::1]:5000" into { host, port } (the brackets
 * go). An IPv6 address is always sent in brackets: "::1:5000" would parse the
 * same here, but not everywhere.
 */
export function hostPort(text) {
  const i = text.lastIndexOf(":");
  const host = text.slice(0, i);
  return { host: host.startsWith("[") ? host.slice(1, -1) : host, port: Number(text.slice(i + 1)) };
}

/** The protocol's text form of an address: "127.0.0.1:5000", "[::1]:5000". */
export const joinHostPort = (host, port) => (host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`);

/**
 * ICMP echo (transport "icmp"): every worker sends the same 64-byte request
 * to 127.0.0.1 — type 8, code 0, checksum, identifier, sequence, then 56
 * bytes of payload — and waits for the reply. There is no server process:
 * the kernel answers. The JavaScript workers share these two helpers; C and
 * Python do the same by hand.
 *
 * Every client opens its raw socket at the start of a RUN and closes it at
 * the end: a raw ICMP socket receives a copy of every ICMP packet on the
 * host, so one left open while another implementation measures would fill
 * its queue (and the kernel would drop its own first reply) and make the
 * kernel clone each packet once more for it.
 */
export const ICMP_TARGET = "127.0.0.1";
/** The echo identifier: this process's pid, as ping uses. */
export const ICMP_ID = process.pid & 0xffff;

/** Fills buf (64 bytes) with an echo request for `seq`, checksum included. */
export function echoRequest(buf, seq) {
  buf[0] = 8; // ICMP_ECHO
  buf[1] = 0;
  buf.writeUInt16BE(0, 2);
  buf.writeUInt16BE(ICMP_ID, 4);
  buf.writeUInt16BE(seq, 6);
  let sum = 0;
  for (let i = 0; i < buf.length; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  buf.writeUInt16BE(~sum & 0xffff, 2);
  return buf;
}

/**
 * Whether the first n bytes of b, as read from a raw IPv4 ICMP socket (IPv4
 * header first), are the echo reply to our request `seq`. A raw ICMP socket
 * on loopback also reads its own request, and any other process's ICMP.
 */
export function isEchoReply(b, n, seq) {
  const ihl = (b[0] & 0x0f) * 4;
  return (
    n >= ihl + 8 &&
    b[ihl] === 0 &&
    ((b[ihl + 4] << 8) | b[ihl + 5]) === ICMP_ID &&
    ((b[ihl + 6] << 8) | b[ihl + 7]) === seq
  );
}

/** Receive-side counters of W2/W3 (and accepted connections for W4/W5). */
export class Counters {
  msgs = 0;
  bytes = 0;
  first = 0;
  last = 0;
  accepted = 0;
  /** Records one receive of n bytes (one datagram, or one stream read). */
  count(n) {
    const t = performance.now();
    if (this.msgs === 0) this.first = t;
    this.last = t;
    this.msgs++;
    this.bytes += n;
  }
  reset() {
    this.msgs = this.bytes = this.first = this.last = 0;
  }
  snapshot() {
    return {
      msgs: this.msgs,
      bytes: this.bytes,
      span: (this.last - this.first) / 1000,
      accepted: this.accepted,
    };
  }
}

/** Resolves after ms milliseconds. */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `fn` over `count` items with at most `width` in flight; used by W5
 * clients to open thousands of connections without a SYN storm.
 */
export async function inWindows(count, width, fn) {
  let next = 0;
  const lanes = Array.from({ length: Math.min(width, count) }, async () => {
    while (next < count) await fn(next++);
  });
  await Promise.all(lanes);
}

/**
 * Runs one worker. `impl.server(w, transport, params, counters)` returns the
 * address string; `impl.client(w, transport, params, address)` returns
 * `{ run(secs) }` (for W5, `run` opens params.n connections and returns
 * `{ ops }`).
 */
export async function main(impl) {
  const [role, workload, transport, json] = process.argv.slice(2);
  const params = JSON.parse(json ?? "{}");
  process.on("uncaughtException", (e) => fail(e));
  process.on("unhandledRejection", (e) => fail(e));
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  try {
    if (role === "server") await serve(impl, workload, transport, params, lines);
    else await drive(impl, workload, transport, params, lines);
  } catch (e) {
    fail(e);
  }
  process.exit(0);
}

function fail(e) {
  const text = String(e?.stack ?? e).replace(/\n/g, " | ");
  reply(`ERROR ${text}`);
  process.exit(2);
}

async function serve(impl, workload, transport, params, lines) {
  const counters = new Counters();
  const address = await impl.server(workload, transport, params, counters);
  const base = process.memoryUsage.rss();
  reply(`READY ${address}`);
  for (;;) {
    const { value: line, done } = await lines.next();
    if (done) return;
    if (line === "RESET") {
      counters.reset();
      reply("OK");
    } else if (line === "STAT") {
      if (workload === "W5") await settle();
      reply({ ...counters.snapshot(), rss: process.memoryUsage.rss(), base });
    } else {
      reply(`ERROR unknown command ${line}`);
    }
  }
}

async function drive(impl, workload, transport, params, lines) {
  const first = await lines.next();
  if (first.done || !first.value.startsWith("ADDR ")) return;
  const base = process.memoryUsage.rss();
  const client = await impl.client(workload, transport, params, first.value.slice(5));
  reply("OK");
  for (;;) {
    const { value: line, done } = await lines.next();
    if (done) return;
    if (!line.startsWith("RUN ")) {
      reply(`ERROR unknown command ${line}`);
      continue;
    }
    const result = await client.run(Number(line.slice(4)));
    if (workload === "W5") {
      await settle();
      Object.assign(result, { rss: process.memoryUsage.rss(), base });
    }
    reply(result);
  }
}

/** Lets pending callbacks run and collects garbage before a memory reading. */
async function settle() {
  await sleep(50);
  globalThis.gc?.();
  await sleep(50);
}

/**
 * W2/W3 over a Node net.Socket: write() until it says false, then wait for
 * 'drain' (Node's row, and sockit-net's after toNetSocket()).
 */
export function streamFlood(c, buf) {
  return {
    async run(secs) {
      let sent = 0;
      const t0 = now();
      const end = t0 + secs;
      let t = t0;
      while (t < end) {
        for (let i = 0; i < 64; i++) {
          sent++;
          if (!c.write(buf)) {
            await once(c, "drain");
            break;
          }
        }
        t = now();
      }
      return { sent, bytes: sent * buf.length, secs: t - t0 };
    },
  };
}
