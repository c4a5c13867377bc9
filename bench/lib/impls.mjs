// The implementations the bench compares, what each one can do, and how to
// start its workers. Availability (built? installed?) is decided at run time
// by bench/lib/setup.mjs; this file only describes.
import path from "node:path";
import { fileURLToPath } from "node:url";

export const BENCH_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const REPO_DIR = path.dirname(BENCH_DIR);
export const C_BINARY = path.join(BENCH_DIR, ".build", "sockbench");

// tcp6 is TCP over ::1 (IPv6 loopback); icmp is ICMP echo to 127.0.0.1 over
// a raw socket, answered by the kernel (W1 only: there is no server process).
const MESSAGES = ["tcp", "tcp6", "udp", "unix-stream", "unix-dgram", "unix-seqpacket"];
const PING = [...MESSAGES, "icmp"];
/** Byte streams: W3 on all of them; W4–W6 on IPv4 TCP and Unix stream only. */
const STREAMS = ["tcp", "unix-stream"];
const BULK = ["tcp", "tcp6", "unix-stream"];

export const TRANSPORTS = PING;

/** Transports whose W2/W3 counts are bytes (a message is 64 of them), not datagrams. */
export const isStream = (t) => BULK.includes(t);

/** Workloads: what they measure and on which transports. */
export const WORKLOADS = {
  W1: {
    title: "W1 ping-pong, 64 B messages",
    unit: "rt/s",
    transports: PING,
    modes: ["same core", "across cores"],
    // ICMP echo has no server process (the kernel answers in the client's
    // own context), so "across cores" would measure the same thing again:
    // it runs once, client pinned to CPU 0, under "same core".
    modesFor: { icmp: ["same core"] },
    // µs per round trip is shown beside round trips per second.
    secondary: { unit: "µs/RTT", of: (v) => 1e6 / v },
  },
  W2: {
    title: "W2 one-way 64 B message rate (received)",
    unit: "msg/s",
    transports: MESSAGES,
    modes: ["across cores"],
  },
  W3: {
    title: "W3 bulk stream throughput, 64 KiB writes",
    unit: "GB/s",
    transports: BULK,
    modes: ["across cores"],
  },
  W4: {
    title: "W4 accept rate (connect, accept, close)",
    unit: "conn/s",
    transports: STREAMS,
    modes: ["across cores"],
  },
  W5: {
    title: "W5 memory of idle connected sockets (server RSS per socket)",
    unit: "KiB/socket",
    transports: STREAMS,
    modes: [""],
    lowerIsBetter: true,
  },
  W6: {
    title: "W6 relay bulk throughput, source → relay → sink",
    unit: "GB/s",
    transports: STREAMS,
    modes: [""],
    // The ratio column compares with socat (default buffer), not Node.
    ref: "socat",
  },
};

const node = (file) => (role, w, t, params) => [
  process.execPath,
  ...(w === "W5" ? ["--expose-gc"] : []),
  path.join(BENCH_DIR, "workers", file),
  role,
  w,
  t,
  JSON.stringify(params),
];

/**
 * kind: "subject" (sockit, and sockit-net: sockit sockets handed to Node), "builtin" (Node), "peer" (npm), "baseline" (C),
 * "context" (Python). `can(w, t)` says whether it has that workload.
 */
export const IMPLS = {
  sockit: {
    kind: "subject",
    // W6 measures the CLI relay (dist/cli/main.js), W1–W5 the library.
    can: (w, t) => w !== "W6" || STREAMS.includes(t),
    argv: node("sockit.mjs"),
  },
  // W3 only: sockit makes and connects the sockets (connect, accept), then
  // hands each to Node with toNetSocket(); the bytes move through Node's own
  // net.Socket. Issue 7 expects it equal to Node's net row.
  "sockit-net": {
    kind: "subject",
    can: (w, t) => w === "W3" && BULK.includes(t),
    argv: (role, w, t, params) => node("sockit.mjs")(role, w, t, { ...params, toNet: true }),
  },
  // sockit on the epoll-thread readiness backend (the one Bun and Deno use),
  // forced on Node: what the fallback costs beside libuv's uv_poll.
  "sockit-epoll": {
    kind: "subject",
    can: (w, t) => w === "W1" || (w === "W2" && MESSAGES.includes(t)) || (w === "W3" && BULK.includes(t)),
    argv: (role, w, t, params) => ["/usr/bin/env", "SOCKIT_POLLER=epoll", ...node("sockit.mjs")(role, w, t, params)],
  },
  // The event face (DatagramSocket, issue 18): 'message' events and
  // synchronous send() on the message transports, beside the promise API.
  "sockit-event": {
    kind: "subject",
    can: (w, t) =>
      (w === "W1" && ["udp", "unix-dgram", "unix-seqpacket", "icmp"].includes(t)) ||
      (w === "W2" && ["udp", "unix-dgram", "unix-seqpacket"].includes(t)),
    argv: node("sockit-event.mjs"),
  },
  node: {
    kind: "builtin",
    can: (w, t) => w !== "W6" && (t === "udp" ? w === "W1" || w === "W2" : BULK.includes(t)),
    argv: node("node.mjs"),
  },
  "unix-dgram": {
    kind: "peer",
    can: (w, t) => t === "unix-dgram" && (w === "W1" || w === "W2"),
    argv: node("unix-dgram.mjs"),
  },
  "node-unix-socket": {
    kind: "peer",
    can: (w, t) => (t === "unix-dgram" || t === "unix-seqpacket") && (w === "W1" || w === "W2"),
    argv: node("node-unix-socket.mjs"),
  },
  "raw-socket": {
    kind: "peer",
    can: (w, t) => t === "icmp" && w === "W1",
    argv: node("raw-socket.mjs"),
  },
  c: {
    kind: "baseline",
    can: (w, t) => w !== "W6" && !((t === "udp" || t === "unix-dgram") && ["W3", "W4", "W5"].includes(w)),
    argv: (role, w, t, params) => [C_BINARY, role, w, t, JSON.stringify(params)],
  },
  python: {
    kind: "context",
    can: (w, t) =>
      w !== "W6" &&
      (BULK.includes(t) || t === "icmp" || ((t === "udp" || t === "unix-dgram") && (w === "W1" || w === "W2"))),
    argv: (role, w, t, params) => [
      "python3",
      path.join(BENCH_DIR, "workers", "asyncio_worker.py"),
      role,
      w,
      t,
      JSON.stringify(params),
    ],
  },
  // W6 only: the relays the sockit CLI is compared with. They run through
  // lib/relay.mjs (source, relay and sink processes), not through argv.
  socat: {
    kind: "reference",
    can: (w, t) => w === "W6" && STREAMS.includes(t),
    argv: null,
  },
  "socat-b256k": {
    kind: "reference",
    can: (w, t) => w === "W6" && STREAMS.includes(t),
    argv: null,
  },
};

/** Where Node has no built-in for a transport, the ratio is to the best of these. */
export const PEERS = ["unix-dgram", "node-unix-socket", "raw-socket"];
