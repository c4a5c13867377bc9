/**
 * `createServer`: the listening sockets a server needs, set up the way servers
 * are set up in practice — dual-stack by default, SO_REUSEADDR, optional
 * SO_REUSEPORT, Unix socket files with a mode and owner and the stale-file
 * check — plus an accept loop as an async iterator with a cap on how many
 * accepted connections may be open at once.
 */
import { chmodSync, chownSync, lstatSync, unlinkSync } from "node:fs";
import { type SocketAddress } from "./address.js";
import { ERRNO, SocketError, codedError } from "./errors.js";
import { AI, getaddrinfo } from "./resolver.js";
import { describe } from "./raw/index.js";
import { Socket, releaseHooks } from "./socket.js";
import { DEFAULT_BACKLOG, checkBacklog } from "./validate.js";
import { isStaleSocket } from "./stale.js";

const EADDRINUSE = -ERRNO.EADDRINUSE!;
const EAFNOSUPPORT = -ERRNO.EAFNOSUPPORT!;

/** accept(2) errors that mean "out of a resource, try again later" (see Server#backOff). */
const RESOURCE_ERRORS: ReadonlySet<string> = new Set(["EMFILE", "ENFILE", "ENOBUFS", "ENOMEM"]);
/** The accept back-off: first delay and cap (Go's net/http: 5 ms doubling to 1 s). */
const BACKOFF_MIN_MS = 5;
const BACKOFF_MAX_MS = 1000;

/** Options of {@link createServer}: `port` (with an optional `host`) or `path`. */
export interface ServerOptions {
  /** Host name or address to listen on; absent: every address, both families (dual-stack). */
  host?: string;
  /** TCP port (0: the kernel picks one; with several sockets, the first one's port is used for all). */
  port?: number;
  /** A Unix socket path ("/run/x.sock"), or an abstract name ("@name" or "\0name"). */
  path?: string;
  /** "stream" (default) or "seqpacket" (Unix only). */
  type?: "stream" | "seqpacket";
  /** listen(2) backlog (default SOMAXCONN, as Socket.listen; negative is taken as 0, as POSIX says). */
  backlog?: number;
  /** SO_REUSEPORT on every listening socket (several processes share the port). */
  reusePort?: boolean;
  /** SO_REUSEADDR (default true for TCP: restart while old connections sit in TIME_WAIT). */
  reuseAddress?: boolean;
  /** IPV6_V6ONLY on IPv6 sockets. Default false for the wildcard (one socket serves both families). */
  ipv6Only?: boolean;
  /** Unix socket file mode, applied with chmod(2) after bind (e.g. 0o660). */
  mode?: number;
  /** Unix socket file owner, applied with chown(2) after bind. */
  owner?: { uid?: number; gid?: number };
  /** At most this many accepted connections open at once: the accept loop waits for one to close. Default Infinity. */
  maxConnections?: number;
}

function checkServerOptions(o: unknown): ServerOptions {
  if (o === null || typeof o !== "object")
    throw codedError("ERR_INVALID_ARG_TYPE", `createServer: options must be an object, got ${describe(o)}`);
  const opts = o as ServerOptions;
  const hasPath = opts.path !== undefined;
  if (hasPath && (opts.port !== undefined || opts.host !== undefined))
    throw codedError("ERR_INVALID_ARG_VALUE", "createServer: give either path or host/port, not both");
  if (hasPath && (typeof opts.path !== "string" || opts.path === ""))
    throw codedError(
      "ERR_INVALID_ARG_TYPE",
      `createServer: path must be a non-empty string, got ${describe(opts.path)}`,
    );
  if (!hasPath && opts.port === undefined)
    throw codedError("ERR_INVALID_ARG_VALUE", "createServer: a port (or a path) is required");
  if (
    opts.port !== undefined &&
    (typeof opts.port !== "number" || !Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535)
  )
    throw codedError("ERR_OUT_OF_RANGE", `createServer: port must be an integer 0-65535, got ${describe(opts.port)}`);
  if (opts.host !== undefined && typeof opts.host !== "string")
    throw codedError("ERR_INVALID_ARG_TYPE", `createServer: host must be a string, got ${describe(opts.host)}`);
  if (opts.type !== undefined && opts.type !== "stream" && opts.type !== "seqpacket")
    throw codedError("ERR_INVALID_ARG_VALUE", `createServer: type must be "stream" or "seqpacket"`);
  if (opts.type === "seqpacket" && !hasPath)
    throw codedError("ERR_INVALID_ARG_VALUE", "createServer: seqpacket servers need a Unix path");
  if (opts.backlog !== undefined) checkBacklog(opts.backlog, "createServer");
  if (
    opts.mode !== undefined &&
    (typeof opts.mode !== "number" || !Number.isInteger(opts.mode) || opts.mode < 0 || opts.mode > 0o7777)
  )
    throw codedError("ERR_OUT_OF_RANGE", `createServer: mode must be an integer 0..0o7777, got ${describe(opts.mode)}`);
  if (opts.maxConnections !== undefined && (typeof opts.maxConnections !== "number" || !(opts.maxConnections >= 1)))
    throw codedError(
      "ERR_OUT_OF_RANGE",
      `createServer: maxConnections must be >= 1, got ${describe(opts.maxConnections)}`,
    );
  if ((opts.mode !== undefined || opts.owner !== undefined) && !hasPath)
    throw codedError("ERR_INVALID_ARG_VALUE", "createServer: mode and owner apply to Unix socket paths only");
  return opts;
}

/**
 * Listening sockets with an accept loop. `for await (const conn of server)`
 * accepts connections from every listening socket; while `maxConnections`
 * accepted sockets are open, it waits until one is closed (or detached).
 * `close()` closes the listening sockets, ends the loop and removes the Unix
 * socket file it created.
 */
export class Server implements AsyncIterable<Socket> {
  /** The listening sockets (one for a dual-stack wildcard or a Unix path; one per address otherwise). */
  readonly sockets: readonly Socket[];
  readonly #maxConnections: number;
  readonly #unlinkPath: string | undefined;
  readonly #inode: number | undefined;
  #active = 0;
  #closed = false;
  #slotWaiters: (() => void)[] = [];
  #queue: Socket[] = [];
  #takers: { resolve: (s: Socket | null) => void; reject: (e: unknown) => void }[] = [];
  #accepting = new Set<Socket>();
  #error: unknown;
  /** Accept back-off while the process (or system) is out of fds or memory: see #backOff. */
  #backoffDelay = 0;
  /** When accept last failed for want of a resource: an episode ends after 10 s without one. */
  #lastResourceError = -Infinity;
  #backoffTimers = new Set<NodeJS.Timeout>();

  /** @internal Use {@link createServer}. */
  constructor(sockets: Socket[], maxConnections: number, unlinkPath?: string) {
    this.sockets = sockets;
    this.#maxConnections = maxConnections;
    this.#unlinkPath = unlinkPath;
    if (unlinkPath !== undefined) {
      try {
        this.#inode = lstatSync(unlinkPath).ino;
      } catch {
        this.#inode = undefined;
      }
    }
  }

  /**
   * Returns the address of the first listening socket (see `sockets` for every one).
   * Wraps `getsockname(2)`.
   * @see https://man7.org/linux/man-pages/man2/getsockname.2.html
   * @throws Error ERR_SOCKET_CLOSED after close().
   */
  address(): SocketAddress {
    return this.sockets[0]!.getsockname();
  }

  /** True once close() has run. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Accepted connections still open (counted against maxConnections). */
  get connections(): number {
    return this.#active;
  }

  /**
   * Waits for the next connection (honouring maxConnections) and returns it,
   * or null once the server is closed. Does not correspond to a single
   * syscall: accept4(2) on whichever listening socket is ready first.
   * @see https://man7.org/linux/man-pages/man2/accept4.2.html
   * Notes: out of fds or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM) it does not
   * throw: it backs off (5 ms doubling to 1 s), emits one process warning
   * (SOCKIT_ACCEPT_BACKOFF) per episode, and goes on when fds free up;
   * ECONNABORTED and EPROTO (a client gone before accept) are skipped.
   * @throws SocketError for other accept(2) failures.
   */
  async accept(): Promise<Socket | null> {
    if (this.#closed) return null;
    while (this.#active >= this.#maxConnections) {
      await new Promise<void>((r) => this.#slotWaiters.push(r));
      if (this.#closed) return null;
    }
    const s = this.#queue.shift();
    if (s) return this.#track(s);
    if (this.#error !== undefined) {
      const e = this.#error;
      this.#error = undefined;
      throw e;
    }
    const got = await new Promise<Socket | null>((resolve, reject) => {
      this.#takers.push({ resolve, reject });
      this.#pump();
    });
    return got === null ? null : this.#track(got);
  }

  /** Keeps one accept pending on every listening socket while someone waits. */
  #pump(): void {
    for (const l of this.sockets) {
      if (this.#accepting.has(l) || l.closed) continue;
      this.#accepting.add(l);
      l.accept().then(
        (conn) => {
          this.#accepting.delete(l);
          if (this.#closed) {
            conn.close();
            return;
          }
          this.#backoffDelay = 0;
          const t = this.#takers.shift();
          if (t) t.resolve(conn);
          else this.#queue.push(conn);
          if (this.#takers.length > 0) this.#pump();
        },
        (e: unknown) => {
          this.#accepting.delete(l);
          if (this.#closed) return;
          // A connection reset before accept: not the server's failure.
          if (e instanceof SocketError && (e.code === "ECONNABORTED" || e.code === "EPROTO")) {
            if (this.#takers.length > 0) this.#pump();
            return;
          }
          if (e instanceof SocketError && RESOURCE_ERRORS.has(e.code)) {
            this.#backOff(l, e);
            return;
          }
          const t = this.#takers.shift();
          if (t) t.reject(e);
          else this.#error = e;
        },
      );
    }
  }

  /**
   * Out of fds (EMFILE, ENFILE) or kernel memory (ENOBUFS, ENOMEM): the
   * connection stays in the backlog and the listening socket stays readable,
   * so retrying at once would spin. Wait — 5 ms, doubling to 1 s, as Go's
   * net/http — then try again; the first failure of an episode is reported
   * once (a process warning, code SOCKIT_ACCEPT_BACKOFF; an episode ends after
   * 10 s without such a failure, so a server hovering at its limit does not
   * repeat it), and each accept that succeeds resets the delay. The loop neither spins nor ends:
   * clients wait in the backlog until fds free up.
   */
  #backOff(l: Socket, e: SocketError): void {
    const now = performance.now();
    const newEpisode = now - this.#lastResourceError > 10_000;
    this.#lastResourceError = now;
    if (newEpisode) {
      process.emitWarning(
        `${e.message}: out of ${e.code === "ENOBUFS" || e.code === "ENOMEM" ? "memory" : "file descriptors"}; ` +
          `accept backs off (${BACKOFF_MIN_MS} ms doubling to ${BACKOFF_MAX_MS} ms) and resumes when they free up`,
        { type: "SockitWarning", code: "SOCKIT_ACCEPT_BACKOFF" },
      );
    }
    this.#backoffDelay = Math.min(Math.max(this.#backoffDelay * 2, BACKOFF_MIN_MS), BACKOFF_MAX_MS);
    // Still counted as accepting, so #pump does not retry this socket before the timer.
    this.#accepting.add(l);
    const timer = setTimeout(() => {
      this.#backoffTimers.delete(timer);
      this.#accepting.delete(l);
      if (!this.#closed && this.#takers.length > 0) this.#pump();
    }, this.#backoffDelay);
    this.#backoffTimers.add(timer);
  }

  /** Counts `s` as active until it is closed or detached. */
  #track(s: Socket): Socket {
    this.#active++;
    let done = false;
    const release = (): void => {
      if (done) return;
      done = true;
      this.#active--;
      this.#slotWaiters.shift()?.();
    };
    let set = releaseHooks.get(s);
    if (set === undefined) releaseHooks.set(s, (set = new Set()));
    set.add(release);
    return s;
  }

  /**
   * Accepts connections until the server is closed (see {@link Server.accept}).
   * Does not correspond to a single syscall.
   * @see https://man7.org/linux/man-pages/man2/accept4.2.html
   * @throws SocketError as {@link Server.accept} (never for EMFILE/ENFILE/ENOBUFS/ENOMEM: it backs off).
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<Socket, void, undefined> {
    for (;;) {
      const s = await this.accept();
      if (s === null) return;
      yield s;
    }
  }

  /**
   * Closes every listening socket (accepted connections stay open), ends the
   * accept loop, and unlinks the Unix socket file this server created (only if
   * it is still the same file). Idempotent. Wraps `close(2)` and `unlink(2)`.
   * @see https://man7.org/linux/man-pages/man2/close.2.html
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#backoffTimers) clearTimeout(t);
    this.#backoffTimers.clear();
    for (const s of this.sockets) s.close();
    for (const s of this.#queue.splice(0)) s.close();
    for (const t of this.#takers.splice(0)) t.resolve(null);
    for (const w of this.#slotWaiters.splice(0)) w();
    if (this.#unlinkPath !== undefined && this.#inode !== undefined) {
      try {
        if (lstatSync(this.#unlinkPath).ino === this.#inode) unlinkSync(this.#unlinkPath);
      } catch {
        // Already gone.
      }
    }
  }

  /** Closes the server (for `await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }
}

/**
 * Creates listening sockets and returns a {@link Server}.
 *
 * - `{ port }` (no host): one IPv6 socket on `::` with IPV6_V6ONLY off, which
 *   takes IPv4 connections too (as v4-mapped addresses); on a host without
 *   IPv6, one IPv4 socket on 0.0.0.0.
 * - `{ host, port }`: the host is resolved (AI_PASSIVE) and one socket is bound
 *   per address ("localhost" may give 127.0.0.1 and ::1); with port 0 the
 *   first socket's port is reused for the rest.
 * - `{ path }`: a Unix socket. If the path exists and is a socket that nothing
 *   listens on (connect gives ECONNREFUSED), the stale file is removed and the
 *   bind retried; if something listens, EADDRINUSE. `mode` and `owner` are
 *   applied to the new file. Abstract names ("@name") have no file.
 *
 * Does not correspond to a single syscall: socket(2), setsockopt(2), bind(2),
 * listen(2) (and getaddrinfo(3), connect(2), unlink(2), chmod(2), chown(2)).
 * @see https://man7.org/linux/man-pages/man2/listen.2.html
 * @see https://man7.org/linux/man-pages/man7/unix.7.html
 * @throws SocketError EADDRINUSE, EACCES, EADDRNOTAVAIL, ENOENT (directory missing);
 *   ResolveError for a host that does not resolve; TypeError/RangeError ERR_* (at once).
 */
export function createServer(options: ServerOptions): Promise<Server> {
  const opts = checkServerOptions(options);
  return opts.path !== undefined ? Promise.resolve().then(() => unixServer(opts)) : inetServer(opts);
}

function listenAll(sockets: Socket[], opts: ServerOptions): Server {
  for (const s of sockets) s.listen(opts.backlog ?? DEFAULT_BACKLOG);
  return new Server(sockets, opts.maxConnections ?? Infinity, undefined);
}

function prepare(s: Socket, opts: ServerOptions): void {
  if (opts.reuseAddress ?? true) s.setsockopt("SOL_SOCKET", "SO_REUSEADDR", true as never);
  if (opts.reusePort) s.setsockopt("SOL_SOCKET", "SO_REUSEPORT", true as never);
}

async function inetServer(opts: ServerOptions): Promise<Server> {
  const sockets: Socket[] = [];
  try {
    if (opts.host === undefined) {
      let s: Socket;
      try {
        s = new Socket("inet6", "stream");
      } catch (e) {
        if (!(e instanceof SocketError && e.errno === EAFNOSUPPORT)) throw e;
        s = new Socket("inet", "stream");
      }
      sockets.push(s);
      prepare(s, opts);
      if (s.family === "inet6") {
        s.setsockopt("IPPROTO_IPV6", "IPV6_V6ONLY", (opts.ipv6Only ?? false) as never);
        s.bind({ family: "inet6", address: "::", port: opts.port! });
      } else s.bind({ family: "inet", address: "0.0.0.0", port: opts.port! });
      return listenAll(sockets, opts);
    }
    const list = await getaddrinfo(opts.host, opts.port!, { socktype: "stream", flags: AI.AI_PASSIVE });
    let port = opts.port!;
    const seen = new Set<string>();
    for (const a of list) {
      if (a.family !== "inet" && a.family !== "inet6") continue;
      const addr = a.address as { family: "inet" | "inet6"; address: string; port: number };
      const key = `${addr.family} ${addr.address}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const s = new Socket(a.family, "stream");
      sockets.push(s);
      prepare(s, opts);
      // Each socket serves its own family: "::" next to "0.0.0.0" would otherwise collide.
      if (a.family === "inet6") s.setsockopt("IPPROTO_IPV6", "IPV6_V6ONLY", (opts.ipv6Only ?? true) as never);
      s.bind({ ...addr, port });
      if (port === 0) port = (s.getsockname() as { port: number }).port;
    }
    if (sockets.length === 0)
      throw new SocketError(
        -ERRNO.EADDRNOTAVAIL!,
        "bind",
        { address: opts.host },
        `bind EADDRNOTAVAIL ${opts.host}: no IP address`,
      );
    return listenAll(sockets, opts);
  } catch (e) {
    for (const s of sockets) s.close();
    throw e;
  }
}

function isAbstract(path: string): boolean {
  return path.startsWith("@") || path.startsWith("\0");
}

async function unixServer(opts: ServerOptions): Promise<Server> {
  const path = opts.path!;
  const type = opts.type ?? "stream";
  const abstract = isAbstract(path);
  const bindPath = abstract && path.startsWith("@") ? `\0${path.slice(1)}` : path;
  const s = new Socket("unix", type);
  try {
    try {
      s.bind({ family: "unix", path: bindPath });
    } catch (e) {
      if (abstract || !(e instanceof SocketError && e.errno === EADDRINUSE)) throw e;
      if (!(await isStaleSocket(path, type))) throw e;
      unlinkSync(path);
      s.bind({ family: "unix", path: bindPath });
    }
    if (!abstract) {
      if (opts.mode !== undefined) chmodSync(path, opts.mode);
      if (opts.owner !== undefined) chownSync(path, opts.owner.uid ?? -1, opts.owner.gid ?? -1);
    }
    s.listen(opts.backlog ?? DEFAULT_BACKLOG);
  } catch (e) {
    s.close();
    throw e;
  }
  return new Server([s], opts.maxConnections ?? Infinity, abstract ? undefined : path);
}
