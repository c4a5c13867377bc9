/**
 * `sockit tour`: builds every family × type pair this machine supports, sends
 * a request and a reply through each, checks the bytes (and, for message
 * types, that message boundaries are kept), and prints one row per pair.
 *
 * Every pair runs in a Trial: the sockets it opens are closed when it ends,
 * whatever happened; every waiting call carries the trial's AbortSignal, which
 * fires after --timeout ms; and a guard a little later gives up on the pair
 * even if a call ignored the signal, so the tour never hangs. After each pair
 * the number of open socket fds must be back where it was.
 */
import { randomBytes, randomInt } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ICMP,
  ICMP6,
  type IcmpDecoded,
  LIMITS,
  PacketError,
  Socket,
  SocketError,
  decodeICMP,
  decodeICMPv6,
  decodeIPv4,
  encodeEchoRequest,
  encodeEchoRequestV6,
} from "../../src/index.js";
import { type CommandSpec, intOption } from "../command.js";
import { CliError, UsageError, errorText } from "../errors.js";
import { type Column, formatBytes, formatDuration } from "../output.js";
import { type Context, runs } from "../runtime.js";
import {
  acceptSocket,
  bindSocket,
  closeSocket,
  connectSocket,
  listenSocket,
  localAddress,
  openPair,
  openSocket,
  showAddress,
} from "../steps.js";

/** One line of the tour's result (also its --json form). */
export interface TourRow {
  /** A short name for the pair, usable as a filter: "tcp6", "abstract-dgram", "icmp" ... */
  id: string;
  family: "inet" | "inet6" | "unix";
  type: "stream" | "dgram" | "seqpacket" | "raw";
  /** "tcp", "udp", "icmp", "icmpv6", or "-" for Unix sockets. */
  protocol: string;
  /** The server side's address: `127.0.0.1:41234`, `[::1]:5000`, `/tmp/…/stream.sock`, `@name`, `socketpair`. */
  address: string;
  /** Bytes sent plus bytes received. */
  bytes: number;
  /** Round trip in microseconds: from the first byte of the request sent to the last byte of the reply received. */
  rttUs: number | null;
  result: "ok" | "failed" | "skipped";
  /** Why it failed or was skipped. */
  reason?: string;
}

interface TourOptions {
  timeout: number;
  tmpdir?: string;
}

const DEFAULT_TIMEOUT_MS = 2000;
/** The longest path that fits sun_path with its terminating NUL (Linux: 107 bytes). */
const LIMIT_SUN_PATH = LIMITS.SUN_PATH_MAX - 1;

export const tour: CommandSpec = {
  name: "tour",
  summary: "exchange data over every socket family and type this machine supports",
  description: `Builds each family × type pair this machine supports — TCP and UDP over IPv4 and
IPv6 loopback; Unix stream, dgram and seqpacket over a path, an abstract name
and a socketpair; raw ICMP and ICMPv6 echo (needs CAP_NET_RAW); ICMP "ping"
sockets (needs net.ipv4.ping_group_range) — sends a request and a reply of a
few hundred bytes through each, checks every byte and, for message types, the
message boundaries, and prints one row per pair. Pairs the machine cannot
offer are skipped with the reason; any other failure makes the exit code 1.

FILTERs narrow the rows: each is a pair id (tcp6, abstract-dgram, icmp ...),
a family (inet, inet6, unix), type (stream, dgram, seqpacket, raw), protocol
(tcp, udp, icmp, icmpv6) or naming (path, abstract, socketpair, ping); a row
is shown when it matches every FILTER.`,
  examples: [
    ["sockit tour", "try every socket family and type"],
    ["sockit tour unix seqpacket", "only Unix seqpacket sockets (path, abstract, socketpair)"],
    ["sockit -v tour tcp6", "show each socket call of the TCP over IPv6 pair"],
    ["sockit tour --json | jq '.[] | select(.result != \"ok\")'", "list what did not work"],
  ],
  define: (cmd) =>
    cmd
      .argument("[filter...]", "only the pairs matching every filter")
      .option(
        "-t, --timeout <ms>",
        "give up on a pair after this many milliseconds",
        intOption(1, 600_000),
        DEFAULT_TIMEOUT_MS,
      )
      .option("--tmpdir <dir>", "create the temp dir for Unix socket files in <dir> (default: $TMPDIR or /tmp)")
      .action(
        runs<TourOptions>((ctx, opts, command) =>
          runTour(ctx, opts, (command.processedArgs[0] as string[] | undefined) ?? []),
        ),
      ),
};

// ---------------------------------------------------------------------------
// The pairs.

/** A pair of the tour: what it is and how to exercise it. */
interface Pair {
  id: string;
  family: TourRow["family"];
  type: TourRow["type"];
  protocol: string;
  /** Extra filter words. */
  tags: string[];
  /** Returns a reason to skip before anything is opened, or undefined. */
  skip?: () => string | undefined;
  run: (t: Trial) => Promise<void>;
}

const PAYLOAD = { request: [100, 200], reply: [200, 300] } as const;

function pairs(env: Environment): Pair[] {
  const list: Pair[] = [];
  const unix = (
    id: string,
    type: "stream" | "dgram" | "seqpacket",
    naming: "path" | "abstract" | "socketpair",
    run: (t: Trial) => Promise<void>,
  ): void => {
    list.push({ id, family: "unix", type, protocol: "-", tags: [naming], run });
  };

  list.push({
    id: "tcp",
    family: "inet",
    type: "stream",
    protocol: "tcp",
    tags: ["ipv4"],
    run: (t) => listenerPair(t, "inet", "stream", "127.0.0.1:0"),
  });
  list.push({
    id: "tcp6",
    family: "inet6",
    type: "stream",
    protocol: "tcp",
    tags: ["ipv6"],
    skip: env.ipv6Skip,
    run: (t) => listenerPair(t, "inet6", "stream", "[::1]:0"),
  });
  list.push({
    id: "udp",
    family: "inet",
    type: "dgram",
    protocol: "udp",
    tags: ["ipv4"],
    run: (t) => datagramPair(t, "inet", "127.0.0.1:0", "127.0.0.1:0"),
  });
  list.push({
    id: "udp6",
    family: "inet6",
    type: "dgram",
    protocol: "udp",
    tags: ["ipv6"],
    skip: env.ipv6Skip,
    run: (t) => datagramPair(t, "inet6", "[::1]:0", "[::1]:0"),
  });

  unix("unix-stream", "stream", "path", (t) => listenerPair(t, "unix", "stream", env.path("stream.sock")));
  unix("unix-dgram", "dgram", "path", (t) =>
    datagramPair(t, "unix", env.path("dgram.sock"), env.path("dgram-client.sock")),
  );
  unix("unix-seqpacket", "seqpacket", "path", (t) => listenerPair(t, "unix", "seqpacket", env.path("seqpacket.sock")));
  unix("abstract-stream", "stream", "abstract", (t) => listenerPair(t, "unix", "stream", env.abstract("stream")));
  unix("abstract-dgram", "dgram", "abstract", (t) =>
    datagramPair(t, "unix", env.abstract("dgram"), env.abstract("dgram-client")),
  );
  unix("abstract-seqpacket", "seqpacket", "abstract", (t) =>
    listenerPair(t, "unix", "seqpacket", env.abstract("seqpacket")),
  );
  unix("socketpair-stream", "stream", "socketpair", (t) => socketpairPair(t, "stream"));
  unix("socketpair-dgram", "dgram", "socketpair", (t) => socketpairPair(t, "dgram"));
  unix("socketpair-seqpacket", "seqpacket", "socketpair", (t) => socketpairPair(t, "seqpacket"));

  list.push({
    id: "icmp",
    family: "inet",
    type: "raw",
    protocol: "icmp",
    tags: ["ipv4", "echo"],
    skip: env.echoSkip4,
    run: (t) => rawEcho(t, false),
  });
  list.push({
    id: "icmpv6",
    family: "inet6",
    type: "raw",
    protocol: "icmpv6",
    tags: ["ipv6", "echo"],
    skip: () => env.ipv6Skip() ?? env.echoSkip6(),
    run: (t) => rawEcho(t, true),
  });
  list.push({
    id: "ping",
    family: "inet",
    type: "dgram",
    protocol: "icmp",
    tags: ["ipv4", "echo"],
    skip: env.echoSkip4,
    run: (t) => pingEcho(t, false),
  });
  list.push({
    id: "ping6",
    family: "inet6",
    type: "dgram",
    protocol: "icmpv6",
    tags: ["ipv6", "echo"],
    skip: () => env.ipv6Skip() ?? env.echoSkip6(),
    run: (t) => pingEcho(t, true),
  });
  return list;
}

function tagsOf(p: Pair): string[] {
  return [p.id, p.family, p.type, p.protocol, ...p.tags];
}

// ---------------------------------------------------------------------------
// The command.

async function runTour(ctx: Context, opts: TourOptions, filters: string[]): Promise<number> {
  const env = new Environment(ctx, opts.tmpdir);
  const all = pairs(env);
  const words = filters.map((f) => f.toLowerCase());
  for (const w of words) {
    if (!all.some((p) => tagsOf(p).includes(w))) {
      const known = [...new Set(all.flatMap(tagsOf))]
        .filter((x) => x !== "-")
        .sort()
        .join(", ");
      throw new UsageError(`tour: unknown filter ${JSON.stringify(w)} (known: ${known})`);
    }
  }
  const selected = all.filter((p) => words.every((w) => tagsOf(p).includes(w)));
  if (selected.length === 0) throw new UsageError(`tour: no pair matches all of: ${words.join(" ")}`);

  const rows: TourRow[] = [];
  try {
    for (const pair of selected) {
      if (ctx.signal.aborted) break;
      rows.push(await runPair(ctx, env, pair, opts.timeout));
    }
  } finally {
    env.dispose();
  }

  if (ctx.json) ctx.out.printJson(rows);
  else ctx.out.table(COLUMNS, rows);

  const failed = rows.filter((r) => r.result === "failed");
  const skipped = rows.filter((r) => r.result === "skipped").length;
  const ok = rows.length - failed.length - skipped;
  if (ctx.signal.aborted) return 0; // runs() turns this into 130
  if (failed.length > 0) {
    const which =
      failed.length === 1 ? `${failed[0]!.id} (${failed[0]!.reason ?? "?"})` : failed.map((r) => r.id).join(", ");
    throw new CliError(`tour: ${failed.length} of ${rows.length} pairs FAILED: ${which}`);
  }
  if (!ctx.json)
    ctx.out.note(`tour: ${ok} of ${rows.length} pairs ok${skipped ? `, ${skipped} skipped` : ""}`, "green");
  return 0;
}

const COLUMNS: readonly Column<TourRow>[] = [
  { header: "FAMILY", value: (r) => r.family },
  { header: "TYPE", value: (r) => r.type },
  { header: "PROTO", value: (r) => r.protocol },
  { header: "ADDRESS", value: (r) => r.address },
  { header: "BYTES", value: (r) => (r.bytes > 0 ? formatBytes(r.bytes) : "-"), align: "right" },
  { header: "RTT", value: (r) => (r.rttUs === null ? "-" : formatDuration(r.rttUs)), align: "right" },
  {
    header: "RESULT",
    value: (r) => (r.result === "ok" ? "ok" : `${r.result === "failed" ? "FAILED" : "skipped"}: ${r.reason ?? ""}`),
    color: (r) => (r.result === "ok" ? "green" : r.result === "failed" ? "red" : "yellow"),
  },
];

/** Runs one pair in its own Trial and turns the outcome into a row. */
async function runPair(ctx: Context, env: Environment, pair: Pair, timeoutMs: number): Promise<TourRow> {
  ctx.step(`tour ${pair.id}: ${pair.family} ${pair.type}${pair.protocol === "-" ? "" : ` ${pair.protocol}`}`);
  const row: TourRow = {
    id: pair.id,
    family: pair.family,
    type: pair.type,
    protocol: pair.protocol,
    address: "-",
    bytes: 0,
    rttUs: null,
    result: "ok",
  };
  const skip = pair.skip?.();
  if (skip !== undefined) return { ...row, result: "skipped", reason: skip };

  const before = env.countSockets();
  const t = new Trial(ctx, timeoutMs);
  try {
    await t.guard(pair.run(t));
  } catch (err) {
    row.result = err instanceof Skip ? "skipped" : "failed";
    row.reason = t.explain(err);
  } finally {
    t.close();
  }
  row.address = t.address || "-";
  row.bytes = t.bytes;
  row.rttUs = t.rttUs;
  const after = env.countSockets();
  if (row.result === "ok" && after > before) {
    row.result = "failed";
    row.reason = `fd leak: ${after - before} socket fd(s) still open after close`;
  }
  return row;
}

// ---------------------------------------------------------------------------
// Trial: one pair's sockets, deadline and bookkeeping.

/** Thrown to skip a pair the machine cannot offer (not a failure). */
class Skip extends Error {}

/** A check that did not pass. */
class Mismatch extends Error {}

const TIMEOUT = Symbol("timeout");

class Trial {
  /** The address shown in the row. */
  address = "";
  bytes = 0;
  rttUs: number | null = null;
  readonly signal: AbortSignal;
  readonly #abort = new AbortController();
  readonly #sockets: Socket[] = [];
  readonly #pending = new Map<number, string>();
  #nextWait = 0;
  #stuckOn = "";
  #timer: NodeJS.Timeout;
  readonly #onParentAbort: () => void;

  constructor(
    readonly ctx: Context,
    readonly timeoutMs: number,
  ) {
    this.signal = this.#abort.signal;
    this.#timer = setTimeout(() => {
      // Name what was waiting now: the waits unwind (and forget) as the abort rejects them.
      this.#stuckOn = this.#waiting();
      this.#abort.abort(TIMEOUT);
    }, timeoutMs);
    this.#onParentAbort = () => this.#abort.abort(ctx.signal.reason);
    if (ctx.signal.aborted) this.#abort.abort(ctx.signal.reason);
    else ctx.signal.addEventListener("abort", this.#onParentAbort, { once: true });
  }

  /** Options for every waiting call: the trial's signal. */
  get opts(): { signal: AbortSignal } {
    return { signal: this.signal };
  }

  /** Creates a socket owned by this trial. A raw socket refused for lack of privilege skips the pair. */
  socket(family: "inet" | "inet6" | "unix", type: "stream" | "dgram" | "seqpacket" | "raw", protocol?: string): Socket {
    try {
      return this.own(openSocket(this.ctx, family, type, protocol));
    } catch (err) {
      if (err instanceof SocketError && (err.code === "EPERM" || err.code === "EACCES") && type === "raw")
        throw new Skip("needs CAP_NET_RAW");
      throw err;
    }
  }

  /** Creates a socketpair owned by this trial. */
  pair(type: "stream" | "dgram" | "seqpacket"): [Socket, Socket] {
    const [a, b] = openPair(this.ctx, "unix", type);
    return [this.own(a), this.own(b)];
  }

  /** Makes `s` this trial's to close. */
  own(s: Socket): Socket {
    this.#sockets.push(s);
    return s;
  }

  /** Awaits `p`, remembering `label` while it waits (named in the timeout message). */
  async wait<T>(label: string, p: Promise<T>): Promise<T> {
    const id = this.#nextWait++;
    this.#pending.set(id, label);
    try {
      return await p;
    } finally {
      this.#pending.delete(id);
    }
  }

  /**
   * Awaits the pair's run, but gives up a second after the deadline even if
   * some call did not honour the abort signal (then close() rejects it).
   */
  async guard(run: Promise<void>): Promise<void> {
    let hard: NodeJS.Timeout | undefined;
    const stuck = new Promise<never>((_, reject) => {
      hard = setTimeout(() => {
        reject(
          new Mismatch(
            `no progress ${this.timeoutMs + 1000} ms after start; still waiting for ${this.#waiting()} (an operation ignored its abort signal)`,
          ),
        );
      }, this.timeoutMs + 1000);
    });
    try {
      await Promise.race([run, stuck]);
    } finally {
      clearTimeout(hard);
      run.catch(() => {}); // close() may reject it later; that is expected
    }
  }

  #waiting(): string {
    const labels = [...new Set(this.#pending.values())];
    return labels.length > 0 ? labels.join(", ") : "(nothing)";
  }

  /** The reason text for an error that ended the pair. */
  explain(err: unknown): string {
    if (this.signal.aborted && this.signal.reason === TIMEOUT)
      return `timed out after ${this.timeoutMs} ms waiting for ${this.#stuckOn}`;
    if (this.signal.aborted && this.ctx.signal.aborted) return "interrupted";
    return errorText(err);
  }

  /** Closes every socket of the trial and stops its timers. */
  close(): void {
    clearTimeout(this.#timer);
    this.ctx.signal.removeEventListener("abort", this.#onParentAbort);
    for (const s of this.#sockets.splice(0).reverse()) closeSocket(this.ctx, s);
  }
}

// ---------------------------------------------------------------------------
// The exchanges.

function now(): bigint {
  return process.hrtime.bigint();
}

/** Microseconds since `t0`, to 0.1 µs. */
function microsSince(t0: bigint): number {
  return Math.round(Number(now() - t0) / 100) / 10;
}

/** Fails unless `got` is `want`, byte for byte, naming the first difference. */
function expectSame(got: Buffer, want: Buffer, what: string): void {
  if (got.equals(want)) return;
  if (got.length !== want.length) throw new Mismatch(`${what}: got ${got.length} bytes, sent ${want.length}`);
  let i = 0;
  while (got[i] === want[i]) i++;
  throw new Mismatch(`${what}: byte ${i} differs (got 0x${got[i]!.toString(16)}, sent 0x${want[i]!.toString(16)})`);
}

/** Reads exactly `n` bytes from a stream socket. */
async function recvExactly(t: Trial, s: Socket, n: number, label: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let got = 0;
  while (got < n) {
    const chunk = await t.wait(label, s.recv(n - got, t.opts));
    if (chunk.length === 0) throw new Mismatch(`${label}: the peer closed after ${got} of ${n} bytes`);
    t.ctx.detail(`recv fd ${s.fd} ${chunk.length} bytes`);
    parts.push(chunk);
    got += chunk.length;
  }
  return Buffer.concat(parts, n);
}

function messages(sizes: readonly number[]): Buffer[] {
  return sizes.map((n) => randomBytes(n));
}

/**
 * A request of two writes and a reply of two writes over a connected stream;
 * then each side shuts down its writing half and the other must read EOF.
 */
async function streamExchange(t: Trial, client: Socket, server: Socket): Promise<void> {
  const request = messages(PAYLOAD.request);
  const reply = messages(PAYLOAD.reply);
  const req = Buffer.concat(request);
  const rep = Buffer.concat(reply);
  const send = async (s: Socket, parts: Buffer[], label: string): Promise<void> => {
    for (const part of parts) {
      await t.wait(label, s.sendAll(part, t.opts));
      t.ctx.detail(`send fd ${s.fd} ${part.length} bytes`);
    }
  };
  const serverSide = async (): Promise<void> => {
    expectSame(await recvExactly(t, server, req.length, "server recv"), req, "request");
    await send(server, reply, "server send");
  };
  const clientSide = async (): Promise<void> => {
    const t0 = now();
    await send(client, request, "client send");
    const got = await recvExactly(t, client, rep.length, "client recv");
    t.rttUs = microsSince(t0);
    expectSame(got, rep, "reply");
  };
  await Promise.all([serverSide(), clientSide()]);
  t.bytes = req.length + rep.length;

  // Half-close both ways: shutdown(SHUT_WR) reaches the peer as EOF (an empty recv).
  for (const [from, to] of [
    [client, server],
    [server, client],
  ] as const) {
    from.shutdown("write");
    t.ctx.step(`shutdown fd ${from.fd} write`);
    const eof = await t.wait(`EOF on fd ${to.fd}`, to.recv(1, t.opts));
    if (eof.length !== 0) throw new Mismatch(`expected EOF after shutdown, got ${eof.length} more bytes`);
  }
}

/** One end of a message exchange. */
interface Endpoint {
  name: string;
  send(data: Buffer): Promise<void>;
  recv(): Promise<Buffer>;
}

/** An endpoint on a connected message socket (send/recv to its one peer). */
function connectedEnd(t: Trial, s: Socket, name: string): Endpoint {
  return {
    name,
    async send(data) {
      const n = await t.wait(`${name} send`, s.send(data, t.opts));
      if (n !== data.length) throw new Mismatch(`${name} send: the kernel took ${n} of a ${data.length}-byte message`);
      t.ctx.detail(`send fd ${s.fd} ${n} bytes`);
    },
    async recv() {
      const m = await t.wait(`${name} recv`, s.recvfrom(65536, t.opts));
      if (m.truncated) throw new Mismatch(`${name} recv: message truncated (${m.size} bytes)`);
      t.ctx.detail(`recv fd ${s.fd} ${m.data.length} bytes`);
      return m.data;
    },
  };
}

/**
 * An endpoint on an unconnected datagram socket: receives with recvfrom,
 * replies with sendto to whoever sent last, and checks that sender is `expectFrom()`.
 */
function unconnectedEnd(t: Trial, s: Socket, name: string, expectFrom: () => string): Endpoint {
  let peer: Parameters<Socket["sendto"]>[1] | undefined;
  return {
    name,
    async send(data) {
      if (peer === undefined) throw new Mismatch(`${name}: no peer to reply to`);
      const n = await t.wait(`${name} sendto`, s.sendto(data, peer, t.opts));
      if (n !== data.length)
        throw new Mismatch(`${name} sendto: the kernel took ${n} of a ${data.length}-byte datagram`);
      t.ctx.detail(`sendto fd ${s.fd} ${n} bytes → ${showAddress(peer)}`);
    },
    async recv() {
      const m = await t.wait(`${name} recvfrom`, s.recvfrom(65536, t.opts));
      if (m.truncated) throw new Mismatch(`${name} recvfrom: datagram truncated (${m.size} bytes)`);
      const from = showAddress(m.address);
      t.ctx.detail(`recvfrom fd ${s.fd} ${m.data.length} bytes ← ${from}`);
      if (from !== expectFrom())
        throw new Mismatch(`${name} recvfrom: datagram from ${from}, expected ${expectFrom()}`);
      peer = m.address;
      return m.data;
    },
  };
}

/**
 * A request of two messages and a reply of two messages; each must arrive as
 * sent — same bytes, same boundaries (two messages merged or one split shows
 * up as a length mismatch).
 */
async function messageExchange(t: Trial, client: Endpoint, server: Endpoint): Promise<void> {
  const request = messages(PAYLOAD.request);
  const reply = messages(PAYLOAD.reply);
  const serverSide = async (): Promise<void> => {
    for (const [i, want] of request.entries()) expectBoundary(await server.recv(), want, `request message ${i + 1}`);
    for (const m of reply) await server.send(m);
  };
  const clientSide = async (): Promise<void> => {
    const t0 = now();
    for (const m of request) await client.send(m);
    const got: Buffer[] = [];
    for (let i = 0; i < reply.length; i++) got.push(await client.recv());
    t.rttUs = microsSince(t0);
    for (const [i, want] of reply.entries()) expectBoundary(got[i]!, want, `reply message ${i + 1}`);
  };
  await Promise.all([serverSide(), clientSide()]);
  t.bytes = [...request, ...reply].reduce((n, b) => n + b.length, 0);
}

function expectBoundary(got: Buffer, want: Buffer, what: string): void {
  if (got.length !== want.length)
    throw new Mismatch(`${what}: boundary not kept: received ${got.length} bytes, sent ${want.length}`);
  expectSame(got, want, what);
}

// ---------------------------------------------------------------------------
// The pair kinds.

/** socket, bind, listen; socket, connect; accept — then a stream or seqpacket exchange. */
async function listenerPair(
  t: Trial,
  family: "inet" | "inet6" | "unix",
  type: "stream" | "seqpacket",
  address: string,
): Promise<void> {
  const listener = t.socket(family, type);
  if (family !== "unix") listener.setsockopt("SOL_SOCKET", "SO_REUSEADDR", 1);
  const bound = bindSocket(t.ctx, listener, address);
  t.address = showAddress(bound);
  listenSocket(t.ctx, listener, 8);
  const client = t.socket(family, type);
  const [server] = await Promise.all([
    t.wait("accept", acceptSocket(t.ctx, listener, t.opts)).then((s) => t.own(s)),
    t.wait("connect", connectSocket(t.ctx, client, bound, t.opts)),
  ]);
  closeSocket(t.ctx, listener);
  if (type === "stream") await streamExchange(t, client, server);
  else await messageExchange(t, connectedEnd(t, client, "client"), connectedEnd(t, server, "server"));
}

/** Server: bind, recvfrom/sendto. Client: bind, connect, send/recv. */
async function datagramPair(
  t: Trial,
  family: "inet" | "inet6" | "unix",
  serverAddress: string,
  clientAddress: string,
): Promise<void> {
  const server = t.socket(family, "dgram");
  const bound = bindSocket(t.ctx, server, serverAddress);
  t.address = showAddress(bound);
  const client = t.socket(family, "dgram");
  // A Unix datagram client must have a name for the server to answer to.
  bindSocket(t.ctx, client, clientAddress);
  await t.wait("connect", connectSocket(t.ctx, client, bound, t.opts));
  await messageExchange(
    t,
    connectedEnd(t, client, "client"),
    unconnectedEnd(t, server, "server", () => localAddress(client)),
  );
}

/** socketpair: two connected sockets, no names. */
async function socketpairPair(t: Trial, type: "stream" | "dgram" | "seqpacket"): Promise<void> {
  const [a, b] = t.pair(type);
  t.address = "socketpair";
  if (type === "stream") await streamExchange(t, a, b);
  else await messageExchange(t, connectedEnd(t, a, "client"), connectedEnd(t, b, "server"));
}

// ---------------------------------------------------------------------------
// ICMP echo.

const ECHO_PAYLOAD = 256;

/**
 * An ICMP echo request (type 8) or ICMPv6 echo request (type 128) with a random
 * payload, from the library's packet codecs. ICMPv6's checksum covers a
 * pseudo-header the kernel knows and we do not: for IPPROTO_ICMPV6 sockets the
 * kernel always computes it (RFC 3542 §3.1); ICMP "ping" sockets compute it for
 * IPv4 too, and the codec fills it for raw IPv4.
 */
function echoRequest(v6: boolean, id: number, seq: number): Buffer {
  const payload = randomBytes(ECHO_PAYLOAD);
  return v6 ? encodeEchoRequestV6(id, seq, payload) : encodeEchoRequest(id, seq, payload);
}

/**
 * Receives until the echo reply matching `request` (type, id, sequence)
 * arrives — a raw socket also sees our own request and any other ICMP — and
 * checks its payload (the library's decoders read it; a raw socket may see
 * anything). `ipHeader`: IPv4 raw sockets deliver the IP header too. Returns
 * the reply's ICMP length.
 */
async function awaitEchoReply(
  t: Trial,
  s: Socket,
  request: Buffer,
  v6: boolean,
  opts: { ipHeader: boolean; id: number | undefined },
): Promise<number> {
  const want = v6 ? ICMP6.ECHO_REPLY! : ICMP.ECHOREPLY!;
  const seq = (v6 ? decodeICMPv6(request) : decodeICMP(request)).sequence;
  for (;;) {
    const m = await t.wait("echo reply", s.recvfrom(65536, t.opts));
    let reply: IcmpDecoded;
    try {
      // IPv4 raw sockets deliver the IP header too; the codecs check every length.
      const bytes = opts.ipHeader ? decodeIPv4(m.data).payload : m.data;
      reply = v6 ? decodeICMPv6(bytes) : decodeICMP(bytes);
    } catch (e) {
      if (e instanceof PacketError) continue; // not a whole ICMP message: not ours
      throw e;
    }
    if (reply.type !== want || reply.code !== 0) continue;
    if (reply.sequence !== seq || (opts.id !== undefined && reply.id !== opts.id)) continue;
    t.ctx.detail(
      `recvfrom fd ${s.fd} echo reply ${reply.payload.length + 8} bytes ← ${showAddress(m.address)} id ${reply.id} seq ${seq}`,
    );
    // ICMPv6's checksum covers a pseudo-header the kernel has already checked.
    if (!v6 && !reply.checksumValid) throw new Mismatch("echo reply: bad ICMP checksum");
    expectSame(reply.payload, request.subarray(8), "echo reply payload");
    return reply.payload.length + 8;
  }
}

/** A raw ICMP socket: the echo request is built by hand, the reply matched by id and sequence. */
async function rawEcho(t: Trial, v6: boolean): Promise<void> {
  t.address = v6 ? "::1" : "127.0.0.1";
  const s = t.socket(v6 ? "inet6" : "inet", "raw", v6 ? "icmpv6" : "icmp");
  const target = v6 ? "[::1]:0" : "127.0.0.1:0";
  const id = process.pid & 0xffff;
  const request = echoRequest(v6, id, randomInt(0x10000));
  const t0 = now();
  await t.wait("sendto", s.sendto(request, target, t.opts));
  t.ctx.detail(`sendto fd ${s.fd} echo request ${request.length} bytes → ${t.address} id ${id}`);
  const replyBytes = await awaitEchoReply(t, s, request, v6, { ipHeader: !v6, id });
  t.rttUs = microsSince(t0);
  t.bytes = request.length + replyBytes;
}

/**
 * An ICMP datagram ("ping") socket: unprivileged when the process's group is
 * in net.ipv4.ping_group_range; the kernel sets the id (the socket's "port")
 * and the checksum, and delivers only the replies meant for this socket.
 */
async function pingEcho(t: Trial, v6: boolean): Promise<void> {
  t.address = v6 ? "::1" : "127.0.0.1";
  let s: Socket;
  try {
    s = t.socket(v6 ? "inet6" : "inet", "dgram", v6 ? "icmpv6" : "icmp");
  } catch (err) {
    if (err instanceof SocketError && (err.code === "EACCES" || err.code === "EPERM"))
      throw new Skip(pingRangeReason());
    throw err;
  }
  const target = v6 ? "[::1]:0" : "127.0.0.1:0";
  const request = echoRequest(v6, 0, randomInt(0x10000));
  const t0 = now();
  await t.wait("sendto", s.sendto(request, target, t.opts));
  const local = s.getsockname();
  const id = "port" in local ? local.port : undefined;
  t.ctx.detail(`sendto fd ${s.fd} echo request ${request.length} bytes → ${t.address} (kernel id ${id ?? "?"})`);
  const replyBytes = await awaitEchoReply(t, s, request, v6, { ipHeader: false, id });
  t.rttUs = microsSince(t0);
  t.bytes = request.length + replyBytes;
}

function pingRangeReason(): string {
  const range = readSysctl("net/ipv4/ping_group_range")?.replace(/\s+/g, " ");
  const gid = typeof process.getgid === "function" ? process.getgid() : undefined;
  return `group ${gid ?? "?"} not in net.ipv4.ping_group_range${range ? ` (${range})` : ""}`;
}

// ---------------------------------------------------------------------------
// The machine.

function readSysctl(name: string): string | undefined {
  try {
    return readFileSync(`/proc/sys/${name}`, "utf8").trim();
  } catch {
    return undefined;
  }
}

/** What the pairs need from the machine: a temp dir, abstract names, IPv6, fd counts. */
class Environment {
  #dir: string | undefined;
  #removeDir: (() => void) | undefined;
  #ipv6: string | null | undefined; // undefined = not probed yet, null = available
  readonly #tag = `sockit-tour-${process.pid}`;

  constructor(
    readonly ctx: Context,
    readonly parent?: string,
  ) {}

  /** A path in a fresh temp dir (created on first use, removed by dispose()). */
  path(name: string): string {
    if (this.#dir === undefined) {
      // sun_path holds 107 bytes: if $TMPDIR is too deep for our longest
      // name, use /tmp (an explicit --tmpdir is taken as given).
      const longest = "/sockit-tour-XXXXXX/seqpacket.sock".length;
      const base = this.parent ?? (tmpdir().length + longest > LIMIT_SUN_PATH ? "/tmp" : tmpdir());
      const dir = mkdtempSync(join(base, "sockit-tour-"));
      this.#dir = dir;
      this.#removeDir = this.ctx.onCleanup(() => rmSync(dir, { recursive: true, force: true }));
      this.ctx.step(`mkdir ${dir}`);
    }
    return join(this.#dir, name);
  }

  /** An abstract name unique to this process: `@sockit-tour-<pid>-<name>`. */
  abstract(name: string): string {
    return `@${this.#tag}-${name}`;
  }

  /** Why IPv6 pairs are skipped (no IPv6 in the kernel, no ::1), or undefined. Probed once. */
  readonly ipv6Skip = (): string | undefined => {
    if (this.#ipv6 === undefined) this.#ipv6 = probeIPv6();
    return this.#ipv6 ?? undefined;
  };

  /** Why IPv4 echo pairs are skipped (the kernel ignores echo requests), or undefined. */
  readonly echoSkip4 = (): string | undefined =>
    readSysctl("net/ipv4/icmp_echo_ignore_all") === "1"
      ? "the kernel ignores echo requests (net.ipv4.icmp_echo_ignore_all = 1)"
      : undefined;

  /** Why IPv6 echo pairs are skipped, or undefined. */
  readonly echoSkip6 = (): string | undefined =>
    readSysctl("net/ipv6/icmp/echo_ignore_all") === "1"
      ? "the kernel ignores echo requests (net.ipv6.icmp.echo_ignore_all = 1)"
      : undefined;

  /** The number of open socket fds of this process (-1 where /proc is not available). */
  countSockets(): number {
    let entries: string[];
    try {
      entries = readdirSync("/proc/self/fd");
    } catch {
      return -1;
    }
    let n = 0;
    for (const e of entries) {
      try {
        if (readlinkSync(`/proc/self/fd/${e}`).startsWith("socket:")) n++;
      } catch {
        /* the fd of the directory listing itself, already closed */
      }
    }
    return n;
  }

  /** Removes the temp dir. */
  dispose(): void {
    if (this.#removeDir) {
      this.#removeDir();
      this.ctx.step(`rm -r ${this.#dir}`);
    }
  }
}

/** null when IPv6 loopback works, else the reason it does not. */
function probeIPv6(): string | null {
  let s: Socket | undefined;
  try {
    s = new Socket("inet6", "dgram");
    s.bind("[::1]:0");
    return null;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "EAFNOSUPPORT") return "IPv6 is disabled in this kernel";
    if (code === "EADDRNOTAVAIL") return "no IPv6 loopback address (::1) on this machine";
    return `IPv6 loopback unusable: ${errorText(err)}`;
  } finally {
    s?.close();
  }
}
