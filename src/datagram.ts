/**
 * `DatagramSocket`: an event-driven face for message sockets, shaped like
 * `node:dgram` — `'message'` events with the sender, `send(data, [address],
 * [callback])`, `bind`, `connect`, `close`, `ref`/`unref` — over any sockit
 * datagram, seqpacket or raw socket: Unix datagram and seqpacket, UDP, ICMP,
 * raw IP, netlink, packet. A `unix-dgram`, `node-unix-socket` or `node:dgram`
 * user moves over by changing an import (docs/guide.md: "Events:
 * DatagramSocket, and moving over from …").
 *
 * No promise per message. The receive path is a persistent reader queued in
 * the Socket's own readiness machinery (its private I/O primitive, through
 * the internal `kWatch` hook): on each readable wakeup it drains a batch with
 * one `recvmmsg(2)` and emits every datagram synchronously. The send path
 * makes the syscall at once and queues only on EAGAIN, in call order; a
 * queued send is retried from the writable wakeup, and the backpressure is
 * visible as in `net`'s `write()`: `send()` returns false when the datagram
 * had to wait, and `'drain'` is emitted when the queue has emptied.
 *
 * Over 800 lines on purpose: one class with node:dgram's whole surface (bind,
 * connect, send in its four shapes, the buffer, TTL, broadcast and multicast
 * setters), each member documented; its receive and send engines are the
 * halves that make the class and would not stand apart.
 */
import { EventEmitter } from "node:events";
import {
  type AddressLike,
  type SocketAddress,
  type NetlinkAddress,
  type PacketAddress,
  type UnknownAddress,
  decodeSockaddr,
  encodeSockaddr,
  errorContext,
  parseIPv4,
  parseIPv6,
  toAddress,
  type Sockaddr,
} from "./address.js";
import { AF, MSG, SOCK, STRUCTS } from "./constants.js";
import { ERRNO, SocketError, closedError, codedError, type ErrorContext } from "./errors.js";
import * as batch from "./raw/batch.js";
import * as raw from "./raw/index.js";
import { AGAIN, describe } from "./raw/index.js";
import { Socket, kWatch } from "./socket.js";

/** The socket kinds {@link createDatagramSocket} makes by name. */
export type DatagramType = "udp4" | "udp6" | "unix-dgram" | "unix_dgram" | "unix-seqpacket";

/** Options of {@link createDatagramSocket} (the `node:dgram` ones that apply, plus sockit's). */
export interface DatagramSocketOptions {
  /** The kind of socket: "udp4", "udp6", "unix-dgram" (also unix-dgram's "unix_dgram"), "unix-seqpacket". */
  type: DatagramType;
  /** SO_REUSEADDR before bind. */
  reuseAddr?: boolean;
  /** SO_REUSEPORT before bind (several sockets share a port). */
  reusePort?: boolean;
  /** IPV6_V6ONLY ("udp6" only). */
  ipv6Only?: boolean;
  /** SO_RCVBUF, set at creation. */
  recvBufferSize?: number;
  /** SO_SNDBUF, set at creation. */
  sendBufferSize?: number;
  /** Closes the socket when aborted. */
  signal?: AbortSignal;
  /** The largest datagram received whole (default 65536); a longer one arrives cut, with `rinfo.truncated`. */
  recvSize?: number;
  /** Datagrams read per `recvmmsg(2)` (default 32, 1..1024). */
  recvBatch?: number;
}

/** Options of the {@link DatagramSocket} constructor (wrapping a Socket). */
export type WrapOptions = Pick<DatagramSocketOptions, "recvSize" | "recvBatch" | "signal">;

/** The sender of a UDP datagram, as `node:dgram` gives it. */
export interface InetRemoteInfo {
  /** The sender's IP address in text form ("127.0.0.1", "::1"). */
  address: string;
  /** "IPv4" or "IPv6", as `node:dgram` spells it. */
  family: "IPv4" | "IPv6";
  /** The sender's UDP port. */
  port: number;
  /** The datagram's real length (larger than the Buffer when `truncated`). */
  size: number;
  /** Present (true) only when the datagram was longer than `recvSize` and arrived cut. */
  truncated?: true;
}

/** The sender of a Unix datagram or seqpacket message, as `unix-dgram` gives it ("" = unnamed). */
export interface UnixRemoteInfo {
  /** The sender's bound path ("" when the sender is unnamed; a Buffer for an abstract or non-UTF-8 name). */
  path: string | Buffer;
  /** The message's real length (larger than the Buffer when `truncated`). */
  size: number;
  /** Present (true) only when the message was longer than `recvSize` and arrived cut. */
  truncated?: true;
}

/** The sender on any other family (netlink, packet, raw): the address object plus `size`. */
export type OtherRemoteInfo = (NetlinkAddress | PacketAddress | UnknownAddress) & OtherRemoteSize;

/** The length fields {@link OtherRemoteInfo} adds to the sender's address. */
export interface OtherRemoteSize {
  /** The message's real length (larger than the Buffer when `truncated`). */
  size: number;
  /** Present (true) only when the message was longer than `recvSize` and arrived cut. */
  truncated?: true;
}

/** What `'message'` listeners get as the second argument. */
export type RemoteInfo = InetRemoteInfo | UnixRemoteInfo | OtherRemoteInfo;

/** What address() and remoteAddress() return: `node:dgram`'s `{ address, family, port }`, or `{ path }` on Unix. */
export type LocalInfo = InetLocalInfo | UnixLocalInfo | SocketAddress;

/** An IP socket's own or connected address, as `node:dgram`'s address() gives it. */
export interface InetLocalInfo {
  /** The IP address in text form. */
  address: string;
  /** "IPv4" or "IPv6". */
  family: "IPv4" | "IPv6";
  /** The UDP port. */
  port: number;
}

/** A Unix socket's own or connected address, as `unix-dgram` gives it. */
export interface UnixLocalInfo {
  /** The bound path ("" when unnamed; a Buffer for an abstract or non-UTF-8 name). */
  path: string | Buffer;
}

/** What send() takes as the message: bytes, a string (UTF-8), or a list of them (sent as one datagram). */
export type SendData = ArrayBufferView | string | readonly (ArrayBufferView | string)[];

/** Where send() can send: an address (string or object), a `node:dgram` rinfo / address() result, a `unix-dgram` rinfo. */
export type Destination = AddressLike | Buffer | InetDestination | UnixLocalInfo;

/** A UDP destination in `node:dgram`'s shape (an rinfo or an address() result works as one). */
export interface InetDestination {
  /** The IP address in text form. */
  address: string;
  /** The UDP port. */
  port: number;
  /** "IPv4"/"IPv6" (ignored: the address says which). */
  family?: string;
}

/** A send callback: `(error, bytes)` as `node:dgram`'s. */
export type SendCallback = (error: Error | null, bytes?: number) => void;

/** A send waiting for buffer space. */
interface Pending {
  buf: ArrayBufferView;
  off: number;
  len: number;
  sa: Sockaddr | null;
  ctx: ErrorContext | undefined;
  cb: SendCallback | undefined;
}

const READ = 0;
const WRITE = 1;
const SOCKADDR_SIZE = STRUCTS.sockaddr_storage!.size;
const DEFAULT_SIZE = 65536;
const DEFAULT_BATCH = 32;
/** Batches read in one wakeup at most, so one busy socket cannot starve the loop. */
const MAX_BATCHES = 4;
/**
 * Receive errors after which a datagram socket reads on: ICMP reports on UDP
 * (connected sockets, IP_RECVERR), a netlink receive buffer overrun, a
 * message too long. Any other error stops the reader (it would repeat).
 */
const TRANSIENT = new Set(
  ["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN", "ENETDOWN", "ENOBUFS", "EMSGSIZE", "EPROTO", "ETIMEDOUT"]
    .map((n) => ERRNO[n])
    .filter((n): n is number => n !== undefined)
    .map((n) => -n),
);

/** The receive slab, shared by every DatagramSocket (used only inside one synchronous wakeup). */
let slab = Buffer.allocUnsafeSlow(0);
let addrSlab = Buffer.alloc(0);
let outs = new Int32Array(0);
/** Queued datagrams flushed per sendmmsg(2), and its address slab (one destination per run). */
const MAX_FLUSH = 64;
const runAddrs = Buffer.alloc(MAX_FLUSH * SOCKADDR_SIZE);
const runAddrLens = new Int32Array(MAX_FLUSH);
/** AF_UNSPEC, for disconnect(): connect(2) to it dissolves a datagram association. */
const UNSPEC = Buffer.alloc(STRUCTS.sockaddr_in!.size);

/** The cache key of a destination that cannot be cached (an object that may change). */
const NO_KEY = Symbol("uncached");

/** A node:dgram rinfo or address() result: `{ address, family: "IPv4" | "IPv6", port }` (not a sockit address). */
function isDgramInfo(key: object): key is { address?: unknown; port?: unknown } {
  const f = (key as { family?: unknown }).family;
  return "port" in key && f !== "inet" && f !== "inet6";
}

/** Throws an error the user's code threw from a listener or callback as an uncaught exception, as Node's handles do. */
function rethrow(e: unknown): void {
  process.nextTick(() => {
    throw e;
  });
}

function checkCallback(cb: unknown, what: string): SendCallback | undefined {
  if (cb === undefined || cb === null) return undefined;
  if (typeof cb !== "function")
    throw codedError("ERR_INVALID_ARG_TYPE", `${what} must be a function, got ${describe(cb)}`);
  return cb as SendCallback;
}

function checkPositive(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw codedError("ERR_INVALID_ARG_TYPE", `${what} must be an integer, got ${describe(v)}`);
  }
  if (v < min || v > max) throw codedError("ERR_OUT_OF_RANGE", `${what} must be in ${min}..${max}, got ${v}`);
  return v;
}

function checkPort(port: unknown, what: string): number {
  if (typeof port === "string" && /^\d+$/.test(port)) port = Number(port);
  return checkPositive(port, what, 0, 65535);
}

/** Bytes from what node:dgram accepts: a Buffer/TypedArray/DataView, a string, or an array of them. */
function toData(msg: unknown): ArrayBufferView {
  if (ArrayBuffer.isView(msg)) return msg;
  if (typeof msg === "string") return Buffer.from(msg, "utf8");
  if (Array.isArray(msg)) {
    const parts = msg.map((m, i) => {
      if (ArrayBuffer.isView(m)) return Buffer.from(m.buffer, m.byteOffset, m.byteLength);
      if (typeof m === "string") return Buffer.from(m, "utf8");
      throw codedError(
        "ERR_INVALID_ARG_TYPE",
        `send: msg[${i}] must be a Buffer, TypedArray, DataView or string, got ${describe(m)}`,
      );
    });
    return Buffer.concat(parts);
  }
  throw codedError(
    "ERR_INVALID_ARG_TYPE",
    `send: msg must be a Buffer, TypedArray, DataView, string or an array of them, got ${describe(msg)}`,
  );
}

/**
 * A `node:dgram`-shaped, event-driven socket over a sockit {@link Socket} of
 * a message type (datagram, seqpacket, raw). Emits `'message'` (buf, rinfo),
 * `'listening'`, `'connect'`, `'drain'`, `'error'`, `'close'`, and on a
 * seqpacket socket `'end'` when the peer closed.
 *
 * Notes: while wrapped, the Socket belongs to this object — do not call its
 * receive methods as well (they would queue behind the reader forever).
 * `socket` gives it for options and calls this face does not carry.
 */
export class DatagramSocket<R extends RemoteInfo = RemoteInfo> extends EventEmitter {
  readonly #sock: Socket;
  readonly #family: number;
  readonly #type: number;
  readonly #fd: number;
  readonly #size: number;
  readonly #count: number;
  #closed = false;
  #reading = false;
  #bound = false;
  #connected = false;
  /** Sends waiting for buffer space, in call order. */
  #queue: Pending[] = [];
  #queuedBytes = 0;
  /** A write waiter is queued in the Socket. */
  #writeWaiting = false;
  /** Writable wakeups in a row that moved nothing, and the back-off they lead to. */
  #idleWakeups = 0;
  #backoff = 0;
  #backoffTimer: NodeJS.Timeout | undefined;
  #userRef = true;
  /** The last destination encoded by send(), by its key (a string, a port+host pair, an object). */
  #toKey: unknown;
  #toHost: unknown;
  #toSa: Sockaddr | undefined;
  #toCtx: ErrorContext | undefined;
  /** The last sender decoded: its raw bytes and the rinfo fields made from them. */
  #fromBytes = Buffer.alloc(SOCKADDR_SIZE);
  #fromLen = -1;
  #fromBase: { address?: string; family?: "IPv4" | "IPv6"; port?: number; path?: string | Buffer } | SocketAddress = {};
  /** Receive errors in a row with no datagram between them. */
  #errorRun = 0;
  readonly #reader = (): number => this.#readable();
  readonly #flusher = (): number => this.#writable();

  /**
   * Wraps a message socket (datagram, seqpacket or raw) that is set up
   * (bound, connected, or a kind that receives without either, as ICMP,
   * netlink and packet sockets do), and starts receiving at once.
   * Does not correspond to a syscall.
   * @throws TypeError ERR_INVALID_ARG_TYPE (not a sockit Socket), ERR_SOCKET_BAD_TYPE (a stream
   *   socket); RangeError ERR_OUT_OF_RANGE (recvSize, recvBatch); Error ERR_SOCKET_CLOSED.
   */
  constructor(socket: Socket, options?: WrapOptions) {
    super();
    if (!(socket instanceof Socket)) {
      throw codedError("ERR_INVALID_ARG_TYPE", `DatagramSocket: expected a sockit Socket, got ${describe(socket)}`);
    }
    if (socket.closed) throw closedError("DatagramSocket");
    const type = typeof socket.type === "number" ? socket.type : SOCK[socket.type.toUpperCase() as "DGRAM"];
    if (type === SOCK.STREAM) {
      throw codedError(
        "ERR_SOCKET_BAD_TYPE",
        "DatagramSocket needs a datagram, seqpacket or raw socket (a stream has no message boundaries; use toNetSocket())",
      );
    }
    if (options !== undefined && (options === null || typeof options !== "object")) {
      throw codedError("ERR_INVALID_ARG_TYPE", `DatagramSocket: options must be an object, got ${describe(options)}`);
    }
    this.#size =
      options?.recvSize === undefined ? DEFAULT_SIZE : checkPositive(options.recvSize, "recvSize", 1, 1 << 24);
    this.#count =
      options?.recvBatch === undefined ? DEFAULT_BATCH : checkPositive(options.recvBatch, "recvBatch", 1, 1024);
    if (this.#size * this.#count > 0x7fffffff) {
      throw codedError("ERR_OUT_OF_RANGE", "recvSize * recvBatch must be at most 2 GiB");
    }
    const signal = options?.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw codedError(
        "ERR_INVALID_ARG_TYPE",
        `DatagramSocket: signal must be an AbortSignal, got ${describe(signal)}`,
      );
    }
    this.#sock = socket;
    this.#fd = socket.fd;
    this.#type = type;
    const fam = socket.family;
    this.#family = typeof fam === "number" ? fam : AF[fam.toUpperCase() as "INET"];
    if (signal !== undefined) {
      if (signal.aborted) queueMicrotask(() => this.close());
      else signal.addEventListener("abort", () => this.close(), { once: true });
    }
    if (!(options as { deferred?: boolean } | undefined)?.deferred) this.#startReading();
  }

  /** Adds a listener: 'message' (msg, rinfo), 'listening', 'connect', 'drain', 'end', 'close', 'error' (err). */
  override on(event: "message", listener: (msg: Buffer, rinfo: R) => void): this;
  override on(event: "listening" | "connect" | "drain" | "close" | "end", listener: () => void): this;
  override on(event: "error", listener: (err: Error) => void): this;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override on(event: string | symbol, listener: (...args: any[]) => void): this {
    return super.on(event, listener);
  }

  /** Adds a one-time listener (see on()). */
  override once(event: "message", listener: (msg: Buffer, rinfo: R) => void): this;
  override once(event: "listening" | "connect" | "drain" | "close" | "end", listener: () => void): this;
  override once(event: "error", listener: (err: Error) => void): this;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override once(event: string | symbol, listener: (...args: any[]) => void): this {
    return super.once(event, listener);
  }

  /** The sockit Socket underneath, for options and calls this face does not carry. */
  get socket(): Socket {
    return this.#sock;
  }

  // ---------------------------------------------------------------------------
  // Receiving.

  #startReading(): void {
    if (this.#reading || this.#closed) return;
    this.#reading = true;
    this.#sock[kWatch](READ, "recvmmsg", this.#reader).then(
      () => {
        this.#reading = false;
      },
      (e: unknown) => {
        this.#reading = false;
        if (!this.#closed) this.#emitError(e);
      },
    );
  }

  /**
   * The persistent reader, run by each readable wakeup: one recvmmsg(2) per
   * batch, each datagram emitted at once; returns AGAIN to stay queued, 0 to
   * stop reading (seqpacket EOF, an error that would repeat, close).
   */
  #readable(): number {
    const count = this.#count;
    const size = this.#size;
    if (slab.length < count * size) slab = Buffer.allocUnsafeSlow(count * size);
    if (addrSlab.length < count * SOCKADDR_SIZE) addrSlab = Buffer.alloc(count * SOCKADDR_SIZE);
    if (outs.length < count * 4) outs = new Int32Array(count * 4);
    const flags = MSG.TRUNC | (this.#family === AF.PACKET ? 0 : MSG.CMSG_CLOEXEC);
    for (let round = 0; round < MAX_BATCHES; round++) {
      let r: number;
      try {
        r = batch.recvmmsg(this.#fd, slab, size, count, addrSlab, SOCKADDR_SIZE, null, 0, outs, flags);
      } catch (e) {
        this.#emitError(e);
        if (this.#closed) return 0;
        // A connection (seqpacket) error, or the same error again and again: stop reading.
        const errno = (e as SocketError).errno;
        if (this.#type === SOCK.SEQPACKET || !TRANSIENT.has(errno) || ++this.#errorRun > 16) return 0;
        return AGAIN;
      }
      if (r === AGAIN) return AGAIN;
      this.#errorRun = 0;
      if (!this.#deliver(r, size)) return this.#closed ? AGAIN : 0;
      if (r < count) return AGAIN;
    }
    return AGAIN;
  }

  /** Emits the r datagrams of the slab; false when reading must stop (closed, seqpacket EOF). */
  #deliver(r: number, size: number): boolean {
    let all: Buffer;
    if (r === 1) {
      // The common case of a ping-pong: one copy into a Buffer of its own size.
      all = Buffer.allocUnsafe(Math.min(outs[0]!, size));
      slab.copy(all, 0, 0, all.length);
    } else {
      // Close up the gaps (message i sits at i * size) so that one copy moves
      // the batch into one allocation, and each datagram is a view of it.
      let total = 0;
      for (let i = 0; i < r; i++) {
        const got = Math.min(outs[i * 4]!, size);
        if (i * size !== total) slab.copyWithin(total, i * size, i * size + got);
        total += got;
      }
      all = Buffer.allocUnsafe(total);
      slab.copy(all, 0, 0, total);
    }
    let off = 0;
    for (let i = 0; i < r; i++) {
      const len = outs[i * 4]!;
      const got = Math.min(len, size);
      if (len === 0 && this.#type === SOCK.SEQPACKET) {
        // The kernel reports a closed peer as a zero-length read (recv(2)),
        // which a zero-length message cannot be told apart from.
        this.#ended();
        return false;
      }
      const rinfo = this.#rinfo(i, outs[i * 4 + 1]!, len);
      if ((outs[i * 4 + 3]! & MSG.TRUNC) !== 0 || len > size) (rinfo as { truncated?: true }).truncated = true;
      const buf = r === 1 ? all : all.subarray(off, off + got);
      off += got;
      try {
        this.emit("message", buf, rinfo);
      } catch (e) {
        rethrow(e);
      }
      if (this.#closed) return false;
    }
    return true;
  }

  /** The rinfo of message i: its sender decoded once per distinct sender, plus its size. */
  #rinfo(i: number, alen: number, size: number): RemoteInfo {
    const at = i * SOCKADDR_SIZE;
    if (!this.#sameSender(at, alen)) {
      const len = Math.min(alen, SOCKADDR_SIZE);
      this.#fromBase = this.#info(decodeSockaddr(addrSlab.subarray(at, at + SOCKADDR_SIZE), len, this.#family));
      addrSlab.copy(this.#fromBytes, 0, at, at + len);
      this.#fromLen = alen;
    }
    const b = this.#fromBase as Record<string, unknown>;
    if (this.#family === AF.INET || this.#family === AF.INET6) {
      return { address: b.address as string, family: b.family as "IPv4", port: b.port as number, size };
    }
    if (this.#family === AF.UNIX) return { path: b.path as string, size };
    return { ...(b as unknown as SocketAddress), size } as OtherRemoteInfo;
  }

  /** Whether addrSlab[at, at + alen) holds the last sender (a JS loop: cheaper than a Buffer.compare call for ~30 bytes). */
  #sameSender(at: number, alen: number): boolean {
    if (alen !== this.#fromLen) return false;
    const last = this.#fromBytes;
    for (let i = 0; i < alen; i++) if (addrSlab[at + i] !== last[i]) return false;
    return true;
  }

  /** A SocketAddress in node:dgram's shape: { address, family: "IPv4" | "IPv6", port }, or { path } on Unix. */
  #info(a: SocketAddress): LocalInfo {
    if (a.family === "inet") return { address: a.address, family: "IPv4", port: a.port };
    if (a.family === "inet6") return { address: a.address, family: "IPv6", port: a.port };
    if (a.family === "unix") return { path: a.path };
    return a;
  }

  #ended(): void {
    try {
      this.emit("end");
    } catch (e) {
      rethrow(e);
    }
    this.close();
  }

  // ---------------------------------------------------------------------------
  // Sending.

  /**
   * Sends one datagram, at once when the kernel takes it; else queues it
   * (in call order) until the socket is writable. Returns true when it was
   * sent (or failed) at once, false when it waits: then `'drain'` follows
   * once every queued datagram has gone, as for `net`'s `write()`.
   *
   * Forms: `send(msg, [callback])` on a connected socket;
   * `send(msg, address, [callback])` with an address string or object
   * ("/run/x.sock", "127.0.0.1:9000", `{ family: "netlink", pid: 0 }`, a rinfo);
   * `send(msg, port, [host], [callback])` on UDP (host: an IP literal or
   * "localhost"; default the loopback address); and with `offset, length`
   * after `msg` in each form, as `node:dgram` and `unix-dgram` have it.
   * `msg` is a Buffer, TypedArray, DataView, string, or an array of them.
   * The callback gets `(error, bytes)` — on the next tick when sent at once.
   * Without a callback, a failure is emitted as `'error'`.
   * Wraps `send(2)` / `sendto(2)`, always with MSG_NOSIGNAL.
   * @see https://man7.org/linux/man-pages/man2/sendto.2.html
   * @throws TypeError ERR_INVALID_ARG_TYPE / ERR_INVALID_ADDRESS, RangeError ERR_OUT_OF_RANGE
   *   (bad message, offset, length, port, address, callback) at once; Error ERR_SOCKET_CLOSED.
   *   Kernel errors (EMSGSIZE, ECONNREFUSED, ENOENT, EACCES ...) go to the callback or `'error'`.
   */
  send(msg: SendData, callback?: SendCallback): boolean;
  send(msg: SendData, address: Destination, callback?: SendCallback): boolean;
  send(msg: SendData, port: number, address?: string, callback?: SendCallback): boolean;
  send(msg: SendData, port: number, callback?: SendCallback): boolean;
  send(msg: SendData, offset: number, length: number, callback?: SendCallback): boolean;
  send(msg: SendData, offset: number, length: number, address: Destination, callback?: SendCallback): boolean;
  send(msg: SendData, offset: number, length: number, port: number, address?: string, callback?: SendCallback): boolean;
  send(msg: unknown, ...args: unknown[]): boolean {
    const buf = toData(msg);
    let off = 0;
    let len = buf.byteLength;
    let i = 0;
    if (typeof args[0] === "number" && typeof args[1] === "number") {
      off = checkPositive(args[0], "send: offset", 0, len);
      len = checkPositive(args[1], "send: length", 0, len - off);
      i = 2;
    }
    let sa: Sockaddr | null = null;
    let ctx: ErrorContext | undefined;
    const a = args[i];
    let cb: SendCallback | undefined;
    if (a === undefined || a === null || typeof a === "function") {
      cb = checkCallback(a, "send: callback");
      if (args.length > i + 1 && args[i + 1] !== undefined) cb = checkCallback(args[i + 1], "send: callback");
    } else if (typeof a === "number" || (typeof a === "string" && this.#isInet() && /^\d+$/.test(a))) {
      // send(msg, [offset, length], port, [host], [callback])
      const host = args[i + 1];
      if (typeof host === "function") {
        this.#encodeTo(a, undefined);
        cb = checkCallback(host, "send: callback");
      } else {
        this.#encodeTo(a, host);
        cb = checkCallback(args[i + 2], "send: callback");
      }
      sa = this.#toSa!;
      ctx = this.#toCtx;
    } else {
      this.#encodeTo(a, undefined);
      sa = this.#toSa!;
      ctx = this.#toCtx;
      cb = checkCallback(args[i + 1], "send: callback");
    }
    if (this.#closed) throw closedError("send");
    if (sa !== null && !this.#bound && !this.#connected && this.#isInet()) {
      // The kernel binds an unbound UDP socket on its first send (to any
      // address, an ephemeral port), as node:dgram does: start receiving.
      this.#bound = true;
      queueMicrotask(() => {
        if (this.#closed) return;
        this.#startReading();
        this.emit("listening");
      });
    }
    if (this.#queue.length !== 0) {
      this.#enqueue(buf, off, len, sa, ctx, cb);
      return false;
    }
    let r: number;
    try {
      if (sa === null) r = raw.send(this.#fd, buf, off, len, 0);
      else r = raw.sendto(this.#fd, buf, off, len, 0, sa.bytes, sa.length, ctx);
    } catch (err) {
      if (cb !== undefined) process.nextTick(cb, err);
      else process.nextTick(() => this.#emitError(err));
      return true;
    }
    if (r === AGAIN) {
      this.#enqueue(buf, off, len, sa, ctx, cb);
      return false;
    }
    if (cb !== undefined) process.nextTick(cb, null, r);
    return true;
  }

  #isInet(): boolean {
    return this.#family === AF.INET || this.#family === AF.INET6;
  }

  /** Encodes a destination into #toSa/#toCtx (cached: a reply loop sends to one peer again and again). */
  #encodeTo(key: unknown, host: unknown): void {
    if (key === this.#toKey && host === this.#toHost && this.#toSa !== undefined) return;
    let addr: SocketAddress;
    if (typeof key === "number" || (typeof key === "string" && this.#isInet() && /^\d+$/.test(key))) {
      if (!this.#isInet()) {
        throw codedError(
          "ERR_INVALID_ARG_TYPE",
          `send: a port number needs a UDP socket, this is ${String(this.#sock.family)}`,
        );
      }
      addr = this.#inetAddress(checkPort(key, "send: port"), host, "send");
    } else if (key !== null && typeof key === "object" && isDgramInfo(key)) {
      addr = this.#inetAddress(checkPort(key.port, "send: port"), key.address, "send");
    } else if (Buffer.isBuffer(key) && this.#family === AF.UNIX) {
      // A Unix path as bytes (a rinfo.path that is not UTF-8).
      addr = { family: "unix", path: key };
    } else if (key !== null && typeof key === "object" && "path" in key && !("family" in key)) {
      // A unix-dgram rinfo: { path }.
      addr = toAddress({ family: "unix", path: (key as { path: string }).path }, this.#family, "sendto");
    } else {
      addr = toAddress(key as AddressLike, this.#family, "sendto");
    }
    const sa = encodeSockaddr(addr, "sendto");
    this.#toSa = sa;
    this.#toCtx = errorContext(addr);
    // Strings, numbers and frozen objects cannot change behind the cache.
    this.#toKey = typeof key !== "object" || Object.isFrozen(key) ? key : NO_KEY;
    this.#toHost = host;
  }

  /** `{ family, address, port }` for this socket's family from a port and an IP literal (or "localhost"). */
  #inetAddress(port: number, host: unknown, what: string): SocketAddress {
    const v6 = this.#family === AF.INET6;
    if (host === undefined || host === null || host === "localhost") host = v6 ? "::1" : "127.0.0.1";
    if (typeof host !== "string") {
      throw codedError("ERR_INVALID_ARG_TYPE", `${what}: address must be a string, got ${describe(host)}`);
    }
    if (parseIPv4(host))
      return v6 ? { family: "inet6", address: `::ffff:${host}`, port } : { family: "inet", address: host, port };
    const pct = host.indexOf("%");
    if (v6 && parseIPv6(pct === -1 ? host : host.slice(0, pct))) {
      return toAddress(`[${host}]:${port}`, this.#family, what);
    }
    throw codedError(
      "ERR_INVALID_ADDRESS",
      `${what}: ${JSON.stringify(host)} is not an ${v6 ? "IPv6 or IPv4" : "IPv4"} address literal (resolve names with getaddrinfo first)`,
    );
  }

  #enqueue(
    buf: ArrayBufferView,
    off: number,
    len: number,
    sa: Sockaddr | null,
    ctx: ErrorContext | undefined,
    cb: SendCallback | undefined,
  ): void {
    this.#queue.push({ buf, off, len, sa, ctx, cb });
    this.#queuedBytes += len;
    this.#watchWrite();
  }

  #watchWrite(): void {
    if (this.#writeWaiting || this.#backoffTimer !== undefined || this.#closed) return;
    this.#writeWaiting = true;
    this.#sock[kWatch](WRITE, "sendto", this.#flusher).catch((e: unknown) => {
      this.#writeWaiting = false;
      if (!this.#closed) {
        this.#failQueue(e);
        this.#emitError(e);
      }
    });
  }

  /**
   * The writable wakeup: sends the queued datagrams in order until the kernel
   * says EAGAIN (stay queued) or the queue is empty ('drain'). A wakeup that
   * moves nothing twice in a row — a Unix sender whose unconnected peer is
   * full is woken by its own buffer space, not by the peer's — backs off
   * (1 ms doubling to 50 ms) instead of spinning.
   */
  #writable(): number {
    const q = this.#queue;
    let sent = 0;
    while (q.length !== 0 && !this.#closed) {
      const p = q[0]!;
      // A run of queued datagrams to the same destination goes in one sendmmsg(2).
      let n = 1;
      while (n < q.length && n < MAX_FLUSH && q[n]!.sa === p.sa) n++;
      if (n > 1) {
        let r: number;
        try {
          r = this.#sendRun(n);
        } catch {
          // The head's own error (sendmmsg reports one once nothing before it went):
          // the single send below meets it again and reports it to that datagram.
          r = -1;
        }
        if (r === AGAIN) break;
        if (r > 0) {
          // Out of the queue first: a callback that closes the socket must not fail datagrams already sent.
          const done = q.splice(0, r);
          for (const d of done) this.#queuedBytes -= d.len;
          for (const d of done) if (d.cb !== undefined) this.#call(d.cb, null, d.len);
          sent += r;
          continue;
        }
        // An error: the head's own (sendmmsg reports it once nothing before it went).
      }
      let r: number;
      let err: unknown;
      try {
        r =
          p.sa === null
            ? raw.send(this.#fd, p.buf, p.off, p.len, 0)
            : raw.sendto(this.#fd, p.buf, p.off, p.len, 0, p.sa.bytes, p.sa.length, p.ctx);
      } catch (e) {
        err = e;
        r = -1;
      }
      if (r === AGAIN) break;
      q.shift();
      this.#queuedBytes -= p.len;
      sent++;
      if (err !== undefined) {
        if (p.cb !== undefined) this.#call(p.cb, err as Error);
        else this.#emitError(err);
      } else if (p.cb !== undefined) this.#call(p.cb, null, r);
    }
    if (this.#closed) {
      this.#writeWaiting = false;
      return 0;
    }
    if (q.length === 0) {
      this.#writeWaiting = false;
      this.#idleWakeups = 0;
      this.#backoff = 0;
      queueMicrotask(() => {
        if (!this.#closed && this.#queue.length === 0) {
          try {
            this.emit("drain");
          } catch (e) {
            rethrow(e);
          }
        }
      });
      return 0;
    }
    if (sent !== 0) {
      this.#idleWakeups = 0;
      this.#backoff = 0;
      return AGAIN;
    }
    if (++this.#idleWakeups < 2) return AGAIN;
    // Leave the wait queue and try again after a pause.
    this.#writeWaiting = false;
    this.#backoff = Math.min(Math.max(1, this.#backoff * 2), 50);
    this.#backoffTimer = setTimeout(() => {
      this.#backoffTimer = undefined;
      if (this.#closed) return;
      this.#idleWakeups = 0;
      if (this.#writable() === AGAIN) this.#watchWrite();
    }, this.#backoff);
    if (!this.#userRef) this.#backoffTimer.unref();
    return 0;
  }

  /** sendmmsg(2) of the first n queued datagrams (one destination): how many went, or AGAIN; a failure throws its SocketError. */
  #sendRun(n: number): number {
    const q = this.#queue;
    const bufs: ArrayBufferView[] = new Array(n);
    const sa = q[0]!.sa;
    for (let i = 0; i < n; i++) {
      const d = q[i]!;
      bufs[i] =
        d.off === 0 && d.len === d.buf.byteLength
          ? d.buf
          : new Uint8Array(d.buf.buffer, d.buf.byteOffset + d.off, d.len);
      if (sa !== null) {
        sa.bytes.copy(runAddrs, i * SOCKADDR_SIZE, 0, sa.length);
        runAddrLens[i] = sa.length;
      }
    }
    return sa === null
      ? batch.sendmmsg(this.#fd, bufs, null, 0, null, null, 0, null, null, 0)
      : batch.sendmmsg(this.#fd, bufs, runAddrs, SOCKADDR_SIZE, runAddrLens, null, 0, null, null, 0);
  }

  #call(cb: SendCallback, err: Error | null, n?: number): void {
    try {
      if (err === null) cb(null, n);
      else cb(err);
    } catch (e) {
      rethrow(e);
    }
  }

  #failQueue(err: unknown): void {
    const q = this.#queue;
    this.#queue = [];
    this.#queuedBytes = 0;
    for (const p of q) if (p.cb !== undefined) process.nextTick(p.cb, err);
  }

  /** The number of datagrams waiting for buffer space (node:dgram's getSendQueueCount). Does not correspond to a syscall. */
  getSendQueueCount(): number {
    return this.#queue.length;
  }

  /** The bytes waiting for buffer space (node:dgram's getSendQueueSize). Does not correspond to a syscall. */
  getSendQueueSize(): number {
    return this.#queuedBytes;
  }

  // ---------------------------------------------------------------------------
  // Addresses.

  /**
   * Binds the local address and starts receiving; `'listening'` follows (and
   * `callback`). Forms: `bind([port], [address], [callback])` and
   * `bind({ port, address }, [callback])` on UDP — **the address defaults to
   * the loopback address** (sockit's safe default; name "0.0.0.0" or "::" to
   * receive from other hosts); `bind(path | address, [callback])` on any
   * family ("/run/x.sock", "@abstract", `{ family: "netlink", pid: 0, groups }`).
   * A kernel error is emitted as `'error'`. Wraps `bind(2)`.
   * @see https://man7.org/linux/man-pages/man2/bind.2.html
   * @throws TypeError ERR_INVALID_ARG_TYPE / ERR_INVALID_ADDRESS, RangeError ERR_OUT_OF_RANGE at once;
   *   Error ERR_SOCKET_CLOSED.
   */
  bind(port?: number, address?: string, callback?: () => void): this;
  bind(port: number, callback?: () => void): this;
  bind(callback: () => void): this;
  bind(options: { port?: number; address?: string }, callback?: () => void): this;
  bind(address: AddressLike, callback?: () => void): this;
  bind(...args: unknown[]): this {
    let cb: unknown;
    let addr: SocketAddress;
    const a = args[0];
    if (
      this.#isInet() &&
      (a === undefined ||
        a === null ||
        typeof a === "number" ||
        typeof a === "function" ||
        (typeof a === "string" && /^\d+$/.test(a)))
    ) {
      if (typeof a === "function") {
        cb = a;
        addr = this.#inetAddress(0, undefined, "bind");
      } else {
        const port = a === undefined || a === null ? 0 : checkPort(a, "bind: port");
        const host = typeof args[1] === "function" ? undefined : args[1];
        cb = typeof args[1] === "function" ? args[1] : args[2];
        addr = this.#inetAddress(port, host, "bind");
      }
    } else if (this.#isInet() && a !== null && typeof a === "object" && !("family" in a)) {
      const o = a as { port?: unknown; address?: unknown };
      addr = this.#inetAddress(o.port === undefined ? 0 : checkPort(o.port, "bind: port"), o.address, "bind");
      cb = args[1];
    } else {
      addr = toAddress(a as AddressLike, this.#family, "bind");
      cb = args[1];
    }
    const done = checkCallback(cb, "bind: callback");
    if (this.#closed) throw closedError("bind");
    const sa = encodeSockaddr(addr, "bind");
    try {
      raw.bind(this.#fd, sa.bytes, sa.length, errorContext(addr));
    } catch (err) {
      process.nextTick(() => this.#emitError(err));
      return this;
    }
    this.#bound = true;
    if (done !== undefined) this.once("listening", done as () => void);
    this.#startReading();
    process.nextTick(() => {
      if (!this.#closed) this.emit("listening");
    });
    return this;
  }

  /**
   * Associates the socket with one peer: `send(msg)` goes there and only its
   * datagrams are received (on seqpacket: makes the connection). Forms:
   * `connect(port, [address], [callback])` on UDP (address default:
   * loopback) and `connect(path | address, [callback])`. `'connect'`
   * follows; an error goes to `callback` (or `'error'` without one). Wraps
   * `connect(2)`.
   * @see https://man7.org/linux/man-pages/man2/connect.2.html
   * @throws TypeError/RangeError for bad arguments at once; Error ERR_SOCKET_CLOSED.
   */
  connect(port: number, address?: string, callback?: (err?: Error | null) => void): this;
  connect(port: number, callback?: (err?: Error | null) => void): this;
  connect(address: AddressLike, callback?: (err?: Error | null) => void): this;
  connect(...args: unknown[]): this {
    let addr: SocketAddress;
    let cb: unknown;
    const a = args[0];
    if (this.#isInet() && (typeof a === "number" || (typeof a === "string" && /^\d+$/.test(a)))) {
      const host = typeof args[1] === "function" ? undefined : args[1];
      cb = typeof args[1] === "function" ? args[1] : args[2];
      addr = this.#inetAddress(checkPort(a, "connect: port"), host, "connect");
    } else {
      addr = toAddress(a as AddressLike, this.#family, "connect");
      cb = args[1];
    }
    const done = checkCallback(cb, "connect: callback") as ((err?: Error | null) => void) | undefined;
    if (this.#closed) throw closedError("connect");
    this.#sock.connect(addr).then(
      () => {
        if (this.#closed) return;
        this.#connected = true;
        this.#startReading();
        if (done !== undefined) this.once("connect", done);
        this.emit("connect");
      },
      (err: unknown) => {
        if (this.#closed) return;
        if (done !== undefined) done(err as Error);
        else this.#emitError(err);
      },
    );
    return this;
  }

  /**
   * Dissolves the association made by connect(): connect(2) to AF_UNSPEC.
   * Wraps `connect(2)`.
   * @see https://man7.org/linux/man-pages/man2/connect.2.html
   * @throws SocketError from connect(2); Error ERR_SOCKET_CLOSED.
   */
  disconnect(): void {
    if (this.#closed) throw closedError("disconnect");
    raw.connect(this.#fd, UNSPEC, UNSPEC.length);
    this.#connected = false;
  }

  /**
   * The local address: `{ address, family: "IPv4" | "IPv6", port }` on UDP, `{ path }` on Unix,
   * the address object elsewhere. Wraps `getsockname(2)`.
   * @see https://man7.org/linux/man-pages/man2/getsockname.2.html
   * @throws SocketError; Error ERR_SOCKET_CLOSED.
   */
  address(): LocalInfo {
    if (this.#closed) throw closedError("getsockname");
    return this.#info(this.#sock.getsockname());
  }

  /**
   * The connected peer's address, in address()'s shape. Wraps `getpeername(2)`.
   * @see https://man7.org/linux/man-pages/man2/getpeername.2.html
   * @throws SocketError ENOTCONN (not connected); Error ERR_SOCKET_CLOSED.
   */
  remoteAddress(): LocalInfo {
    if (this.#closed) throw closedError("getpeername");
    return this.#info(this.#sock.getpeername());
  }

  // ---------------------------------------------------------------------------
  // Options: one line each over the option table.

  /** Sets SO_RCVBUF (Linux stores twice the value). Wraps `setsockopt(2)`. @see https://man7.org/linux/man-pages/man7/socket.7.html @throws SocketError; ERR_SOCKET_CLOSED. */
  setRecvBufferSize(size: number): void {
    this.#sock.setsockopt("SOL_SOCKET", "SO_RCVBUF", checkPositive(size, "setRecvBufferSize: size", 0, 0x7fffffff));
  }
  /** Reads SO_RCVBUF (twice the value set, as Linux keeps it). Wraps `getsockopt(2)`. @see https://man7.org/linux/man-pages/man7/socket.7.html @throws SocketError; ERR_SOCKET_CLOSED. */
  getRecvBufferSize(): number {
    return this.#sock.getsockopt("SOL_SOCKET", "SO_RCVBUF") as number;
  }
  /** Sets SO_SNDBUF (Linux stores twice the value). Wraps `setsockopt(2)`. @see https://man7.org/linux/man-pages/man7/socket.7.html @throws SocketError; ERR_SOCKET_CLOSED. */
  setSendBufferSize(size: number): void {
    this.#sock.setsockopt("SOL_SOCKET", "SO_SNDBUF", checkPositive(size, "setSendBufferSize: size", 0, 0x7fffffff));
  }
  /** Reads SO_SNDBUF. Wraps `getsockopt(2)`. @see https://man7.org/linux/man-pages/man7/socket.7.html @throws SocketError; ERR_SOCKET_CLOSED. */
  getSendBufferSize(): number {
    return this.#sock.getsockopt("SOL_SOCKET", "SO_SNDBUF") as number;
  }
  /** Sets SO_BROADCAST (sending to broadcast addresses). Wraps `setsockopt(2)`. @see https://man7.org/linux/man-pages/man7/socket.7.html @throws SocketError; ERR_SOCKET_CLOSED. */
  setBroadcast(flag: boolean): void {
    this.#sock.setsockopt("SOL_SOCKET", "SO_BROADCAST", !!flag);
  }
  /** Sets the unicast TTL: IP_TTL, or IPV6_UNICAST_HOPS on "udp6". Wraps `setsockopt(2)`. @see https://man7.org/linux/man-pages/man7/ip.7.html @throws RangeError ERR_OUT_OF_RANGE (1..255); SocketError; ERR_SOCKET_CLOSED. */
  setTTL(ttl: number): number {
    checkPositive(ttl, "setTTL: ttl", 1, 255);
    if (this.#family === AF.INET6) this.#sock.setsockopt("IPPROTO_IPV6", "IPV6_UNICAST_HOPS", ttl);
    else this.#sock.setsockopt("IPPROTO_IP", "IP_TTL", ttl);
    return ttl;
  }
  /** Sets the multicast TTL: IP_MULTICAST_TTL, or IPV6_MULTICAST_HOPS. Wraps `setsockopt(2)`. @see https://man7.org/linux/man-pages/man7/ip.7.html @throws RangeError ERR_OUT_OF_RANGE (0..255); SocketError; ERR_SOCKET_CLOSED. */
  setMulticastTTL(ttl: number): number {
    checkPositive(ttl, "setMulticastTTL: ttl", 0, 255);
    if (this.#family === AF.INET6) this.#sock.setsockopt("IPPROTO_IPV6", "IPV6_MULTICAST_HOPS", ttl);
    else this.#sock.setsockopt("IPPROTO_IP", "IP_MULTICAST_TTL", ttl);
    return ttl;
  }
  /** Sets IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP. Wraps `setsockopt(2)`. @see https://man7.org/linux/man-pages/man7/ip.7.html @throws SocketError; ERR_SOCKET_CLOSED. */
  setMulticastLoopback(flag: boolean): boolean {
    if (this.#family === AF.INET6) this.#sock.setsockopt("IPPROTO_IPV6", "IPV6_MULTICAST_LOOP", !!flag);
    else this.#sock.setsockopt("IPPROTO_IP", "IP_MULTICAST_LOOP", !!flag);
    return !!flag;
  }
  /**
   * Chooses the interface outgoing multicast leaves by, as `node:dgram`: an
   * IPv4 interface address ("127.0.0.1") on "udp4" (IP_MULTICAST_IF); on
   * "udp6" an interface name or index after "%" ("::%lo", "::%1") or alone
   * (IPV6_MULTICAST_IF). Wraps `setsockopt(2)`.
   * @see https://man7.org/linux/man-pages/man7/ip.7.html
   * @see https://man7.org/linux/man-pages/man7/ipv6.7.html
   * @throws TypeError ERR_INVALID_ARG_TYPE / ERR_INVALID_ADDRESS; SocketError EADDRNOTAVAIL, ENODEV; ERR_SOCKET_CLOSED.
   */
  setMulticastInterface(multicastInterface: string): void {
    if (typeof multicastInterface !== "string") {
      throw codedError(
        "ERR_INVALID_ARG_TYPE",
        `multicastInterface must be a string, got ${describe(multicastInterface)}`,
      );
    }
    if (this.#family === AF.INET6) {
      const pct = multicastInterface.indexOf("%");
      const name = pct === -1 ? multicastInterface : multicastInterface.slice(pct + 1);
      this.#sock.setsockopt("IPPROTO_IPV6", "IPV6_MULTICAST_IF", /^\d+$/.test(name) ? Number(name) : name);
    } else this.#sock.setsockopt("IPPROTO_IP", "IP_MULTICAST_IF", multicastInterface);
  }

  /**
   * Joins a multicast group: IP_ADD_MEMBERSHIP (interface by its address), or
   * IPV6_JOIN_GROUP (interface by name or index, or a "%zone"). Wraps `setsockopt(2)`.
   * @see https://man7.org/linux/man-pages/man7/ip.7.html
   * @throws TypeError ERR_INVALID_ADDRESS; SocketError EADDRINUSE (already joined), ENODEV; ERR_SOCKET_CLOSED.
   */
  addMembership(multicastAddress: string, multicastInterface?: string): void {
    this.#membership(true, multicastAddress, multicastInterface);
  }
  /** Leaves a multicast group: IP_DROP_MEMBERSHIP / IPV6_LEAVE_GROUP. Wraps `setsockopt(2)`. @see https://man7.org/linux/man-pages/man7/ip.7.html @throws SocketError EADDRNOTAVAIL (not a member); ERR_SOCKET_CLOSED. */
  dropMembership(multicastAddress: string, multicastInterface?: string): void {
    this.#membership(false, multicastAddress, multicastInterface);
  }
  #membership(join: boolean, group: string, iface: string | undefined): void {
    if (typeof group !== "string") {
      throw codedError("ERR_INVALID_ARG_TYPE", `multicastAddress must be a string, got ${describe(group)}`);
    }
    if (iface !== undefined && typeof iface !== "string") {
      throw codedError("ERR_INVALID_ARG_TYPE", `multicastInterface must be a string, got ${describe(iface)}`);
    }
    if (this.#family === AF.INET6) {
      const v = iface === undefined ? { multiaddr: group } : { multiaddr: group, ifindex: iface };
      this.#sock.setsockopt("IPPROTO_IPV6", join ? "IPV6_JOIN_GROUP" : "IPV6_LEAVE_GROUP", v);
    } else {
      const v = iface === undefined ? { multiaddr: group } : { multiaddr: group, address: iface };
      this.#sock.setsockopt("IPPROTO_IP", join ? "IP_ADD_MEMBERSHIP" : "IP_DROP_MEMBERSHIP", v);
    }
  }

  // ---------------------------------------------------------------------------
  // Lifetime.

  /** Lets the process exit while this socket is open (Node's unref). Does not correspond to a syscall. */
  unref(): this {
    this.#userRef = false;
    this.#backoffTimer?.unref();
    if (!this.#closed) this.#sock.unref();
    return this;
  }

  /** Keeps the process alive while this socket is open (the default). Does not correspond to a syscall. */
  ref(): this {
    this.#userRef = true;
    this.#backoffTimer?.ref();
    if (!this.#closed) this.#sock.ref();
    return this;
  }

  /** True once close() has run. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Closes the socket: sends still queued fail (their callbacks get
   * ERR_SOCKET_CLOSED), then `'close'` is emitted (and `callback` runs).
   * Idempotent. Wraps `close(2)`.
   * @see https://man7.org/linux/man-pages/man2/close.2.html
   * @throws TypeError ERR_INVALID_ARG_TYPE for a callback that is not a function.
   */
  close(callback?: () => void): this {
    const cb = checkCallback(callback, "close: callback");
    if (cb !== undefined) this.once("close", cb as () => void);
    if (this.#closed) {
      if (cb !== undefined) process.nextTick(cb as () => void);
      return this;
    }
    this.#closed = true;
    if (this.#backoffTimer !== undefined) {
      clearTimeout(this.#backoffTimer);
      this.#backoffTimer = undefined;
    }
    this.#failQueue(closedError("send"));
    try {
      this.#sock.close();
    } catch (e) {
      process.nextTick(() => this.#emitError(e));
    }
    process.nextTick(() => this.emit("close"));
    return this;
  }

  /** Closes the socket (for `using`). */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Closes the socket (for `await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  #emitError(e: unknown): void {
    try {
      this.emit("error", e);
    } catch (err) {
      // No 'error' listener (EventEmitter throws): an uncaught exception, as in Node.
      rethrow(err);
    }
  }
}

const TYPES: Record<DatagramType, [string, string]> = {
  udp4: ["inet", "dgram"],
  udp6: ["inet6", "dgram"],
  "unix-dgram": ["unix", "dgram"],
  unix_dgram: ["unix", "dgram"],
  "unix-seqpacket": ["unix", "seqpacket"],
};

/**
 * Creates a {@link DatagramSocket}, as `dgram.createSocket` (and
 * `unix-dgram`'s `createSocket`): `type` is "udp4", "udp6", "unix-dgram"
 * ("unix_dgram") or "unix-seqpacket", or an options object; `listener` is
 * added for `'message'`. It starts receiving once bound, connected, or (UDP)
 * after its first send. Wraps `socket(2)`.
 * @see https://man7.org/linux/man-pages/man2/socket.2.html
 * @throws TypeError ERR_SOCKET_BAD_TYPE (unknown type), ERR_INVALID_ARG_TYPE; SocketError from socket(2)/setsockopt(2).
 */
export function createSocket(
  type: "udp4" | "udp6" | ({ type: "udp4" | "udp6" } & DatagramSocketOptions),
  listener?: (msg: Buffer, rinfo: InetRemoteInfo) => void,
): DatagramSocket<InetRemoteInfo>;
export function createSocket(
  type:
    | "unix-dgram"
    | "unix_dgram"
    | "unix-seqpacket"
    | ({ type: "unix-dgram" | "unix_dgram" | "unix-seqpacket" } & DatagramSocketOptions),
  listener?: (msg: Buffer, rinfo: UnixRemoteInfo) => void,
): DatagramSocket<UnixRemoteInfo>;
export function createSocket(
  type: DatagramType | DatagramSocketOptions,
  listener?: (msg: Buffer, rinfo: RemoteInfo) => void,
): DatagramSocket;
export function createSocket(
  type: DatagramType | DatagramSocketOptions,
  listener?: ((msg: Buffer, rinfo: InetRemoteInfo) => void) | ((msg: Buffer, rinfo: UnixRemoteInfo) => void),
): DatagramSocket {
  const o: DatagramSocketOptions =
    typeof type === "string"
      ? { type }
      : type !== null && typeof type === "object"
        ? type
        : ({} as DatagramSocketOptions);
  if (typeof type !== "string" && (type === null || typeof type !== "object")) {
    throw codedError(
      "ERR_INVALID_ARG_TYPE",
      `createSocket: expected a type or an options object, got ${describe(type)}`,
    );
  }
  const kind = Object.hasOwn(TYPES, o.type) ? TYPES[o.type] : undefined;
  if (kind === undefined) {
    throw codedError(
      "ERR_SOCKET_BAD_TYPE",
      `createSocket: type must be "udp4", "udp6", "unix-dgram" or "unix-seqpacket", got ${describe(o.type)}`,
    );
  }
  const cb = checkCallback(listener, "createSocket: listener");
  for (const k of ["recvBufferSize", "sendBufferSize"] as const) {
    if (o[k] !== undefined) checkPositive(o[k], `createSocket: ${k}`, 0, 0x7fffffff);
  }
  const s = new Socket(kind[0] as "inet", kind[1] as "dgram");
  try {
    if (o.reuseAddr) s.setsockopt("SOL_SOCKET", "SO_REUSEADDR", true);
    if (o.reusePort) s.setsockopt("SOL_SOCKET", "SO_REUSEPORT", true);
    if (o.ipv6Only !== undefined && kind[0] === "inet6") s.setsockopt("IPPROTO_IPV6", "IPV6_V6ONLY", !!o.ipv6Only);
    if (o.recvBufferSize !== undefined) s.setsockopt("SOL_SOCKET", "SO_RCVBUF", o.recvBufferSize);
    if (o.sendBufferSize !== undefined) s.setsockopt("SOL_SOCKET", "SO_SNDBUF", o.sendBufferSize);
    const wrap: WrapOptions & { deferred: boolean } = { deferred: true };
    if (o.recvSize !== undefined) wrap.recvSize = o.recvSize;
    if (o.recvBatch !== undefined) wrap.recvBatch = o.recvBatch;
    if (o.signal !== undefined) wrap.signal = o.signal;
    const d: DatagramSocket = new DatagramSocket(s, wrap);
    if (cb !== undefined) d.on("message", cb as unknown as (msg: Buffer, rinfo: RemoteInfo) => void);
    return d;
  } catch (e) {
    s.close();
    throw e;
  }
}

/** The datagram `createSocket` under the name the package exports (`createSocket` there is the netns one). */
export const createDatagramSocket = createSocket;

/** The shape of {@link dgram}. */
export interface DgramNamespace {
  /** {@link createDatagramSocket}, as `dgram.createSocket`. */
  readonly createSocket: typeof createSocket;
  /** {@link DatagramSocket}, as `dgram.Socket`. */
  readonly Socket: typeof DatagramSocket;
}

/**
 * The event face as a `node:dgram`-shaped namespace: `import { dgram } from
 * "sockit"` then `dgram.createSocket("unix-dgram")`, as with
 * `import dgram from "node:dgram"`.
 */
export const dgram: DgramNamespace = Object.freeze({
  createSocket,
  Socket: DatagramSocket,
});
