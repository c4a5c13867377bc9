/**
 * `Socket`: the Berkeley socket calls for every family and type, asynchronous on
 * Node's event loop.
 *
 * Every call that can wait goes through the socket's IoQueue (src/io.ts): try
 * the non-blocking syscall; on EAGAIN queue the operation and wait for
 * readiness from the socket's one watcher; on each wakeup retry the queued
 * operations in call order. Readiness can be a false positive (libuv: "always
 * be prepared to handle EAGAIN"), so a wakeup only means "try again", never
 * "this will succeed". Close, abort and timeout are handled there too. The hot
 * calls (send, sendAll, sendto, recv, recvInto, recvfrom) make their first
 * try inline, so a call served at once costs one Node-API call and one promise.
 *
 * Over 800 lines on purpose: one class, about sixty public members, each a
 * thin syscall wrapper with its doc comment; the machinery beneath them lives
 * in io.ts, messages.ts, message-batch.ts, sendfile.ts and src/raw/.
 */
import net from "node:net";
import { inspect, type InspectOptions } from "node:util";
import {
  type AddressLike,
  type SocketAddress,
  decodeSockaddr,
  encodeSockaddr,
  formatAddress,
  errorContext,
  toAddress,
  type Sockaddr,
} from "./address.js";
import { AF, FCNTL, IOCTL, MSG, SHUT, SO, SOCK, SOL, STRUCTS } from "./constants.js";
import { AbortError, ERRNO, SocketError, closedError, codedError, type ErrorContext } from "./errors.js";
import {
  type FamilyName,
  type TypeName,
  familyLabel,
  familyNumber,
  protocolLabel,
  protocolNumber,
  typeLabel,
  typeNumber,
} from "./names.js";
import { type GetOptionOptions, type OptionInput, type OptionValue, getOption, setOption } from "./options/index.js";
import * as raw from "./raw/index.js";
import {
  type WaitOptions,
  DEFAULT_BACKLOG,
  checkBacklog,
  checkTimeout,
  checkFlags,
  checkSize,
  checkWait,
  toBytes,
} from "./validate.js";
import { AGAIN, describe } from "./raw/index.js";
import { IoQueue, READ, WRITE, WatchedFd, type IoRequest } from "./io.js";
import { type SendfileOptions, type SendfileSource, sendfile } from "./sendfile.js";
import {
  type BatchDatagram,
  type BatchMessage,
  type MessageHost,
  type ReceivedMessage,
  type RecvBatchOptions,
  type RecvmsgOptions,
  type SendmsgOptions,
  recvmsg,
  sendmsg,
} from "./messages.js";
import { recvBatch, sendBatch } from "./message-batch.js";
import { MessageIterator } from "./message-iterator.js";

export type { WaitOptions };
export type { Datagram, RecvIntoOptions, RecvOptions, SendOptions } from "./call-options.js";
import type { Datagram, RecvIntoOptions, RecvOptions, SendOptions } from "./call-options.js";

/** Options of the constructor. */
export interface SocketOptions {
  /** Adopt this fd instead of creating a socket (see {@link Socket.fromFd}). */
  fd?: number;
  /**
   * The default timeout, in milliseconds, of every waiting call that passes no
   * `timeout` of its own (see {@link Socket.setTimeout}). Default: none.
   */
  timeout?: number;
}

/** `shutdown(2)` directions by name. */
export type ShutdownHow = "read" | "write" | "both" | number;

/** Flags that change how a call waits (see #io). */

/** What a sendAll served at once returns: one shared settled promise, no allocation. */
const RESOLVED: Promise<void> = Promise.resolve();
const toVoid = (): void => undefined;

/** Receive scratch: receives of up to this size land here, then are copied out exactly. */
const SCRATCH_SIZE = 65536;
const scratch = Buffer.allocUnsafeSlow(SCRATCH_SIZE);
/** Receives larger than SCRATCH_SIZE use a shared buffer grown on demand up to this size. */
const BIG_SCRATCH_MAX = 4 * 1024 * 1024;
let bigScratch: Buffer | undefined;

/**
 * The buffer a receive of `size` bytes lands in: a shared scratch buffer (used
 * only inside the synchronous attempt, so one serves every socket) or, past
 * BIG_SCRATCH_MAX, a buffer of its own.
 */
function scratchFor(size: number): Buffer {
  if (size <= SCRATCH_SIZE) return scratch;
  if (size > BIG_SCRATCH_MAX) return Buffer.allocUnsafe(size);
  if (bigScratch === undefined || bigScratch.length < size) bigScratch = Buffer.allocUnsafeSlow(size);
  return bigScratch;
}

/** The `got` bytes received into `target`, as a Buffer of exactly that size. */
function copyOut(target: Buffer, got: number): Buffer {
  // Only a buffer of the call's own is handed out as is; a shared one may have
  // been replaced as bigScratch while the call waited, and still be shared by
  // other waiting calls (so no identity test against bigScratch here).
  if (target.length > BIG_SCRATCH_MAX) return target.subarray(0, got);
  return Buffer.from(target.subarray(0, got));
}

/**
 * recv()'s result: the data, or on a message socket whose message was longer
 * than `size` the EMSGSIZE error carrying the part that fit and the real length.
 */
function received(n: number, out: Buffer, size: number, message: boolean): Buffer {
  if (message && n > size) {
    const err = new SocketError(
      EMSGSIZE,
      "recv",
      {},
      `recv EMSGSIZE: a ${n}-byte message was truncated to ${size} bytes (use a larger size, or recvfrom()/messages() which report truncation)`,
    );
    Object.assign(err, { data: out, size: n });
    throw err;
  }
  return out;
}

const addrScratch = Buffer.alloc(STRUCTS.sockaddr_storage!.size);
const lenOut = new Int32Array(1);
/** An int-sized option buffer, read in the host's byte order through optIntView. */
const optIntView = new Int32Array(1);
const optInt = Buffer.from(optIntView.buffer);

const ENOTCONN = -ERRNO.ENOTCONN!;
const ETIMEDOUT = -ERRNO.ETIMEDOUT!;
const EMSGSIZE = -ERRNO.EMSGSIZE!;
const EINVAL = -ERRNO.EINVAL!;

/**
 * Closes the fds of sockets collected without close() or detach(), with their
 * watchers, in libuv's order (see WatchedFd in src/io.ts).
 */
const leaked = new FinalizationRegistry<WatchedFd>((slot) => {
  raw.fdDisown(slot.fd);
  slot.closeWith(() => raw.discardFd(slot.fd));
});

/**
 * Functions run once when a Socket is closed or detached, for modules that track
 * sockets they do not own (the Selector releases its duplicate fd, a Server frees
 * a connection slot). Internal: not exported from the package.
 */
export const releaseHooks = new WeakMap<Socket, Set<() => void>>();

/**
 * The key of a Socket's internal method that lends its `#io` (as
 * src/messages.ts sees it) to modules that make their own non-blocking attempt
 * on the fd: src/packet-ring.ts reads its mmap'ed ring when the fd polls
 * readable. Internal: not exported from the package.
 */
export const ioHost: unique symbol = Symbol("sockit.ioHost");

const shutdownHow: Record<string, number> = { read: SHUT.RD, write: SHUT.WR, both: SHUT.RDWR };

/**
 * Internal (src/datagram.ts, not exported from the package): the key of
 * Socket's readiness hook for the event face. See {@link Socket.[kWatch]}.
 */
export const kWatch: unique symbol = Symbol("sockit.watch");

/**
 * A socket of any family and type. Owns its fd: `close()` releases it,
 * `detach()` hands it back. Waiting calls return promises and accept
 * `{ signal, timeout }`; concurrent reads (and writes) complete in call order.
 *
 * @example
 * ```ts
 * import { Socket } from "sockit";
 *
 * const srv = new Socket("unix", "seqpacket"); // socket(2)
 * srv.bind("@my-service"); // abstract name: no file to remove
 * srv.listen();
 * const client = new Socket("unix", "seqpacket");
 * await client.connect("@my-service");
 * const conn = await srv.accept();
 * await client.send("one");
 * (await conn.recv()).toString(); // "one": one message per call, boundaries kept
 * for (const s of [client, conn, srv]) s.close();
 * ```
 */
export class Socket {
  #fd: number;
  readonly #family: number;
  readonly #type: number;
  readonly #protocol: number;
  #closed = false;
  /** The readiness engine: the queues of waiting calls and the watcher (src/io.ts). */
  readonly #q: IoQueue;
  /** The last address sent to, and its encoding (sendto to one peer is the common case). */
  #lastTo: AddressLike | undefined;
  #lastToBytes: Sockaddr | undefined;
  #lastToCtx: ErrorContext | undefined;
  /** The last sender recvfrom decoded (raw bytes and the frozen object): most datagrams come from the peer before. */
  #lastFromBytes: Buffer | undefined;
  #lastFrom: SocketAddress | undefined;
  /** The default timeout (ms) of waiting calls without their own (setTimeout); undefined = none. */
  #timeout: number | undefined;
  /** The absolute deadline (ms since the epoch) of every waiting call (setDeadline); undefined = none. */
  #deadline: number | undefined;
  #deadlineTimer: NodeJS.Timeout | undefined;

  /**
   * Creates a socket. Wraps `socket(2)` (always with SOCK_NONBLOCK | SOCK_CLOEXEC).
   * @param family "inet" | "inet6" | "unix" | "netlink" | "packet" or an AF_* number
   * @param type "stream" | "dgram" | "seqpacket" | "raw" | "rdm" or a SOCK_* number
   * @param protocol a name ("tcp", "udp", "icmp", "icmpv6", "route", "sock_diag" ...) or number; default 0
   * @see https://man7.org/linux/man-pages/man2/socket.2.html
   * @throws TypeError ERR_INVALID_ARG_VALUE for an unknown name; SocketError EAFNOSUPPORT,
   *   EPROTONOSUPPORT, EINVAL, EMFILE, EPERM/EACCES (raw and packet sockets need CAP_NET_RAW).
   */
  constructor(
    family: FamilyName | number,
    type: TypeName | number,
    protocol?: string | number,
    options?: SocketOptions,
  ) {
    const af = familyNumber(family);
    const ty = typeNumber(type);
    const proto = protocolNumber(af, protocol);
    const timeout =
      options?.timeout === undefined ? undefined : checkTimeout(options.timeout, "Socket: options.timeout");
    if (options?.fd !== undefined) {
      this.#fd = raw.checkFd(options.fd, "Socket");
    } else {
      this.#fd = raw.socket(af, ty, proto);
    }
    this.#family = af;
    this.#type = ty;
    this.#protocol = proto;
    this.#timeout = timeout;
    // The env's owned set lets the addon close this fd if a worker thread
    // ends without closing it; the registry does the same if it is collected.
    raw.fdOwn(this.#fd);
    const slot = new WatchedFd(this.#fd);
    leaked.register(this, slot, this);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    this.#q = new IoQueue(slot, {
      get defaultTimeout() {
        return self.#timeout;
      },
      get deadline() {
        return self.#deadline;
      },
      deadlineError: (syscall, ctx) => this.#deadlineError(syscall, ctx),
    });
  }

  /**
   * Adopts an open socket fd and takes ownership of it (close() will close it).
   * Reads its family, type and protocol (SO_DOMAIN, SO_TYPE, SO_PROTOCOL) and
   * makes it non-blocking and close-on-exec. Given a Node `net.Socket`,
   * `net.Server` or any object with a numeric `fd` (a FileHandle), adopts a
   * duplicate (F_DUPFD_CLOEXEC), since Node keeps owning the original.
   * Does not correspond to a single syscall.
   * @see https://man7.org/linux/man-pages/man2/fcntl.2.html
   * @throws SocketError ENOTSOCK (not a socket), EBADF (not open).
   */
  static fromFd(fd: number | net.Socket | net.Server | { fd?: unknown; _handle?: unknown }): Socket {
    let n: number;
    if (typeof fd === "number") n = raw.checkFd(fd, "fromFd");
    else {
      const handle = (fd as { _handle?: { fd?: unknown } } | null)?._handle;
      const inner = handle && typeof handle.fd === "number" ? handle.fd : (fd as { fd?: unknown } | null)?.fd;
      if (typeof inner !== "number" || inner < 0) {
        throw codedError(
          "ERR_INVALID_ARG_TYPE",
          `fromFd: expected an fd number or an object with an open fd, got ${describe(fd)}`,
        );
      }
      n = raw.fcntl(inner, FCNTL.F_DUPFD_CLOEXEC!, 0);
    }
    const intOpt = (name: number): number => {
      raw.getsockopt(n, SOL.SOCKET, name, optInt);
      return optIntView[0]!;
    };
    let family: number, type: number, protocol: number;
    try {
      family = intOpt(SO.DOMAIN);
      type = intOpt(SO.TYPE);
      protocol = intOpt(SO.PROTOCOL);
      const fl = raw.fcntl(n, FCNTL.F_GETFL!);
      if (!(fl & FCNTL.O_NONBLOCK!)) raw.fcntl(n, FCNTL.F_SETFL!, fl | FCNTL.O_NONBLOCK!);
      const fdfl = raw.fcntl(n, FCNTL.F_GETFD!);
      if (!(fdfl & FCNTL.FD_CLOEXEC!)) raw.fcntl(n, FCNTL.F_SETFD!, fdfl | FCNTL.FD_CLOEXEC!);
    } catch (e) {
      if (typeof fd !== "number") raw.discardFd(n);
      throw e;
    }
    return new Socket(family, type, protocol, { fd: n });
  }

  /** The file descriptor (-1 once closed or detached). */
  get fd(): number {
    return this.#fd;
  }
  /** The address family: "inet", "inet6", "unix", "netlink", "packet", or the AF_* number. */
  get family(): FamilyName | number {
    return familyLabel(this.#family);
  }
  /** The socket type: "stream", "dgram", "seqpacket", "raw", "rdm", or the SOCK_* number. */
  get type(): TypeName | number {
    return typeLabel(this.#type);
  }
  /** The protocol's name ("tcp", "udp", "icmp", "route" ...) or number (0 = the family's default). */
  get protocol(): string | number {
    return protocolLabel(this.#family, this.#protocol);
  }
  /** True once close() or detach() has run. */
  get closed(): boolean {
    return this.#closed;
  }

  // -------------------------------------------------------------------------
  // The I/O primitive.

  #check(syscall: string): void {
    if (this.#closed) throw closedError(syscall);
  }

  /** Runs a waiting call through the engine, refusing it first when the socket is closed. */
  #io<T = number>(req: IoRequest<T>): Promise<T> {
    if (this.#closed) return Promise.reject(closedError(req.syscall));
    return this.#q.run(req);
  }

  // -------------------------------------------------------------------------
  // Addresses.

  #sockaddr(address: AddressLike, syscall: string): { sa: Sockaddr; ctx: ErrorContext } {
    const addr = toAddress(address, this.#family, syscall);
    return { sa: encodeSockaddr(addr, syscall), ctx: errorContext(addr) };
  }

  /**
   * Binds the socket to a local address. Wraps `bind(2)`.
   * @param address an address object or string: "127.0.0.1:0", "[::1]:8080", "/tmp/x.sock", "@abstract"
   * @see https://man7.org/linux/man-pages/man2/bind.2.html
   * @throws SocketError EADDRINUSE, EADDRNOTAVAIL, EACCES, EINVAL (already bound), ENAMETOOLONG,
   *   ENOENT (directory missing); TypeError ERR_INVALID_ADDRESS; Error ERR_SOCKET_CLOSED.
   */
  bind(address: AddressLike): void {
    this.#check("bind");
    const { sa, ctx } = this.#sockaddr(address, "bind");
    raw.bind(this.#fd, sa.bytes, sa.length, ctx);
  }

  /**
   * Marks a stream or seqpacket socket as accepting connections. Wraps `listen(2)`.
   * @param backlog queue length (default SOMAXCONN, see DEFAULT_BACKLOG; the kernel caps it at
   *   net.core.somaxconn); a negative backlog is taken as 0, as POSIX and CPython do
   * @see https://man7.org/linux/man-pages/man2/listen.2.html
   * @throws SocketError EOPNOTSUPP (datagram sockets), EADDRINUSE; RangeError ERR_OUT_OF_RANGE
   *   (outside the C int range); TypeError ERR_INVALID_ARG_TYPE; Error ERR_SOCKET_CLOSED.
   */
  listen(backlog: number = DEFAULT_BACKLOG): void {
    const n = checkBacklog(backlog, "listen");
    this.#check("listen");
    raw.listen(this.#fd, n);
  }

  /**
   * Waits for and accepts a connection, as a new non-blocking, close-on-exec
   * Socket. Wraps `accept4(2)`.
   * @see https://man7.org/linux/man-pages/man2/accept4.2.html
   * @throws SocketError EINVAL (not listening), EMFILE, ENFILE, ETIMEDOUT (timeout option);
   *   AbortError; Error ERR_SOCKET_CLOSED (also when closed while waiting).
   */
  accept(options?: WaitOptions): Promise<Socket> {
    checkWait(options, "accept");
    const fd = this.#fd;
    return this.#io({
      dir: READ,
      syscall: "accept4",
      attempt: () => raw.accept4(fd, null, null, 0),
      options,
      finish: (n) => new Socket(this.#family, this.#type, this.#protocol, { fd: n }),
    });
  }

  /**
   * Connects to `address`. Wraps `connect(2)`; when it cannot finish at once
   * (EINPROGRESS), waits until the socket is writable, reads SO_ERROR and, if
   * that is 0, confirms with getpeername(2) — a writable socket can also mean
   * a wakeup before the handshake ended, so ENOTCONN there means "wait more".
   * A Unix socket whose listener's backlog is full (EAGAIN) is retried with
   * back-off until it is accepted, aborted or timed out.
   * On a datagram socket, sets the default destination and the only accepted source.
   * @see https://man7.org/linux/man-pages/man2/connect.2.html
   * @throws SocketError ECONNREFUSED, ENOENT (no such Unix path), ETIMEDOUT, ENETUNREACH,
   *   EHOSTUNREACH, EISCONN, EADDRNOTAVAIL; AbortError; Error ERR_SOCKET_CLOSED.
   */
  connect(address: AddressLike, options?: WaitOptions): Promise<void> {
    checkWait(options, "connect");
    const { sa, ctx } = this.#sockaddr(address, "connect");
    if (this.#closed) return Promise.reject(closedError("connect"));
    if (options?.signal?.aborted) return Promise.reject(new AbortError(undefined, { cause: options.signal.reason }));
    const fd = this.#fd;
    let r: number;
    try {
      r = raw.connect(fd, sa.bytes, sa.length, ctx);
    } catch (e) {
      return Promise.reject(e);
    }
    if (r === 0) return Promise.resolve();
    if (r === AGAIN) return this.#connectRetry(sa, ctx, options);
    // INPROGRESS: wait for writability, then let SO_ERROR and getpeername say how it ended.
    return this.#io({
      dir: WRITE,
      syscall: "connect",
      attempt: () => {
        // SO_ERROR: the outcome of the handshake (reading it clears it).
        raw.throwPendingError(fd, "connect", ctx);
        const n = raw.tryGetpeername(fd, addrScratch);
        if (n === ENOTCONN) return AGAIN;
        if (n < 0) raw.getpeername(fd, addrScratch); // throws the SocketError of n
        return 0;
      },
      options,
      finish: () => undefined,
      ctx,
    });
  }

  async #connectRetry(sa: Sockaddr, ctx: ErrorContext, options?: WaitOptions): Promise<void> {
    const timeout = options?.timeout ?? this.#timeout;
    const deadline = timeout === undefined ? Infinity : Date.now() + timeout;
    let delay = 1;
    for (;;) {
      if (this.#closed) throw closedError("connect");
      if (options?.signal?.aborted) throw new AbortError(undefined, { cause: options.signal.reason });
      if (this.#deadline !== undefined && Date.now() >= this.#deadline) throw this.#deadlineError("connect", ctx);
      if (Date.now() >= deadline) throw new SocketError(ETIMEDOUT, "connect", ctx);
      const until = Math.min(deadline, this.#deadline ?? Infinity);
      await new Promise((res) => {
        // The back-off timer holds the loop only as a waiting watcher would (ref/unref).
        const t = setTimeout(res, Math.min(delay, Math.max(0, until - Date.now())));
        if (!this.#q.userRef) t.unref();
      });
      delay = Math.min(delay * 2, 100);
      if (this.#closed) throw closedError("connect");
      const r = raw.connect(this.#fd, sa.bytes, sa.length, ctx);
      if (r !== AGAIN) return;
    }
  }

  // -------------------------------------------------------------------------
  // Data.

  /**
   * Sends data on a connected socket; resolves with the number of bytes the
   * kernel took (a stream socket may take fewer than given: see sendAll).
   * Wraps `send(2)`, always with MSG_NOSIGNAL (a closed peer gives EPIPE, never SIGPIPE).
   * @see https://man7.org/linux/man-pages/man2/send.2.html
   * @throws SocketError EPIPE, ECONNRESET, ENOTCONN, EDESTADDRREQ, EMSGSIZE; TypeError for bad data.
   */
  send(data: ArrayBufferView | string, options?: SendOptions): Promise<number> {
    const buf = toBytes(data, "send: data");
    const flags = checkFlags(options?.flags, "send");
    checkWait(options, "send");
    const fd = this.#fd;
    const len = buf.byteLength;
    let tried = false;
    if (this.#q.canTry(WRITE, flags, options)) {
      let r: number;
      try {
        r = raw.send(fd, buf, 0, len, flags);
      } catch (e) {
        return Promise.reject(e);
      }
      if (r !== AGAIN) return Promise.resolve(r);
      tried = true;
    }
    return this.#sendWait(fd, buf, len, flags, options, tried);
  }

  // The waiting halves of the hot calls live in methods of their own: a
  // closure in the calling method would make V8 allocate its context on every
  // call, including those served at once.
  #sendWait(
    fd: number,
    buf: ArrayBufferView,
    len: number,
    flags: number,
    options: SendOptions | undefined,
    tried: boolean,
  ): Promise<number> {
    return this.#io({
      dir: WRITE,
      syscall: "send",
      attempt: () => raw.send(fd, buf, 0, len, flags),
      options,
      flags,
      tried,
    });
  }

  /**
   * Sends all of `data`, waiting for buffer space as often as needed.
   * Does not correspond to a single syscall (loops over `send(2)`); on error
   * some prefix of the data may have been sent.
   * @see https://man7.org/linux/man-pages/man2/send.2.html
   * @throws SocketError EPIPE, ECONNRESET, ENOTCONN; AbortError; Error ERR_SOCKET_CLOSED.
   */
  sendAll(data: ArrayBufferView | string, options?: SendOptions): Promise<void> {
    const buf = toBytes(data, "sendAll: data");
    const flags = checkFlags(options?.flags, "send");
    checkWait(options, "sendAll");
    const fd = this.#fd;
    const len = buf.byteLength;
    let off = 0;
    let tried = false;
    if (this.#q.canTry(WRITE, flags, options)) {
      try {
        do {
          const n = raw.send(fd, buf, off, len - off, flags);
          if (n === AGAIN) break;
          off += n;
          // A zero-length message (seqpacket, datagram) is sent once, like any other.
          if (off >= len) return RESOLVED;
        } while (off < len);
      } catch (e) {
        return Promise.reject(e);
      }
      tried = true;
    }
    return this.#sendAllWait(fd, buf, off, len, flags, options, tried);
  }

  #sendAllWait(
    fd: number,
    buf: ArrayBufferView,
    start: number,
    len: number,
    flags: number,
    options: SendOptions | undefined,
    tried: boolean,
  ): Promise<void> {
    let off = start;
    return this.#io({
      dir: WRITE,
      syscall: "send",
      attempt: () => {
        do {
          const n = raw.send(fd, buf, off, len - off, flags);
          if (n === AGAIN) return AGAIN;
          off += n;
        } while (off < len);
        return off;
      },
      options,
      finish: toVoid,
      flags,
      tried,
    });
  }

  /**
   * Sends a file, or the part `{ offset, length }` of it, on a connected
   * stream socket without copying it through user space; resolves with the
   * bytes sent (fewer than `length` only if the file ends first). `file` is an
   * fd number, a `node:fs/promises` FileHandle, or a path (opened read-only
   * and closed again by sockit). The file position is neither used nor moved.
   * Waits for buffer space as often as needed, resuming at the offset reached.
   * Wraps `sendfile(2)`; for a file the kernel will not splice (a /proc/<pid> file,
   * a pipe or FIFO, a socket: EINVAL, ESPIPE, ENOSYS, EOPNOTSUPP before the
   * first byte) it falls back to read(2) + send(2).
   *
   * Notes: not atomic — whatever ends the transfer early (a send error, close,
   * abort, timeout) carries the bytes already sent in `err.sent`. File pages not
   * in the page cache are read by the kernel in the calling thread. Other
   * writes queued meanwhile wait for sendfile to finish, except on the copy
   * path, where they may land between its chunks. No SIGPIPE: a closed peer
   * gives EPIPE, as send() does.
   * @see https://man7.org/linux/man-pages/man2/sendfile.2.html
   * @throws TypeError ERR_SOCKET_BAD_TYPE (not a stream socket), ERR_INVALID_ARG_TYPE (file);
   *   RangeError ERR_OUT_OF_RANGE (offset, length, timeout); SocketError EPIPE, ECONNRESET,
   *   ENOTCONN, ENOENT/EACCES (a path that cannot be opened), EBADF (a closed fd or
   *   FileHandle), ESPIPE (an offset into a pipe), ETIMEDOUT (timeout); AbortError;
   *   ERR_SOCKET_CLOSED.
   */
  sendfile(file: SendfileSource, options?: SendfileOptions): Promise<number> {
    // One transfer, one timeout: the socket's default covers the whole of it
    // (the copy fallback makes several waits, each given what is left).
    const timeout = options?.timeout ?? this.#timeout;
    return sendfile(this.#messageHost(), file, timeout === options?.timeout ? options : { ...options, timeout });
  }

  get #messageBased(): boolean {
    return this.#type !== SOCK.STREAM;
  }

  /**
   * Receives up to `size` bytes (default 65536); an empty Buffer means the peer
   * closed its side (EOF) on a stream socket. On a datagram or seqpacket socket
   * each call returns one message; a message longer than `size` is not cut
   * silently: the call rejects with SocketError EMSGSIZE carrying the part that
   * fit (`err.data`) and the real length (`err.size`) — use recvfrom()/messages()
   * to receive `truncated` as a flag instead. Wraps `recv(2)`.
   * @see https://man7.org/linux/man-pages/man2/recv.2.html
   * @throws SocketError ECONNRESET, ENOTCONN, EMSGSIZE (message truncated); AbortError; ERR_SOCKET_CLOSED.
   */
  recv(size = SCRATCH_SIZE, options?: RecvOptions): Promise<Buffer> {
    checkSize(size, "recv");
    let flags = checkFlags(options?.flags, "recv");
    checkWait(options, "recv");
    const fd = this.#fd;
    const message = this.#messageBased;
    if (message) flags |= MSG.TRUNC;
    const target = scratchFor(size);
    // The scratch buffer is only used inside the synchronous attempt, so one
    // buffer serves every socket; the result is copied out at its exact size.
    let tried = false;
    if (this.#q.canTry(READ, flags, options)) {
      try {
        const n = raw.recv(fd, target, 0, size, flags);
        if (n !== AGAIN) return Promise.resolve(received(n, copyOut(target, Math.min(n, size)), size, message));
      } catch (e) {
        return Promise.reject(e);
      }
      tried = true;
    }
    return this.#recvWait(fd, target, size, flags, message, options, tried);
  }

  #recvWait(
    fd: number,
    target: Buffer,
    size: number,
    flags: number,
    message: boolean,
    options: RecvOptions | undefined,
    tried: boolean,
  ): Promise<Buffer> {
    let out: Buffer | undefined;
    return this.#io({
      dir: READ,
      syscall: "recv",
      attempt: () => {
        const n = raw.recv(fd, target, 0, size, flags);
        if (n === AGAIN) return AGAIN;
        out = copyOut(target, Math.min(n, size));
        return n;
      },
      options,
      finish: (n) => received(n, out!, size, message),
      flags,
      tried,
    });
  }

  /**
   * Receives into `buffer` (no allocation): resolves with the number of bytes
   * written there (0 = EOF on a stream). On message sockets the result is the
   * message's real length (MSG_TRUNC), which exceeds `length` when truncated.
   * Wraps `recv(2)`.
   * @see https://man7.org/linux/man-pages/man2/recv.2.html
   * @throws like recv(); RangeError ERR_OUT_OF_RANGE for a bad offset/length.
   */
  recvInto(buffer: ArrayBufferView, options?: RecvIntoOptions): Promise<number> {
    raw.checkBytes(buffer, "recvInto: buffer");
    const offset = options?.offset ?? 0;
    const length = options?.length ?? buffer.byteLength - offset;
    raw.checkWindow(buffer, offset, length, "recvInto");
    let flags = checkFlags(options?.flags, "recv");
    checkWait(options, "recvInto");
    if (this.#messageBased) flags |= MSG.TRUNC;
    const fd = this.#fd;
    let tried = false;
    if (this.#q.canTry(READ, flags, options)) {
      let r: number;
      try {
        r = raw.recv(fd, buffer, offset, length, flags);
      } catch (e) {
        return Promise.reject(e);
      }
      if (r !== AGAIN) return Promise.resolve(r);
      tried = true;
    }
    return this.#recvIntoWait(fd, buffer, offset, length, flags, options, tried);
  }

  #recvIntoWait(
    fd: number,
    buffer: ArrayBufferView,
    offset: number,
    length: number,
    flags: number,
    options: RecvIntoOptions | undefined,
    tried: boolean,
  ): Promise<number> {
    return this.#io({
      dir: READ,
      syscall: "recv",
      attempt: () => raw.recv(fd, buffer, offset, length, flags),
      options,
      flags,
      tried,
    });
  }

  /**
   * Sends a datagram to `address` (or, with MSG_FASTOPEN, data in a TCP SYN).
   * Wraps `sendto(2)`, always with MSG_NOSIGNAL.
   * @see https://man7.org/linux/man-pages/man2/sendto.2.html
   * @throws SocketError EMSGSIZE, ECONNREFUSED (an ICMP error from an earlier datagram),
   *   EISCONN (a connected stream socket: sockit refuses where Linux would ignore the address), ENOENT/ECONNREFUSED (Unix peer gone), EACCES (broadcast
   *   without SO_BROADCAST); TypeError ERR_INVALID_ADDRESS.
   */
  sendto(data: ArrayBufferView | string, address: AddressLike, options?: SendOptions): Promise<number> {
    const buf = toBytes(data, "sendto: data");
    const flags = checkFlags(options?.flags, "sendto");
    checkWait(options, "sendto");
    if (this.#closed) return Promise.reject(closedError("sendto"));
    if (this.#type === SOCK.STREAM && raw.tryGetpeername(this.#fd, addrScratch) >= 0) {
      // Linux ignores the address on a connected TCP socket (send(2) allows
      // either that or EISCONN); sockit reports it, as BSD and Unix streams do,
      // rather than send to a peer the caller did not name.
      const { ctx: c } = this.#sockaddr(address, "sendto");
      return Promise.reject(new SocketError(-ERRNO.EISCONN!, "sendto", c));
    }
    let sa = this.#lastToBytes;
    let ctx = this.#lastToCtx;
    if (address !== this.#lastTo || sa === undefined) {
      const enc = this.#sockaddr(address, "sendto");
      sa = enc.sa;
      ctx = enc.ctx;
      // Strings and frozen objects cannot change behind our back; cache those.
      if (typeof address === "string" || Object.isFrozen(address)) {
        this.#lastTo = address;
        this.#lastToBytes = sa;
        this.#lastToCtx = ctx;
      }
    }
    const fd = this.#fd;
    const len = buf.byteLength;
    let tried = false;
    if (this.#q.canTry(WRITE, flags, options)) {
      let r: number;
      try {
        r = raw.sendto(fd, buf, 0, len, flags, sa.bytes, sa.length, ctx);
      } catch (e) {
        return Promise.reject(e);
      }
      if (r !== AGAIN) return Promise.resolve(r);
      tried = true;
    }
    return this.#sendtoWait(fd, buf, len, flags, sa, ctx!, options, tried);
  }

  #sendtoWait(
    fd: number,
    buf: ArrayBufferView,
    len: number,
    flags: number,
    sa: Sockaddr,
    ctx: ErrorContext,
    options: SendOptions | undefined,
    tried: boolean,
  ): Promise<number> {
    return this.#io({
      dir: WRITE,
      syscall: "sendto",
      attempt: () => raw.sendto(fd, buf, 0, len, flags, sa.bytes, sa.length, ctx),
      options,
      ctx,
      flags,
      tried,
    });
  }

  /**
   * Receives one datagram (up to `size` bytes, default 65536) and its sender.
   * `truncated` reports a message longer than `size` (MSG_TRUNC), with its real
   * length in `size`. The sender's address object is frozen and shared by the
   * results of one sender in a row (so replying with sendto reuses its
   * encoding). Wraps `recvfrom(2)`.
   * @see https://man7.org/linux/man-pages/man2/recvfrom.2.html
   * @throws SocketError ECONNREFUSED (ICMP error on a connected UDP socket); AbortError; ERR_SOCKET_CLOSED.
   */
  recvfrom(size = SCRATCH_SIZE, options?: RecvOptions): Promise<Datagram> {
    checkSize(size, "recvfrom");
    let flags = checkFlags(options?.flags, "recvfrom");
    checkWait(options, "recvfrom");
    if (this.#messageBased) flags |= MSG.TRUNC;
    const fd = this.#fd;
    const target = scratchFor(size);
    let tried = false;
    if (this.#q.canTry(READ, flags, options)) {
      try {
        const n = raw.recvfrom(fd, target, 0, size, flags, addrScratch, lenOut);
        if (n !== AGAIN) return Promise.resolve(this.#datagram(fd, target, n, size));
      } catch (e) {
        return Promise.reject(e);
      }
      tried = true;
    }
    return this.#recvfromWait(fd, target, size, flags, options, tried);
  }

  #recvfromWait(
    fd: number,
    target: Buffer,
    size: number,
    flags: number,
    options: RecvOptions | undefined,
    tried: boolean,
  ): Promise<Datagram> {
    let result: Datagram | undefined;
    return this.#io({
      dir: READ,
      syscall: "recvfrom",
      attempt: () => {
        const n = raw.recvfrom(fd, target, 0, size, flags, addrScratch, lenOut);
        if (n === AGAIN) return AGAIN;
        result = this.#datagram(fd, target, n, size);
        return n;
      },
      options,
      finish: () => result!,
      flags,
      tried,
    });
  }

  /** recvfrom()'s result from what the syscall left in `target`, addrScratch and lenOut. */
  #datagram(fd: number, target: Buffer, n: number, size: number): Datagram {
    return {
      data: copyOut(target, Math.min(n, size)),
      address: lenOut[0] === 0 && this.#family !== AF.UNIX ? this.#peerOr(fd) : this.#sender(lenOut[0]!),
      truncated: n > size,
      size: n,
    };
  }

  /**
   * The sender in addrScratch[0, len), decoded once per distinct peer: the
   * same frozen object comes back while the bytes match, so a reply with
   * sendto(data, address) finds its encoding cached too (no decode, no encode
   * per datagram in a request/response loop).
   */
  #sender(len: number): SocketAddress {
    const last = this.#lastFromBytes;
    if (last !== undefined && last.length === len && addrScratch.compare(last, 0, len, 0, len) === 0)
      return this.#lastFrom!;
    const addr = Object.freeze(decodeSockaddr(addrScratch, len));
    this.#lastFromBytes = Buffer.from(addrScratch.subarray(0, len));
    this.#lastFrom = addr;
    return addr;
  }

  /** The peer's address (a connected stream socket's recvfrom reports none), or an empty address. */
  #peerOr(fd: number): SocketAddress {
    const n = raw.tryGetpeername(fd, addrScratch);
    return decodeSockaddr(addrScratch, n < 0 ? 0 : n, this.#family);
  }

  /**
   * Yields each message received, until the socket is closed (which ends the
   * loop) or an error occurs (which is thrown). For datagram, seqpacket and
   * raw sockets. Each wakeup drains up to 32 messages with one `recvmmsg(2)`,
   * so a busy socket costs a system call per batch, not per message. The
   * messages of a batch are the iterator's once read: leaving the loop early
   * (`break`, `return()`) drops those not yet handed out — use recvfrom() when
   * a loop must stop at an exact message. Does not correspond to a single
   * syscall (loops over `recvmmsg(2)`).
   * @see https://man7.org/linux/man-pages/man2/recvmmsg.2.html
   * @throws TypeError ERR_SOCKET_BAD_TYPE on a stream socket; SocketError from recvmmsg.
   */
  messages(options?: { size?: number; signal?: AbortSignal }): AsyncGenerator<Datagram, void, undefined> {
    // Not itself a generator, so that misuse throws at the call, not at the first next().
    if (!this.#messageBased) {
      throw codedError(
        "ERR_SOCKET_BAD_TYPE",
        "messages() needs a datagram, seqpacket or raw socket (a stream has no message boundaries)",
      );
    }
    const size = checkSize(options?.size ?? SCRATCH_SIZE, "messages");
    checkWait(options?.signal ? { signal: options.signal } : undefined, "messages");
    const signal = options?.signal;
    return new MessageIterator(this.#messageHost(), signal ? { size, signal } : { size });
  }

  /**
   * Shuts down part of a full-duplex connection: "read", "write" (sends FIN;
   * the peer reads EOF) or "both". Wraps `shutdown(2)`.
   * @see https://man7.org/linux/man-pages/man2/shutdown.2.html
   * @throws SocketError ENOTCONN, EINVAL (a number that is no SHUT_* value); TypeError
   *   ERR_INVALID_ARG_VALUE; RangeError ERR_OUT_OF_RANGE (a number outside the C int range,
   *   never wrapped); Error ERR_SOCKET_CLOSED.
   */
  shutdown(how: ShutdownHow = "both"): void {
    const n =
      typeof how === "number"
        ? raw.checkInt(how, "shutdown: how")
        : Object.hasOwn(shutdownHow, how)
          ? shutdownHow[how]
          : undefined;
    if (n === undefined)
      throw codedError(
        "ERR_INVALID_ARG_VALUE",
        `shutdown: how must be "read", "write", "both" or a SHUT_* number, got ${describe(how)}`,
      );
    this.#check("shutdown");
    raw.shutdown(this.#fd, n);
  }

  /**
   * Closes the socket. Idempotent. Operations still waiting reject with
   * ERR_SOCKET_CLOSED. Order (libuv's rule): stop polling, close(2), then
   * release the watcher. Wraps `close(2)`.
   * @see https://man7.org/linux/man-pages/man2/close.2.html
   * @throws SocketError EBADF if the fd was closed behind sockit's back.
   */
  close(): void {
    if (this.#closed) return;
    const fd = this.#release("close");
    // Stop watching, close(2), then release the watcher — even when close(2)
    // fails (EBADF: closed behind our back).
    this.#q.closeWith(() => raw.close(fd));
  }

  /** Marks the socket closed, rejects waiters, stops the watcher; returns the fd. */
  #release(syscall: string): number {
    this.#closed = true;
    if (this.#deadlineTimer !== undefined) clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = undefined;
    const fd = this.#fd;
    this.#fd = -1;
    raw.fdDisown(fd);
    leaked.unregister(this);
    const hooks = releaseHooks.get(this);
    if (hooks !== undefined) {
      releaseHooks.delete(this);
      for (const hook of hooks) hook();
    }
    this.#q.closed = true;
    this.#q.rejectAll((s) => closedError(s || syscall));
    return fd;
  }

  /**
   * Gives up ownership of the fd and returns it: the Socket becomes closed,
   * the fd stays open (non-blocking, close-on-exec) and is the caller's to close.
   * Does not correspond to a syscall.
   * @throws Error ERR_SOCKET_CLOSED when already closed or detached.
   */
  detach(): number {
    this.#check("detach");
    const fd = this.#release("detach");
    this.#q.closeWith(() => undefined);
    return fd;
  }

  /** Closes the socket (for `await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  /** Closes the socket (for `using`). */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Returns the local address. Wraps `getsockname(2)`.
   * @see https://man7.org/linux/man-pages/man2/getsockname.2.html
   * @throws SocketError EBADF; Error ERR_SOCKET_CLOSED.
   */
  getsockname(): SocketAddress {
    this.#check("getsockname");
    return decodeSockaddr(addrScratch, raw.getsockname(this.#fd, addrScratch));
  }

  /**
   * Returns the peer's address. Wraps `getpeername(2)`.
   * @see https://man7.org/linux/man-pages/man2/getpeername.2.html
   * @throws SocketError ENOTCONN; Error ERR_SOCKET_CLOSED.
   */
  getpeername(): SocketAddress {
    this.#check("getpeername");
    return decodeSockaddr(addrScratch, raw.getpeername(this.#fd, addrScratch));
  }

  /**
   * Reads a socket option, decoded by the option table (numbers, booleans,
   * `{ onoff, linger }`, `{ pid, uid, gid }`, a TCP_INFO object ...); unknown
   * options come back as a Buffer of up to `size` bytes. Wraps `getsockopt(2)`.
   * @param level "SOL_SOCKET", "IPPROTO_TCP", "IPPROTO_IP", "IPPROTO_IPV6" ... or a number
   * @param name "SO_RCVBUF", "TCP_NODELAY", "IP_TTL" ... or a number
   * @see https://man7.org/linux/man-pages/man2/getsockopt.2.html
   * @throws SocketError ENOPROTOOPT, EINVAL; TypeError ERR_UNKNOWN_CONSTANT; ERR_SOCKET_CLOSED.
   */
  getsockopt<L extends string | number, N extends string | number>(
    level: L,
    name: N,
    options?: GetOptionOptions,
  ): OptionValue<L, N> {
    this.#check("getsockopt");
    return getOption(this.#fd, level, name, options);
  }

  /**
   * Sets a socket option; the value is encoded by the option table (number,
   * boolean, string, object, or a Buffer for anything else). Wraps `setsockopt(2)`.
   * @see https://man7.org/linux/man-pages/man2/setsockopt.2.html
   * @throws SocketError ENOPROTOOPT, EINVAL, EPERM (privileged options); TypeError/RangeError
   *   for a value of the wrong type or range; ERR_SOCKET_CLOSED.
   */
  setsockopt<L extends string | number, N extends string | number>(level: L, name: N, value: OptionInput<L, N>): void {
    this.#check("setsockopt");
    setOption(this.#fd, level, name, value);
  }

  /**
   * Returns the number of bytes waiting to be read (for a datagram socket: the
   * size of the next datagram). Wraps `ioctl(2)` FIONREAD.
   * @see https://man7.org/linux/man-pages/man7/socket.7.html
   * @throws SocketError EINVAL (listening socket); ERR_SOCKET_CLOSED.
   */
  bytesAvailable(): number {
    this.#check("ioctl");
    return raw.ioctlInt(this.#fd, IOCTL.FIONREAD);
  }

  /**
   * Says whether the next byte to read is the out-of-band mark of a TCP
   * stream: the urgent byte itself with SO_OOBINLINE, else the byte that
   * followed it. A reader of urgent data reads up to the mark (reads stop
   * there), then checks this. Wraps `ioctl(2)` SIOCATMARK.
   *
   * Notes: the answer is about the bytes already received; urgent data still
   * in flight is not seen until it arrives.
   * @see https://man7.org/linux/man-pages/man7/tcp.7.html
   * @throws SocketError ENOTTY (a socket without urgent data, e.g. UDP); ERR_SOCKET_CLOSED.
   */
  atMark(): boolean {
    this.#check("ioctl");
    return raw.ioctlInt(this.#fd, IOCTL.SIOCATMARK) !== 0;
  }

  /** Lets the process exit while this socket waits (like Node's `unref`). Does not correspond to a syscall. */
  unref(): this {
    this.#q.userRef = false;
    return this;
  }

  /** Keeps the process alive while this socket waits (the default). Does not correspond to a syscall. */
  ref(): this {
    this.#q.userRef = true;
    return this;
  }

  /**
   * @internal The event face's hook into the readiness machinery (src/datagram.ts):
   * queues `attempt` in direction `dir` (0 read, 1 write) without trying it
   * first, so the attempt runs only from a readiness wakeup, never inside the
   * caller's own call. An attempt that returns AGAIN stays queued (a
   * persistent reader keeps its place this way); any other result settles the
   * returned promise, close rejects it with ERR_SOCKET_CLOSED.
   */
  [kWatch](dir: 0 | 1, syscall: string, attempt: () => number): Promise<number> {
    return this.#io({ dir, syscall, attempt, tried: true });
  }

  // -------------------------------------------------------------------------
  // Timeouts and deadlines.

  /**
   * Sets the default timeout of this socket's waiting calls (accept, connect,
   * send, sendAll, recv, recvfrom, sendmsg, recvmsg, sendfile ...), in
   * milliseconds, as CPython's `socket.settimeout`: a call that has to wait
   * longer rejects with the same error as its own `timeout` option gives,
   * SocketError ETIMEDOUT naming the call's syscall. A call's own `timeout`
   * replaces the default for that call. `undefined` (or `null`) removes it;
   * 0 lets a call try once and reject if it would wait. Applies to calls made
   * after it (pending ones keep theirs; setDeadline moves those). The accepted
   * sockets of a listener do not inherit it. Does not correspond to a syscall.
   *
   * Notes: this is not Node's `net.Socket.setTimeout`, which arms an idle timer
   * that emits a 'timeout' event and ends nothing; here the waiting call itself
   * rejects. With a `signal` both apply: whichever comes first ends the call
   * (AbortError or ETIMEDOUT). With setDeadline both apply too: first wins.
   * @see https://docs.python.org/3/library/socket.html#socket.socket.settimeout
   * @throws RangeError ERR_OUT_OF_RANGE (negative, NaN or above 2^31-1 ms).
   */
  setTimeout(ms: number | undefined | null): this {
    this.#timeout = ms === undefined || ms === null ? undefined : checkTimeout(ms, "setTimeout");
    return this;
  }

  /** The default timeout (ms) of waiting calls set by setTimeout or the constructor, or undefined for none. */
  get timeout(): number | undefined {
    return this.#timeout;
  }

  /**
   * Sets an absolute deadline for every waiting call of this socket, reads and
   * writes, pending ones included — Go's `SetDeadline`: once it passes, each
   * waiting call rejects with SocketError ETIMEDOUT, and so does every later
   * call that would have to wait, until the deadline is moved or removed
   * (`null`/`undefined`). Moving it forward or removing it lets pending calls
   * go on waiting. Does not correspond to a syscall.
   *
   * Notes: unlike Go, a call the kernel can serve at once (data already
   * queued, buffer space free) still succeeds after the deadline — only
   * waiting is refused, as with a CPython timeout. The deadline and a call's
   * timeout (its own or the default) and `signal` all apply: first wins.
   * @param deadline a Date, or milliseconds since the epoch (`Date.now() + ms`)
   * @see https://pkg.go.dev/net#Conn
   * @throws TypeError ERR_INVALID_ARG_TYPE (not a Date or number); RangeError ERR_OUT_OF_RANGE (an invalid Date, NaN).
   */
  setDeadline(deadline: Date | number | undefined | null): this {
    let at: number | undefined;
    if (deadline === undefined || deadline === null) at = undefined;
    else if (deadline instanceof Date || typeof deadline === "number") {
      at = deadline instanceof Date ? deadline.getTime() : deadline;
      if (Number.isNaN(at))
        throw codedError("ERR_OUT_OF_RANGE", `setDeadline: the deadline must be a valid time, got ${String(deadline)}`);
    } else {
      throw codedError(
        "ERR_INVALID_ARG_TYPE",
        `setDeadline: the deadline must be a Date, a number of ms since the epoch or null, got ${describe(deadline)}`,
      );
    }
    this.#deadline = at;
    this.#armDeadline();
    return this;
  }

  /** The deadline set by setDeadline, as a Date, or undefined for none. */
  get deadline(): Date | undefined {
    return this.#deadline === undefined ? undefined : new Date(this.#deadline);
  }

  /** (Re)starts the one timer that fails the waiting calls when the deadline passes. */
  #armDeadline(): void {
    if (this.#deadlineTimer !== undefined) clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = undefined;
    if (this.#deadline === undefined || this.#closed) return;
    const left = this.#deadline - Date.now();
    if (left <= 0) {
      this.#expire();
      return;
    }
    // setTimeout takes at most 2^31-1 ms; a later deadline is re-armed from there.
    // Unref'd: the waiting calls' watcher is what keeps the loop alive.
    this.#deadlineTimer = setTimeout(() => this.#armDeadline(), Math.min(left, 0x7fffffff));
    this.#deadlineTimer.unref();
  }

  /** The deadline has passed: every queued call rejects ETIMEDOUT. */
  #expire(): void {
    this.#q.rejectAll((s) => this.#deadlineError(s));
  }

  #deadlineError(syscall: string, ctx?: ErrorContext): SocketError {
    const when = new Date(this.#deadline!).toISOString();
    return new SocketError(
      ETIMEDOUT,
      syscall,
      ctx ?? {},
      `${syscall} ETIMEDOUT: the socket's deadline (${when}) has passed`,
    );
  }

  // -------------------------------------------------------------------------
  // Messages: sendmsg/recvmsg, ancillary data, batched I/O (src/messages.ts).

  /** @internal This socket's #io for an attempt of another module's (see {@link ioHost}). */
  [ioHost](): MessageHost {
    return this.#messageHost();
  }

  /** This socket as src/messages.ts sees it, with #io lent for the call. */
  #messageHost(): MessageHost {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return {
      fd: this.#fd,
      family: this.#family,
      type: this.#type,
      get closed() {
        return self.#closed;
      },
      // Typed by MessageHost["io"] (the return type above).
      io: (dir, syscall, attempt, options, flags, finish) =>
        this.#io({ dir, syscall, attempt, options, finish, flags }),
    };
  }

  /**
   * Sends one message gathered from `buffers`, with an optional destination
   * and ancillary data: fds (SCM_RIGHTS), credentials (SCM_CREDENTIALS), the
   * source address (IP_PKTINFO/IPV6_PKTINFO), TTL/hop limit, TOS/traffic class,
   * GSO segment size, or raw `control` messages. Resolves with the bytes sent
   * (a stream socket may take fewer; the fds go with the first byte).
   * Wraps `sendmsg(2)`, always with MSG_NOSIGNAL.
   * @see https://man7.org/linux/man-pages/man2/sendmsg.2.html
   * @see https://man7.org/linux/man-pages/man7/unix.7.html
   * @see https://man7.org/linux/man-pages/man7/ip.7.html
   * @throws RangeError ERR_OUT_OF_RANGE (more than SCM_MAX_FD fds, more than IOV_MAX buffers);
   *   TypeError ERR_INVALID_ARG_TYPE/ERR_INVALID_ARG_VALUE (bad fds, fds on a non-Unix socket,
   *   control without data on a stream); SocketError EBADF (an fd closed), EPERM (credentials
   *   not yours), EINVAL (a control message the protocol rejects), EMSGSIZE, EPIPE,
   *   ETOOMANYREFS (too many fds in flight); AbortError; ERR_SOCKET_CLOSED.
   */
  sendmsg(options: SendmsgOptions): Promise<number> {
    return sendmsg(this.#messageHost(), options);
  }

  /**
   * Receives one message with its sender and ancillary data. The result has
   * the control messages raw (`control`) and decoded (`fds`, `credentials`,
   * `pktinfo`, `ttl`/`hopLimit`, `tos`/`tclass`, `timestamp`, `error` ...),
   * and reports cut-off data (`truncated`, MSG_TRUNC) and control data
   * (`controlTruncated`, MSG_CTRUNC or more fds than `maxFds`). Wraps
   * `recvmsg(2)`, always with MSG_CMSG_CLOEXEC.
   *
   * Notes: received fds belong to the caller once `fds` (or `control`) is
   * read — adopt them (`Socket.fromFd`, `new net.Socket({ fd })`) or close
   * them. Fds beyond `maxFds` (default 0) are closed at once; fds of a
   * result that is dropped unread are closed when it is garbage-collected.
   * With MSG_ERRQUEUE it reads the error queue (IP_RECVERR/IPV6_RECVERR):
   * the report is in `error`. With MSG_WAITALL on a stream it waits until
   * `size` bytes (or EOF) have come, over as many reads as it takes; if it
   * fails half way, the bytes read so far are lost and their fds closed.
   * @see https://man7.org/linux/man-pages/man2/recvmsg.2.html
   * @see https://man7.org/linux/man-pages/man3/cmsg.3.html
   * @throws SocketError ECONNREFUSED (ICMP error on UDP), ECONNRESET; RangeError/TypeError for
   *   bad options; AbortError; ETIMEDOUT (timeout option); ERR_SOCKET_CLOSED.
   */
  recvmsg(options?: RecvmsgOptions): Promise<ReceivedMessage> {
    return recvmsg(this.#messageHost(), options);
  }

  /**
   * Receives up to `count` datagrams (default 32) in one system call, waiting
   * for the first; resolves with at least one. Each has `data`, `address`,
   * `truncated` and `size`, as recvfrom() gives, and with `controlSize` its
   * control messages and decoded views (pktinfo, ttl, timestamps ...), as
   * recvmsg() gives. Wraps `recvmmsg(2)`.
   *
   * Notes: a batch takes no fds — without `controlSize` the kernel discards
   * them, with it sockit closes them (`controlTruncated`); use recvmsg() to
   * receive fds.
   * @see https://man7.org/linux/man-pages/man2/recvmmsg.2.html
   * @throws TypeError ERR_SOCKET_BAD_TYPE on a stream socket; SocketError like recvfrom;
   *   AbortError; ERR_SOCKET_CLOSED.
   */
  recvBatch(options?: RecvBatchOptions): Promise<BatchDatagram[]> {
    return recvBatch(this.#messageHost(), options);
  }

  /**
   * Sends every message of `messages` (`{ data, address?, pktinfo?, control? }`), as many per
   * system call as the kernel takes, waiting for buffer space as needed;
   * resolves with the number sent. Wraps `sendmmsg(2)`, always with MSG_NOSIGNAL.
   *
   * Notes: not atomic — on an error the messages before it have been sent;
   * the SocketError carries their count in `sent`. With MSG_DONTWAIT it
   * resolves with the count that fit, or rejects EAGAIN if none did. On a
   * stream socket the messages' bytes go out in order, gathered into one
   * `sendmsg(2)` per 1024 messages (writev semantics: sendmmsg could split a
   * message and go on with the next); there a message carries data only, and
   * MSG_DONTWAIT is refused (a stream can stop inside a message).
   * @see https://man7.org/linux/man-pages/man2/sendmmsg.2.html
   * @throws SocketError EMSGSIZE, ECONNREFUSED, EAGAIN never (it waits); TypeError for bad
   *   messages; AbortError; ERR_SOCKET_CLOSED.
   */
  sendBatch(messages: readonly BatchMessage[], options?: SendOptions): Promise<number> {
    return sendBatch(this.#messageHost(), messages, options);
  }
  // MESSAGES-BLOCK-END

  // -------------------------------------------------------------------------
  // Node interop.

  /**
   * Hands a connected stream socket (TCP or Unix) to Node as a `net.Socket`,
   * which takes ownership of the fd; this Socket becomes closed. Everything is
   * checked before the fd changes hands: a refusal is thrown at once and the
   * Socket keeps its fd. Does not correspond to a syscall (reads SO_ACCEPTCONN
   * with `getsockopt(2)`).
   * @see https://man7.org/linux/man-pages/man7/socket.7.html
   * @throws TypeError ERR_SOCKET_BAD_TYPE unless a stream socket of family inet, inet6 or unix;
   *   ERR_INVALID_ARG_TYPE for bad options; SocketError EINVAL for a listening socket
   *   (use toNetServer); Error ERR_SOCKET_CLOSED.
   */
  toNetSocket(options?: { allowHalfOpen?: boolean }): net.Socket {
    this.#check("toNetSocket");
    this.#requireStream("toNetSocket");
    if (options !== undefined && (options === null || typeof options !== "object"))
      throw codedError("ERR_INVALID_ARG_TYPE", `toNetSocket: options must be an object, got ${describe(options)}`);
    const allowHalfOpen = options?.allowHalfOpen ?? false;
    if (typeof allowHalfOpen !== "boolean")
      throw codedError(
        "ERR_INVALID_ARG_TYPE",
        `toNetSocket: options.allowHalfOpen must be a boolean, got ${describe(allowHalfOpen)}`,
      );
    if (this.#listening())
      throw new SocketError(
        EINVAL,
        "toNetSocket",
        {},
        "toNetSocket EINVAL: the socket is listening (hand it over with toNetServer)",
      );
    const fd = this.detach();
    try {
      return new net.Socket({ fd, readable: true, writable: true, allowHalfOpen });
    } catch (e) {
      // Node refused the fd after all (its handle never took it): close it rather than leak it.
      raw.discardFd(fd);
      throw e;
    }
  }

  /**
   * Hands a listening stream socket to Node as a `net.Server` (or to the given
   * server, e.g. an `http.Server`), which takes ownership of the fd: the
   * options set with sockit (SO_REUSEPORT, IP_FREEBIND, SO_BINDTODEVICE ...)
   * stay in force. The server emits 'listening' as usual. Everything is
   * checked before the fd changes hands: a refusal is thrown at once and the
   * Socket keeps its fd (and its port). Does not correspond to a syscall
   * (reads SO_ACCEPTCONN with `getsockopt(2)`).
   * @see https://man7.org/linux/man-pages/man7/socket.7.html
   * @throws TypeError ERR_SOCKET_BAD_TYPE unless a stream socket of family inet, inet6 or unix;
   *   ERR_INVALID_ARG_TYPE when `server` is not a net.Server; ERR_INVALID_ARG_VALUE when it
   *   already listens; SocketError EINVAL when this socket is not listening (call listen() first);
   *   Error ERR_SOCKET_CLOSED.
   */
  toNetServer<S extends net.Server = net.Server>(server?: S): S {
    this.#check("toNetServer");
    this.#requireStream("toNetServer");
    if (server !== undefined && !(server instanceof net.Server))
      throw codedError(
        "ERR_INVALID_ARG_TYPE",
        `toNetServer: server must be a net.Server (or http.Server ...), got ${describe(server)}`,
      );
    if (server?.listening) throw codedError("ERR_INVALID_ARG_VALUE", "toNetServer: the server is already listening");
    if (!this.#listening())
      throw new SocketError(
        EINVAL,
        "toNetServer",
        {},
        "toNetServer EINVAL: the socket is not listening (call listen() first)",
      );
    const srv = (server ?? net.createServer()) as S;
    const fd = this.detach();
    srv.listen({ fd });
    return srv;
  }

  /** SO_ACCEPTCONN: whether listen(2) has been called on this socket. */
  #listening(): boolean {
    raw.getsockopt(this.#fd, SOL.SOCKET, SO.ACCEPTCONN, optInt, { level: "SOL_SOCKET", option: "SO_ACCEPTCONN" });
    return optIntView[0] !== 0;
  }

  #requireStream(what: string): void {
    if (
      this.#type !== SOCK.STREAM ||
      (this.#family !== AF.INET && this.#family !== AF.INET6 && this.#family !== AF.UNIX)
    ) {
      throw codedError(
        "ERR_SOCKET_BAD_TYPE",
        `${what}: Node's net module takes only TCP and Unix stream sockets, this is ${String(this.family)}/${String(this.type)}`,
      );
    }
  }

  /** Describes the socket for `util.inspect` and `console.log`: fd, family, type, protocol, local and remote address, closed. Does not correspond to a syscall. */
  [inspect.custom](_depth: number, options: InspectOptions): string {
    const info: Record<string, unknown> = { fd: this.#fd, family: this.family, type: this.type };
    if (this.#protocol !== 0) info.protocol = this.protocol;
    if (!this.#closed) {
      try {
        info.local = formatAddress(this.getsockname());
      } catch {
        /* not bound */
      }
      try {
        info.remote = formatAddress(this.getpeername());
      } catch {
        /* not connected */
      }
    }
    info.closed = this.#closed;
    return `Socket ${inspect(info, { ...options, compact: true, breakLength: Infinity })}`;
  }
}

/**
 * Creates a pair of connected sockets. Wraps `socketpair(2)` (always with
 * SOCK_NONBLOCK | SOCK_CLOEXEC).
 * @param family "unix" (the only family Linux supports here) or AF_UNIX
 * @param type "stream" | "dgram" | "seqpacket"
 * @see https://man7.org/linux/man-pages/man2/socketpair.2.html
 * @throws SocketError EOPNOTSUPP, EAFNOSUPPORT, EMFILE; TypeError for unknown names.
 */
export function socketpair(
  family: FamilyName | number = "unix",
  type: TypeName | number = "stream",
  protocol?: string | number,
): [Socket, Socket] {
  const af = familyNumber(family);
  const ty = typeNumber(type);
  const proto = protocolNumber(af, protocol);
  const [a, b] = raw.socketpair(af, ty, proto);
  return [new Socket(af, ty, proto, { fd: a }), new Socket(af, ty, proto, { fd: b })];
}
