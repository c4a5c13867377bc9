/**
 * The raw layer: a typed, synchronous, non-blocking mirror of the syscalls, one
 * function per call, on plain fd numbers. It validates arguments at the boundary
 * (TypeError/RangeError with ERR_* codes, thrown at once, so the C side never
 * sees a bad shape) and wraps a failed syscall exactly once, in a SocketError
 * that names the real call and, where the caller passes it, the address.
 *
 * One exception to "throws on failure": a call that would block returns the
 * sentinel {@link AGAIN} (and connect returns {@link INPROGRESS}), because the
 * async layer meets those on every other call and an exception per wait would
 * cost more than the syscall.
 */
import { readI32 } from "../endian.js";
import { ERRNO, SocketError, codedError, type ErrorContext } from "../errors.js";
import { native, type Bytes, type PollerHandle, type RingHandle } from "./native.js";

export type { Bytes, PollerHandle, RingHandle };
export * from "./clock.js";
export * from "./headers.js";
export * from "./names.js";
export * from "./netns.js";
export * from "./poller.js";

/** Returned by a non-blocking call that would block (EAGAIN / EWOULDBLOCK). */
export const AGAIN = -ERRNO.EAGAIN!;
/** Returned by connect while the connection is being made (EINPROGRESS). */
export const INPROGRESS = -ERRNO.EINPROGRESS!;
const EINTR = -ERRNO.EINTR!;
/** Returned by the blocking waits ({@link pollWait}, {@link selectWait}, {@link connectBlocking}) when a signal cut them short (EINTR). */
export const INTERRUPTED = EINTR;

/** The fixed out-value array the thunks write lengths and flags into. */
const out = new Int32Array(4);

/** Checks an fd argument: an integer 0..2^31-1. */
export function checkFd(fd: unknown, syscall: string): number {
  if (typeof fd !== "number" || !Number.isInteger(fd)) {
    throw codedError("ERR_INVALID_ARG_TYPE", `${syscall}: fd must be an integer, got ${describe(fd)}`);
  }
  if (fd < 0 || fd > 0x7fffffff) throw codedError("ERR_OUT_OF_RANGE", `${syscall}: fd must be >= 0, got ${fd}`);
  return fd;
}

/** Checks an int32 argument (flags, levels, option names, backlog). */
export function checkInt(v: unknown, what: string, min = -0x80000000, max = 0x7fffffff): number {
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw codedError("ERR_INVALID_ARG_TYPE", `${what} must be an integer, got ${describe(v)}`);
  }
  if (v < min || v > max) throw codedError("ERR_OUT_OF_RANGE", `${what} must be in ${min}..${max}, got ${v}`);
  return v;
}

/** Checks a byte argument: a Buffer, TypedArray or DataView. */
export function checkBytes(v: unknown, what: string): ArrayBufferView {
  if (!ArrayBuffer.isView(v)) {
    throw codedError("ERR_INVALID_ARG_TYPE", `${what} must be a Buffer, TypedArray or DataView, got ${describe(v)}`);
  }
  return v;
}

/** Checks a [offset, offset + length) window of `buf`. */
export function checkWindow(buf: ArrayBufferView, offset: number, length: number, what: string): void {
  if (!Number.isInteger(offset) || offset < 0 || offset > buf.byteLength) {
    throw codedError("ERR_OUT_OF_RANGE", `${what}: offset must be an integer in 0..${buf.byteLength}, got ${offset}`);
  }
  if (!Number.isInteger(length) || length < 0 || length > buf.byteLength - offset) {
    throw codedError(
      "ERR_OUT_OF_RANGE",
      `${what}: length must be an integer in 0..${buf.byteLength - offset}, got ${length}`,
    );
  }
}

/** A short description of a value for error messages. */
export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return `an instance of ${(v as object).constructor?.name ?? "Object"}`;
  if (typeof v === "string") return `type string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)})`;
  return `type ${typeof v} (${String(v)})`;
}

/** Checks a scatter/gather list against the kernel's limit (IOV_MAX). */
function checkIovCount(buffers: readonly unknown[], syscall: string): void {
  if (!Array.isArray(buffers)) throw codedError("ERR_INVALID_ARG_TYPE", `${syscall}: buffers must be an array`);
  if (buffers.length > IOV_MAX) {
    throw codedError("ERR_OUT_OF_RANGE", `${syscall}: at most ${IOV_MAX} buffers (IOV_MAX), got ${buffers.length}`);
  }
}
const IOV_MAX = (native.constants.LIMITS?.IOV_MAX ?? 1024) as number;

function fail(r: number, syscall: string, ctx?: ErrorContext): never {
  throw new SocketError(r, syscall, ctx);
}

const EPERM = -ERRNO.EPERM!;
const EACCES = -ERRNO.EACCES!;
const AF_PACKET = native.constants.AF!.AF_PACKET!;
const SOCK_RAW = native.constants.SOCK!.SOCK_RAW!;
const SOCK_TYPE_MASK = 0xf;

/**
 * Wraps `socket(2)`; SOCK_NONBLOCK | SOCK_CLOEXEC are always added. A raw or
 * packet socket refused for want of privilege says which capability it needs.
 */
export function socket(domain: number, type: number, protocol: number): number {
  const r = native.socket(checkInt(domain, "domain"), checkInt(type, "type"), checkInt(protocol, "protocol"));
  if (r >= 0) return r;
  if ((r === EPERM || r === EACCES) && ((type & SOCK_TYPE_MASK) === SOCK_RAW || domain === AF_PACKET)) {
    throw new SocketError(
      r,
      "socket",
      {},
      `socket ${r === EPERM ? "EPERM" : "EACCES"}: ${domain === AF_PACKET ? "packet" : "raw"} sockets need the CAP_NET_RAW capability (run as root, or: setcap cap_net_raw+ep "$(command -v node)")`,
    );
  }
  return fail(r, "socket");
}

/** Wraps `socketpair(2)`; SOCK_NONBLOCK | SOCK_CLOEXEC are always added. */
export function socketpair(domain: number, type: number, protocol: number): [number, number] {
  const pair = new Int32Array(2);
  const r = native.socketpair(checkInt(domain, "domain"), checkInt(type, "type"), checkInt(protocol, "protocol"), pair);
  return r >= 0 ? [pair[0]!, pair[1]!] : fail(r, "socketpair");
}

/** Wraps `bind(2)`. */
export function bind(fd: number, addr: Bytes, addrlen: number, ctx?: ErrorContext): void {
  const r = native.bind(fd, addr, addrlen);
  if (r < 0) fail(r, "bind", ctx);
}

/** Wraps `connect(2)`: 0, or INPROGRESS / AGAIN while it cannot finish yet. */
export function connect(fd: number, addr: Bytes, addrlen: number, ctx?: ErrorContext): number {
  const r = native.connect(fd, addr, addrlen);
  // EINTR: the connection goes on asynchronously, as for EINPROGRESS (POSIX).
  if (r >= 0 || r === INPROGRESS || r === AGAIN) return r;
  if (r === EINTR) return INPROGRESS;
  return fail(r, "connect", ctx);
}

/** Wraps `listen(2)`. */
export function listen(fd: number, backlog: number): void {
  const r = native.listen(fd, checkInt(backlog, "backlog"));
  if (r < 0) fail(r, "listen");
}

/** Wraps `accept4(2)` (SOCK_NONBLOCK | SOCK_CLOEXEC always): the new fd or AGAIN; the peer address goes to addr/lenOut. */
export function accept4(fd: number, addr: Buffer | null, lenOut: Int32Array | null, flags = 0): number {
  const r = native.accept4(fd, addr, lenOut, flags);
  return r >= 0 || r === AGAIN ? r : fail(r, "accept4");
}

/** Wraps `send(2)` (MSG_NOSIGNAL always): bytes sent or AGAIN. */
export function send(fd: number, buf: Bytes, offset: number, length: number, flags: number): number {
  const r = native.send(fd, buf, offset, length, flags);
  return r >= 0 || r === AGAIN ? r : fail(r, "send");
}

/** Wraps `recv(2)`: bytes received (0 = EOF) or AGAIN. */
export function recv(fd: number, buf: Bytes, offset: number, length: number, flags: number): number {
  const r = native.recv(fd, buf, offset, length, flags);
  return r >= 0 || r === AGAIN ? r : fail(r, "recv");
}

/** Wraps `sendto(2)` (MSG_NOSIGNAL always): bytes sent or AGAIN. */
export function sendto(
  fd: number,
  buf: Bytes,
  offset: number,
  length: number,
  flags: number,
  addr: Bytes,
  addrlen: number,
  ctx?: ErrorContext,
): number {
  const r = native.sendto(fd, buf, offset, length, flags, addr, addrlen);
  return r >= 0 || r === AGAIN ? r : fail(r, "sendto", ctx);
}

/** Wraps `recvfrom(2)`: bytes received or AGAIN; the sender's address goes to addr, its length to lenOut[0]. */
export function recvfrom(
  fd: number,
  buf: Bytes,
  offset: number,
  length: number,
  flags: number,
  addr: Buffer,
  lenOut: Int32Array,
): number {
  const r = native.recvfrom(fd, buf, offset, length, flags, addr, lenOut);
  return r >= 0 || r === AGAIN ? r : fail(r, "recvfrom");
}

/** Wraps `sendmsg(2)` (MSG_NOSIGNAL always): bytes sent or AGAIN. */
export function sendmsg(
  fd: number,
  buffers: Bytes[],
  addr: Bytes | null,
  addrlen: number,
  control: Bytes | null,
  flags: number,
  ctx?: ErrorContext,
): number {
  checkIovCount(buffers, "sendmsg");
  const r = native.sendmsg(fd, buffers, addr, addrlen, control, flags);
  return r >= 0 || r === AGAIN ? r : fail(r, "sendmsg", ctx);
}

/**
 * Wraps `recvmsg(2)`: bytes received or AGAIN (the caller adds MSG_CMSG_CLOEXEC);
 * outs = [addrlen, controllen, msg_flags].
 */
export function recvmsg(
  fd: number,
  buffers: Bytes[],
  addr: Buffer | null,
  control: Buffer | null,
  outs: Int32Array,
  flags: number,
): number {
  checkIovCount(buffers, "recvmsg");
  const r = native.recvmsg(fd, buffers, addr, control, outs, flags);
  return r >= 0 || r === AGAIN ? r : fail(r, "recvmsg");
}

/**
 * Wraps `sendfile(2)` from `inFd` at `offset` (the file position is neither
 * used nor moved; a negative offset reads from and advances it) to `outFd`:
 * bytes sent (0 = end of file), or AGAIN. Never raises SIGPIPE.
 */
export function sendfile(outFd: number, inFd: number, offset: number, count: number): number {
  const r = native.sendfile(outFd, inFd, offset, count);
  return r >= 0 || r === AGAIN ? r : fail(r, "sendfile");
}

/** Wraps `shutdown(2)`. */
export function shutdown(fd: number, how: number): void {
  const r = native.shutdown(fd, how);
  if (r < 0) fail(r, "shutdown");
}

/**
 * For the blocking callers (posix): a call that would block on a non-blocking
 * fd returns {@link AGAIN} from this layer; C returns EAGAIN, so this makes
 * it the SocketError C's caller would see. Any other result passes through.
 */
export function mustNotWait(r: number, syscall: string, ctx?: ErrorContext): number {
  return r === AGAIN ? fail(r, syscall, ctx) : r;
}

/**
 * Wraps `connect(2)` for a blocking caller: 0, or {@link INTERRUPTED} when a
 * signal cut the wait short (the connection goes on in the kernel, POSIX);
 * every failure, EINPROGRESS and EAGAIN included, throws.
 */
export function connectBlocking(fd: number, addr: Bytes, addrlen: number, ctx?: ErrorContext): number {
  const r = native.connect(fd, addr, addrlen);
  return r >= 0 || r === EINTR ? r : fail(r, "connect", ctx);
}

const SOL_SOCKET = native.constants.SOL!.SOL_SOCKET!;
const SO_ERROR = native.constants.SO!.SO_ERROR!;
const soError = Buffer.alloc(4);

/**
 * Reads and clears the socket's pending error (getsockopt SO_ERROR): after a
 * connect that went on without the caller, a nonzero error is thrown as the
 * SocketError of `syscall` (with `ctx`), as if that call had failed.
 */
export function throwPendingError(fd: number, syscall: string, ctx?: ErrorContext): void {
  out[0] = 4;
  const r = native.getsockopt(fd, SOL_SOCKET, SO_ERROR, soError, out);
  if (r < 0) fail(r, "getsockopt", { level: "SOL_SOCKET", option: "SO_ERROR" });
  const e = readI32(soError, 0);
  if (e !== 0) fail(-e, syscall, ctx);
}

/** Closes an fd whose owner is failing anyway (cleanup on an error path): an error from close(2) is ignored. */
export function discardFd(fd: number): void {
  native.close(fd);
}

/** Wraps `close(2)` (never retried on EINTR). */
export function close(fd: number): void {
  const r = native.close(fd);
  if (r < 0) fail(r, "close");
}

/** Wraps `getsockname(2)`: the sockaddr length written into addr. */
export function getsockname(fd: number, addr: Buffer): number {
  const r = native.getsockname(fd, addr, out);
  return r >= 0 ? out[0]! : fail(r, "getsockname");
}

/** Wraps `getpeername(2)` for a caller that only asks (is it connected yet?): the sockaddr length, or -errno (ENOTCONN …). */
export function tryGetpeername(fd: number, addr: Buffer): number {
  const r = native.getpeername(fd, addr, out);
  return r >= 0 ? out[0]! : r;
}

/** Wraps `getpeername(2)`: the sockaddr length written into addr. */
export function getpeername(fd: number, addr: Buffer): number {
  const r = native.getpeername(fd, addr, out);
  return r >= 0 ? out[0]! : fail(r, "getpeername");
}

/** Wraps `setsockopt(2)`. */
export function setsockopt(fd: number, level: number, name: number, value: Bytes, ctx?: ErrorContext): void {
  const r = native.setsockopt(fd, level, name, value, value.byteLength);
  if (r < 0) fail(r, "setsockopt", ctx);
}

/**
 * Wraps `setsockopt(2)` with a `struct sock_fprog` of `count` classic BPF
 * instructions held in `insns` (SO_ATTACH_FILTER, PACKET_FANOUT_DATA).
 */
export function setsockoptFilter(
  fd: number,
  level: number,
  name: number,
  insns: Bytes,
  count: number,
  ctx?: ErrorContext,
): void {
  const r = native.setsockoptFilter(fd, level, name, insns, count);
  if (r < 0) throw new SocketError(r, "setsockopt", ctx);
}

/** Wraps `getsockopt(2)`: the option length the kernel wrote into `value`. */
export function getsockopt(fd: number, level: number, name: number, value: Buffer, ctx?: ErrorContext): number {
  out[0] = value.length;
  const r = native.getsockopt(fd, level, name, value, out);
  return r >= 0 ? out[0]! : fail(r, "getsockopt", ctx);
}

/**
 * Wraps `getsockopt(2)` for a caller that only asks (posix's "which family is
 * this fd?"): the option length, or -errno (ENOTSOCK …) without an error made.
 */
export function tryGetsockopt(fd: number, level: number, name: number, value: Buffer): number {
  out[0] = value.length;
  const r = native.getsockopt(fd, level, name, value, out);
  return r >= 0 ? out[0]! : r;
}

/** Wraps `ioctl(2)` for the int-valued requests (FIONREAD, SIOCATMARK, SIOCOUTQ). */
export function ioctlInt(fd: number, request: number, value = 0): number {
  out[0] = value;
  const r = native.ioctlInt(fd, request, out);
  return r >= 0 ? out[0]! : fail(r, "ioctl");
}

/** Wraps `fcntl(2)` for the integer commands. */
export function fcntl(fd: number, cmd: number, arg = 0): number {
  const r = native.fcntl(fd, cmd, arg);
  return r >= 0 ? r : fail(r, "fcntl");
}

/** Wraps `poll(2)`; blocks the calling thread up to timeoutMs (-1: forever). */
export function poll(fds: Int32Array, nfds: number, timeoutMs: number): number {
  const r = native.poll(fds, nfds, timeoutMs);
  return r >= 0 ? r : fail(r, "poll");
}

/** Wraps `poll(2)` for a caller that retries: like {@link poll}, but a signal gives {@link INTERRUPTED}. */
export function pollWait(fds: Int32Array, nfds: number, timeoutMs: number): number {
  const r = native.poll(fds, nfds, timeoutMs);
  return r >= 0 || r === EINTR ? r : fail(r, "poll");
}

/** Wraps `select(2)` for a caller that retries: like {@link select}, but a signal gives {@link INTERRUPTED}. */
export function selectWait(read: Int32Array, write: Int32Array, except: Int32Array, timeoutMicros: number): number {
  const r = native.select(read, write, except, timeoutMicros);
  return r >= 0 || r === EINTR ? r : fail(r, "select");
}

/** Wraps `select(2)`; blocks the calling thread. Not-ready entries become -1. */
export function select(read: Int32Array, write: Int32Array, except: Int32Array, timeoutMicros: number): number {
  const r = native.select(read, write, except, timeoutMicros);
  return r >= 0 ? r : fail(r, "select");
}

/** ringRead's flags, meta row width and result length (native/packet_linux.c). */
export const RING = native.ringFacts;

/** Wraps `mmap(2)` of a packet socket's RX ring (PACKET_RX_RING set up first): the handle owning the mapping. */
export function ringMmap(fd: number, blockSize: number, blockNr: number): RingHandle {
  const r = native.ringMmap(checkFd(fd, "mmap"), checkInt(blockSize, "blockSize", 1), checkInt(blockNr, "blockNr", 1));
  return typeof r === "number" ? fail(r, "mmap") : r;
}

/** Wraps `munmap(2)` of a ring; false if it was already unmapped. */
export function ringMunmap(ring: RingHandle): boolean {
  const r = native.ringMunmap(ring);
  if (r === -ERRNO.EBADF!) return false;
  if (r < 0) fail(r, "munmap");
  return true;
}

function checkWalk(out: Bytes, meta: Int32Array, res: Int32Array, what: string): void {
  checkBytes(out, `${what}: out`);
  if (!(meta instanceof Int32Array)) throw codedError("ERR_INVALID_ARG_TYPE", `${what}: meta must be an Int32Array`);
  if (!(res instanceof Int32Array) || res.length < RING.RES) {
    throw codedError("ERR_INVALID_ARG_TYPE", `${what}: res must be an Int32Array of ${RING.RES}`);
  }
}

/**
 * Copies out the frames of the ring's retired blocks and hands the blocks
 * back (no syscall: the ring is shared memory): frames copied, or AGAIN when
 * no block is ready. res = [frames, bytes, skipped, malformed, blocks].
 */
export function ringRead(
  ring: RingHandle,
  out: Bytes,
  meta: Int32Array,
  res: Int32Array,
  flags: number,
  loIfindex: number,
): number {
  checkWalk(out, meta, res, "ringRead");
  const r = native.ringRead(ring, out, meta, res, checkInt(flags, "flags"), checkInt(loIfindex, "loIfindex"));
  if (r > 0 || (r === 0 && res[4]! > 0)) return r;
  return r === 0 ? AGAIN : fail(r, "ringRead");
}

/** The walk of {@link ringRead} over one TPACKET_V3 block held in `block` (for tests): frames copied. */
export function ringDecode(
  block: Bytes,
  out: Bytes,
  meta: Int32Array,
  res: Int32Array,
  flags: number,
  loIfindex: number,
): number {
  checkBytes(block, "ringDecode: block");
  checkWalk(out, meta, res, "ringDecode");
  const r = native.ringDecode(block, out, meta, res, checkInt(flags, "flags"), checkInt(loIfindex, "loIfindex"));
  return r >= 0 ? r : fail(r, "ringDecode");
}
