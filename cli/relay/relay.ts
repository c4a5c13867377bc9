/**
 * The relay: moves data both ways between two ends until both directions are
 * done. Half-close aware: EOF from one side becomes shutdown(SHUT_WR) (or
 * end()) on the other, and the opposite direction goes on. Message ends keep
 * their boundaries: one message read is one message written.
 *
 * Each direction owns one buffer (256 KiB), reads into it (recvInto for
 * sockets) and writes from it (sendAll/send) — no allocation per chunk.
 *
 * A datagram source never sees EOF, so once the other direction is done the
 * relay waits `linger` ms after the last datagram and then stops (socat's -t).
 */
import type { Endpoint, SocketEndpoint, WsListenEndpoint } from "../address.js";
import { errorText } from "../errors.js";
import { formatBytes, formatRate } from "../output.js";
import type { Context } from "../runtime.js";
import type { End } from "./end.js";
import { type Listener, isPeerGone, listenOn, openEnd } from "./ends.js";

/** Bytes per read: enough for any datagram and for long bulk writes. */
export const RELAY_BUFFER = 256 * 1024;

/** What moved in one direction. */
export interface DirectionStats {
  bytes: number;
  messages: number;
  /** Messages cut because they were longer than the buffer or the other end allows. */
  truncated: number;
}

export interface RelayStats {
  /** From the first end to the second. */
  forward: DirectionStats;
  /** From the second end to the first. */
  backward: DirectionStats;
  seconds: number;
}

export interface RelayOptions {
  /** ms to wait, after one direction is done, for a datagram source that cannot signal EOF. */
  linger: number;
  /** Print a summary at the end (stderr; JSON with --json). */
  stats: boolean;
}

const newStats = (): DirectionStats => ({ bytes: 0, messages: 0, truncated: 0 });

/** Copies src → dst until EOF, then half-closes dst. Returns when this direction is done. */
async function pump(
  ctx: Context,
  src: End,
  dst: End,
  stats: DirectionStats,
  onData: () => void,
  stopped: () => boolean,
): Promise<void> {
  const buf = Buffer.allocUnsafe(RELAY_BUFFER);
  // A stream read into a message end becomes one message per read, so it must fit.
  const chunk = !src.messages && dst.messages && dst.maxWrite < buf.length ? buf.subarray(0, dst.maxWrite) : buf;
  const label = `${src.name} → ${dst.name}`;
  for (;;) {
    let n: number;
    try {
      n = await src.read(chunk);
    } catch (err) {
      if (stopped()) return;
      if (!isPeerGone(err)) throw err;
      ctx.step(`${src.name}: ${errorText(err)}: treated as EOF`);
      n = -1;
    }
    if (n < 0) {
      ctx.step(`EOF from ${src.name}`);
      break;
    }
    if (n > chunk.length) {
      stats.truncated++;
      ctx.step(`${label}: a ${n}-byte message was cut to ${chunk.length} bytes`);
      n = chunk.length;
    }
    if (ctx.verbose >= 2) ctx.detail(`${label}: ${n} bytes`);
    try {
      if (n > dst.maxWrite) {
        stats.truncated++;
        ctx.step(`${label}: a ${n}-byte message is too long for ${dst.name} (at most ${dst.maxWrite}): cut`);
        n = dst.maxWrite;
      }
      await dst.write(chunk, n, src.lastText);
    } catch (err) {
      if (stopped()) return;
      if (!isPeerGone(err)) throw err;
      ctx.step(`${dst.name}: ${errorText(err)}: stopped sending to it`);
      return;
    }
    stats.bytes += n;
    stats.messages++;
    onData();
  }
  dst.endWrite();
}

/**
 * Relays between two open ends until both directions are done (or Ctrl-C),
 * then closes both. Errors other than "the peer went away" reject.
 */
export async function relayEnds(
  ctx: Context,
  a: End,
  b: End,
  options: RelayOptions,
  live?: LiveLine,
): Promise<RelayStats> {
  const forward = newStats();
  const backward = newStats();
  const started = performance.now();
  let stopping = false;
  const stopped = (): boolean => stopping || ctx.signal.aborted;
  const closeAll = (): void => {
    stopping = true;
    a.close();
    b.close();
  };
  ctx.signal.addEventListener("abort", closeAll, { once: true });
  live?.add(a.name, b.name, forward, backward);

  // Linger: once one direction is done, a datagram source on the other side
  // gets `linger` ms after its last datagram.
  let lingerTimer: NodeJS.Timeout | undefined;
  let lingerDone: (() => void) | undefined;
  const lingerEnded = new Promise<void>((r) => (lingerDone = r));
  let oneDone = false;
  const rearm = (): void => {
    if (!oneDone) return;
    clearTimeout(lingerTimer);
    lingerTimer = setTimeout(() => {
      ctx.step(`no datagram for ${options.linger} ms: done`);
      lingerDone!();
    }, options.linger);
  };
  const directionDone = (other: End): void => {
    if (oneDone) return;
    oneDone = true;
    if (!other.canEof) rearm();
  };

  const f = pump(ctx, a, b, forward, () => !b.canEof || rearm(), stopped).then(() => directionDone(b));
  const r = pump(ctx, b, a, backward, () => !a.canEof || rearm(), stopped).then(() => directionDone(a));
  try {
    await Promise.race([Promise.all([f, r]), lingerEnded, failFirst([f, r])]);
  } finally {
    clearTimeout(lingerTimer);
    ctx.signal.removeEventListener("abort", closeAll);
    closeAll();
    // Let a pump blocked on a closed end settle quietly.
    f.catch(() => undefined);
    r.catch(() => undefined);
    live?.remove(forward, backward);
  }
  const result = { forward, backward, seconds: (performance.now() - started) / 1000 };
  if (options.stats) printStats(ctx, a.name, b.name, result);
  return result;
}

/** Rejects as soon as any promise rejects (Promise.all does too, but only after the race above). */
function failFirst(promises: Promise<unknown>[]): Promise<never> {
  return new Promise((_, reject) => {
    for (const p of promises) p.catch(reject);
  });
}

/** The --stats summary, on stderr (JSON with --json, so stdout stays the relayed data). */
export function printStats(ctx: Context, aName: string, bName: string, s: RelayStats): void {
  if (ctx.json) {
    ctx.out.stderr.write(`${JSON.stringify({ a: aName, b: bName, ...s })}\n`);
    return;
  }
  const dir = (d: DirectionStats): string =>
    `${d.bytes} bytes${d.bytes >= 1024 ? ` (${formatBytes(d.bytes)})` : ""} in ${d.messages} ${d.messages === 1 ? "read" : "reads"}, ${rate(d, s.seconds)}${d.truncated ? `, ${d.truncated} cut` : ""}`;
  ctx.out.note(`${aName} → ${bName}: ${dir(s.forward)}`);
  ctx.out.note(`${bName} → ${aName}: ${dir(s.backward)}`);
  ctx.out.note(`${s.seconds.toFixed(3)} s`);
}

/** Bytes and reads per second with their units: "1.20 MiB/s, 867 msg/s". */
function rate(d: DirectionStats, seconds: number): string {
  if (seconds <= 0) return "-";
  return `${formatRate(d.bytes / seconds)}, ${formatRate(d.messages / seconds, "msg")}`;
}

/**
 * The live line on stderr while relays run (only when stderr is a terminal):
 * `2 relays  → 1.20 GiB 812.40 MiB/s  ← 12.0 KiB 0 B/s`, redrawn every 250 ms.
 */
export class LiveLine {
  #pairs = new Set<[DirectionStats, DirectionStats]>();
  #done = { forward: 0, backward: 0 };
  #last = { forward: 0, backward: 0, at: performance.now() };
  #timer: NodeJS.Timeout | undefined;
  #label = "";

  constructor(private readonly ctx: Context) {}

  /** True when there is a terminal to draw on. */
  static wanted(ctx: Context): boolean {
    return ctx.out.stderrTty && !process.env.SOCKIT_NO_LIVE;
  }

  add(aName: string, bName: string, f: DirectionStats, b: DirectionStats): void {
    this.#label = `${aName} ⇄ ${bName}`;
    this.#pairs.add([f, b]);
    if (!this.#timer) {
      this.#timer = setInterval(() => this.#draw(), 250);
      this.#timer.unref();
    }
  }

  remove(f: DirectionStats, b: DirectionStats): void {
    for (const p of this.#pairs) {
      if (p[0] === f && p[1] === b) {
        this.#pairs.delete(p);
        this.#done.forward += f.bytes;
        this.#done.backward += b.bytes;
      }
    }
  }

  #totals(): { forward: number; backward: number } {
    let forward = this.#done.forward;
    let backward = this.#done.backward;
    for (const [f, b] of this.#pairs) {
      forward += f.bytes;
      backward += b.bytes;
    }
    return { forward, backward };
  }

  #draw(): void {
    const now = performance.now();
    const t = this.#totals();
    const dt = (now - this.#last.at) / 1000;
    const fr = dt > 0 ? (t.forward - this.#last.forward) / dt : 0;
    const br = dt > 0 ? (t.backward - this.#last.backward) / dt : 0;
    this.#last = { ...t, at: now };
    const n = this.#pairs.size;
    const who = n === 1 ? this.#label : `${n} relays`;
    const rates = `→ ${formatBytes(t.forward)} ${formatRate(fr)}  ← ${formatBytes(t.backward)} ${formatRate(br)}`;
    const full = `${who}  ${rates}`;
    // A pty whose size nobody set reports 0 columns: unknown, so nothing is
    // cut. A narrow terminal loses the label first (the numbers are the
    // point), then the end of the line: a line that wrapped would not be
    // redrawn in place by \r.
    const columns = (this.ctx.out.stderr as { columns?: number }).columns;
    const width = columns !== undefined && columns > 0 ? columns - 1 : Infinity;
    const line = [...full].length <= width ? full : [...rates].slice(0, width).join("");
    this.ctx.out.stderr.write(`\r\u001b[K${line}`);
  }

  /** Stops drawing and clears the line. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.ctx.out.stderr.write("\r\u001b[K");
  }
}

/** A first address that serves many connections (`,fork`). */
type Server = { accept(): Promise<End>; close(): void };

async function serverFor(ctx: Context, ep: SocketEndpoint | WsListenEndpoint): Promise<Server> {
  if (ep.kind === "ws-listen") {
    const { WsListener } = await import("./ws.js");
    return WsListener.open(ctx, ep);
  }
  const l: Listener = await listenOn(ctx, ep);
  return l;
}

/**
 * `relay A B`: opens A (a listen address waits for its connection), then B,
 * and relays. With `,fork` on A, serves every connection A accepts, each with
 * its own B, concurrently, until Ctrl-C.
 */
export async function runRelay(
  ctx: Context,
  a: Endpoint,
  b: Endpoint | (() => End),
  options: RelayOptions,
): Promise<void> {
  const live = LiveLine.wanted(ctx) ? new LiveLine(ctx) : undefined;
  try {
    if ((a.kind === "socket" || a.kind === "ws-listen") && a.options.fork) {
      await serveForever(ctx, a, b, options, live);
      return;
    }
    const endA = await openEnd(ctx, a);
    let endB: End;
    try {
      endB = typeof b === "function" ? b() : await openEnd(ctx, b);
    } catch (e) {
      endA.close();
      throw e;
    }
    await relayEnds(ctx, endA, endB, options, live);
  } finally {
    live?.stop();
  }
}

/** Resolves after `ms`, or at once on Ctrl-C. */
function sleepOrAbort(ctx: Context, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      ctx.signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    ctx.signal.addEventListener("abort", done, { once: true });
  });
}

/** accept(2)/socket(2) errors that mean "out of fds or memory now", not "broken": back off and retry. */
export function isOutOfResources(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === "EMFILE" || code === "ENFILE" || code === "ENOBUFS" || code === "ENOMEM";
}

/**
 * The accept loop's back-off while out of fds: 5 ms doubling to 1 s (Go's
 * net/http), one stderr line per episode, and a -v step when accepting
 * resumes. The listening socket stays readable while its backlog holds
 * clients, so retrying at once would spin; exiting would drop every client.
 */
export class AcceptBackoff {
  #delay = 0;
  /** When the last resource error was seen: an episode ends after 10 s without one. */
  #lastError = -Infinity;

  constructor(private readonly ctx: Context) {}

  /** True for the first resource error of an episode: one line per episode, not one per client. */
  firstReport(): boolean {
    const now = performance.now();
    const first = now - this.#lastError > 10_000;
    this.#lastError = now;
    return first;
  }

  /** Reports the episode once, then sleeps the next delay (or until Ctrl-C). */
  async wait(e: unknown): Promise<void> {
    if (this.firstReport())
      this.ctx.out.stderr.write(
        `sockit: ${errorText(e)}: out of file descriptors; accept backs off (5 ms doubling to 1 s) and resumes when they free up\n`,
      );
    this.#delay = Math.min(Math.max(this.#delay * 2, 5), 1000);
    this.ctx.step(`accept: ${errorText(e)}; retrying in ${this.#delay} ms`);
    await sleepOrAbort(this.ctx, this.#delay);
  }

  /** An accept succeeded: the episode is over. */
  reset(): void {
    if (this.#delay > 0) this.ctx.step("accept: accepting again");
    this.#delay = 0;
  }
}

async function serveForever(
  ctx: Context,
  a: SocketEndpoint | WsListenEndpoint,
  b: Endpoint | (() => End),
  options: RelayOptions,
  live: LiveLine | undefined,
): Promise<void> {
  const server = await serverFor(ctx, a);
  const onAbort = (): void => server.close();
  ctx.signal.addEventListener("abort", onAbort, { once: true });
  const running = new Set<Promise<void>>();
  const backoff = new AcceptBackoff(ctx);
  // Connections accepted but waiting for an fd to open their second end. While
  // there are any, accepting more would only take the fds they wait for.
  let starving = 0;
  let fed: (() => void) | undefined;
  const unstarve = (): void => {
    if (--starving === 0) fed?.();
  };
  try {
    for (;;) {
      if (starving > 0) {
        await new Promise<void>((resolve) => {
          fed = resolve;
          ctx.signal.addEventListener("abort", resolve as () => void, { once: true });
        });
        ctx.signal.removeEventListener("abort", fed!);
        fed = undefined;
        if (ctx.signal.aborted) break;
      }
      let conn: End;
      try {
        conn = await server.accept();
      } catch (e) {
        if (ctx.signal.aborted) break;
        if (!isOutOfResources(e)) throw e;
        await backoff.wait(e);
        continue;
      }
      backoff.reset();
      const job = (async () => {
        let other: End | undefined;
        // Out of fds for the second end: the client waits (backing off, 5 ms
        // doubling to 1 s, about 6 s in all) rather than being dropped at once.
        for (let delay = 5; other === undefined; delay *= 2) {
          try {
            other = typeof b === "function" ? b() : await openEnd(ctx, b);
          } catch (e) {
            if (!isOutOfResources(e) || delay > 2000 || ctx.signal.aborted) {
              conn.close();
              throw e;
            }
            if (backoff.firstReport())
              ctx.out.stderr.write(
                `sockit: ${errorText(e)}: out of file descriptors; new connections wait until they free up\n`,
              );
            starving++;
            try {
              await sleepOrAbort(ctx, Math.min(delay, 1000));
            } finally {
              unstarve();
            }
          }
        }
        await relayEnds(ctx, conn, other, options, live);
      })().catch((e: unknown) => {
        // One connection's failure is reported and the server goes on (out of
        // fds, only the first of the episode: a flood would print one per client).
        if (ctx.signal.aborted || (isOutOfResources(e) && !backoff.firstReport())) return;
        ctx.out.stderr.write(`sockit: ${errorText(e)}\n`);
      });
      running.add(job);
      void job.finally(() => running.delete(job));
    }
  } finally {
    ctx.signal.removeEventListener("abort", onAbort);
    server.close();
    await Promise.allSettled(running);
  }
}
