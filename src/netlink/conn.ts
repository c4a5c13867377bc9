/**
 * A netlink connection: one AF_NETLINK socket, requests with increasing
 * sequence numbers, replies collected across datagrams until the ack
 * (NLMSG_ERROR 0) or the end of a dump (NLMSG_DONE), each reply checked
 * against the request's sequence number and our port id, kernel errors turned
 * into NetlinkError with the extended ack. After mdlayher/netlink's Conn.
 *
 * The socket side sits behind a small transport interface, so the same logic
 * runs against a fake kernel in tests (nltest style).
 */
import { randomInt } from "node:crypto";
import type { Socket } from "../socket.js";
import { NLM_F, NLMSG, SOL } from "../constants.js";
import { ERRNO, codedError } from "../errors.js";
import { createSocket, netnsPath, type NetnsLike } from "../netns.js";
import { NetlinkError, NetlinkMessageError } from "./errors.js";
import { type NetlinkMessage, encodeMessage, parseAck, parseDone, parseMessages } from "./message.js";
import { describe } from "../raw/index.js";

/** Moves datagrams between a NetlinkConnection and the kernel (or a fake one). */
export interface NetlinkTransport {
  /** Our port id (nl_pid after bind). */
  readonly pid: number;
  /** Sends one datagram to the kernel. */
  send(data: Buffer, options: { signal?: AbortSignal; timeout?: number }): Promise<void>;
  /** Receives one datagram from the kernel. */
  receive(options: { signal?: AbortSignal; timeout?: number }): Promise<Buffer>;
  /** Releases the transport (idempotent). */
  close(): void;
}

/** Receive size: the kernel's dump skbs stay under 32 KiB (netlink_recvmsg caps max_recvmsg_len), so 64 KiB always fits. */
const RECV_SIZE = 65536;

const KERNEL = Object.freeze({ family: "netlink" as const, pid: 0, groups: 0 });

/** The transport over a real AF_NETLINK socket. */
class SocketTransport implements NetlinkTransport {
  readonly pid: number;
  constructor(readonly socket: Socket) {
    const a = socket.getsockname();
    this.pid = a.family === "netlink" ? a.pid : 0;
  }
  async send(data: Buffer, options: { signal?: AbortSignal; timeout?: number }): Promise<void> {
    await this.socket.sendto(data, KERNEL, options);
  }
  async receive(options: { signal?: AbortSignal; timeout?: number }): Promise<Buffer> {
    for (;;) {
      const d = await this.socket.recvfrom(RECV_SIZE, options);
      // Only the kernel (port 0) speaks for itself; other user ports can send
      // us datagrams too (netlink is not connection-oriented): ignore them.
      if (d.address.family === "netlink" && d.address.pid !== 0) continue;
      if (d.truncated) throw new NetlinkMessageError(`netlink datagram of ${d.size} bytes truncated to ${RECV_SIZE}`);
      return d.data;
    }
  }
  close(): void {
    this.socket.close();
  }
}

/** Options of {@link NetlinkConnection.open}. */
export interface NetlinkOpenOptions {
  /** Open the socket inside this network namespace (name under /run/netns, path, or fd). */
  netns?: NetnsLike;
  /** Multicast groups to join (NETLINK_ADD_MEMBERSHIP), e.g. RTNLGRP.LINK. */
  groups?: readonly number[];
  /** Ask for extended acks (NETLINK_EXT_ACK, default true): error messages and attribute offsets. */
  extendedAck?: boolean;
  /** NETLINK_GET_STRICT_CHK: strict checking of dump requests (default false). */
  strict?: boolean;
  /** SO_RCVBUF for the socket, for busy multicast listeners. */
  receiveBufferSize?: number;
}

/** Options of a request. */
export interface RequestOptions {
  /** NLM_F_* flags added to NLM_F_REQUEST (and NLM_F_ACK, or NLM_F_DUMP for dump()). */
  flags?: number;
  /** The operation's name in errors ("RTM_NEWROUTE"); default: the type number. */
  op?: string;
  /** Aborts the request: the wait ends with an AbortError. */
  signal?: AbortSignal;
  /** Milliseconds for the whole exchange; SocketError ETIMEDOUT after. */
  timeout?: number;
}

/**
 * A netlink socket with request/reply bookkeeping. Requests on one
 * connection run one at a time, in call order.
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/netlink.7.html
 */
export class NetlinkConnection {
  readonly #t: NetlinkTransport;
  #seq: number;
  #chain: Promise<unknown> = Promise.resolve();
  #closed = false;

  /**
   * Wraps a transport (a real socket via {@link NetlinkConnection.open}, or a fake kernel in tests).
   * Does not correspond to a syscall.
   */
  constructor(transport: NetlinkTransport) {
    if (transport === null || typeof transport !== "object" || typeof transport.receive !== "function") {
      throw codedError("ERR_INVALID_ARG_TYPE", `transport must be a NetlinkTransport, got ${describe(transport)}`);
    }
    this.#t = transport;
    // A random start, as mdlayher/netlink does: replies to an earlier
    // connection's requests that reuse this port id cannot match.
    this.#seq = randomInt(1, 0x7fffffff);
  }

  /**
   * Opens a netlink socket of `protocol` ("route", "sock_diag", "generic",
   * "kobject_uevent" or a NETLINK_* number), binds it (the kernel picks the
   * port id), joins `groups`, and turns on extended acks.
   * Does not correspond to a single syscall (socket, bind, setsockopt, getsockname).
   * @see https://man7.org/linux/man-pages/man7/netlink.7.html
   * @throws TypeError ERR_INVALID_ARG_VALUE (unknown protocol, bad netns); SocketError
   *   EPROTONOSUPPORT, EPERM (joining some groups), ENOENT (no such namespace).
   */
  static open(protocol: string | number, options: NetlinkOpenOptions = {}): NetlinkConnection {
    if (options === null || typeof options !== "object") {
      throw codedError("ERR_INVALID_ARG_TYPE", `options must be an object, got ${describe(options)}`);
    }
    const groups = options.groups ?? [];
    if (!Array.isArray(groups) || groups.some((g) => !Number.isInteger(g) || g < 1 || g > 0xffffffff)) {
      throw codedError("ERR_INVALID_ARG_VALUE", `groups must be a list of group numbers >= 1, got ${describe(groups)}`);
    }
    const sock = createSocket("netlink", "raw", protocol, options.netns === undefined ? {} : { netns: options.netns });
    try {
      if (options.receiveBufferSize !== undefined)
        sock.setsockopt("SOL_SOCKET", "SO_RCVBUF", options.receiveBufferSize);
      sock.bind({ family: "netlink", pid: 0, groups: 0 });
      for (const g of groups) sock.setsockopt(SOL.NETLINK, "NETLINK_ADD_MEMBERSHIP", g);
      if (options.extendedAck !== false) {
        // Best effort: kernels before 4.12 lack it and simply give plain errors.
        try {
          sock.setsockopt(SOL.NETLINK, "NETLINK_EXT_ACK", true);
          sock.setsockopt(SOL.NETLINK, "NETLINK_CAP_ACK", true);
        } catch {
          /* old kernel */
        }
      }
      if (options.strict) sock.setsockopt(SOL.NETLINK, "NETLINK_GET_STRICT_CHK", true);
      return new NetlinkConnection(new SocketTransport(sock));
    } catch (e) {
      sock.close();
      throw e;
    }
  }

  /** Our port id. */
  get pid(): number {
    return this.#t.pid;
  }

  /** The underlying socket (undefined over a fake transport). */
  get socket(): Socket | undefined {
    return this.#t instanceof SocketTransport ? this.#t.socket : undefined;
  }

  /** True once close() ran. */
  get closed(): boolean {
    return this.#closed;
  }

  #nextSeq(): number {
    this.#seq = this.#seq >= 0xffffffff ? 1 : this.#seq + 1;
    return this.#seq;
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(fn, fn);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Sends one request (NLM_F_REQUEST | NLM_F_ACK | flags) and collects its
   * replies until the kernel's ack; returns the replies (empty for most
   * changes; the object itself for a GET). Does not correspond to a single
   * syscall (sendto, then recvfrom until the ack).
   * @see https://man7.org/linux/man-pages/man7/netlink.7.html
   * @throws NetlinkError (the kernel refused: EEXIST, ENODEV, EPERM ...); NetlinkMessageError
   *   (malformed reply, wrong port id); SocketError ETIMEDOUT; AbortError; ERR_SOCKET_CLOSED.
   */
  request(type: number, data: ArrayBufferView, options: RequestOptions = {}): Promise<NetlinkMessage[]> {
    this.#checkArgs(type, data, options);
    return this.#serial(() =>
      this.#exchange(type, data, NLM_F.REQUEST | NLM_F.ACK | (options.flags ?? 0), false, options),
    );
  }

  /**
   * Sends a dump request (NLM_F_REQUEST | NLM_F_DUMP | flags) and collects
   * every reply across the multipart datagrams until NLMSG_DONE. A dump the
   * kernel marks inconsistent (NLM_F_DUMP_INTR: the table changed under it) is
   * retried, up to three times. Does not correspond to a single syscall.
   * @see https://man7.org/linux/man-pages/man7/netlink.7.html
   * @throws NetlinkError (including EINTR when the dump stayed inconsistent); NetlinkMessageError;
   *   SocketError ETIMEDOUT; AbortError; ERR_SOCKET_CLOSED.
   */
  dump(type: number, data: ArrayBufferView, options: RequestOptions = {}): Promise<NetlinkMessage[]> {
    this.#checkArgs(type, data, options);
    return this.#serial(async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.#exchange(type, data, NLM_F.REQUEST | NLM_F.DUMP | (options.flags ?? 0), true, options);
        } catch (e) {
          if (!(e instanceof DumpInterrupted) || attempt >= 3) throw e instanceof DumpInterrupted ? e.error : e;
        }
      }
    });
  }

  #checkArgs(type: unknown, data: unknown, options: unknown): void {
    if (typeof type !== "number" || !Number.isInteger(type) || type < 0 || type > 0xffff) {
      throw codedError("ERR_OUT_OF_RANGE", `type must be an integer in 0..65535, got ${describe(type)}`);
    }
    if (!ArrayBuffer.isView(data))
      throw codedError("ERR_INVALID_ARG_TYPE", `data must be bytes, got ${describe(data)}`);
    if (options === null || typeof options !== "object") {
      throw codedError("ERR_INVALID_ARG_TYPE", `options must be an object, got ${describe(options)}`);
    }
    const { flags, timeout, signal } = options as RequestOptions;
    if (flags !== undefined && (!Number.isInteger(flags) || flags < 0 || flags > 0xffff)) {
      throw codedError("ERR_OUT_OF_RANGE", `options.flags must be in 0..65535, got ${describe(flags)}`);
    }
    if (timeout !== undefined && (typeof timeout !== "number" || !(timeout >= 0))) {
      throw codedError(
        "ERR_OUT_OF_RANGE",
        `options.timeout must be a number of milliseconds >= 0, got ${describe(timeout)}`,
      );
    }
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw codedError("ERR_INVALID_ARG_TYPE", `options.signal must be an AbortSignal, got ${describe(signal)}`);
    }
  }

  async #exchange(
    type: number,
    data: ArrayBufferView,
    flags: number,
    isDump: boolean,
    options: RequestOptions,
  ): Promise<NetlinkMessage[]> {
    const op = options.op ?? String(type);
    const seq = this.#nextSeq();
    const deadline = options.timeout === undefined ? undefined : Date.now() + options.timeout;
    const wait = (): { signal?: AbortSignal; timeout?: number } => {
      const w: { signal?: AbortSignal; timeout?: number } = {};
      if (options.signal) w.signal = options.signal;
      if (deadline !== undefined) w.timeout = Math.max(0, deadline - Date.now());
      return w;
    };
    await this.#t.send(encodeMessage({ type, flags, seq, pid: this.#t.pid, data }), wait());
    const replies: NetlinkMessage[] = [];
    let interrupted = false;
    for (;;) {
      const datagram = await this.#t.receive(wait());
      for (const m of parseMessages(datagram)) {
        // A reply to an earlier, abandoned request (aborted or timed out): not ours.
        if (m.seq !== seq) continue;
        if (m.pid !== this.#t.pid) {
          throw new NetlinkMessageError(
            `netlink reply to sequence ${seq} carries port id ${m.pid}, expected ${this.#t.pid}`,
          );
        }
        if (m.flags & NLM_F.DUMP_INTR) interrupted = true;
        if (m.type === NLMSG.NOOP) continue;
        if (m.type === NLMSG.ERROR) {
          const ack = parseAck(m);
          if (ack.errno !== 0) throw new NetlinkError(op, ack.errno, seq, ack);
          return replies; // the ack ends a plain request
        }
        if (m.type === NLMSG.DONE) {
          const done = parseDone(m);
          if (done.errno < 0) throw new NetlinkError(op, done.errno, seq, done);
          if (interrupted)
            throw new DumpInterrupted(
              new NetlinkError(op, -ERRNO.EINTR!, seq, { message: "dump interrupted (NLM_F_DUMP_INTR) three times" }),
            );
          if (isDump) return replies;
          continue;
        }
        if (m.type === NLMSG.OVERRUN) throw new NetlinkMessageError("netlink overrun (NLMSG_OVERRUN): data lost");
        // Payloads are views into the receive buffer; it is ours (copied out by recvfrom).
        replies.push(m);
      }
    }
  }

  /**
   * Receives the next datagram and returns its messages (for multicast
   * notifications: use a connection opened with `groups`). Wraps `recvfrom(2)`.
   * @see https://man7.org/linux/man-pages/man7/netlink.7.html
   * @throws NetlinkMessageError (malformed); SocketError ENOBUFS (the receive queue overflowed:
   *   notifications were lost), ETIMEDOUT; AbortError; ERR_SOCKET_CLOSED.
   */
  async receive(options: { signal?: AbortSignal; timeout?: number } = {}): Promise<NetlinkMessage[]> {
    return parseMessages(await this.#t.receive(options));
  }

  /**
   * Yields every message received, until close() (the loop ends) or `signal`
   * aborts (the loop ends without error). Does not correspond to a single
   * syscall (loops over `recvfrom(2)`).
   * @see https://man7.org/linux/man-pages/man7/netlink.7.html
   * @throws NetlinkMessageError; SocketError ENOBUFS when notifications were lost.
   */
  async *messages(options: { signal?: AbortSignal } = {}): AsyncGenerator<NetlinkMessage, void, undefined> {
    const signal = options.signal;
    while (!this.#closed && !signal?.aborted) {
      let batch: NetlinkMessage[];
      try {
        batch = await this.receive(signal ? { signal } : {});
      } catch (e) {
        if (this.#closed || signal?.aborted) return;
        throw e;
      }
      yield* batch;
    }
  }

  /** Closes the socket (idempotent); pending calls reject with ERR_SOCKET_CLOSED. Wraps `close(2)`. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#t.close();
  }

  /** Closes the connection at the end of an `await using` scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }
}

class DumpInterrupted extends Error {
  constructor(readonly error: NetlinkError) {
    super(error.message);
  }
}

/**
 * Runs `fn` with `conn`, or with a connection of `protocol` opened for the
 * call (and closed after it). Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/netlink.7.html
 */
export function withConnection<T>(
  protocol: string,
  options: { connection?: NetlinkConnection; netns?: NetnsLike },
  fn: (conn: NetlinkConnection) => Promise<T>,
): Promise<T> {
  // Bad arguments throw here, at the call; failures of the socket calls reject.
  if (options.connection !== undefined) {
    if (!(options.connection instanceof NetlinkConnection)) {
      throw codedError(
        "ERR_INVALID_ARG_TYPE",
        `options.connection must be a NetlinkConnection, got ${describe(options.connection)}`,
      );
    }
    const conn = options.connection;
    return (async () => fn(conn))();
  }
  if (options.netns !== undefined && typeof options.netns !== "number") netnsPath(options.netns);
  return (async () => {
    const conn = NetlinkConnection.open(protocol, options.netns === undefined ? {} : { netns: options.netns });
    try {
      return await fn(conn);
    } finally {
      conn.close();
    }
  })();
}

/**
 * Wraps an event generator so that the resource behind it (a socket) is
 * closed when the loop ends, breaks (return()), throws, or `signal` aborts —
 * even if iteration never started, which a plain generator's `finally` cannot
 * promise. Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/netlink.7.html
 */
export function ownedIterator<T>(
  inner: AsyncGenerator<T, void, undefined>,
  close: () => void,
  signal: AbortSignal | undefined,
): AsyncGenerator<T, void, undefined> {
  const onAbort = (): void => close();
  const cleanup = (): void => {
    signal?.removeEventListener("abort", onAbort);
    close();
  };
  if (signal?.aborted) close();
  else signal?.addEventListener("abort", onAbort, { once: true });
  const it: AsyncGenerator<T, void, undefined> = {
    async next() {
      try {
        const r = await inner.next();
        if (r.done) cleanup();
        return r;
      } catch (e) {
        cleanup();
        throw e;
      }
    },
    async return(value) {
      cleanup();
      return inner.return(value);
    },
    async throw(e) {
      cleanup();
      return inner.throw(e);
    },
    [Symbol.asyncIterator]() {
      return it;
    },
    async [Symbol.asyncDispose]() {
      await it.return(undefined);
    },
  };
  return it;
}
