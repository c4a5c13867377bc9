/**
 * traceroute: probes with increasing TTL (IP_TTL / IPV6_UNICAST_HOPS), and who
 * answered read from the error queue (IP_RECVERR / IPV6_RECVERR: struct
 * sock_extended_err and the offender's address) — over UDP by default, which
 * needs no privilege, or ICMP echo.
 *
 * @see https://man7.org/linux/man-pages/man7/ip.7.html
 */
import { type SocketAddress } from "./address.js";
import { ICMP, ICMP6, MSG } from "./constants.js";
import { AbortError, codedError } from "./errors.js";
import * as raw from "./raw/index.js";
import { Socket } from "./socket.js";
import type { ReceivedMessage } from "./messages.js";
import { checkNumber, checkTarget, type IcmpTarget, checkSignal, resolveIcmpTarget } from "./icmp-target.js";
import { type IcmpMode, EchoSession, sendPast } from "./icmp-echo.js";

// ---------------------------------------------------------------------------
// traceroute.

/** Options of {@link traceroute}. */
export interface TracerouteOptions {
  /** The largest TTL tried (default 30). */
  maxHops?: number;
  /** The first TTL (default 1). */
  firstHop?: number;
  /** Probes per hop (default 3). */
  queries?: number;
  /** Milliseconds to wait for each probe's answer (default 1000). */
  timeout?: number;
  /** "udp" (default: unprivileged, to ports from `port` up) or "icmp" (echo requests, as traceroute -I). */
  protocol?: "udp" | "icmp";
  /** The first UDP destination port (default 33434, as traceroute). */
  port?: number;
  /** "inet" or "inet6", for "localhost" or to insist. */
  family?: "inet" | "inet6";
  /** For protocol "icmp": the socket kind (default "auto"). */
  mode?: IcmpMode;
  /** Rejects with an AbortError and closes the socket. */
  signal?: AbortSignal;
  /** Called with each hop as soon as its probes have settled. */
  onHop?: (hop: TracerouteHop) => void;
}

/** One probe's outcome. */
export interface TracerouteProbe {
  /** Who answered, or null when nobody did within the timeout. */
  address: string | null;
  /** Round-trip time in ms, or null. */
  time: number | null;
  /** The ICMP type and code of the answer (time exceeded, port unreachable, echo reply ...). */
  type?: number;
  /** The ICMP code of the answer. */
  code?: number;
  /** traceroute's annotation: "!H" host, "!N" network, "!P" protocol unreachable, "!X" prohibited, "!F" fragmentation needed; "" otherwise. */
  note: string;
}

/** The probes of one TTL. */
export interface TracerouteHop {
  /** The TTL (hop limit) of this hop's probes. */
  ttl: number;
  /** One entry per probe sent at this TTL. */
  probes: TracerouteProbe[];
}

/** The outcome of {@link traceroute}. */
export interface TracerouteResult {
  /** The host as given. */
  host: string;
  /** The address traced, in text form. */
  address: string;
  /** The family of `address`. */
  family: "inet" | "inet6";
  /** The kind of probe: UDP datagrams or ICMP echo requests. */
  protocol: "udp" | "icmp";
  /** The hops, from TTL 1. */
  hops: TracerouteHop[];
  /** Whether the destination answered (port unreachable, or an echo reply). */
  reached: boolean;
}

interface ProbeAnswer {
  from: string | null;
  type: number;
  code: number;
  /** The kernel's receive time (ns since the epoch), when known. */
  rx?: bigint;
}

function note(v6: boolean, type: number, code: number): string {
  if (v6) {
    if (type !== ICMP6.DST_UNREACH || code === ICMP6.DST_UNREACH_NOPORT) return "";
    if (code === ICMP6.DST_UNREACH_NOROUTE) return "!N";
    if (code === ICMP6.DST_UNREACH_ADMIN) return "!X";
    if (code === ICMP6.DST_UNREACH_ADDR) return "!H";
    return `!<${code}>`;
  }
  if (type !== ICMP.DEST_UNREACH || code === ICMP.PORT_UNREACH) return "";
  if (code === ICMP.HOST_UNREACH) return "!H";
  if (code === ICMP.NET_UNREACH) return "!N";
  if (code === ICMP.PROT_UNREACH) return "!P";
  if (code === ICMP.FRAG_NEEDED) return "!F";
  if (code === ICMP.PKT_FILTERED) return "!X";
  return `!<${code}>`;
}

/**
 * Traces the route to `host`: sends probes with TTL 1, 2, ... and reports
 * who answered each (an ICMP time-exceeded from each router, then port
 * unreachable or echo reply from the destination), read from the error queue
 * (IP_RECVERR / IPV6_RECVERR). UDP probes (the default) need no privilege;
 * ICMP probes use a ping or raw socket as {@link ping} does. Stops at the
 * destination, at an unreachable answer, or after `maxHops`. Does not
 * correspond to a single syscall: socket(2), setsockopt(2) (IP_TTL), sendto(2),
 * recvmsg(2) with MSG_ERRQUEUE.
 *
 * Notes: routers rate-limit ICMP errors (net.ipv4.icmp_ratelimit), so a probe
 * can go unanswered ("*") although the path works.
 *
 * @see https://man7.org/linux/man-pages/man7/ip.7.html
 * @see https://man7.org/linux/man-pages/man8/traceroute.8.html
 * @throws TypeError/RangeError ERR_* for bad arguments (at once); ResolveError
 *   EAI_NONAME, EAI_AGAIN for an unknown host name; AbortError
 *   when `signal` aborts; SocketError from socket(2)/sendto(2) (ENETUNREACH,
 *   EACCES/EPERM for ICMP without a ping socket or CAP_NET_RAW).
 */
export function traceroute(host: string, options: TracerouteOptions = {}): Promise<TracerouteResult> {
  if (typeof options !== "object" || options === null) {
    throw codedError("ERR_INVALID_ARG_TYPE", `options must be an object, got ${raw.describe(options)}`);
  }
  const target = checkTarget(host, options.family);
  const maxHops = checkNumber(options.maxHops ?? 30, "maxHops", 1, 255);
  const firstHop = checkNumber(options.firstHop ?? 1, "firstHop", 1, maxHops);
  const queries = checkNumber(options.queries ?? 3, "queries", 1, 10);
  const timeout = checkNumber(options.timeout ?? 1000, "timeout", 1, 3600_000, false);
  const port = checkNumber(options.port ?? 33434, "port", 1, 0xffff);
  const protocol = options.protocol ?? "udp";
  if (protocol !== "udp" && protocol !== "icmp") {
    throw codedError("ERR_INVALID_ARG_VALUE", `protocol must be "udp" or "icmp", got ${raw.describe(protocol)}`);
  }
  if (protocol === "udp" && port + (maxHops - firstHop + 1) * queries - 1 > 0xffff) {
    throw codedError("ERR_OUT_OF_RANGE", `port ${port} leaves no room for ${maxHops * queries} probe ports`);
  }
  const signal = checkSignal(options.signal);
  if (options.onHop !== undefined && typeof options.onHop !== "function") {
    throw codedError("ERR_INVALID_ARG_TYPE", "onHop must be a function");
  }
  const mode = options.mode ?? "auto";
  const go = (t: IcmpTarget): Promise<TracerouteResult> =>
    runTrace(host, t, {
      maxHops,
      firstHop,
      queries,
      timeout,
      port,
      protocol,
      signal,
      mode,
      onHop: options.onHop,
    });
  return target ? go(target) : resolveIcmpTarget(host, options.family).then(go);
}

/** The probe transport: sends probe `n` with the current TTL; answers arrive through `answer(n, ...)`. */
interface Prober {
  setTtl(ttl: number): void;
  send(n: number): Promise<void>;
  close(): Promise<void>;
  failure(): Promise<never>;
}

function udpProber(target: IcmpTarget, basePort: number, answer: (n: number, a: ProbeAnswer) => void): Prober {
  const v6 = target.family === "inet6";
  const sock = new Socket(target.family, "dgram", "udp");
  const stop = new AbortController();
  try {
    if (v6) sock.setsockopt("IPPROTO_IPV6", "IPV6_RECVERR", true);
    else sock.setsockopt("IPPROTO_IP", "IP_RECVERR", true);
  } catch (e) {
    sock.close();
    throw e;
  }
  const loop = (async (): Promise<void> => {
    for (;;) {
      let m: ReceivedMessage;
      try {
        m = await sock.recvmsg({ size: 512, flags: MSG.ERRQUEUE, signal: stop.signal });
      } catch (e) {
        if (stop.signal.aborted || sock.closed) return;
        throw e;
      }
      const err = m.error;
      if (!err || (err.origin !== "icmp" && err.origin !== "icmp6")) continue;
      if (!m.address || !("port" in m.address)) continue;
      const from = err.offender && "address" in err.offender ? err.offender.address : null;
      answer(m.address.port - basePort, { from, type: err.type, code: err.icmpCode });
    }
  })();
  // The probes carry nothing but their port; 32 bytes as traceroute sends.
  const payload = Buffer.alloc(32);
  return {
    setTtl(ttl) {
      if (v6) sock.setsockopt("IPPROTO_IPV6", "IPV6_UNICAST_HOPS", ttl);
      else sock.setsockopt("IPPROTO_IP", "IP_TTL", ttl);
    },
    async send(n) {
      const port = basePort + n;
      const dest: SocketAddress = v6
        ? { family: "inet6", address: target.address, port, flowinfo: 0, scopeId: target.scopeId ?? 0 }
        : { family: "inet", address: target.address, port };
      await sendPast(sock, payload, dest);
    },
    async close() {
      stop.abort();
      sock.close();
      await Promise.allSettled([loop]);
    },
    failure: () => loop.then(() => new Promise<never>(() => {})),
  };
}

function icmpProber(target: IcmpTarget, mode: IcmpMode, answer: (n: number, a: ProbeAnswer) => void): Prober {
  const v6 = target.family === "inet6";
  const echoReply = v6 ? ICMP6.ECHO_REPLY : ICMP.ECHOREPLY;
  const session = new EchoSession(target, mode, {
    reply: (seq, from, _bytes, _ttl, rx) =>
      answer(seq, { from, type: echoReply, code: 0, ...(rx !== undefined ? { rx } : {}) }),
    error: (seq, from, type, code) => answer(seq, { from, type, code }),
  });
  session.start();
  const payload = Buffer.alloc(32);
  return {
    setTtl: (ttl) => session.setTtl(ttl),
    send: (n) => session.send(n, payload),
    close: () => session.close(),
    failure: () => session.failure(),
  };
}

async function runTrace(
  host: string,
  target: IcmpTarget,
  o: {
    maxHops: number;
    firstHop: number;
    queries: number;
    timeout: number;
    port: number;
    protocol: "udp" | "icmp";
    signal: AbortSignal | undefined;
    mode: IcmpMode;
    onHop: ((hop: TracerouteHop) => void) | undefined;
  },
): Promise<TracerouteResult> {
  if (o.signal?.aborted) throw new AbortError(undefined, { cause: o.signal.reason });
  const v6 = target.family === "inet6";
  const waiting = new Map<number, (a: ProbeAnswer) => void>();
  const answer = (n: number, a: ProbeAnswer): void => waiting.get(n)?.(a);
  const prober = o.protocol === "udp" ? udpProber(target, o.port, answer) : icmpProber(target, o.mode, answer);
  const hops: TracerouteHop[] = [];
  let reached = false;
  const stop = new AbortController();
  let failure: unknown;
  prober.failure().catch((e: unknown) => {
    failure = e;
    stop.abort();
  });
  const onAbort = (): void => stop.abort();
  o.signal?.addEventListener("abort", onAbort, { once: true });
  // ICMP probes are numbered from 1 (sequence), UDP probes from 0 (port offset).
  let next = o.protocol === "icmp" ? 1 : 0;
  try {
    for (let ttl = o.firstHop; ttl <= o.maxHops && !reached; ttl++) {
      prober.setTtl(ttl);
      const pending: Promise<TracerouteProbe>[] = [];
      for (let q = 0; q < o.queries; q++) {
        const n = next++;
        const t0 = process.hrtime.bigint();
        const real = raw.clockRealtimeNs();
        pending.push(
          new Promise<TracerouteProbe>((resolve) => {
            const finish = (p: TracerouteProbe): void => {
              clearTimeout(timer);
              waiting.delete(n);
              stop.signal.removeEventListener("abort", onStop);
              resolve(p);
            };
            const onStop = (): void => finish({ address: null, time: null, note: "" });
            const timer = setTimeout(onStop, o.timeout);
            stop.signal.addEventListener("abort", onStop, { once: true });
            waiting.set(n, (a) =>
              finish({
                address: a.from,
                time: Math.min(
                  Number(process.hrtime.bigint() - t0) / 1e6,
                  a.rx !== undefined ? Math.max(0, Number(a.rx - real) / 1e6) : Infinity,
                ),
                type: a.type,
                code: a.code,
                note: note(v6, a.type, a.code),
              }),
            );
          }),
        );
        await prober.send(n);
      }
      const probes = await Promise.all(pending);
      if (stop.signal.aborted) break;
      const hop: TracerouteHop = { ttl, probes };
      hops.push(hop);
      o.onHop?.(hop);
      const timeExceeded = v6 ? ICMP6.TIME_EXCEEDED : ICMP.TIME_EXCEEDED;
      // Anything but "time exceeded" comes from the end of the path (or stops it).
      if (probes.some((p) => p.type !== undefined && p.type !== timeExceeded)) {
        reached = probes.some((p) => p.type !== undefined && p.type !== timeExceeded && p.note === "");
        if (!reached) break;
      }
    }
  } finally {
    o.signal?.removeEventListener("abort", onAbort);
    await prober.close();
  }
  if (failure !== undefined) throw failure;
  if (o.signal?.aborted) throw new AbortError(undefined, { cause: o.signal.reason });
  return { host, address: target.address, family: target.family, protocol: o.protocol, hops, reached };
}
