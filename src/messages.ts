/**
 * The logic behind the Socket message calls: sendmsg/recvmsg with ancillary
 * data, fd passing with ownership, credentials, and the batched calls
 * (recvmmsg/sendmmsg) that let a datagram server drain many messages per
 * readiness wakeup.
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
import { AF, LIMITS, MSG, SCM, SO, SOCK, SOL, STRUCTS, UDP } from "./constants.js";
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
  decodeCredentials,
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
import { AbortError, ERRNO, SocketError, closedError, codedError, type ErrorContext } from "./errors.js";
import * as raw from "./raw/index.js";
import * as batch from "./raw/batch.js";
import { AGAIN, describe } from "./raw/index.js";
import { checkWait, toBytes } from "./validate.js";
import type { Datagram, RecvOptions, SendOptions, Socket, WaitOptions } from "./socket.js";

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

const READ = 0;
const WRITE = 1;

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

/** Who {@link acceptAllowed} and {@link peerAllowed} let in. */
export interface PeerPolicy {
  /** Users admitted (a peer whose uid is listed is in). */
  uids?: Iterable<number>;
  /** Groups admitted (a peer whose primary group, or one of its supplementary groups, is listed is in). */
  gids?: Iterable<number>;
}

// ---------------------------------------------------------------------------
// Shared state. Every buffer here is used only inside one synchronous attempt,
// so one of each serves every socket of this thread.

const SCRATCH_SIZE = 65536;
/** sockit's cap on iovecs per call (MAX_IOV in native/syscalls.c), below the kernel's IOV_MAX. */
const MAX_BUFFERS = LIMITS.IOV_MAX;
const MAX_CONTROL = 1 << 20;
const EXTRA_CONTROL = 512;
const SOCKADDR_SIZE = STRUCTS.sockaddr_storage!.size;
const UIO_MAXIOV = MSG_FACTS.UIO_MAXIOV;

const scratch = Buffer.allocUnsafeSlow(SCRATCH_SIZE);
const scratchList = [scratch];
const addrScratch = Buffer.alloc(SOCKADDR_SIZE);
let ctlScratch = Buffer.alloc(4096);
const outs = new Int32Array(3);

const EBADF = -ERRNO.EBADF!;
const EINVAL = -ERRNO.EINVAL!;
const ERANGE = -ERRNO.ERANGE!;

function closeQuietly(fd: number): void {
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

function checkCount(v: unknown, what: string, min: number, max: number, dflt: number): number {
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

function run<T = number>(
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
  if (r === AGAIN) throw new SocketError(r, "sendmsg", p.ctx);
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
function rightsIn(buf: Buffer, length: number): number[] {
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
  if (n === AGAIN) throw new SocketError(n, "recvmsg");
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
function cloexec(family: number): number {
  return family === AF.PACKET ? 0 : MSG.CMSG_CLOEXEC;
}

function abortError(signal: AbortSignal): AbortError {
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

function finish(
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

// ---------------------------------------------------------------------------
// Batched I/O.

let slab = Buffer.allocUnsafeSlow(0);
let addrSlab = Buffer.alloc(0);
let batchOut = new Int32Array(0);
let ctlSlab = Buffer.alloc(0);

/** @internal recvBatch: one recvmmsg(2) per wakeup, up to `count` datagrams, copied out into one allocation. */
export function recvBatch(host: MessageHost, options?: RecvBatchOptions): Promise<BatchDatagram[]> {
  const o = checkWait(options, "recvBatch") as RecvBatchOptions;
  if (host.type === SOCK.STREAM) {
    throw codedError(
      "ERR_SOCKET_BAD_TYPE",
      "recvBatch needs a datagram, seqpacket or raw socket (a stream has no message boundaries)",
    );
  }
  const count = checkCount(o.count, "recvBatch: count", 1, UIO_MAXIOV, 32);
  const size = checkCount(o.size, "recvBatch: size", 1, 0x7fffffff, SCRATCH_SIZE);
  if (count * size > 0x7fffffff)
    throw codedError("ERR_OUT_OF_RANGE", `recvBatch: count * size must be at most 2 GiB, got ${count * size}`);
  const ctlSize = checkCount(o.controlSize, "recvBatch: controlSize", 0, 65536, 0);
  if (count * ctlSize > MAX_CONTROL * 16)
    throw codedError(
      "ERR_OUT_OF_RANGE",
      `recvBatch: count * controlSize must be at most 16 MiB, got ${count * ctlSize}`,
    );
  const flags =
    (o.flags === undefined ? 0 : raw.checkInt(o.flags, "recvBatch: flags")) | MSG.TRUNC | cloexec(host.family);
  const signal = o.signal;
  if (signal?.aborted) return Promise.reject(abortError(signal));
  const fd = host.fd;
  const family = host.family;
  let result: BatchDatagram[] = [];
  return run(
    host,
    READ,
    "recvmmsg",
    () => {
      if (slab.length < count * size) slab = Buffer.allocUnsafeSlow(count * size);
      if (addrSlab.length < count * SOCKADDR_SIZE) addrSlab = Buffer.alloc(count * SOCKADDR_SIZE);
      if (batchOut.length < count * 4) batchOut = new Int32Array(count * 4);
      if (ctlSlab.length < count * ctlSize) ctlSlab = Buffer.alloc(count * ctlSize);
      const ctl = ctlSize > 0 ? ctlSlab : null;
      const r = batch.recvmmsg(fd, slab, size, count, addrSlab, SOCKADDR_SIZE, ctl, ctlSize, batchOut, flags);
      if (r === AGAIN) return AGAIN;
      try {
        result = unpackBatch(r, size, ctlSize, family);
      } catch (e) {
        // Fds may have come with any of the messages: none may outlive this.
        for (let i = 0; i < r && ctlSize > 0; i++) {
          for (const f of rightsIn(ctlSlab.subarray(i * ctlSize, (i + 1) * ctlSize), batchOut[i * 4 + 2]!))
            closeQuietly(f);
        }
        throw e;
      }
      return r;
    },
    o,
    flags,
    () => result,
  );
}

/** The last sender a batch decoded: its family, sockaddr bytes and frozen address object. */
let senderFamily = -1;
let senderLen = -1;
const senderBytes = Buffer.alloc(SOCKADDR_SIZE);
let senderAddr: SocketAddress | undefined;

/**
 * The sender of a batch message, from addrSlab[at, at + len): decoded once per
 * distinct sender (most batches come from one peer), frozen and shared, as
 * recvfrom() shares its sender objects.
 */
function batchSender(at: number, len: number, family: number): SocketAddress {
  if (senderAddr !== undefined && len === senderLen && family === senderFamily) {
    let i = 0;
    while (i < len && addrSlab[at + i] === senderBytes[i]) i++;
    if (i === len) return senderAddr;
  }
  const addr = Object.freeze(decodeSockaddr(addrSlab.subarray(at, at + SOCKADDR_SIZE), len, family));
  addrSlab.copy(senderBytes, 0, at, at + Math.min(len, SOCKADDR_SIZE));
  senderLen = len;
  senderFamily = family;
  senderAddr = addr;
  return addr;
}

function unpackBatch(r: number, size: number, ctlSize: number, family: number): BatchDatagram[] {
  // Close up the gaps between the messages in the slab (message i sits at
  // i * size), so that one copy moves the batch into one allocation and each
  // datagram is a view of it.
  let total = 0;
  for (let i = 0; i < r; i++) {
    const got = Math.min(batchOut[i * 4]!, size);
    if (i * size !== total) slab.copyWithin(total, i * size, i * size + got);
    total += got;
  }
  const all = Buffer.allocUnsafe(total);
  slab.copy(all, 0, 0, total);
  const out: BatchDatagram[] = new Array(r);
  let off = 0;
  for (let i = 0; i < r; i++) {
    const len = batchOut[i * 4]!;
    const got = Math.min(len, size);
    const mflags = batchOut[i * 4 + 3]!;
    const d: BatchDatagram = {
      data: all.subarray(off, off + got),
      address: batchSender(i * SOCKADDR_SIZE, batchOut[i * 4 + 1]!, family),
      truncated: (mflags & MSG.TRUNC) !== 0 || len > size,
      size: len,
    };
    if (ctlSize > 0) {
      const parsed = parseControl(ctlSlab.subarray(i * ctlSize, (i + 1) * ctlSize), batchOut[i * 4 + 2]!);
      const control: ControlMessage[] = [];
      let closed = 0;
      for (const m of parsed.messages) {
        if (carriesFds(m)) {
          // SCM_RIGHTS and SCM_PIDFD: a batch hands out no fds.
          for (const f of decodeRights(m.data)) {
            closeQuietly(f);
            closed++;
          }
        } else control.push(m);
      }
      Object.assign(d, decodeViews(control));
      d.control = control;
      d.controlTruncated = (mflags & MSG.CTRUNC) !== 0 || closed > 0 || parsed.malformed !== null;
    }
    out[i] = d;
    off += got;
  }
  return out;
}

/** The control messages of one batch message: its pktinfo, then its raw ones. */
function messageControl(host: MessageHost, m: BatchMessage, what: string): ControlMessage[] {
  const list: ControlMessage[] = [];
  if (m.pktinfo !== undefined) list.push(encodePktinfo(m.pktinfo, host.family === AF.INET6 ? "inet6" : "inet"));
  if (m.control !== undefined) {
    if (!Array.isArray(m.control)) {
      throw codedError("ERR_INVALID_ARG_TYPE", `${what}.control must be an array of { level, type, data }`);
    }
    for (const c of m.control) {
      if (c === null || typeof c !== "object" || !ArrayBuffer.isView(c.data)) {
        throw codedError("ERR_INVALID_ARG_TYPE", `${what}: each control message must be { level, type, data }`);
      }
      const level = controlLevel(c.level);
      list.push({
        level,
        type: controlType(level, c.type),
        data: Buffer.from(c.data.buffer, c.data.byteOffset, c.data.byteLength),
      });
    }
  }
  return list;
}

/** @internal sendBatch: sendmmsg(2) until every message is sent. */
export function sendBatch(
  host: MessageHost,
  messages: readonly BatchMessage[],
  options?: SendOptions,
): Promise<number> {
  if (!Array.isArray(messages))
    throw codedError("ERR_INVALID_ARG_TYPE", `sendBatch: messages must be an array, got ${describe(messages)}`);
  const o = checkWait(options, "sendBatch") as SendOptions;
  const flags = o.flags === undefined ? 0 : raw.checkInt(o.flags, "sendBatch: flags");
  const count = messages.length;
  if (count === 0) return Promise.resolve(0);
  if (host.type === SOCK.STREAM) return sendStreamBatch(host, messages, o, flags);
  const buffers: ArrayBufferView[] = new Array(count);
  let addrs: Buffer | null = null;
  let lens: Int32Array | null = null;
  let lastAddr: AddressLike | undefined;
  let lastBytes: { bytes: Buffer; length: number } | undefined;
  let controls: (Buffer | null)[] | null = null;
  for (let i = 0; i < count; i++) {
    const m = messages[i];
    if (m === null || typeof m !== "object")
      throw codedError(
        "ERR_INVALID_ARG_TYPE",
        `sendBatch: messages[${i}] must be { data, address? }, got ${describe(m)}`,
      );
    buffers[i] = toBytes(m.data, `sendBatch: messages[${i}].data`);
    if (m.address !== undefined) {
      if (addrs === null) {
        addrs = Buffer.alloc(count * SOCKADDR_SIZE);
        lens = new Int32Array(count);
      }
      // Replies to one peer repeat its address: encode it once.
      if (m.address !== lastAddr || lastBytes === undefined) {
        lastBytes = encodeSockaddr(toAddress(m.address, host.family, "sendmmsg"), "sendmmsg");
        lastAddr = m.address;
      }
      lastBytes.bytes.copy(addrs, i * SOCKADDR_SIZE, 0, lastBytes.length);
      lens![i] = lastBytes.length;
    }
    if (m.pktinfo !== undefined || m.control !== undefined) {
      if (controls === null) controls = new Array<Buffer | null>(count).fill(null);
      controls[i] = encodeControl(messageControl(host, m, `sendBatch: messages[${i}]`));
    }
  }
  // Each message's control data goes into one slot of a slab, as the thunk takes it.
  let ctl: Buffer | null = null;
  let ctlLens: Int32Array | null = null;
  let ctlSlot = 0;
  if (controls !== null) {
    for (const c of controls) ctlSlot = Math.max(ctlSlot, c?.length ?? 0);
    ctl = Buffer.alloc(count * ctlSlot);
    ctlLens = new Int32Array(count);
    controls.forEach((c, i) => {
      if (c) {
        c.copy(ctl!, i * ctlSlot);
        ctlLens![i] = c.length;
      }
    });
  }
  const fd = host.fd;
  let sent = 0;
  return run(
    host,
    WRITE,
    "sendmmsg",
    () => {
      while (sent < count) {
        const rest = sent === 0 ? buffers : buffers.slice(sent, sent + UIO_MAXIOV);
        const part = rest.length > UIO_MAXIOV ? rest.slice(0, UIO_MAXIOV) : rest;
        let r: number;
        try {
          r = batch.sendmmsg(
            fd,
            part,
            addrs ? addrs.subarray(sent * SOCKADDR_SIZE) : null,
            addrs ? SOCKADDR_SIZE : 0,
            lens ? lens.subarray(sent) : null,
            ctl ? ctl.subarray(sent * ctlSlot) : null,
            ctlSlot,
            ctlLens ? ctlLens.subarray(sent) : null,
            null,
            flags,
          );
        } catch (e) {
          // How far the batch got before the failure.
          Object.assign(e as SocketError, { sent });
          throw e;
        }
        // Under MSG_DONTWAIT a partial batch is the answer, as sendmmsg(2) gives it.
        if (r === AGAIN) return sent > 0 && flags & MSG.DONTWAIT ? sent : AGAIN;
        sent += r;
      }
      return sent;
    },
    o,
    flags,
  );
}

/**
 * sendBatch on a stream socket: the messages' bytes in order, gathered into
 * one sendmsg(2) per MAX_BUFFERS messages (writev semantics). sendmmsg(2)
 * cannot be used on a stream: it counts a message the kernel took only part
 * of as sent and goes on with the next one, which would lose or interleave
 * bytes; a gathered write leaves a clean prefix, and the rest is sent next.
 * Messages carry data only here (no address, pktinfo or control), and
 * MSG_DONTWAIT is refused: a stream can stop inside a message, which a count
 * of messages cannot report (send() can).
 */
function sendStreamBatch(
  host: MessageHost,
  messages: readonly BatchMessage[],
  o: SendOptions,
  flags: number,
): Promise<number> {
  const count = messages.length;
  if (flags & MSG.DONTWAIT) {
    throw codedError(
      "ERR_INVALID_ARG_VALUE",
      "sendBatch: MSG_DONTWAIT is not supported on a stream socket (a stream can stop inside a message); use send()",
    );
  }
  const buffers: ArrayBufferView[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const m = messages[i];
    if (m === null || typeof m !== "object")
      throw codedError("ERR_INVALID_ARG_TYPE", `sendBatch: messages[${i}] must be { data }, got ${describe(m)}`);
    if (m.address !== undefined || m.pktinfo !== undefined || m.control !== undefined) {
      throw codedError(
        "ERR_INVALID_ARG_VALUE",
        `sendBatch: messages[${i}] has an address, pktinfo or control: on a stream socket a batch carries data only (use sendmsg() for ancillary data)`,
      );
    }
    buffers[i] = toBytes(m.data, `sendBatch: messages[${i}].data`);
  }
  const fd = host.fd;
  // Progress: messages[at] is the next to send, `off` bytes of it already gone.
  let at = 0;
  let off = 0;
  return run(
    host,
    WRITE,
    "sendmsg",
    () => {
      while (at < count) {
        let part: ArrayBufferView[];
        if (at === 0 && off === 0 && count <= MAX_BUFFERS) part = buffers;
        else {
          part = buffers.slice(at, at + MAX_BUFFERS);
          if (off > 0) {
            const first = part[0]!;
            part[0] = new Uint8Array(first.buffer, first.byteOffset + off, first.byteLength - off);
          }
        }
        let r: number;
        try {
          r = raw.sendmsg(fd, part, null, 0, null, flags);
        } catch (e) {
          // As for datagrams: the count of whole messages sent before the error.
          Object.assign(e as object, { sent: at });
          throw e;
        }
        if (r === AGAIN) return AGAIN;
        // Walk the bytes taken over the messages: whole ones, then into the next.
        let left = r;
        while (at < count) {
          const rest = buffers[at]!.byteLength - off;
          if (left < rest) {
            off += left;
            break;
          }
          left -= rest;
          at++;
          off = 0;
        }
      }
      return count;
    },
    o,
    flags,
  );
}

const DONE: IteratorReturnResult<void> = Object.freeze({ value: undefined, done: true });

/**
 * @internal The receive loop behind Socket.messages(): one recvmmsg per
 * wakeup, handing out each datagram; ends when the socket is closed, and on a
 * seqpacket socket at EOF — the kernel reports a closed peer as a zero-length
 * read, which is indistinguishable from a zero-length message (as for recv(2)).
 *
 * Written as an iterator object rather than an async generator: a datagram
 * already in hand comes back as one resolved promise, where a generator's
 * `yield` costs an await and a resumption per datagram (about half the
 * per-message overhead of `for await` over a busy socket). Calls to next()
 * made before the previous one settled are served in call order.
 */
export class MessageIterator implements AsyncGenerator<Datagram, void, undefined> {
  readonly #host: MessageHost;
  readonly #options: RecvBatchOptions;
  #batch: Datagram[] = [];
  #at = 0;
  #done = false;
  /** The receive in progress; next() calls made meanwhile queue behind it. */
  #busy: Promise<unknown> | null = null;

  constructor(host: MessageHost, options: { size: number; signal?: AbortSignal; batch?: number }) {
    this.#host = host;
    const { size, signal, batch = 32 } = options;
    this.#options = signal ? { size, count: batch, signal } : { size, count: batch };
  }

  next(): Promise<IteratorResult<Datagram, void>> {
    if (this.#busy !== null) {
      const after = (): Promise<IteratorResult<Datagram, void>> => this.next();
      return this.#busy.then(after, after);
    }
    if (this.#done) return Promise.resolve(DONE);
    if (this.#at < this.#batch.length) {
      const m = this.#batch[this.#at++]!;
      // close() ends the loop even with received datagrams still in hand.
      if (this.#host.closed || (m.size === 0 && this.#host.type === SOCK.SEQPACKET)) return this.return();
      return Promise.resolve({ value: m, done: false });
    }
    if (this.#host.closed) return this.return();
    const p = this.#receive();
    this.#busy = p;
    const clear = (): void => {
      if (this.#busy === p) this.#busy = null;
    };
    p.then(clear, clear);
    return p;
  }

  async #receive(): Promise<IteratorResult<Datagram, void>> {
    let got: Datagram[];
    try {
      got = await recvBatch(this.#host, this.#options);
    } catch (e) {
      this.#finish();
      if ((e as { code?: string }).code === "ERR_SOCKET_CLOSED") return DONE;
      throw e;
    }
    this.#batch = got;
    this.#at = 0;
    this.#busy = null;
    return this.next();
  }

  #finish(): void {
    this.#done = true;
    this.#batch = [];
    this.#at = 0;
  }

  /**
   * Ends the iteration (what `break` out of `for await` calls); datagrams still
   * in hand are dropped. Made while a receive is pending, it waits for it, as a
   * generator's does: the pending next() gets the datagram it received.
   */
  return(): Promise<IteratorResult<Datagram, void>> {
    if (this.#busy !== null) {
      const after = (): Promise<IteratorResult<Datagram, void>> => this.return();
      return this.#busy.then(after, after);
    }
    this.#finish();
    return Promise.resolve(DONE);
  }

  /** Ends the iteration and rejects with `err`, as a generator does (after a pending receive, as return()). */
  throw(err?: unknown): Promise<IteratorResult<Datagram, void>> {
    if (this.#busy !== null) {
      const after = (): Promise<IteratorResult<Datagram, void>> => this.throw(err);
      return this.#busy.then(after, after);
    }
    this.#finish();
    return Promise.reject(err);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }
}

// ---------------------------------------------------------------------------
// Conveniences (functions on a Socket, after CPython's socket.send_fds/recv_fds).

/**
 * Sends `data` together with `fds` (SCM_RIGHTS) over a Unix socket. On a
 * stream socket the rest of the data follows if the kernel took only part of
 * it (the fds travel with the first byte). Does not correspond to a single
 * syscall (`sendmsg(2)`, then `send(2)` for the rest on a stream).
 * @see https://man7.org/linux/man-pages/man7/unix.7.html
 * @throws RangeError ERR_OUT_OF_RANGE for more than SCM_MAX_FD fds; TypeError for a
 *   value without an fd; SocketError EBADF (an fd closed), EPIPE, ETOOMANYREFS.
 */
export function sendFds(
  sock: Socket,
  data: ArrayBufferView | string,
  fds: readonly FdLike[],
  options?: SendOptions,
): Promise<number> {
  const buf = toBytes(data, "sendFds: data");
  // sendmsg validates (and throws) synchronously; the rest follows its result.
  return sock.sendmsg({ ...options, buffers: [buf], fds }).then(async (n) => {
    if (n < buf.byteLength && sock.type === "stream") {
      await sock.sendAll(Buffer.from(buf.buffer, buf.byteOffset + n, buf.byteLength - n), options);
    }
    return buf.byteLength;
  });
}

/**
 * Receives up to `size` bytes and up to `maxFds` fds over a Unix socket: the
 * {@link ReceivedMessage} of recvmsg, whose `fds` are the caller's to adopt
 * or close. Does not correspond to a single syscall beyond `recvmsg(2)`.
 * @see https://man7.org/linux/man-pages/man7/unix.7.html
 * @throws SocketError from recvmsg; AbortError; ERR_SOCKET_CLOSED.
 */
export function recvFds(sock: Socket, size: number, maxFds: number, options?: RecvOptions): Promise<ReceivedMessage> {
  return sock.recvmsg({ ...options, size, maxFds });
}

const credBuf = Buffer.alloc(STRUCTS.ucred!.size);

/**
 * The one rule for peer credentials: they exist only on Unix sockets (the
 * kernel records them at connect(2)/socketpair(2)). On TCP, SO_PEERCRED reads
 * uid and gid -1 (the overflow id 65534 — nobody's — on older kernels) and
 * SO_PEERGROUPS fails ENODATA, so a credential check or policy there could
 * never be satisfied honestly: it is refused at once, before any call.
 */
function requireUnix(sock: Socket, what: string): void {
  if (sock === null || typeof sock !== "object" || typeof (sock as { fd?: unknown }).fd !== "number")
    throw codedError("ERR_INVALID_ARG_TYPE", `${what}: expected a Socket, got ${describe(sock)}`);
  if (sock.family !== "unix")
    throw codedError(
      "ERR_SOCKET_BAD_TYPE",
      `${what}: peer credentials exist only on Unix sockets, this is ${String(sock.family)}/${String(sock.type)}`,
    );
}

/**
 * Returns the credentials of the peer of a Unix socket — its pid, uid and gid
 * when it called connect(2) or socketpair(2). Wraps `getsockopt(2)` SO_PEERCRED.
 * @see https://man7.org/linux/man-pages/man7/unix.7.html
 * @throws TypeError ERR_SOCKET_BAD_TYPE (not a Unix socket: see requireUnix); SocketError ENOTCONN; ERR_SOCKET_CLOSED.
 */
export function peerCredentials(sock: Socket): Credentials {
  requireUnix(sock, "peerCredentials");
  if (sock.closed) throw closedError("getsockopt");
  const n = raw.getsockopt(sock.fd, SOL.SOCKET, SO.PEERCRED, credBuf, { level: "SOL_SOCKET", option: "SO_PEERCRED" });
  return decodeCredentials(credBuf.subarray(0, n));
}

/**
 * Returns the supplementary groups of the peer of a Unix socket (Linux 4.13).
 * Wraps `getsockopt(2)` SO_PEERGROUPS.
 * @see https://man7.org/linux/man-pages/man7/unix.7.html
 * @throws TypeError ERR_SOCKET_BAD_TYPE (not a Unix socket); SocketError ENOPROTOOPT (older kernels); ERR_SOCKET_CLOSED.
 */
export function peerGroups(sock: Socket): number[] {
  requireUnix(sock, "peerGroups");
  if (sock.closed) throw closedError("getsockopt");
  const name = SO.PEERGROUPS;
  if (name === undefined)
    throw codedError("ERR_NOT_SUPPORTED", "getsockopt: SO_PEERGROUPS is not in this system's headers");
  let buf = Buffer.alloc(256);
  for (;;) {
    try {
      const n = raw.getsockopt(sock.fd, SOL.SOCKET, name, buf, { level: "SOL_SOCKET", option: "SO_PEERGROUPS" });
      const dv = new DataView(buf.buffer, buf.byteOffset, n);
      const out: number[] = [];
      for (let off = 0; off + 4 <= n; off += 4) out.push(dv.getUint32(off, LITTLE_ENDIAN));
      return out;
    } catch (e) {
      // ERANGE: the groups do not fit; the kernel wants more room.
      if ((e as SocketError).errno === ERANGE && buf.length < 1 << 20) buf = Buffer.alloc(buf.length * 4);
      else throw e;
    }
  }
}

function toSet(v: Iterable<number> | undefined, what: string): Set<number> | null {
  if (v === undefined) return null;
  if (v === null || typeof (v as Iterable<number>)[Symbol.iterator] !== "function") {
    throw codedError("ERR_INVALID_ARG_TYPE", `${what} must be an iterable of ids, got ${describe(v)}`);
  }
  const s = new Set<number>();
  for (const id of v) s.add(raw.checkInt(id, `${what} entry`, 0, 0xffffffff));
  return s;
}

function checkPolicy(policy: PeerPolicy, what: string): { uids: Set<number> | null; gids: Set<number> | null } {
  if (policy === null || typeof policy !== "object")
    throw codedError("ERR_INVALID_ARG_TYPE", `${what}: policy must be an object { uids?, gids? }`);
  const uids = toSet(policy.uids, `${what}: policy.uids`);
  const gids = toSet(policy.gids, `${what}: policy.gids`);
  if (uids === null && gids === null) {
    throw codedError(
      "ERR_INVALID_ARG_VALUE",
      `${what}: the policy lists neither uids nor gids (give empty lists to admit nobody)`,
    );
  }
  return { uids, gids };
}

/**
 * Says whether the peer of a connected Unix socket is admitted by `policy`:
 * its uid is in `uids`, or its primary group or one of its supplementary
 * groups (SO_PEERGROUPS, where the kernel has it) is in `gids`. Does not
 * correspond to a single syscall (`getsockopt(2)` SO_PEERCRED, SO_PEERGROUPS).
 * @see https://man7.org/linux/man-pages/man7/unix.7.html
 * @throws TypeError ERR_INVALID_ARG_VALUE for a policy with neither list, ERR_SOCKET_BAD_TYPE for a
 *   socket that is not a Unix socket (thrown at once); SocketError from getsockopt.
 */
export function peerAllowed(sock: Socket, policy: PeerPolicy): boolean {
  requireUnix(sock, "peerAllowed");
  const p = checkPolicy(policy, "peerAllowed");
  return admits(sock, peerCredentials(sock), p);
}

function admits(sock: Socket, c: Credentials, p: { uids: Set<number> | null; gids: Set<number> | null }): boolean {
  if (p.uids?.has(c.uid)) return true;
  if (p.gids === null) return false;
  if (p.gids.has(c.gid)) return true;
  let groups: number[];
  try {
    groups = peerGroups(sock);
  } catch (e) {
    // No SO_PEERGROUPS (before Linux 4.13): the primary group is all we know.
    if ((e as SocketError).code === "ENOPROTOOPT" || (e as SocketError).errno === EINVAL) return false;
    throw e;
  }
  return groups.some((g) => p.gids!.has(g));
}

/**
 * Accepts the next connection whose peer `policy` admits (see
 * {@link peerAllowed}); connections from anyone else are closed at once
 * (after `options.onDenied`, if given, has seen their credentials) and the
 * wait goes on. "Let no one in who does not belong." Does not correspond to a
 * single syscall (`accept4(2)`, then `getsockopt(2)` SO_PEERCRED).
 * @see https://man7.org/linux/man-pages/man7/unix.7.html
 * @throws like Socket.accept(); TypeError ERR_INVALID_ARG_VALUE for an empty policy, ERR_SOCKET_BAD_TYPE
 *   for a listener that is not a Unix socket (TCP has no peer credentials) — both thrown at once.
 */
export function acceptAllowed(
  server: Socket,
  policy: PeerPolicy,
  options?: WaitOptions & { onDenied?: (credentials: Credentials) => void },
): Promise<{ socket: Socket; credentials: Credentials }> {
  // Checked here, synchronously: a policy on a listener that can never satisfy it is the caller's mistake.
  requireUnix(server, "acceptAllowed");
  const p = checkPolicy(policy, "acceptAllowed");
  return acceptLoop(server, p, options);
}

async function acceptLoop(
  server: Socket,
  p: { uids: Set<number> | null; gids: Set<number> | null },
  options?: WaitOptions & { onDenied?: (credentials: Credentials) => void },
): Promise<{ socket: Socket; credentials: Credentials }> {
  const wait: WaitOptions = {};
  if (options?.signal !== undefined) wait.signal = options.signal;
  const deadline = options?.timeout === undefined ? undefined : Date.now() + options.timeout;
  for (;;) {
    if (deadline !== undefined) wait.timeout = Math.max(0, deadline - Date.now());
    const conn = await server.accept(wait);
    let ok = false;
    let creds: Credentials | undefined;
    try {
      creds = peerCredentials(conn);
      ok = admits(conn, creds, p);
      if (ok) return { socket: conn, credentials: creds };
      options?.onDenied?.(creds);
    } finally {
      if (!ok) conn.close();
    }
  }
}
