// W6, relay bulk throughput (issues 6 and 7): bytes moved source → relay →
// sink, where the relay is the sockit CLI (`sockit relay A B`) or socat.
// Unlike W1–W5 there is no worker speaking the line protocol for the relay
// itself: every measurement starts three processes — the sink (listening on
// B), the relay (listening on A, connecting to B once A is accepted) and the
// source (connecting to A) — and the sink reports what it received. The
// source and the sink are the same Python program (workers/relay_ends.py) for
// every relay, so only the relay differs.
import net from "node:net";
import path from "node:path";
import { BENCH_DIR, REPO_DIR } from "./impls.mjs";
import { Proc } from "./proc.mjs";

export const SOCKIT_CLI = process.env.SOCKIT_CLI || path.join(REPO_DIR, "dist", "cli", "main.js");
const ENDS = path.join(BENCH_DIR, "workers", "relay_ends.py");

/** A TCP port free right now on 127.0.0.1 (for the relay's listen side). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** The relay's argv: listen on `a`, connect to `b`. */
export function relayArgv(impl, transport, a, b) {
  if (impl === "sockit") {
    const A = transport === "tcp" ? `tcp-listen:${a}` : `unix-listen:${a}`;
    const B = transport === "tcp" ? `tcp:${b}` : `unix:${b}`;
    return [process.execPath, SOCKIT_CLI, "relay", A, B];
  }
  const buf = impl === "socat-b256k" ? ["-b", "262144"] : [];
  if (transport === "tcp") {
    const [host, port] = a.split(":");
    return ["socat", ...buf, `TCP-LISTEN:${port},bind=${host},reuseaddr`, `TCP:${b}`];
  }
  return ["socat", ...buf, `UNIX-LISTEN:${a}`, `UNIX-CONNECT:${b}`];
}

let runs = 0;

/**
 * One measurement: returns { value } in GB/s (bytes received by the sink
 * between its first and last receive, over that span).
 */
export async function relayOnce(impl, transport, tmp, secs) {
  const tag = `w6-${++runs}-${transport}-${impl}`;
  const sinkAddr = transport === "tcp" ? "127.0.0.1:0" : path.join(tmp, `${tag}.sink`);
  const procs = [];
  try {
    const sink = new Proc(`${impl} W6 sink`, ["python3", ENDS, "sink", transport, sinkAddr]);
    procs.push(sink);
    const ready = await sink.readLine(20_000);
    if (!ready.startsWith("READY ")) throw new Error(`sink said: ${ready}`);
    const b = ready.slice(6);
    const a = transport === "tcp" ? `127.0.0.1:${await freePort()}` : path.join(tmp, `${tag}.relay`);
    const relay = new Proc(`${impl} relay`, relayArgv(impl, transport, a, b));
    procs.push(relay);
    // The source retries its connect until the relay listens.
    const source = new Proc(`${impl} W6 source`, ["python3", ENDS, "source", transport, a, String(secs)]);
    procs.push(source);
    const connected = await source.readLine(25_000);
    if (connected !== "CONNECTED") throw new Error(`source said: ${connected}`);
    const timeout = secs * 1000 + 30_000;
    const sent = JSON.parse(await source.readLine(timeout));
    const got = JSON.parse(await sink.readLine(timeout));
    if (relay.exited && relay.exitCode !== 0)
      throw new Error(`relay exited (${relay.exitCode}): ${relay.stderr.trim().slice(0, 200)}`);
    if (got.bytes !== sent.sent) throw new Error(`sink received ${got.bytes} of ${sent.sent} bytes`);
    if (!(got.span > 0)) throw new Error("nothing received");
    return { value: got.bytes / got.span / 1e9 };
  } finally {
    for (const p of procs.reverse()) {
      p.kill();
      await p.exitPromise;
    }
  }
}
