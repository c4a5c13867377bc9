/**
 * ping: ICMP echo requests `interval` ms apart, the replies and ICMP errors
 * gathered, and the statistics ping(8) prints.
 */
import { ICMP, ICMP6 } from "./constants.js";
import { codedError } from "./errors.js";
import { IPV4_HEADER_SIZE } from "./packets/ipv4.js";
import * as raw from "./raw/index.js";
import { checkNumber, checkTarget, type IcmpTarget, checkSignal, resolveIcmpTarget } from "./icmp-target.js";
import { sleep, type IcmpMode, EchoSession } from "./icmp-echo.js";

// ---------------------------------------------------------------------------
// ping.

/** Options of {@link ping}. */
export interface PingOptions {
  /** Requests to send (default 4; Infinity sends until `signal` aborts). */
  count?: number;
  /** Milliseconds between requests (default 1000). */
  interval?: number;
  /** Milliseconds to wait for each reply after its request (default 1000). */
  timeout?: number;
  /** TTL / hop limit of the requests (default: the system's). */
  ttl?: number;
  /** Payload bytes after the 8-byte ICMP header (default 56, as ping). */
  size?: number;
  /** "inet" or "inet6", to choose for "localhost" or to insist. */
  family?: "inet" | "inet6";
  /** The socket kind (default "auto": a ping socket if allowed, else raw). */
  mode?: IcmpMode;
  /**
   * Ends the run early — as Ctrl-C ends ping: the promise then resolves with
   * the statistics so far (`interrupted: true`) instead of rejecting.
   */
  signal?: AbortSignal;
  /** Called once the socket is open, before the first request: the address pinged and the socket kind (ping prints its header then). */
  onStart?: (start: { address: string; family: "inet" | "inet6"; mode: "dgram" | "raw" }) => void;
  /** Called for each reply as it arrives. */
  onReply?: (reply: PingReply) => void;
  /** Called for each ICMP error about a request (unreachable, TTL exceeded ...). */
  onError?: (problem: PingProblem) => void;
  /** Called for each request that got no answer within `timeout`. */
  onTimeout?: (sequence: number) => void;
}

/** One echo reply. */
export interface PingReply {
  /** The icmp_seq of the request it answers. */
  sequence: number;
  /** Who answered. */
  from: string;
  /** ICMP bytes received (header + payload), as ping's "64 bytes from". */
  bytes: number;
  /** The reply's TTL / hop limit, when the kernel reported it. */
  ttl?: number;
  /** Round-trip time in milliseconds. */
  time: number;
  /**
   * Where `time`'s end came from: "kernel" — the reply's kernel receive
   * timestamp (SO_TIMESTAMPNS), as iputils ping; "process" — sockit's clock
   * when it read the reply (the kernel gave no timestamp, or the wall clock
   * stepped during the round trip), later by the event loop's wake-up.
   */
  clock: "kernel" | "process";
  /** A second (or later) reply to the same request. */
  duplicate: boolean;
}

/** An ICMP error about one request. */
export interface PingProblem {
  /** The sequence number of the request it is about. */
  sequence: number;
  /** The node that reported it, when known. */
  from: string | null;
  /** ICMP type and code. */
  type: number;
  /** The ICMP code. */
  code: number;
  /** What ping would print: "Destination Host Unreachable", "Time to live exceeded" ... */
  message: string;
}

/** The outcome of {@link ping}: every reply and the statistics ping prints. */
export interface PingResult {
  /** The host as given, and the address pinged. */
  host: string;
  /** The address pinged, in text form. */
  address: string;
  /** The family of `address`. */
  family: "inet" | "inet6";
  /** Which socket was used. */
  mode: "dgram" | "raw";
  /** Payload bytes per request. */
  size: number;
  /** Every reply, duplicates included, in the order they came. */
  replies: PingReply[];
  /** ICMP errors about requests (unreachable, time exceeded ...). */
  problems: PingProblem[];
  /** Requests sent. */
  transmitted: number;
  /** Distinct requests answered (duplicates not counted). */
  received: number;
  /** Replies received more than once. */
  duplicates: number;
  /** Lost requests in percent (0..100), as ping's "% packet loss". */
  loss: number;
  /** Milliseconds from the first request to the last (ping's "time": the wait for the last answer is not in it). */
  time: number;
  /** Round-trip statistics in ms over the distinct replies; NaN when there are none. */
  min: number;
  /** Mean round-trip time over the distinct replies, ms; NaN when there are none. */
  avg: number;
  /** Longest round-trip time, ms; NaN when there are none. */
  max: number;
  /** Mean deviation as ping computes it: sqrt(mean(t²) − mean(t)²). */
  mdev: number;
  /** True when `signal` ended the run early. */
  interrupted: boolean;
}

/**
 * ping's text for an ICMP error type/code (iputils ping_common).
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/icmp.7.html
 */
export function icmpMessage(v6: boolean, type: number, code: number): string {
  if (!v6) {
    if (type === ICMP.TIME_EXCEEDED)
      return code === ICMP.EXC_TTL ? "Time to live exceeded" : "Frag reassembly time exceeded";
    if (type === ICMP.DEST_UNREACH) {
      const texts: [number | undefined, string][] = [
        [ICMP.NET_UNREACH, "Destination Net Unreachable"],
        [ICMP.HOST_UNREACH, "Destination Host Unreachable"],
        [ICMP.PROT_UNREACH, "Destination Protocol Unreachable"],
        [ICMP.PORT_UNREACH, "Destination Port Unreachable"],
        [ICMP.FRAG_NEEDED, "Frag needed and DF set"],
        [ICMP.SR_FAILED, "Source Route Failed"],
        [ICMP.PKT_FILTERED, "Packet filtered"],
      ];
      return texts.find(([c]) => c === code)?.[1] ?? `Dest Unreachable, Bad Code: ${code}`;
    }
    if (type === ICMP.PARAMETERPROB) return "Parameter problem";
    if (type === ICMP.REDIRECT) return "Redirect";
    if (type === ICMP.SOURCE_QUENCH) return "Source Quench";
    return `Bad ICMP type: ${type}`;
  }
  if (type === ICMP6.TIME_EXCEEDED)
    return code === ICMP6.TIME_EXCEED_TRANSIT ? "Time exceeded: Hop limit" : "Time exceeded: Defrag";
  if (type === ICMP6.DST_UNREACH) {
    const texts: [number | undefined, string][] = [
      [ICMP6.DST_UNREACH_NOROUTE, "Destination unreachable: No route"],
      [ICMP6.DST_UNREACH_ADMIN, "Destination unreachable: Administratively prohibited"],
      [ICMP6.DST_UNREACH_ADDR, "Destination unreachable: Address unreachable"],
      [ICMP6.DST_UNREACH_NOPORT, "Destination unreachable: Port unreachable"],
    ];
    return texts.find(([c]) => c === code)?.[1] ?? `Destination unreachable: Unknown code ${code}`;
  }
  if (type === ICMP6.PACKET_TOO_BIG) return "Packet too big";
  if (type === ICMP6.PARAM_PROB) return "Parameter problem";
  return `Unknown ICMPv6 type: ${type}`;
}

/**
 * Pings `host`: sends `count` ICMP echo requests `interval` ms apart and
 * gathers the replies, ICMP errors and the statistics `ping` prints
 * (transmitted, received, loss, min/avg/max/mdev). Uses a ping socket where
 * `net.ipv4.ping_group_range` allows, a raw socket (CAP_NET_RAW) otherwise;
 * IPv4 and IPv6. Does not correspond to a single syscall: socket(2),
 * setsockopt(2), sendto(2), recvmsg(2) (with MSG_ERRQUEUE).
 *
 * Notes: aborting `signal` ends the run and resolves with the statistics so
 * far (`interrupted: true`), as Ctrl-C ends ping. The socket is closed before
 * the promise settles.
 *
 * @see https://man7.org/linux/man-pages/man7/icmp.7.html
 * @see https://man7.org/linux/man-pages/man7/raw.7.html
 * @see https://man7.org/linux/man-pages/man8/ping.8.html
 * @throws TypeError/RangeError ERR_INVALID_ADDRESS, ERR_INVALID_ARG_TYPE,
 *   ERR_OUT_OF_RANGE for bad arguments (at once); ResolveError EAI_NONAME,
 *   EAI_AGAIN for a host name the lookup does not know; SocketError EACCES/EPERM
 *   (neither a ping socket nor CAP_NET_RAW — the message says which sysctl
 *   and capability), ENETUNREACH, EHOSTUNREACH (from sendto).
 */
export function ping(host: string, options: PingOptions = {}): Promise<PingResult> {
  if (typeof options !== "object" || options === null) {
    throw codedError("ERR_INVALID_ARG_TYPE", `options must be an object, got ${raw.describe(options)}`);
  }
  const target = checkTarget(host, options.family);
  const count = checkNumber(options.count ?? 4, "count", 1, Infinity);
  const interval = checkNumber(options.interval ?? 1000, "interval", 0, 3600_000, false);
  const timeout = checkNumber(options.timeout ?? 1000, "timeout", 1, 3600_000, false);
  const ttl = options.ttl === undefined ? undefined : checkNumber(options.ttl, "ttl", 1, 255);
  // The IPv4 limit until the family is known (it is the smaller one).
  const maxSize = (target?.family ?? options.family) === "inet6" ? 0xffff - 8 : 0xffff - IPV4_HEADER_SIZE - 8;
  const size = checkNumber(options.size ?? 56, "size", 0, maxSize);
  const mode = options.mode ?? "auto";
  if (mode !== "auto" && mode !== "dgram" && mode !== "raw") {
    throw codedError("ERR_INVALID_ARG_VALUE", `mode must be "auto", "dgram" or "raw", got ${raw.describe(mode)}`);
  }
  const signal = checkSignal(options.signal);
  for (const cb of ["onStart", "onReply", "onError", "onTimeout"] as const) {
    if (options[cb] !== undefined && typeof options[cb] !== "function") {
      throw codedError("ERR_INVALID_ARG_TYPE", `${cb} must be a function`);
    }
  }
  const o = { count, interval, timeout, ttl, size, mode, signal, options };
  if (target) return runPing(host, target, o);
  return resolveIcmpTarget(host, options.family).then((t) => runPing(host, t, o));
}

async function runPing(
  host: string,
  target: IcmpTarget,
  o: {
    count: number;
    interval: number;
    timeout: number;
    ttl: number | undefined;
    size: number;
    mode: IcmpMode;
    signal: AbortSignal | undefined;
    options: PingOptions;
  },
): Promise<PingResult> {
  const sent = new Map<number, bigint>();
  const sentReal = new Map<number, bigint>();
  const answered = new Set<number>();
  const settled = new Map<number, () => void>();
  const replies: PingReply[] = [];
  const problems: PingProblem[] = [];
  let duplicates = 0;
  const v6 = target.family === "inet6";
  const session = new EchoSession(target, o.mode, {
    reply(seq, from, bytes, ttl, rx) {
      const t0 = sent.get(seq);
      if (t0 === undefined) return;
      // The kernel's receive time (SO_TIMESTAMPNS), when it gave one: sockit
      // reads the reply later, after the event loop wakes. The send time is
      // CLOCK_REALTIME read just before sendto (see EchoSession.send). The
      // process's clock is the fallback, and the bound: a kernel time past it
      // would mean the wall clock stepped in between.
      const real = sentReal.get(seq);
      const byClock = Number(process.hrtime.bigint() - t0) / 1e6;
      const byKernel = rx !== undefined && real !== undefined ? Number(rx - real) / 1e6 : Infinity;
      const kernel = byKernel >= 0 && byKernel <= byClock;
      const time = kernel ? byKernel : byClock;
      const duplicate = answered.has(seq);
      if (duplicate) duplicates++;
      answered.add(seq);
      const r: PingReply = { sequence: seq, from, bytes, time, clock: kernel ? "kernel" : "process", duplicate };
      if (ttl !== undefined) r.ttl = ttl;
      replies.push(r);
      o.options.onReply?.(r);
      settled.get(seq)?.();
    },
    error(seq, from, type, code) {
      if (!sent.has(seq)) return;
      const p: PingProblem = { sequence: seq, from, type, code, message: icmpMessage(v6, type, code) };
      problems.push(p);
      o.options.onError?.(p);
      settled.get(seq)?.();
    },
  });
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  o.signal?.addEventListener("abort", onAbort, { once: true });
  if (o.signal?.aborted) stop.abort();
  const start = process.hrtime.bigint();
  /** The last request's send time: ping's "time" ends there (iputils' cur_time), not after the last wait. */
  let last = start;
  const waits: Promise<void>[] = [];
  let transmitted = 0;
  let failure: unknown;
  session.failure().catch((e: unknown) => {
    failure = e;
    stop.abort();
  });
  try {
    if (o.ttl !== undefined) session.setTtl(o.ttl);
    o.options.onStart?.({ address: target.address, family: target.family, mode: session.kind });
    session.start();
    const payload = Buffer.alloc(o.size);
    for (let i = 0; i < o.size; i++) payload[i] = i & 0xff;
    for (let i = 0; i < o.count && !stop.signal.aborted; i++) {
      const seq = (i + 1) & 0xffff;
      if (i > 0) await sleep(o.interval, stop.signal);
      if (stop.signal.aborted) break;
      answered.delete(seq);
      waits.push(
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            settled.delete(seq);
            if (!answered.has(seq)) o.options.onTimeout?.(seq);
            resolve();
          }, o.timeout);
          const done = (): void => {
            clearTimeout(timer);
            stop.signal.removeEventListener("abort", done);
            settled.delete(seq);
            resolve();
          };
          settled.set(seq, done);
          stop.signal.addEventListener("abort", done, { once: true });
        }),
      );
      await session.send(seq, payload, () => {
        last = process.hrtime.bigint();
        sent.set(seq, last);
        sentReal.set(seq, raw.clockRealtimeNs());
      });
      transmitted++;
    }
    await Promise.all(waits);
  } finally {
    o.signal?.removeEventListener("abort", onAbort);
    for (const done of [...settled.values()]) done();
    await session.close();
  }
  if (failure !== undefined) throw failure;
  const time = Number(last - start) / 1e6;
  const rtts = replies.filter((r) => !r.duplicate).map((r) => r.time);
  const received = rtts.length;
  const avg = received ? rtts.reduce((a, b) => a + b, 0) / received : NaN;
  const avg2 = received ? rtts.reduce((a, b) => a + b * b, 0) / received : NaN;
  return {
    host,
    address: target.address,
    family: target.family,
    mode: session.kind,
    size: o.size,
    replies,
    problems,
    transmitted,
    received,
    duplicates,
    loss: transmitted ? ((transmitted - received) / transmitted) * 100 : 0,
    time,
    min: received ? Math.min(...rtts) : NaN,
    avg,
    max: received ? Math.max(...rtts) : NaN,
    mdev: received ? Math.sqrt(Math.max(0, avg2 - avg * avg)) : NaN,
    interrupted: o.signal?.aborted === true,
  };
}
