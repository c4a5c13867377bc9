/**
 * `createConnection`: resolve a host name, then connect with Happy Eyeballs
 * version 2 (RFC 8305) — the addresses of both families interleaved, a new
 * attempt every 250 ms (or at once when one fails), the first to connect wins
 * and every other attempt's socket is closed.
 *
 * Simplifications of RFC 8305, stated: the AAAA and A queries are one
 * getaddrinfo(3) call (the system resolver asks both and orders them by RFC
 * 6724), so §3's "resolution delay" does not apply; the "First Address Family
 * Count" is 1 (§4).
 */
import { onAbort } from "./abort.js";
import { type SocketAddress, encodeSockaddr, errorContext } from "./address.js";
import { AbortError, SocketError, codedError, ERRNO } from "./errors.js";
import { type AddrInfo, getaddrinfo } from "./resolver.js";
import { describe } from "./raw/index.js";
import { Socket } from "./socket.js";

const ETIMEDOUT = -ERRNO.ETIMEDOUT!;

/** One socket option set before connect: [level, name, value], as `Socket.setsockopt` takes them. */
export type SocketOptionEntry = [level: string | number, name: string | number, value: unknown];

/** Options of {@link createConnection}. */
export interface ConnectionOptions {
  /** Only this family: "inet" or "inet6" (default: both, Happy Eyeballs). */
  family?: "inet" | "inet6";
  /** Rejects with SocketError ETIMEDOUT when no attempt has connected within this many ms (resolution included). */
  timeout?: number;
  /** Rejects with an AbortError (every attempt closed) when aborted. */
  signal?: AbortSignal;
  /** The local address to bind before connecting ("192.0.2.1", "::1"); only addresses of its family are tried. */
  localAddress?: string;
  /** The local port to bind (with or without localAddress); default 0 (the kernel picks). */
  localPort?: number;
  /** RFC 8305 "Connection Attempt Delay" in ms (default 250; the RFC allows 100..2000, any >= 10 here). */
  attemptDelay?: number;
  /** Socket options applied to each attempt's socket before connect(2), in order. */
  socketOptions?: SocketOptionEntry[];
  /** TCP_NODELAY on the connected socket's attempts (set before connect). */
  noDelay?: boolean;
  /** SO_KEEPALIVE on each attempt (set before connect). */
  keepAlive?: boolean;
}

/** Sorts resolved addresses as RFC 8305 §4 says: alternate families, starting with the first result's. */
export function interleave<T extends { family: unknown }>(list: readonly T[]): T[] {
  if (list.length === 0) return [];
  const first = list[0]!.family;
  const a = list.filter((x) => x.family === first);
  const b = list.filter((x) => x.family !== first);
  const out: T[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (i < a.length) out.push(a[i]!);
    if (i < b.length) out.push(b[i]!);
  }
  return out;
}

function checkOptions(host: unknown, port: unknown, o: unknown): ConnectionOptions {
  if (typeof host !== "string" || host === "")
    throw codedError(
      "ERR_INVALID_ARG_TYPE",
      `createConnection: host must be a non-empty string, got ${describe(host)}`,
    );
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535)
    throw codedError("ERR_OUT_OF_RANGE", `createConnection: port must be an integer 0-65535, got ${describe(port)}`);
  if (o === undefined) return {};
  if (o === null || typeof o !== "object")
    throw codedError("ERR_INVALID_ARG_TYPE", `createConnection: options must be an object, got ${describe(o)}`);
  const opts = o as ConnectionOptions;
  if (opts.family !== undefined && opts.family !== "inet" && opts.family !== "inet6")
    throw codedError(
      "ERR_INVALID_ARG_VALUE",
      `createConnection: options.family must be "inet" or "inet6", got ${describe(opts.family)}`,
    );
  if (
    opts.timeout !== undefined &&
    (typeof opts.timeout !== "number" || !(opts.timeout >= 0) || opts.timeout > 0x7fffffff)
  )
    throw codedError(
      "ERR_OUT_OF_RANGE",
      `createConnection: options.timeout must be ms >= 0, got ${describe(opts.timeout)}`,
    );
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal))
    throw codedError("ERR_INVALID_ARG_TYPE", `createConnection: options.signal must be an AbortSignal`);
  if (
    opts.attemptDelay !== undefined &&
    (typeof opts.attemptDelay !== "number" || !(opts.attemptDelay >= 10) || opts.attemptDelay > 0x7fffffff)
  )
    throw codedError(
      "ERR_OUT_OF_RANGE",
      `createConnection: options.attemptDelay must be ms >= 10, got ${describe(opts.attemptDelay)}`,
    );
  if (opts.localAddress !== undefined && typeof opts.localAddress !== "string")
    throw codedError("ERR_INVALID_ARG_TYPE", `createConnection: options.localAddress must be a string`);
  if (
    opts.localPort !== undefined &&
    (typeof opts.localPort !== "number" ||
      !Number.isInteger(opts.localPort) ||
      opts.localPort < 0 ||
      opts.localPort > 65535)
  )
    throw codedError("ERR_OUT_OF_RANGE", `createConnection: options.localPort must be an integer 0-65535`);
  if (opts.socketOptions !== undefined) {
    if (!Array.isArray(opts.socketOptions) || !opts.socketOptions.every((e) => Array.isArray(e) && e.length === 3))
      throw codedError(
        "ERR_INVALID_ARG_TYPE",
        "createConnection: options.socketOptions must be an array of [level, name, value] triples",
      );
  }
  return opts;
}

/** The local address to bind for an attempt of `family`, or undefined when none was asked. */
function localFor(opts: ConnectionOptions, family: "inet" | "inet6"): SocketAddress | undefined {
  if (opts.localAddress === undefined && opts.localPort === undefined) return undefined;
  const port = opts.localPort ?? 0;
  const address = opts.localAddress ?? (family === "inet" ? "0.0.0.0" : "::");
  return family === "inet" ? { family, address, port } : { family, address, port };
}

/**
 * Resolves `host` and connects a stream socket to `port` on it, trying the
 * addresses with Happy Eyeballs v2 (RFC 8305): families interleaved, the next
 * attempt started every `attemptDelay` ms (250) or as soon as one fails, the
 * first connection wins and every other attempt is closed at once. Socket
 * options (`socketOptions`, `noDelay`, `keepAlive`) and the local address are
 * applied to each attempt before connect(2). Returns the connected Socket.
 * Does not correspond to a single syscall: getaddrinfo(3), then socket(2),
 * setsockopt(2), bind(2) and connect(2) per attempt.
 * @see https://www.rfc-editor.org/rfc/rfc8305
 * @see https://man7.org/linux/man-pages/man2/connect.2.html
 * @throws SocketError ECONNREFUSED, ETIMEDOUT (options.timeout), ENETUNREACH, EHOSTUNREACH,
 *   EADDRNOTAVAIL (localAddress) — the error of the first address tried when every
 *   attempt fails, with every attempt's error in `errors`; ResolveError EAI_NONAME,
 *   EAI_AGAIN ...; AbortError; TypeError/RangeError ERR_* for bad arguments (at once).
 */
export function createConnection(host: string, port: number, options?: ConnectionOptions): Promise<Socket> {
  const opts = checkOptions(host, port, options);
  return happyEyeballs(host, port, opts);
}

async function happyEyeballs(host: string, port: number, opts: ConnectionOptions): Promise<Socket> {
  const { signal } = opts;
  if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
  // One controller ends everything: the overall timeout, the caller's signal, a winner.
  const stop = new AbortController();
  let failure: unknown;
  const end = (err: unknown): void => {
    if (stop.signal.aborted) return;
    failure = err;
    stop.abort(err);
  };
  const cancelAbort = signal
    ? onAbort(signal, () => end(new AbortError(undefined, { cause: signal.reason })))
    : undefined;
  const timer =
    opts.timeout === undefined
      ? undefined
      : setTimeout(
          () =>
            end(
              new SocketError(
                ETIMEDOUT,
                "connect",
                { address: host, port },
                `connect ETIMEDOUT ${host}:${port}: no connection within ${opts.timeout} ms`,
              ),
            ),
          opts.timeout,
        );
  try {
    const resolving = getaddrinfo(host, port, {
      socktype: "stream",
      family:
        opts.family ??
        (opts.localAddress === undefined ? "unspec" : opts.localAddress.includes(":") ? "inet6" : "inet"),
    });
    const list = await Promise.race([
      resolving,
      new Promise<never>((_, reject) => {
        if (stop.signal.aborted) reject(failure);
        stop.signal.addEventListener("abort", () => reject(failure), { once: true });
      }),
    ]);
    const candidates = interleave(
      list.filter((a): a is AddrInfo & { family: "inet" | "inet6" } => a.family === "inet" || a.family === "inet6"),
    );
    // getaddrinfo gives one entry per address for socktype "stream"; drop exact duplicates anyway.
    const seen = new Set<string>();
    const unique = candidates.filter((a) => {
      const key = JSON.stringify(a.address);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    return await race(unique, opts, stop);
  } catch (e) {
    throw stop.signal.aborted && failure !== undefined ? failure : e;
  } finally {
    if (timer) clearTimeout(timer);
    cancelAbort?.();
    if (!stop.signal.aborted) stop.abort();
  }
}

/** Runs the staggered attempts; resolves with the winner, every loser closed. */
function race(
  candidates: readonly (AddrInfo & { family: "inet" | "inet6" })[],
  opts: ConnectionOptions,
  stop: AbortController,
): Promise<Socket> {
  const delay = opts.attemptDelay ?? 250;
  return new Promise<Socket>((resolve, reject) => {
    const live = new Set<Socket>();
    const errors: unknown[] = new Array(candidates.length);
    let next = 0;
    let pending = 0;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;

    const finish = (winner: Socket | undefined, err?: unknown): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      stop.signal.removeEventListener("abort", onStop);
      for (const s of live) if (s !== winner) s.close(); // pending connects reject ERR_SOCKET_CLOSED; ignored
      live.clear();
      if (winner) resolve(winner);
      else reject(err);
    };
    const onStop = (): void => finish(undefined, stop.signal.reason);
    if (stop.signal.aborted) {
      reject(stop.signal.reason);
      return;
    }
    stop.signal.addEventListener("abort", onStop, { once: true });

    const allFailed = (): void => {
      const list = errors.filter((e) => e !== undefined);
      const first = list[0] ?? new SocketError(-ERRNO.EADDRNOTAVAIL!, "connect", {}, "connect: no address to try");
      // Always attached, even for one attempt (or none): callers read `errors`
      // without first checking how many addresses the name had.
      if (first instanceof Error)
        Object.defineProperty(first, "errors", { value: list, enumerable: false, configurable: true });
      finish(undefined, first);
    };

    const start = (): void => {
      if (settled) return;
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (next >= candidates.length) {
        if (pending === 0) allFailed();
        return;
      }
      const i = next++;
      const c = candidates[i]!;
      pending++;
      let s: Socket | undefined;
      try {
        s = new Socket(c.family, "stream");
        live.add(s);
        if (opts.noDelay !== undefined) s.setsockopt("IPPROTO_TCP", "TCP_NODELAY", opts.noDelay as never);
        if (opts.keepAlive !== undefined) s.setsockopt("SOL_SOCKET", "SO_KEEPALIVE", opts.keepAlive as never);
        for (const [level, name, value] of opts.socketOptions ?? []) s.setsockopt(level, name, value as never);
        const local = localFor(opts, c.family);
        if (local) s.bind(local);
        // Validate the target now, so a bad address fails this attempt synchronously.
        encodeSockaddr(c.address, "connect");
      } catch (e) {
        pending--;
        errors[i] = e;
        if (s) {
          live.delete(s);
          s.close();
        }
        queueMicrotask(start);
        return;
      }
      const sock = s;
      sock.connect(c.address).then(
        () => {
          pending--;
          if (settled) {
            sock.close();
            return;
          }
          finish(sock);
        },
        (e: unknown) => {
          pending--;
          live.delete(sock);
          sock.close();
          if (settled) return;
          errors[i] = e instanceof SocketError && e.address === undefined ? withAddress(e, c.address) : e;
          // RFC 8305 §5: a failed attempt starts the next one at once.
          start();
        },
      );
      if (next < candidates.length) timer = setTimeout(start, delay);
    };
    start();
  });
}

function withAddress(e: SocketError, addr: SocketAddress): SocketError {
  return new SocketError(e.errno, e.syscall, errorContext(addr));
}
