/**
 * The logic behind the Socket message calls: sendmsg/recvmsg with ancillary
 * data and fd passing with ownership (sendFds/recvFds), for Socket and, as
 * the synchronous twins sendmsgSync/recvmsgSync, for posix. The batched calls
 * are in message-batch.ts, the messages() iterator in message-iterator.ts,
 * peer credentials in credentials.ts; the option checks and the I/O runner
 * they share are exported from here.
 *
 * Over 800 lines on purpose: sendmsg and recvmsg, async and sync, share one
 * preparation and one result builder each (the control codec, MSG_CTRUNC and
 * the fd-ownership rule below); split, the rule would live in two places.
 *
 * Socket keeps only thin methods (validate, then call in here with its private
 * I/O primitive as a {@link MessageHost}); everything that waits goes through
 * that primitive, so close, abort and timeout behave as for every other call.
 *
 * Fd ownership, the one rule that matters here: a received fd belongs to the
 * caller once it is handed out, and to nobody before — so sockit closes every
 * fd the kernel installed that it does not hand out: fds beyond `maxFds`,
 * fds in a message whose result is never looked at (closed when the result is
 * garbage-collected), fds that arrive on a batch receive, and all of them when
 * building the result fails.
 */
import type net from "node:net";
import { type AddressLike, type SocketAddress, decodeSockaddr, encodeSockaddr, toAddress } from "./address.js";
import { AF, LIMITS, MSG, SCM, SOCK, SOL, STRUCTS, UDP } from "./constants.js";
import {
  type ControlMessage,
  type ControlMessageInput,
  type ControlViews,
  type Credentials,
  type PacketInfoInput,
  CMSG_SPACE,
  MSG_FACTS,
  carriesFds,
  controlLevel,
  controlType,
  decodePidfd,
  decodeRights,
  decodeViews,
  encodeControl,
  encodeCredentials,
  encodeInt,
  encodePktinfo,
  encodeRights,
  parseControl,
} from "./control.js";
import { LITTLE_ENDIAN } from "./endian.js";
import { AbortError, ERRNO, SocketError, codedError, type ErrorContext } from "./errors.js";
import * as raw from "./raw/index.js";
import { AGAIN, describe } from "./raw/index.js";
import { checkWait, toBytes } from "./validate.js";
import type { Datagram, RecvOptions, SendOptions } from "./call-options.js";
import type { WaitOptions } from "./validate.js";

// ---------------------------------------------------------------------------
// The host: what a Socket lends this module for one call.

/** @internal What a Socket passes in: its fd, kind, and its private I/O primitive. */
export interface MessageHost {
  readonly fd: number;
  readonly family: number;
  readonly type: number;
  readonly closed: boolean;
  /**
   * Socket's #io: READ = 0, WRITE = 1; `attempt` returns a result or AGAIN;
   * `flags` (MSG_DONTWAIT, MSG_ERRQUEUE, MSG_OOB) change how it waits;
   * `finish` turns the result into the call's value as the call is served,
   * so that its promise settles in call order with the socket's other calls
   * (a `.then` would settle it a microtask later).
   */
  io<T = number>(
    dir: 0 | 1,
    syscall: string,
    attempt: () => number,
    options?: WaitOptions,
    flags?: number,
    finish?: (n: number) => T,
  ): Promise<T>;
}

export const READ = 0;
export const WRITE = 1;

// ---------------------------------------------------------------------------
// Public types.

/** Anything that has an fd sockit can send: a number, a sockit Socket, a Node net.Socket/net.Server, a FileHandle. */
export type FdLike = number | { readonly fd: number } | net.Socket | net.Server;

/** Options of {@link Socket.sendmsg}. */
export interface SendmsgOptions extends SendOptions {
  /** The data, gathered from these buffers in order (strings are sent as UTF-8). Default: none (an empty message). */
  buffers?: readonly (ArrayBufferView | string)[];
  /** The destination, for an unconnected datagram socket. */
  address?: AddressLike;
  /** Raw control messages, sent after the typed ones below. */
  control?: readonly ControlMessageInput[];
  /**
   * Fds to pass (SCM_RIGHTS; Unix sockets only): numbers, sockit Sockets,
   * Node net.Socket/net.Server, fs.promises.FileHandle. The receiver gets
   * duplicates; these stay open and yours. At most SCM_MAX_FD (253).
   */
  fds?: readonly FdLike[];
  /** SCM_CREDENTIALS to send (Unix sockets): your own pid/uid/gid, or any with CAP_SYS_ADMIN/CAP_SETUID/CAP_SETGID. */
  credentials?: Credentials;
  /** IP_PKTINFO / IPV6_PKTINFO: the source address and/or interface of this datagram. A received `pktinfo` can be passed back as is. */
  pktinfo?: PacketInfoInput;
  /** IP_TTL for this datagram (inet sockets). */
  ttl?: number;
  /** IPV6_HOPLIMIT for this datagram (inet6 sockets). */
  hopLimit?: number;
  /** IP_TOS for this datagram (inet sockets). */
  tos?: number;
  /** IPV6_TCLASS for this datagram (inet6 sockets). */
  tclass?: number;
  /** UDP_SEGMENT (GSO, Linux 4.18): split the data into datagrams of this size in the kernel. */
  segmentSize?: number;
}

/** Options of {@link Socket.recvmsg}. */
export interface RecvmsgOptions extends RecvOptions {
  /** Receive up to this many bytes (default 65536) into a fresh Buffer. Not together with `buffers`. */
  size?: number;
  /** Scatter the data into these buffers (no copy; `data` is a view when it lies in one of them). At most 64. */
  buffers?: readonly ArrayBufferView[];
  /**
   * Bytes of control buffer offered to the kernel (default: room for `maxFds`
   * fds plus 512 bytes for credentials, pktinfo, TTL, TOS, timestamps and the
   * error queue). A message whose control data does not fit is reported by
   * `controlTruncated`.
   */
  controlSize?: number;
  /**
   * The most fds to accept (SCM_RIGHTS); default 0. Fds beyond it are closed
   * and `controlTruncated` is set. Accepted fds are the caller's to close.
   */
  maxFds?: number;
}

/**
 * A message received by {@link Socket.recvmsg}: the data, the sender, the
 * control messages raw and decoded, and what was cut off.
 *
 * Received fds (`fds`, and the SCM_RIGHTS entries of `control`) are owned by
 * the caller from the moment either property is read: adopt them
 * (`Socket.fromFd`, `new net.Socket({ fd })`, `fs.createReadStream(null, { fd })`)
 * or close them (`fs.closeSync`). If neither is ever read, sockit closes them
 * when the result is garbage-collected, so an ignored message cannot leak fds.
 */
export interface ReceivedMessage extends ControlViews {
  /** The data received (a view into `buffers` when they were given and it lies in one; else a copy). */
  data: Buffer;
  /** The bytes received; on message sockets the real length of the message, larger than data.length when `truncated`. */
  size: number;
  /**
   * The sender, or null when the kernel reported none (a connected stream
   * socket); `{ family: "unix", path: "" }` for an unnamed Unix peer.
   */
  address: SocketAddress | null;
  /** Every control message as `{ level, type, data }` (SCM_RIGHTS data lists only the fds in `fds`). */
  readonly control: ControlMessage[];
  /** Fds received (SCM_RIGHTS), now the caller's: adopt or close them. */
  readonly fds: number[];
  /**
   * SCM_PIDFD (SO_PASSPIDFD, Linux 6.5, where the headers define it): a pidfd
   * of the sender, the caller's to close under the same rules as `fds`.
   */
  readonly pidfd?: number;
  /** msg_flags: MSG_TRUNC, MSG_CTRUNC, MSG_EOR, MSG_OOB, MSG_ERRQUEUE ... */
  flags: number;
  /** The message was longer than the buffers (MSG_TRUNC); `size` has its real length. */
  truncated: boolean;
  /** Control data was lost: the buffer was too small (MSG_CTRUNC), or more fds came than `maxFds` (the extra were closed). */
  controlTruncated: boolean;
}

/** Options of {@link Socket.recvBatch}. */
export interface RecvBatchOptions extends RecvOptions {
  /** The most messages to receive in one call (default 32, at most UIO_MAXIOV 1024). */
  count?: number;
  /** The most bytes of each message (default 65536); longer ones come back `truncated`. */
  size?: number;
  /**
   * Bytes of control buffer per message (default 0: none). With it each
   * datagram carries its control messages and decoded views (pktinfo, ttl,
   * timestamps ...). Fds are never taken by a batch: any that arrive are
   * closed and reported by `controlTruncated`.
   */
  controlSize?: number;
}

/** A datagram of {@link Socket.recvBatch}: what recvfrom gives, plus (with `controlSize`) its control data. */
export interface BatchDatagram extends Datagram, ControlViews {
  /** With `controlSize`: the control messages as `{ level, type, data }`. */
  control?: ControlMessage[];
  /** With `controlSize`: control data was lost (MSG_CTRUNC), or fds came and were closed. */
  controlTruncated?: boolean;
}

/** One message of {@link Socket.sendBatch}. */
export interface BatchMessage {
  /** The message's bytes (a string is sent as UTF-8). */
  data: ArrayBufferView | string;
  /** The destination (unconnected sockets). */
  address?: AddressLike;
  /** IP_PKTINFO / IPV6_PKTINFO: the source of this datagram (a received `pktinfo` passed back answers from it). */
  pktinfo?: PacketInfoInput;
  /** Raw control messages for this datagram (no SCM_RIGHTS: pass fds with sendmsg). */
  control?: readonly ControlMessageInput[];
}

// ---------------------------------------------------------------------------
// Shared state. Every buffer here is used only inside one synchronous attempt,
// so one of each serves every socket of this thread.

export const SCRATCH_SIZE = 65536;
/** sockit's cap on iovecs per call (MAX_IOV in native/syscalls.c), below the kernel's IOV_MAX. */
export const MAX_BUFFERS = LIMITS.IOV_MAX;
export const MAX_CONTROL = 1 << 20;
const EXTRA_CONTROL = 512;
export const SOCKADDR_SIZE = STRUCTS.sockaddr_storage!.size;
export const UIO_MAXIOV = MSG_FACTS.UIO_MAXIOV;

const scratch = Buffer.allocUnsafeSlow(SCRATCH_SIZE);
const scratchList = [scratch];
const addrScratch = Buffer.alloc(SOCKADDR_SIZE);
let ctlScratch = Buffer.alloc(4096);
const outs = new Int32Array(3);

const EBADF = -ERRNO.EBADF!;

export function closeQuietly(fd: number): void {
  // The fd was installed in this process by recvmsg and never handed out:
  // nobody else can hold it, so a failure (EINTR, EIO) leaves nothing to do.
  raw.discardFd(fd);
}

/** Closes the fds of results nobody looked at. */
const unclaimed = new FinalizationRegistry<number[]>((fds) => {
  for (const fd of fds) closeQuietly(fd);
});

// ---------------------------------------------------------------------------
// Validation helpers.

export function checkCount(v: unknown, what: string, min: number, max: number, dflt: number): number {
  if (v === undefined) return dflt;
  return raw.checkInt(v, what, min, max);
}

/**
 * The fd number of an FdLike now, or -1 when the object is closed. Throws
 * TypeError for something that has no fd at all.
 */
function fdNumber(x: unknown, what: string): number {
  if (typeof x === "number") return raw.checkFd(x, what);
  if (x !== null && typeof x === "object") {
    // Node's net.Socket and net.Server keep the fd on their libuv handle
    // (TCPWrap/PipeWrap `fd`, POSIX only); null once destroyed.
    if ("_handle" in x) {
      const h = (x as { _handle?: { fd?: unknown } | null })._handle;
      return h && typeof h.fd === "number" && h.fd >= 0 ? h.fd : -1;
    }
    // sockit Socket and fs.promises.FileHandle: `fd`, -1 once closed.
    if ("fd" in x && typeof (x as { fd: unknown }).fd === "number") {
      const fd = (x as { fd: number }).fd;
      return Number.isInteger(fd) && fd >= 0 ? fd : -1;
    }
  }
  throw codedError(
    "ERR_INVALID_ARG_TYPE",
    `${what} must be an fd number, a Socket, a net.Socket/net.Server or a FileHandle, got ${describe(x)}`,
  );
}

/** Validates an fds list (count, types, open) and returns a function reading their numbers at send time. */
function fdList(fds: unknown, syscall: string): () => number[] {
  if (!Array.isArray(fds))
    throw codedError("ERR_INVALID_ARG_TYPE", `${syscall}: options.fds must be an array, got ${describe(fds)}`);
  if (fds.length > SCM.MAX_FD) {
    throw codedError(
      "ERR_OUT_OF_RANGE",
      `${syscall}: at most ${SCM.MAX_FD} fds (SCM_MAX_FD) can be sent in one message, got ${fds.length}`,
    );
  }
  // Validate now, so a bad list throws before any syscall ...
  fds.forEach((x, i) => {
    if (fdNumber(x, `${syscall}: fds[${i}]`) < 0)
      throw codedError("ERR_INVALID_ARG_VALUE", `${syscall}: fds[${i}] is closed`);
  });
  // ... and read the numbers again when the message goes out.
  return () =>
    fds.map((x, i) => {
      const n = fdNumber(x, `${syscall}: fds[${i}]`);
      if (n < 0)
        throw new SocketError(
          EBADF,
          syscall,
          {},
          `${syscall} EBADF: fds[${i}] was closed before the message could be sent`,
        );
      return n;
    });
}

// ---------------------------------------------------------------------------
// How a call waits: the socket's I/O primitive decides (MSG_DONTWAIT once,
// MSG_ERRQUEUE/MSG_OOB by polling, everything else on readiness).

export function run<T = number>(
  host: MessageHost,
  dir: 0 | 1,
  syscall: string,
  attempt: () => number,
  options: WaitOptions,
  flags: number,
  finish?: (n: number) => T,
): Promise<T> {
  return host.io(dir, syscall, attempt, options, flags, finish);
}

// ---------------------------------------------------------------------------
// sendmsg.

/** @internal One sendmsg, validated: what goes to the thunk, the control bytes built at send time. */
interface PreparedSend {
  buffers: ArrayBufferView[];
  sa: { bytes: Buffer; length: number } | null;
  ctx: ErrorContext;
  /** The encoded control messages (fds read again now), or null for none. */
  control: () => Buffer | null;
}

/** @internal Validates sendmsg's options and returns the attempt's pieces. */
export function sendmsg(host: MessageHost, options: SendmsgOptions): Promise<number> {
  const o = checkWait(options, "sendmsg") as SendmsgOptions;
  if (options === undefined)
    throw codedError(
      "ERR_INVALID_ARG_TYPE",
      "sendmsg: options must be an object { buffers, address?, control?, fds?, ... }",
    );
  const flags = o.flags === undefined ? 0 : raw.checkInt(o.flags, "sendmsg: flags");
  const p = prepareSend(o, host.family, host.type);
  const fd = host.fd;
  return run(
    host,
    WRITE,
    "sendmsg",
    () => raw.sendmsg(fd, p.buffers, p.sa ? p.sa.bytes : null, p.sa ? p.sa.length : 0, p.control(), flags, p.ctx),
    o,
    flags,
  );
}

/**
 * @internal posix.sendmsg: the same message as Socket.sendmsg, sent with one
 * sendmsg(2) on an fd of the caller's, blocking or not as the fd is.
 */
export function sendmsgSync(fd: number, family: number, type: number, message: SendmsgOptions, flags: number): number {
  if (message === null || typeof message !== "object")
    throw codedError(
      "ERR_INVALID_ARG_TYPE",
      `sendmsg: the message must be an object { buffers, address?, control?, fds?, ... }, got ${describe(message)}`,
    );
  const p = prepareSend(message, family, type);
  const r = raw.sendmsg(fd, p.buffers, p.sa ? p.sa.bytes : null, p.sa ? p.sa.length : 0, p.control(), flags, p.ctx);
  // raw reports EAGAIN as a value (the event loop waits on it); here it is the answer, as in C.
  raw.mustNotWait(r, "sendmsg", p.ctx);
  return r;
}

function prepareSend(o: SendmsgOptions, family: number, type: number): PreparedSend {
  const list = o.buffers ?? [];
  if (!Array.isArray(list))
    throw codedError("ERR_INVALID_ARG_TYPE", `sendmsg: options.buffers must be an array, got ${describe(list)}`);
  if (list.length > MAX_BUFFERS)
    throw codedError("ERR_OUT_OF_RANGE", `sendmsg: at most ${MAX_BUFFERS} buffers, got ${list.length}`);
  const buffers = list.map((b, i) => toBytes(b, `sendmsg: buffers[${i}]`));
  let total = 0;
  for (const b of buffers) total += b.byteLength;

  let sa: { bytes: Buffer; length: number } | null = null;
  let ctx: ErrorContext = {};
  if (o.address !== undefined && o.address !== null) {
    const addr = toAddress(o.address, family, "sendmsg");
    sa = encodeSockaddr(addr, "sendmsg");
    if (addr.family === "inet" || addr.family === "inet6") ctx = { address: addr.address, port: addr.port };
    else if (addr.family === "unix")
      ctx = { path: typeof addr.path === "string" ? addr.path : addr.path.toString("latin1") };
  }

  // Typed control messages first, then the raw ones; everything is checked now.
  const fixed: ControlMessage[] = [];
  if (o.credentials !== undefined) fixed.push(encodeCredentials(o.credentials));
  if (o.pktinfo !== undefined) fixed.push(encodePktinfo(o.pktinfo, family === AF.INET6 ? "inet6" : "inet"));
  if (o.ttl !== undefined) fixed.push(encodeInt(SOL.IP, ipType("TTL"), o.ttl, "sendmsg: ttl"));
  if (o.tos !== undefined) fixed.push(encodeInt(SOL.IP, ipType("TOS"), o.tos, "sendmsg: tos"));
  if (o.hopLimit !== undefined) fixed.push(encodeInt(SOL.IPV6, ipv6Type("HOPLIMIT"), o.hopLimit, "sendmsg: hopLimit"));
  if (o.tclass !== undefined) fixed.push(encodeInt(SOL.IPV6, ipv6Type("TCLASS"), o.tclass, "sendmsg: tclass"));
  if (o.segmentSize !== undefined) {
    if (UDP.SEGMENT === undefined)
      throw codedError("ERR_NOT_SUPPORTED", "sendmsg: UDP_SEGMENT is not in this system's headers");
    const seg = Buffer.alloc(2); // a u16 in host order
    new DataView(seg.buffer, seg.byteOffset, 2).setUint16(
      0,
      raw.checkInt(o.segmentSize, "sendmsg: segmentSize", 1, 0xffff),
      LITTLE_ENDIAN,
    );
    fixed.push({ level: SOL.UDP, type: UDP.SEGMENT, data: seg });
  }
  if (o.control !== undefined) {
    if (!Array.isArray(o.control))
      throw codedError(
        "ERR_INVALID_ARG_TYPE",
        `sendmsg: options.control must be an array of { level, type, data }, got ${describe(o.control)}`,
      );
    for (const m of o.control) {
      if (m === null || typeof m !== "object" || !ArrayBuffer.isView(m.data)) {
        throw codedError(
          "ERR_INVALID_ARG_TYPE",
          "sendmsg: each control message must be { level, type, data: Buffer | TypedArray | DataView }",
        );
      }
      const level = controlLevel(m.level);
      fixed.push({
        level,
        type: controlType(level, m.type),
        data: Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength),
      });
    }
  }
  const readFds = o.fds !== undefined && o.fds !== null ? fdList(o.fds, "sendmsg") : null;
  const hasFds = readFds !== null && o.fds!.length > 0;
  if (hasFds && family !== AF.UNIX) {
    throw codedError("ERR_INVALID_ARG_VALUE", "sendmsg: fds can be passed only over Unix domain sockets");
  }
  // unix(7): "at least one byte of real data must be sent" with ancillary
  // data on a stream socket — Linux otherwise sends nothing and drops it.
  if (type === SOCK.STREAM && total === 0 && (hasFds || fixed.length > 0)) {
    throw codedError(
      "ERR_INVALID_ARG_VALUE",
      "sendmsg: on a stream socket, control messages (fds, credentials) need at least one byte of data",
    );
  }
  const staticControl = !hasFds ? (fixed.length > 0 ? encodeControl(fixed) : null) : null;
  return {
    buffers,
    sa,
    ctx,
    // The fds are read again at send time: a Socket closed since the call
    // must not send whatever file reused its number.
    control: () => staticControl ?? (hasFds ? encodeControl([...fixed, encodeRights(readFds!())]) : null),
  };
}

function ipType(name: string): number {
  return controlType(SOL.IP, `IP_${name}`);
}
function ipv6Type(name: string): number {
  return controlType(SOL.IPV6, `IPV6_${name}`);
}

// ---------------------------------------------------------------------------
// recvmsg.

/**
 * A received message. When fds came with it, `fds` and `control` are
 * accessors: the first read of either hands the fds to the caller; a result
 * dropped unread has its fds closed by the finalization registry.
 */
function makeResult(
  base: Omit<ReceivedMessage, "fds" | "control" | "pidfd">,
  fds: number[],
  control: ControlMessage[],
  pidfd: number | null,
): ReceivedMessage {
  const m = base as ReceivedMessage;
  if (fds.length === 0 && pidfd === null) {
    Object.assign(m, { control, fds });
    return m;
  }
  let claimed = false;
  const claim = (): void => {
    if (!claimed) {
      claimed = true;
      unclaimed.unregister(m);
    }
  };
  Object.defineProperty(m, "fds", { enumerable: true, configurable: true, get: () => (claim(), fds) });
  Object.defineProperty(m, "control", { enumerable: true, configurable: true, get: () => (claim(), control) });
  if (pidfd !== null)
    Object.defineProperty(m, "pidfd", { enumerable: true, configurable: true, get: () => (claim(), pidfd) });
  unclaimed.register(m, pidfd === null ? fds : [...fds, pidfd], m);
  return m;
}

/** The fds in every SCM_RIGHTS (and SCM_PIDFD) message of a control buffer (for closing them when a receive fails half way). */
export function rightsIn(buf: Buffer, length: number): number[] {
  const fds: number[] = [];
  for (const m of parseControl(buf, length).messages) {
    if (carriesFds(m)) fds.push(...decodeRights(m.data));
  }
  return fds;
}

/** A validated recvmsg: where the data goes, and how much control data to take. */
interface PreparedRecv {
  iov: ArrayBufferView[];
  capacity: number;
  /** A Buffer allocated for this call (size > scratch), or null. */
  own: Buffer | null;
  userBuffers: boolean;
  maxFds: number;
  controlSize: number;
}

function prepareRecv(o: RecvmsgOptions): PreparedRecv {
  const maxFds = checkCount(o.maxFds, "recvmsg: maxFds", 0, SCM.MAX_FD, 0);
  const controlSize = checkCount(
    o.controlSize,
    "recvmsg: controlSize",
    0,
    MAX_CONTROL,
    maxFds > 0 ? CMSG_SPACE(4 * maxFds) + EXTRA_CONTROL : EXTRA_CONTROL,
  );
  if (o.buffers !== undefined && o.size !== undefined) {
    throw codedError("ERR_INVALID_ARG_VALUE", "recvmsg: give either size or buffers, not both");
  }
  let iov: ArrayBufferView[];
  let capacity: number;
  let own: Buffer | null = null; // a Buffer allocated for this call (size > scratch)
  if (o.buffers !== undefined) {
    if (!Array.isArray(o.buffers))
      throw codedError("ERR_INVALID_ARG_TYPE", `recvmsg: options.buffers must be an array, got ${describe(o.buffers)}`);
    if (o.buffers.length > MAX_BUFFERS)
      throw codedError("ERR_OUT_OF_RANGE", `recvmsg: at most ${MAX_BUFFERS} buffers, got ${o.buffers.length}`);
    iov = o.buffers.map((b, i) => raw.checkBytes(b, `recvmsg: buffers[${i}]`));
    capacity = 0;
    for (const b of iov) capacity += b.byteLength;
  } else {
    capacity = checkCount(o.size, "recvmsg: size", 0, 0x7fffffff, SCRATCH_SIZE);
    if (capacity === SCRATCH_SIZE) iov = scratchList;
    else if (capacity < SCRATCH_SIZE) iov = [scratch.subarray(0, capacity)];
    else {
      own = Buffer.allocUnsafe(capacity);
      iov = [own];
    }
  }
  return { iov, capacity, own, userBuffers: o.buffers !== undefined, maxFds, controlSize };
}

/** @internal recvmsg: validates, receives, decodes. */
export function recvmsg(host: MessageHost, options?: RecvmsgOptions): Promise<ReceivedMessage> {
  const o = checkWait(options, "recvmsg") as RecvmsgOptions;
  let flags = (o.flags === undefined ? 0 : raw.checkInt(o.flags, "recvmsg: flags")) | cloexec(host.family);
  const { iov, capacity, own, userBuffers, maxFds, controlSize } = prepareRecv(o);
  const signal = o.signal;
  // An already-aborted signal must not consume a message (and its fds).
  if (signal?.aborted) return Promise.reject(abortError(signal));
  if (host.type === SOCK.STREAM && flags & MSG.WAITALL && !(flags & (MSG.DONTWAIT | MSG.PEEK | MSG.OOB))) {
    // The shared scratch cannot hold data across wakeups: only caller buffers or `own`.
    return recvmsgAll(
      host,
      o,
      flags,
      capacity,
      o.buffers !== undefined ? iov : own ? [own] : null,
      maxFds,
      controlSize,
    );
  }
  // On message sockets ask for the real length of a truncated message.
  if (host.type !== SOCK.STREAM) flags |= MSG.TRUNC;
  const fd = host.fd;
  const family = host.family;
  let result: ReceivedMessage | undefined;
  return run(
    host,
    READ,
    "recvmsg",
    () => {
      const ctl = controlSize <= ctlScratch.length ? ctlScratch : (ctlScratch = Buffer.alloc(controlSize));
      const ctlView = controlSize === ctl.length ? ctl : ctl.subarray(0, controlSize);
      const n = raw.recvmsg(fd, iov, addrScratch, controlSize > 0 ? ctlView : null, outs, flags);
      if (n === AGAIN) return AGAIN;
      // From here on the kernel may have installed fds in this process:
      // either they end up in the result, or they are closed.
      const ctlLen = outs[1]!;
      // The kernel echoes MSG_CMSG_CLOEXEC (which the thunk always adds) in msg_flags: not news to the caller.
      const msgFlags = outs[2]! & ~MSG.CMSG_CLOEXEC;
      try {
        result = buildResult(n, capacity, iov, userBuffers, own, ctlView, ctlLen, outs[0]!, msgFlags, maxFds, family);
      } catch (e) {
        for (const f of rightsIn(ctlView, ctlLen)) closeQuietly(f);
        throw e;
      }
      return n;
    },
    o,
    flags,
    () => result!,
  );
}

/**
 * @internal posix.recvmsg: one recvmsg(2) on an fd of the caller's, blocking
 * or not as the fd is, decoded with the same ownership rules as
 * Socket.recvmsg (fds beyond maxFds closed; an unread result's fds closed
 * when it is collected).
 */
export function recvmsgSync(fd: number, family: number, options: RecvmsgOptions, flags: number): ReceivedMessage {
  if (options === null || typeof options !== "object")
    throw codedError(
      "ERR_INVALID_ARG_TYPE",
      `recvmsg: options must be an object { size?, buffers?, controlSize?, maxFds? }, got ${describe(options)}`,
    );
  const { iov, capacity, own, userBuffers, maxFds, controlSize } = prepareRecv(options);
  const ctl = controlSize <= ctlScratch.length ? ctlScratch : (ctlScratch = Buffer.alloc(controlSize));
  const ctlView = controlSize === ctl.length ? ctl : ctl.subarray(0, controlSize);
  const n = raw.recvmsg(fd, iov, addrScratch, controlSize > 0 ? ctlView : null, outs, flags | cloexec(family));
  raw.mustNotWait(n, "recvmsg");
  const ctlLen = outs[1]!;
  const msgFlags = outs[2]! & ~MSG.CMSG_CLOEXEC;
  try {
    return buildResult(n, capacity, iov, userBuffers, own, ctlView, ctlLen, outs[0]!, msgFlags, maxFds, family);
  } catch (e) {
    for (const f of rightsIn(ctlView, ctlLen)) closeQuietly(f);
    throw e;
  }
}

/**
 * MSG_CMSG_CLOEXEC for every family that accepts it: received fds are
 * close-on-exec from the start. AF_PACKET's recvmsg rejects the flag (EINVAL),
 * and a packet socket never carries fds anyway.
 */
export function cloexec(family: number): number {
  return family === AF.PACKET ? 0 : MSG.CMSG_CLOEXEC;
}

export function abortError(signal: AbortSignal): AbortError {
  return new AbortError(undefined, { cause: signal.reason });
}

function buildResult(
  n: number,
  capacity: number,
  iov: ArrayBufferView[],
  userBuffers: boolean,
  own: Buffer | null,
  ctl: Buffer,
  ctlLen: number,
  addrLen: number,
  msgFlags: number,
  maxFds: number,
  family: number,
): ReceivedMessage {
  const got = Math.min(n, capacity);
  let data: Buffer;
  if (own) data = own.subarray(0, got);
  else if (!userBuffers) data = Buffer.from(scratch.subarray(0, got));
  else data = gather(iov, got);
  const address =
    addrLen > 0
      ? decodeSockaddr(addrScratch, addrLen)
      : family === AF.UNIX
        ? { family: "unix" as const, path: "" }
        : null;

  const taken = newTaken();
  takeControl(taken, ctl, ctlLen, maxFds);
  return finish(data, n, address, msgFlags, taken);
}

/** Control data collected from one or more receives: the list, the fds kept, and what was lost. */
interface Taken {
  control: ControlMessage[];
  fds: number[];
  /** SCM_PIDFD: the sender's pidfd (the first one, when a MSG_WAITALL read gathers several). */
  pidfd: number | null;
  lost: boolean;
}

function newTaken(): Taken {
  return { control: [], fds: [], pidfd: null, lost: false };
}

/**
 * Moves the control messages of one receive into `taken`: fds up to `maxFds`
 * are kept (the SCM_RIGHTS entry rewritten to list only them), the rest closed.
 */
function takeControl(taken: Taken, ctl: Buffer, ctlLen: number, maxFds: number): void {
  const parsed = parseControl(ctl, ctlLen);
  if (parsed.malformed !== null) taken.lost = true;
  for (const m of parsed.messages) {
    if (m.level === SOL.SOCKET && m.type === SCM.RIGHTS) {
      const kept: number[] = [];
      for (const f of decodeRights(m.data)) {
        if (taken.fds.length < maxFds) {
          taken.fds.push(f);
          kept.push(f);
        } else {
          closeQuietly(f);
          taken.lost = true;
        }
      }
      if (kept.length > 0) taken.control.push({ level: m.level, type: m.type, data: encodeRights(kept).data });
      continue;
    }
    if (carriesFds(m)) {
      // SCM_PIDFD: one pidfd per message; keep the first, close any other.
      let pidfd: number | null = null;
      try {
        pidfd = decodePidfd(m.data);
      } catch {
        taken.lost = true; // cut short by MSG_CTRUNC: the kernel installed nothing we can name
      }
      if (pidfd !== null) {
        if (taken.pidfd === null) {
          taken.pidfd = pidfd;
          taken.control.push(m);
        } else closeQuietly(pidfd);
      }
      continue;
    }
    taken.control.push(m);
  }
}

export function finish(
  data: Buffer,
  n: number,
  address: SocketAddress | null,
  msgFlags: number,
  taken: Taken,
): ReceivedMessage {
  const base = {
    data,
    size: n,
    address,
    flags: msgFlags,
    truncated: (msgFlags & MSG.TRUNC) !== 0,
    controlTruncated: (msgFlags & MSG.CTRUNC) !== 0 || taken.lost,
    ...decodeViews(taken.control),
  };
  return makeResult(base, taken.fds, taken.control, taken.pidfd);
}

/**
 * MSG_WAITALL on a stream: receives until `capacity` bytes (or EOF), over as
 * many wakeups as it takes — the kernel does not wait on a non-blocking
 * socket, so this loop does. The data accumulates in a buffer of its own
 * (never the shared scratch, which other calls use between wakeups), and so
 * do the control messages and fds of every piece; if the call fails, is
 * aborted or times out half way, the fds received so far are closed.
 */
function recvmsgAll(
  host: MessageHost,
  o: RecvmsgOptions,
  flags: number,
  capacity: number,
  userIov: ArrayBufferView[] | null,
  maxFds: number,
  controlSize: number,
): Promise<ReceivedMessage> {
  const target = userIov ?? [Buffer.allocUnsafe(capacity)];
  const fd = host.fd;
  const family = host.family;
  const taken = newTaken();
  let filled = 0;
  let msgFlags = 0;
  let address: SocketAddress | null | undefined;
  const attempt = (): number => {
    while (filled < capacity) {
      const ctl = controlSize <= ctlScratch.length ? ctlScratch : (ctlScratch = Buffer.alloc(controlSize));
      const ctlView = controlSize === ctl.length ? ctl : ctl.subarray(0, controlSize);
      const n = raw.recvmsg(fd, iovFrom(target, filled), addrScratch, controlSize > 0 ? ctlView : null, outs, flags);
      if (n === AGAIN) return AGAIN;
      const ctlLen = outs[1]!;
      try {
        msgFlags |= outs[2]! & ~MSG.CMSG_CLOEXEC;
        address ??=
          outs[0]! > 0
            ? decodeSockaddr(addrScratch, outs[0]!)
            : family === AF.UNIX
              ? { family: "unix", path: "" }
              : null;
        takeControl(taken, ctlView, ctlLen, maxFds);
      } catch (e) {
        for (const f of rightsIn(ctlView, ctlLen)) closeQuietly(f);
        throw e;
      }
      if (n === 0) break; // EOF: what came is all there is
      filled += n;
    }
    return filled;
  };
  return run(host, READ, "recvmsg", attempt, o, flags).then(
    () => finish(gather(target, filled), filled, address ?? null, msgFlags, taken),
    (e: unknown) => {
      for (const f of taken.fds) closeQuietly(f);
      if (taken.pidfd !== null) closeQuietly(taken.pidfd);
      throw e;
    },
  );
}

/** The part of `iov` from byte `offset` on. */
function iovFrom(iov: ArrayBufferView[], offset: number): ArrayBufferView[] {
  if (offset === 0) return iov;
  const out: ArrayBufferView[] = [];
  let skip = offset;
  for (const b of iov) {
    if (skip >= b.byteLength) {
      skip -= b.byteLength;
      continue;
    }
    out.push(skip === 0 ? b : new Uint8Array(b.buffer, b.byteOffset + skip, b.byteLength - skip));
    skip = 0;
  }
  return out;
}

/** The first `got` bytes spread over `iov`: a view when they lie in the first buffer, else a copy. */
function gather(iov: ArrayBufferView[], got: number): Buffer {
  const first = iov[0];
  if (first === undefined) return Buffer.alloc(0);
  if (got <= first.byteLength) return Buffer.from(first.buffer, first.byteOffset, got);
  const out = Buffer.allocUnsafe(got);
  let off = 0;
  for (const b of iov) {
    if (off >= got) break;
    const k = Math.min(b.byteLength, got - off);
    Buffer.from(b.buffer, b.byteOffset, k).copy(out, off);
    off += k;
  }
  return out;
}
