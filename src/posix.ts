/**
 * `posix`: the Berkeley socket calls on plain fd numbers, synchronous, so a C
 * program from Beej's guide or Stevens ports line by line:
 *
 * ```ts
 * import { posix, AF, SOCK } from "sockit";
 * const fd = posix.socket(AF.INET, SOCK.STREAM, 0);
 * posix.bind(fd, "127.0.0.1:3490");
 * posix.listen(fd, 10);
 * const { fd: conn, address } = posix.accept(fd);   // blocks, as in C
 * posix.send(conn, "Hello, world!", 0);
 * posix.close(conn);
 * ```
 *
 * **These calls block the thread.** A socket made by `posix.socket`,
 * `posix.socketpair` or `posix.accept` is blocking unless `SOCK.NONBLOCK` is in
 * its type (or flags), exactly as in C, so `accept`, `connect`, `recv`, `send`,
 * `select` and `poll` stop the whole JavaScript thread — no timers, no I/O, no
 * promises run — until the kernel answers. That is what scripts, worker threads
 * and ports of C want; code that lives on Node's event loop uses `Socket` (and
 * the async `Selector`) instead.
 *
 * Semantics follow C, with JavaScript's ways of reporting:
 * - a failed call throws {@link SocketError} naming the real syscall
 *   (`accept4`, `recvfrom`, `select` ...), instead of returning -1 and setting errno;
 * - on a non-blocking fd, a call that would block throws SocketError `EAGAIN`
 *   (and `connect` throws `EINPROGRESS`), as C returns -1 with that errno;
 * - bad arguments throw TypeError/RangeError with an `ERR_*` code at once, before any syscall;
 * - every fd is made close-on-exec (sockit always passes SOCK_CLOEXEC, so a
 *   `child_process` child never inherits it); there is no way to turn that off here;
 * - `send`/`sendto` always add MSG_NOSIGNAL: a closed peer gives EPIPE instead
 *   of killing the process with SIGPIPE;
 * - EINTR is retried (for select and poll with the time that is left, as
 *   CPython does since PEP 475): a JavaScript signal handler cannot run while
 *   the thread is blocked anyway, so there is nothing to return to.
 *
 * Ownership: the fds are plain numbers and belong to the caller, who must
 * `posix.close` them; nothing closes them on garbage collection. To move one
 * onto the event loop, `Socket.fromFd(fd)` takes ownership (and makes it
 * non-blocking).
 *
 * @module
 *
 * Over 800 lines on purpose: the `posix` namespace is one flat list of C's
 * calls (socket to if_indextoname), each a short wrapper with its doc comment
 * and man-page link, in the order of a C header; the syscalls themselves are
 * src/raw's.
 */
import {
  type AddressLike,
  type SocketAddress,
  decodeSockaddr,
  encodeSockaddr,
  parseAddress,
  errorContext,
  toAddress,
  type Sockaddr,
} from "./address.js";
import { AF, FCNTL, LIMITS, POLL, SHUT, SO, SOCK, SOL, STRUCTS } from "./constants.js";
import { hostToNetwork16, hostToNetwork32, readI32 } from "./endian.js";
import { codedError, type ErrorContext } from "./errors.js";
import { type FamilyName, type TypeName, familyNumber, protocolNumber, typeNumber } from "./names.js";
import { type GetOptionOptions, type OptionInput, type OptionValue, getOption, setOption } from "./options/index.js";
import * as raw from "./raw/index.js";
import { checkFd, checkInt, describe } from "./raw/index.js";
import { checkFileRange } from "./sendfile.js";
import { DEFAULT_BACKLOG, checkBacklog, checkFlags, checkSize, toBytes } from "./validate.js";
import {
  type ReceivedMessage,
  type RecvmsgOptions,
  type SendmsgOptions,
  recvmsgSync,
  sendmsgSync,
} from "./messages.js";

const O_NONBLOCK = FCNTL.O_NONBLOCK!;
const F_GETFL = FCNTL.F_GETFL!;
const F_SETFL = FCNTL.F_SETFL!;
const FD_SETSIZE = LIMITS.FD_SETSIZE;

/** Receives of up to this size land in a scratch buffer and are copied out at their exact size. */
const SCRATCH_SIZE = 65536;
const scratch = Buffer.allocUnsafeSlow(SCRATCH_SIZE);
const addrBuf = Buffer.alloc(STRUCTS.sockaddr_storage!.size);
const lenOut = new Int32Array(1);
const intBuf = Buffer.alloc(4);

/** What {@link accept} and {@link accept4} return: the new connection's fd and its peer. */
export interface Accepted {
  /** The connected socket (blocking unless SOCK.NONBLOCK was passed to accept4; always close-on-exec). */
  fd: number;
  /** The peer's address (`{ family: "unix", path: "" }` for an unnamed Unix peer). */
  address: SocketAddress;
}

/** What {@link recvfrom} returns. */
export interface Received {
  /** The bytes received (empty on EOF of a stream socket, or for an empty datagram). */
  data: Buffer;
  /**
   * The sender's address: `{ family: "unix", path: "" }` for an unbound Unix
   * sender, null when the kernel reported none on another family (addrlen 0,
   * as on a connected TCP socket, where C leaves the sockaddr untouched).
   */
  address: SocketAddress | null;
  /**
   * The syscall's return value: `data.length`, except when MSG_TRUNC was
   * passed on a datagram socket, where it is the datagram's real length.
   */
  size: number;
}

/** One entry of {@link poll}'s argument: struct pollfd without revents. */
export interface PollFd {
  /** The fd to watch; a negative fd is ignored (its revents is 0), as in C. */
  fd: number;
  /** The POLL.* bits to wait for (POLL.IN, POLL.OUT, POLL.PRI, POLL.RDHUP ...). */
  events: number;
}

/** One entry of {@link poll}'s result: struct pollfd. */
export interface PollResult extends PollFd {
  /** The bits that are ready; POLL.ERR, POLL.HUP and POLL.NVAL are reported even when not asked for. */
  revents: number;
}

/** `shutdown(2)` directions: SHUT.RD / SHUT.WR / SHUT.RDWR or "read" / "write" / "both". */
export type How = "read" | "write" | "both" | number;

// ---------------------------------------------------------------------------
// Helpers.

/** Sets or clears O_NONBLOCK on an fd sockit just created; closes it if that fails. */
function setBlocking(fd: number, nonblocking: boolean): void {
  if (nonblocking) return; // the raw layer always creates non-blocking fds
  try {
    raw.fcntl(fd, F_SETFL, raw.fcntl(fd, F_GETFL, 0) & ~O_NONBLOCK);
  } catch (e) {
    raw.discardFd(fd);
    throw e;
  }
}

/** The socket's family (SO_DOMAIN), or undefined when the fd is not a socket (the real call then reports it). */
function domainOf(fd: number): number | undefined {
  return intOption(fd, SO.DOMAIN!);
}

/** The socket's type (SO_TYPE), or undefined when the fd is not a socket. */
function typeOf(fd: number): number | undefined {
  return intOption(fd, SO.TYPE!);
}

/** An int SOL_SOCKET option, or undefined when the fd is not a socket (the real call then reports it). */
function intOption(fd: number, name: number): number | undefined {
  const n = raw.tryGetsockopt(fd, SOL.SOCKET, name, intBuf);
  return n === 4 ? readI32(intBuf, 0) : undefined;
}

/**
 * Encodes an address argument for `fd`: a string is read in the socket's own
 * family (so "x.sock" is a path for a Unix socket, and "127.0.0.1:80" becomes
 * ::ffff:127.0.0.1 for an IPv6 one), an object is taken as given.
 */
function sockaddrFor(fd: number, address: AddressLike, syscall: string): { sa: Sockaddr; ctx: ErrorContext } {
  let addr: SocketAddress;
  const needsFamily =
    typeof address === "string" || (address !== null && typeof address === "object" && address.family === "inet");
  const domain = needsFamily ? domainOf(fd) : undefined;
  if (domain !== undefined) addr = toAddress(address, domain, syscall);
  else if (typeof address === "string") addr = parseAddress(address);
  else if (address === null || typeof address !== "object") {
    throw codedError(
      "ERR_INVALID_ARG_TYPE",
      `${syscall}: the address must be a string or an address object, got ${describe(address)}`,
    );
  } else addr = address;
  return { sa: encodeSockaddr(addr, syscall), ctx: errorContext(addr) };
}

function decodeAddr(len: number): SocketAddress {
  return decodeSockaddr(addrBuf, len);
}

/** Copies `n` received bytes out of `target` at their exact size. */
function takeBytes(target: Buffer, n: number): Buffer {
  if (target !== scratch && n * 2 >= target.length) return target.subarray(0, n);
  return Buffer.from(target.subarray(0, n));
}

function now(): number {
  return performance.now();
}

// ---------------------------------------------------------------------------
// Creating sockets.

/**
 * Creates a socket and returns its fd. Blocking unless `type` includes
 * SOCK.NONBLOCK; always close-on-exec. Wraps `socket(2)`.
 *
 * Like every posix call, a blocking socket's calls BLOCK THE THREAD; use
 * `new Socket()` on the event loop.
 * @param domain AF.INET, AF.INET6, AF.UNIX ... or a name: "inet", "inet6", "unix", "netlink", "packet"
 * @param type SOCK.STREAM, SOCK.DGRAM, SOCK.SEQPACKET, SOCK.RAW, optionally `| SOCK.NONBLOCK`, or a name
 * @param protocol a number (0 = the family's default) or a name: "tcp", "udp", "icmp", "route" ...
 * @see https://man7.org/linux/man-pages/man2/socket.2.html
 * @throws SocketError EAFNOSUPPORT, EPROTONOSUPPORT, EINVAL, EMFILE, ENFILE, EPERM/EACCES (raw and
 *   packet sockets need CAP_NET_RAW); TypeError ERR_INVALID_ARG_VALUE for an unknown name.
 */
export function socket(domain: FamilyName | number, type: TypeName | number, protocol: string | number = 0): number {
  const af = familyNumber(domain);
  const ty = checkInt(typeNumber(type), "socket: type", 0);
  const proto = protocolNumber(af, protocol);
  const fd = raw.socket(af, ty, proto);
  setBlocking(fd, (ty & SOCK.NONBLOCK) !== 0);
  return fd;
}

/**
 * Creates a pair of connected sockets and returns their fds. Blocking unless
 * `type` includes SOCK.NONBLOCK; always close-on-exec. Wraps `socketpair(2)`.
 *
 * Calls on blocking fds BLOCK THE THREAD; `socketpair()` gives event-loop Sockets.
 * @param domain AF.UNIX (the only family Linux supports here) or "unix"
 * @param type SOCK.STREAM, SOCK.DGRAM or SOCK.SEQPACKET (optionally `| SOCK.NONBLOCK`), or a name
 * @see https://man7.org/linux/man-pages/man2/socketpair.2.html
 * @throws SocketError EAFNOSUPPORT, EOPNOTSUPP, EPROTONOSUPPORT, EMFILE; TypeError ERR_INVALID_ARG_VALUE.
 */
export function socketpair(
  domain: FamilyName | number,
  type: TypeName | number,
  protocol: string | number = 0,
): [number, number] {
  const af = familyNumber(domain);
  const ty = checkInt(typeNumber(type), "socketpair: type", 0);
  const proto = protocolNumber(af, protocol);
  const [a, b] = raw.socketpair(af, ty, proto);
  const nonblocking = (ty & SOCK.NONBLOCK) !== 0;
  try {
    setBlocking(a, nonblocking);
  } catch (e) {
    raw.discardFd(b);
    throw e;
  }
  try {
    setBlocking(b, nonblocking);
  } catch (e) {
    raw.discardFd(a);
    throw e;
  }
  return [a, b];
}

// ---------------------------------------------------------------------------
// Client and server calls.

/**
 * Binds a socket to a local address. Wraps `bind(2)`.
 *
 * Does not block, but it is a posix call: the others BLOCK THE THREAD.
 * @param address an address object or string, read in the socket's family:
 *   "127.0.0.1:0", "[::1]:8080", "/tmp/x.sock", "@abstract"
 * @see https://man7.org/linux/man-pages/man2/bind.2.html
 * @throws SocketError EADDRINUSE, EADDRNOTAVAIL, EACCES, EINVAL (already bound), ENAMETOOLONG,
 *   ENOENT, EBADF, ENOTSOCK; TypeError ERR_INVALID_ADDRESS / ERR_INVALID_ARG_TYPE.
 */
export function bind(fd: number, address: AddressLike): void {
  checkFd(fd, "bind");
  const { sa, ctx } = sockaddrFor(fd, address, "bind");
  raw.bind(fd, sa.bytes, sa.length, ctx);
}

/**
 * Marks a stream or seqpacket socket as accepting connections. Wraps `listen(2)`.
 *
 * Does not block, but it is a posix call: accept() BLOCKS THE THREAD.
 * @param backlog the accept queue length (the kernel caps it at net.core.somaxconn); default
 *   SOMAXCONN, the same as `Socket.listen`; a negative backlog is taken as 0, as POSIX says
 * @see https://man7.org/linux/man-pages/man2/listen.2.html
 * @throws SocketError EOPNOTSUPP (datagram sockets), EADDRINUSE, EBADF, ENOTSOCK; RangeError
 *   ERR_OUT_OF_RANGE (outside the C int range).
 */
export function listen(fd: number, backlog: number = DEFAULT_BACKLOG): void {
  checkFd(fd, "listen");
  raw.listen(fd, checkBacklog(backlog, "listen"));
}

/**
 * Waits for a connection on a listening socket and returns its fd (blocking,
 * close-on-exec) and the peer's address. BLOCKS THE THREAD until a client
 * connects, unless the listening fd is non-blocking (then: SocketError EAGAIN).
 * Wraps `accept4(2)` (the error's `syscall` says so).
 * @see https://man7.org/linux/man-pages/man2/accept.2.html
 * @throws SocketError EAGAIN (non-blocking, nothing pending), EINVAL (not listening), EBADF,
 *   ENOTSOCK, EMFILE, ENFILE, ECONNABORTED.
 */
export function accept(fd: number): Accepted {
  return accept4(fd, 0);
}

/**
 * Like {@link accept}, with flags for the new fd: SOCK.NONBLOCK makes it
 * non-blocking; SOCK.CLOEXEC is accepted and always in force. BLOCKS THE THREAD
 * until a client connects, unless the listening fd is non-blocking. Wraps `accept4(2)`.
 * @see https://man7.org/linux/man-pages/man2/accept4.2.html
 * @throws SocketError EAGAIN, EINVAL (not listening, or bad flags), EBADF, ENOTSOCK, EMFILE;
 *   TypeError ERR_INVALID_ARG_TYPE.
 */
export function accept4(fd: number, flags = 0): Accepted {
  checkFd(fd, "accept4");
  checkInt(flags, "accept4: flags");
  addrBuf.fill(0);
  const r = raw.mustNotWait(raw.accept4(fd, addrBuf, lenOut, flags), "accept4");
  const address = decodeAddr(lenOut[0]!);
  setBlocking(r, (flags & SOCK.NONBLOCK) !== 0);
  return { fd: r, address };
}

/**
 * Connects a socket to `address`. On a blocking socket BLOCKS THE THREAD until
 * the connection is made or fails (TCP: the handshake, up to the kernel's SYN
 * retries); on a non-blocking socket throws SocketError EINPROGRESS while the
 * connection goes on (wait with select/poll for writable, then read SO_ERROR),
 * as C does. On a datagram socket, sets the default destination. Wraps `connect(2)`.
 *
 * Notes: if a blocking connect is interrupted by a signal, the connection goes
 * on in the kernel (POSIX); this call then waits for it with poll(2) and reads
 * SO_ERROR, so the caller sees the same result as an uninterrupted connect.
 * @see https://man7.org/linux/man-pages/man2/connect.2.html
 * @throws SocketError ECONNREFUSED, ETIMEDOUT, ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL, EISCONN,
 *   EINPROGRESS / EAGAIN (non-blocking), ENOENT (no such Unix path), EBADF; TypeError ERR_INVALID_ADDRESS.
 */
export function connect(fd: number, address: AddressLike): void {
  checkFd(fd, "connect");
  const { sa, ctx } = sockaddrFor(fd, address, "connect");
  if (raw.connectBlocking(fd, sa.bytes, sa.length, ctx) === raw.INTERRUPTED) {
    // The connection goes on in the kernel (POSIX): wait for writable, then SO_ERROR.
    const fds = new Int32Array([fd, POLL.OUT, 0]);
    while (raw.pollWait(fds, 1, -1) === raw.INTERRUPTED);
    raw.throwPendingError(fd, "connect", ctx);
  }
}

// ---------------------------------------------------------------------------
// Data.

/**
 * Sends data on a connected socket and returns the number of bytes the kernel
 * took. On a blocking socket BLOCKS THE THREAD until there is buffer space; on
 * a non-blocking one throws SocketError EAGAIN when there is none. Always adds
 * MSG_NOSIGNAL (a closed peer gives EPIPE, never SIGPIPE). Wraps `send(2)`.
 * @param data a Buffer, TypedArray, DataView or string (UTF-8)
 * @param flags MSG.* flags, default 0
 * @see https://man7.org/linux/man-pages/man2/send.2.html
 * @throws SocketError EPIPE, ECONNRESET, ENOTCONN, EDESTADDRREQ, EMSGSIZE, EAGAIN, EBADF;
 *   TypeError ERR_INVALID_ARG_TYPE.
 */
export function send(fd: number, data: ArrayBufferView | string, flags = 0): number {
  checkFd(fd, "send");
  const buf = toBytes(data, "send: data");
  return raw.mustNotWait(raw.send(fd, buf, 0, buf.byteLength, checkFlags(flags, "send")), "send");
}

/**
 * Copies up to `count` bytes from the file `inFd`, starting at `offset`, to
 * `outFd` inside the kernel, and returns the number copied (0 at end of file).
 * With `offset` null, reads from the file position and advances it, as C's
 * NULL offset; with a number the file position is neither used nor moved. On
 * a blocking socket BLOCKS THE THREAD until the kernel takes some; on a
 * non-blocking one throws SocketError EAGAIN when it takes none. Like C, one
 * call may copy fewer bytes than asked (at most 0x7ffff000): loop for the
 * rest. Never raises SIGPIPE (a closed peer gives EPIPE). Wraps `sendfile(2)`.
 * @param offset where to read in `inFd` (an integer >= 0), or null for the file position
 * @param count the most bytes to copy
 * @see https://man7.org/linux/man-pages/man2/sendfile.2.html
 * @throws SocketError EAGAIN, EPIPE, EBADF, EINVAL (a file the kernel cannot splice: a /proc
 *   file, a pipe or socket as input), ESPIPE (an offset into a pipe), EOVERFLOW; RangeError
 *   ERR_OUT_OF_RANGE; TypeError ERR_INVALID_ARG_TYPE.
 */
export function sendfile(outFd: number, inFd: number, offset: number | null, count: number): number {
  checkFd(outFd, "sendfile");
  checkFd(inFd, "sendfile");
  const off = offset === null ? -1 : checkFileRange(offset, "sendfile: offset");
  const n = checkFileRange(count, "sendfile: count");
  return raw.mustNotWait(raw.sendfile(outFd, inFd, off, n), "sendfile");
}

/**
 * Receives up to `size` bytes and returns them; an empty Buffer means EOF on a
 * stream socket (C's 0). On a blocking socket BLOCKS THE THREAD until data
 * arrives; on a non-blocking one throws SocketError EAGAIN when none is
 * waiting. A datagram longer than `size` is cut to `size`, as in C. Wraps `recv(2)`.
 * @param size the most bytes to receive (C's `len`)
 * @param flags MSG.* flags (MSG.PEEK, MSG.WAITALL, MSG.DONTWAIT ...), default 0
 * @see https://man7.org/linux/man-pages/man2/recv.2.html
 * @throws SocketError ECONNRESET, ENOTCONN, EAGAIN, ETIMEDOUT, EBADF; RangeError ERR_OUT_OF_RANGE.
 */
export function recv(fd: number, size: number, flags = 0): Buffer {
  checkFd(fd, "recv");
  checkSize(size, "recv");
  const f = checkFlags(flags, "recv");
  const target = size <= SCRATCH_SIZE ? scratch : Buffer.allocUnsafe(size);
  const r = raw.mustNotWait(raw.recv(fd, target, 0, size, f), "recv");
  return takeBytes(target, Math.min(r, size));
}

/**
 * Sends a datagram to `address` and returns the number of bytes sent. On a
 * blocking socket BLOCKS THE THREAD until there is buffer space; EAGAIN on a
 * non-blocking one. Always adds MSG_NOSIGNAL. Wraps `sendto(2)`.
 * Called as in C, `sendto(fd, data, flags, address)`, or `sendto(fd, data, address)`.
 * @param address an address object or string, read in the socket's family
 * @see https://man7.org/linux/man-pages/man2/sendto.2.html
 * @throws SocketError EMSGSIZE, ECONNREFUSED (an ICMP error from an earlier datagram), EACCES
 *   (broadcast without SO_BROADCAST), EISCONN, ENOENT (no such Unix path), EAGAIN, EBADF;
 *   TypeError ERR_INVALID_ADDRESS.
 */
export function sendto(fd: number, data: ArrayBufferView | string, address: AddressLike): number;
export function sendto(fd: number, data: ArrayBufferView | string, flags: number, address: AddressLike): number;
export function sendto(
  fd: number,
  data: ArrayBufferView | string,
  flagsOrAddress: number | AddressLike,
  address?: AddressLike,
): number {
  checkFd(fd, "sendto");
  const buf = toBytes(data, "sendto: data");
  let flags = 0;
  let to: AddressLike;
  if (typeof flagsOrAddress === "number") {
    flags = checkFlags(flagsOrAddress, "sendto");
    if (address === undefined)
      throw codedError("ERR_INVALID_ARG_TYPE", "sendto: the address is missing (sendto(fd, data, flags, address))");
    to = address;
  } else {
    if (address !== undefined)
      throw codedError("ERR_INVALID_ARG_TYPE", `sendto: flags must be a number, got ${describe(flagsOrAddress)}`);
    to = flagsOrAddress;
  }
  const { sa, ctx } = sockaddrFor(fd, to, "sendto");
  return raw.mustNotWait(raw.sendto(fd, buf, 0, buf.byteLength, flags, sa.bytes, sa.length, ctx), "sendto", ctx);
}

/**
 * Receives one datagram (up to `size` bytes; a longer one is cut, as in C)
 * and its sender. On a blocking socket BLOCKS THE THREAD until one arrives;
 * EAGAIN on a non-blocking one. Wraps `recvfrom(2)`.
 * @param flags MSG.* flags (MSG.PEEK, MSG.TRUNC ...), default 0
 * @see https://man7.org/linux/man-pages/man2/recvfrom.2.html
 * @throws SocketError ECONNREFUSED (ICMP error on a connected UDP socket), EAGAIN, ENOTCONN, EBADF;
 *   RangeError ERR_OUT_OF_RANGE.
 */
export function recvfrom(fd: number, size: number, flags = 0): Received {
  checkFd(fd, "recvfrom");
  checkSize(size, "recvfrom");
  const f = checkFlags(flags, "recvfrom");
  const target = size <= SCRATCH_SIZE ? scratch : Buffer.allocUnsafe(size);
  addrBuf.fill(0);
  const r = raw.mustNotWait(raw.recvfrom(fd, target, 0, size, f, addrBuf, lenOut), "recvfrom");
  const alen = lenOut[0]!;
  const data = takeBytes(target, Math.min(r, size));
  // addrlen 0: no address. For a Unix socket that is an unbound (unnamed)
  // sender, given the same `{ family: "unix", path: "" }` as accept and
  // getpeername give it; elsewhere (connected TCP) there is no address at all.
  const address = alen > 0 ? decodeAddr(alen) : domainOf(fd) === AF.UNIX ? { family: "unix" as const, path: "" } : null;
  return { data, address, size: r };
}

export type { ReceivedMessage } from "./messages.js";

/**
 * What {@link sendmsg} sends: the `msghdr` of C as an object — the data
 * gathered from `buffers`, the destination `address` (msg_name), and the
 * ancillary data (msg_control), raw in `control` and typed in `fds`
 * (SCM_RIGHTS), `credentials` (SCM_CREDENTIALS), `pktinfo`, `ttl`,
 * `hopLimit`, `tos`, `tclass` and `segmentSize` (UDP_SEGMENT) — the same
 * fields as `Socket.sendmsg` takes, without its wait options.
 */
export type Message = Omit<SendmsgOptions, "flags" | "signal" | "timeout">;

/** What {@link recvmsg} receives into: `size` bytes or caller `buffers`, and room for control data. */
export type RecvmsgBuffers = Omit<RecvmsgOptions, "flags" | "signal" | "timeout">;

/**
 * Sends one message gathered from `message.buffers`, with an optional
 * destination and ancillary data (fds, credentials, the source address ...),
 * and returns the bytes sent. On a blocking socket BLOCKS THE THREAD until
 * there is buffer space; EAGAIN on a non-blocking one. Always adds
 * MSG_NOSIGNAL. The control messages are encoded by the same codec as
 * `Socket.sendmsg` (src/control.ts): every one is checked before the syscall.
 * Wraps `sendmsg(2)`.
 *
 * Notes: fds are passed as numbers (or Sockets, net objects, FileHandles);
 * the receiver gets duplicates and these stay open and yours. At most
 * SCM_MAX_FD (253) in one message; on a stream socket control data needs at
 * least one byte of data.
 * @param flags MSG.* flags (MSG.DONTWAIT, MSG.MORE, MSG.EOR, MSG.OOB ...), default 0
 * @see https://man7.org/linux/man-pages/man2/sendmsg.2.html
 * @see https://man7.org/linux/man-pages/man3/cmsg.3.html
 * @throws SocketError EPERM (credentials not yours), EBADF, EMSGSIZE, EPIPE, ETOOMANYREFS, EAGAIN,
 *   ENOTSOCK; RangeError ERR_OUT_OF_RANGE (more than SCM_MAX_FD fds or IOV_MAX buffers);
 *   TypeError ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_INVALID_ADDRESS.
 */
export function sendmsg(fd: number, message: Message, flags = 0): number {
  checkFd(fd, "sendmsg");
  const f = checkFlags(flags, "sendmsg");
  return sendmsgSync(fd, domainOf(fd) ?? AF.UNSPEC, typeOf(fd) ?? 0, message, f);
}

/**
 * Receives one message with its sender and ancillary data, and returns it as
 * `Socket.recvmsg` does: `data`, `size` (the syscall's value), `address`,
 * `control` (every cmsghdr as `{ level, type, data }`, bounds-checked), the
 * decoded views (`fds`, `credentials`, `pktinfo`, `ttl`, `timestamp`,
 * `error` ...), `flags` (msg_flags), `truncated` (MSG_TRUNC) and
 * `controlTruncated` (MSG_CTRUNC, or fds beyond `maxFds`). On a blocking
 * socket BLOCKS THE THREAD until a message arrives; EAGAIN on a non-blocking
 * one. Adds MSG_CMSG_CLOEXEC (not on packet sockets, which reject it). Wraps `recvmsg(2)`.
 *
 * Notes: as in C, a datagram longer than the buffers is cut and `size` is
 * what fit (`truncated` says so); pass MSG.TRUNC to get its real length.
 * Received fds are the caller's to close (`posix.close`) or adopt
 * (`Socket.fromFd`); fds beyond `maxFds` (default 0) are closed at once, and
 * those of a result nobody reads are closed when it is garbage-collected.
 * @param options `{ size? (default 65536) | buffers?, controlSize?, maxFds? }`
 * @param flags MSG.* flags (MSG.PEEK, MSG.WAITALL, MSG.ERRQUEUE, MSG.OOB, MSG.TRUNC ...), default 0
 * @see https://man7.org/linux/man-pages/man2/recvmsg.2.html
 * @see https://man7.org/linux/man-pages/man3/cmsg.3.html
 * @throws SocketError EAGAIN, ECONNREFUSED, ECONNRESET, ENOTCONN, EBADF, ENOTSOCK;
 *   RangeError ERR_OUT_OF_RANGE; TypeError ERR_INVALID_ARG_TYPE.
 */
export function recvmsg(fd: number, options: RecvmsgBuffers = {}, flags = 0): ReceivedMessage {
  checkFd(fd, "recvmsg");
  const f = checkFlags(flags, "recvmsg");
  return recvmsgSync(fd, domainOf(fd) ?? AF.UNSPEC, options, f);
}

/**
 * Shuts down part of a full-duplex connection: SHUT.RD / "read", SHUT.WR /
 * "write" (the peer reads EOF) or SHUT.RDWR / "both". Also wakes a thread
 * blocked in accept or recv on this socket. Wraps `shutdown(2)`.
 * @see https://man7.org/linux/man-pages/man2/shutdown.2.html
 * @throws SocketError ENOTCONN, EINVAL, EBADF, ENOTSOCK; TypeError ERR_INVALID_ARG_VALUE;
 *   RangeError ERR_OUT_OF_RANGE (a number outside the C int range: refused, never wrapped).
 */
export function shutdown(fd: number, how: How): void {
  checkFd(fd, "shutdown");
  const n = how === "read" ? SHUT.RD : how === "write" ? SHUT.WR : how === "both" ? SHUT.RDWR : how;
  if (typeof n !== "number" || !Number.isInteger(n)) {
    throw codedError(
      "ERR_INVALID_ARG_VALUE",
      `shutdown: how must be SHUT.RD, SHUT.WR, SHUT.RDWR, "read", "write" or "both", got ${describe(how)}`,
    );
  }
  raw.shutdown(fd, checkInt(n, "shutdown: how"));
}

/**
 * Closes an fd. Never retried on EINTR (on Linux the fd is gone even then).
 * Wraps `close(2)`.
 *
 * Does not block (unless SO_LINGER says so); the other posix calls BLOCK THE THREAD.
 * @see https://man7.org/linux/man-pages/man2/close.2.html
 * @throws SocketError EBADF (not open), EIO.
 */
export function close(fd: number): void {
  checkFd(fd, "close");
  raw.close(fd);
}

// ---------------------------------------------------------------------------
// Names and options.

/**
 * Returns the socket's local address. Wraps `getsockname(2)`.
 * @see https://man7.org/linux/man-pages/man2/getsockname.2.html
 * @throws SocketError EBADF, ENOTSOCK.
 */
export function getsockname(fd: number): SocketAddress {
  checkFd(fd, "getsockname");
  addrBuf.fill(0);
  return decodeAddr(raw.getsockname(fd, addrBuf));
}

/**
 * Returns the address of the socket's peer. Wraps `getpeername(2)`.
 * @see https://man7.org/linux/man-pages/man2/getpeername.2.html
 * @throws SocketError ENOTCONN, EBADF, ENOTSOCK.
 */
export function getpeername(fd: number): SocketAddress {
  checkFd(fd, "getpeername");
  addrBuf.fill(0);
  return decodeAddr(raw.getpeername(fd, addrBuf));
}

/**
 * Reads a socket option, decoded by sockit's option table (numbers, booleans,
 * `{ onoff, linger }`, `{ pid, uid, gid }`, a TCP_INFO object ...); an unknown
 * option comes back as a Buffer of up to `options.size` bytes. Wraps `getsockopt(2)`.
 * @param level SOL.SOCKET, IPPROTO.TCP ... or a name: "SOL_SOCKET", "IPPROTO_TCP"
 * @param name SO.RCVBUF, TCP.NODELAY ... or a name: "SO_RCVBUF", "TCP_NODELAY"
 * @see https://man7.org/linux/man-pages/man2/getsockopt.2.html
 * @throws SocketError ENOPROTOOPT, EINVAL, EBADF, ENOTSOCK; TypeError ERR_UNKNOWN_CONSTANT.
 */
export function getsockopt<L extends string | number, N extends string | number>(
  fd: number,
  level: L,
  name: N,
  options?: GetOptionOptions,
): OptionValue<L, N> {
  checkFd(fd, "getsockopt");
  return getOption(fd, level, name, options);
}

/**
 * Sets a socket option; the value is encoded by sockit's option table
 * (number, boolean, string, object, or a Buffer for anything else). Wraps `setsockopt(2)`.
 * @param level SOL.SOCKET, IPPROTO.TCP ... or a name
 * @param name SO.REUSEADDR, TCP.NODELAY ... or a name
 * @see https://man7.org/linux/man-pages/man2/setsockopt.2.html
 * @throws SocketError ENOPROTOOPT, EINVAL, EPERM (privileged options), EBADF, ENOTSOCK;
 *   TypeError/RangeError for a value of the wrong type or range.
 */
export function setsockopt<L extends string | number, N extends string | number>(
  fd: number,
  level: L,
  name: N,
  value: OptionInput<L, N>,
): void {
  checkFd(fd, "setsockopt");
  setOption(fd, level, name, value);
}

/**
 * Performs an integer fcntl command (FCNTL.F_GETFL, F_SETFL, F_GETFD, F_SETFD,
 * F_DUPFD_CLOEXEC) and returns its result. `fcntl(fd, FCNTL.F_SETFL, flags |
 * FCNTL.O_NONBLOCK)` makes a socket non-blocking, as in C. Wraps `fcntl(2)`.
 * @see https://man7.org/linux/man-pages/man2/fcntl.2.html
 * @throws SocketError EBADF, EINVAL, EMFILE (F_DUPFD*); TypeError ERR_INVALID_ARG_TYPE.
 */
export function fcntl(fd: number, cmd: number, arg = 0): number {
  checkFd(fd, "fcntl");
  return raw.fcntl(fd, checkInt(cmd, "fcntl: cmd"), checkInt(arg, "fcntl: arg"));
}

/**
 * Performs an int-valued ioctl and returns the int the kernel wrote back:
 * `ioctl(fd, IOCTL.FIONREAD)` is the number of bytes waiting to be read (for
 * a datagram socket, the size of the next datagram); `IOCTL.SIOCOUTQ` the
 * bytes not yet sent; `IOCTL.SIOCATMARK` 1 at the urgent mark; `IOCTL.FIONBIO`
 * with `arg` 1/0 sets/clears non-blocking mode. Wraps `ioctl(2)`.
 * @see https://man7.org/linux/man-pages/man2/ioctl.2.html
 * @see https://man7.org/linux/man-pages/man7/socket.7.html
 * @throws SocketError EINVAL (e.g. FIONREAD on a listening socket), ENOTTY, EBADF;
 *   TypeError ERR_INVALID_ARG_TYPE; RangeError ERR_OUT_OF_RANGE.
 */
export function ioctl(fd: number, request: number, arg = 0): number {
  checkFd(fd, "ioctl");
  const req = checkInt(request, "ioctl: request", 0, 0xffffffff);
  return raw.ioctlInt(fd, req, checkInt(arg, "ioctl: arg"));
}

// ---------------------------------------------------------------------------
// Waiting for readiness.

function fdList(list: unknown, which: string): Int32Array {
  if (!Array.isArray(list)) {
    throw codedError("ERR_INVALID_ARG_TYPE", `select: ${which} must be an array of fds, got ${describe(list)}`);
  }
  const out = new Int32Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const fd: unknown = list[i];
    if (typeof fd !== "number" || !Number.isInteger(fd)) {
      throw codedError("ERR_INVALID_ARG_TYPE", `select: ${which}[${i}] must be an integer fd, got ${describe(fd)}`);
    }
    if (fd < 0 || fd >= FD_SETSIZE) {
      throw codedError(
        "ERR_OUT_OF_RANGE",
        `select: ${which}[${i}] = ${fd} is outside 0..${FD_SETSIZE - 1} (FD_SETSIZE is ${FD_SETSIZE}; use poll for larger fds)`,
      );
    }
    out[i] = fd;
  }
  return out;
}

function readyOf(list: Int32Array): number[] {
  const out: number[] = [];
  for (const fd of list) if (fd >= 0) out.push(fd);
  return out;
}

/**
 * Waits until some of the fds are ready and returns the ready ones, in the
 * shape of Python's `select.select`: `[readable, writable, exceptional]`,
 * each a list of fds from the matching argument (all three empty on timeout).
 * BLOCKS THE THREAD for up to `timeout` seconds (undefined: until an fd is
 * ready; 0: just polls); event-loop code uses `Selector` instead. Wraps `select(2)`.
 *
 * Notes: fds must be below FD_SETSIZE (1024 on Linux), the limit of an fd_set
 * — use {@link poll} for more. Readiness can be a false positive: a read may
 * still block (or throw EAGAIN on a non-blocking fd). Interrupted by a signal,
 * select is resumed with the time that is left.
 * @param readfds fds to watch for reading (data, EOF, an incoming connection)
 * @param writefds fds to watch for writing (buffer space, a finished connect)
 * @param exceptfds fds to watch for exceptional conditions (TCP urgent data)
 * @param timeout seconds, fractions allowed (rounded up to microseconds); undefined = forever
 * @see https://man7.org/linux/man-pages/man2/select.2.html
 * @throws SocketError EBADF (a closed fd in a list), ENOMEM; RangeError ERR_OUT_OF_RANGE (an fd
 *   outside 0..FD_SETSIZE-1, or a negative timeout); TypeError ERR_INVALID_ARG_TYPE.
 */
export function select(
  readfds: number[],
  writefds: number[],
  exceptfds: number[],
  timeout?: number | null,
): [number[], number[], number[]] {
  const r0 = fdList(readfds, "readfds");
  const w0 = fdList(writefds, "writefds");
  const x0 = fdList(exceptfds, "exceptfds");
  let micros = -1;
  if (timeout !== undefined && timeout !== null && timeout !== Infinity) {
    if (typeof timeout !== "number")
      throw codedError("ERR_INVALID_ARG_TYPE", `select: timeout must be a number of seconds, got ${describe(timeout)}`);
    if (!(timeout >= 0) || timeout > 0x7fffffff) {
      throw codedError("ERR_OUT_OF_RANGE", `select: timeout must be a number of seconds >= 0, got ${timeout}`);
    }
    micros = Math.ceil(timeout * 1e6);
  }
  const deadline = micros < 0 ? Infinity : now() + micros / 1000;
  for (;;) {
    // select(2) overwrites its sets, so each attempt starts from fresh copies.
    const r = r0.slice();
    const w = w0.slice();
    const x = x0.slice();
    const n = raw.selectWait(r, w, x, micros);
    if (n >= 0) return n === 0 ? [[], [], []] : [readyOf(r), readyOf(w), readyOf(x)];
    if (micros >= 0) micros = Math.max(0, Math.ceil((deadline - now()) * 1000));
  }
}

/**
 * Waits until some of the fds are ready and returns every entry with its
 * `revents` (0 for one that is not ready), in the order given — C's pollfd
 * array after the call. BLOCKS THE THREAD for up to `timeoutMs` milliseconds
 * (negative or undefined: until an fd is ready; 0: just polls); event-loop
 * code uses `Selector` instead. Wraps `poll(2)`.
 *
 * Notes: no FD_SETSIZE limit. A negative fd is ignored (revents 0), as in C;
 * a closed fd gets POLL.NVAL. Readiness can be a false positive. Interrupted
 * by a signal, poll is resumed with the time that is left.
 * @param fds `{ fd, events }` entries; events are POLL.* bits (POLL.IN, POLL.OUT, POLL.PRI, POLL.RDHUP)
 * @param timeoutMs milliseconds (fractions rounded up); default -1 = forever
 * @see https://man7.org/linux/man-pages/man2/poll.2.html
 * @throws SocketError EINVAL (too many fds: RLIMIT_NOFILE), ENOMEM; TypeError ERR_INVALID_ARG_TYPE;
 *   RangeError ERR_OUT_OF_RANGE.
 */
export function poll(fds: PollFd[], timeoutMs = -1): PollResult[] {
  if (!Array.isArray(fds))
    throw codedError("ERR_INVALID_ARG_TYPE", `poll: fds must be an array of { fd, events }, got ${describe(fds)}`);
  const arr = new Int32Array(fds.length * 3);
  for (let i = 0; i < fds.length; i++) {
    const p: unknown = fds[i];
    if (p === null || typeof p !== "object") {
      throw codedError("ERR_INVALID_ARG_TYPE", `poll: fds[${i}] must be an object { fd, events }, got ${describe(p)}`);
    }
    const { fd, events } = p as { fd?: unknown; events?: unknown };
    arr[i * 3] = checkInt(fd, `poll: fds[${i}].fd`);
    arr[i * 3 + 1] = checkInt(events, `poll: fds[${i}].events`, 0, 0xffff);
  }
  if (typeof timeoutMs !== "number" || Number.isNaN(timeoutMs)) {
    throw codedError(
      "ERR_INVALID_ARG_TYPE",
      `poll: timeoutMs must be a number of milliseconds, got ${describe(timeoutMs)}`,
    );
  }
  let ms = timeoutMs < 0 || timeoutMs === Infinity ? -1 : Math.ceil(timeoutMs);
  if (ms > 0x7fffffff)
    throw codedError("ERR_OUT_OF_RANGE", `poll: timeoutMs must be at most 2147483647, got ${timeoutMs}`);
  const deadline = ms < 0 ? Infinity : now() + ms;
  for (;;) {
    if (raw.pollWait(arr, fds.length, ms) >= 0) break;
    if (ms >= 0) ms = Math.max(0, Math.ceil(deadline - now()));
  }
  const out: PollResult[] = new Array(fds.length);
  for (let i = 0; i < fds.length; i++)
    out[i] = { fd: arr[i * 3]!, events: arr[i * 3 + 1]!, revents: arr[i * 3 + 2]! & 0xffff };
  return out;
}

// ---------------------------------------------------------------------------
// Addresses and byte order.

/**
 * Converts an IPv4 or IPv6 address from text to its 4 or 16 bytes in network
 * order, or returns null when `src` is not an address of that family (C's 0).
 * Wraps `inet_pton(3)`; does not block.
 * @param af AF.INET / AF.INET6 or "inet" / "inet6"
 * @see https://man7.org/linux/man-pages/man3/inet_pton.3.html
 * @throws SocketError EAFNOSUPPORT (another family); TypeError ERR_INVALID_ARG_TYPE.
 */
export function inet_pton(af: FamilyName | number, src: string): Buffer | null {
  const family = familyNumber(af);
  if (typeof src !== "string")
    throw codedError("ERR_INVALID_ARG_TYPE", `inet_pton: src must be a string, got ${describe(src)}`);
  const out = Buffer.alloc(family === AF.INET ? 4 : 16);
  return raw.inetPton(family, src, out) ? out : null;
}

/**
 * Converts a 4-byte IPv4 or 16-byte IPv6 address in network order to text,
 * formatted by libc ("192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1").
 * Wraps `inet_ntop(3)`; does not block.
 * @param af AF.INET / AF.INET6 or "inet" / "inet6"
 * @see https://man7.org/linux/man-pages/man3/inet_ntop.3.html
 * @throws SocketError EAFNOSUPPORT (another family); RangeError ERR_OUT_OF_RANGE (not exactly
 *   4 / 16 bytes, as CPython's ValueError); TypeError ERR_INVALID_ARG_TYPE.
 */
export function inet_ntop(af: FamilyName | number, src: ArrayBufferView): string {
  const family = familyNumber(af);
  if (!ArrayBuffer.isView(src))
    throw codedError(
      "ERR_INVALID_ARG_TYPE",
      `inet_ntop: src must be a Buffer, TypedArray or DataView, got ${describe(src)}`,
    );
  const need = family === AF.INET ? 4 : family === AF.INET6 ? 16 : 0;
  // Exactly the family's size: more bytes are not "an address with padding"
  // but a caller's mistake (CPython raises ValueError; C cannot tell).
  if (need !== 0 && src.byteLength !== need)
    throw codedError(
      "ERR_OUT_OF_RANGE",
      `inet_ntop: an address of this family has ${need} bytes, got ${src.byteLength}`,
    );
  return raw.inetNtop(family, src);
}

function checkUint(v: unknown, bits: 16 | 32, fn: string): number {
  const max = bits === 16 ? 0xffff : 0xffffffff;
  if (typeof v !== "number" || !Number.isInteger(v))
    throw codedError("ERR_INVALID_ARG_TYPE", `${fn}: expected an integer, got ${describe(v)}`);
  if (v < 0 || v > max) throw codedError("ERR_OUT_OF_RANGE", `${fn}: expected an integer in 0..${max}, got ${v}`);
  return v;
}

/**
 * Converts a 16-bit value from host to network byte order (a no-op on
 * big-endian hosts). Wraps `htons(3)`; does not block.
 * @see https://man7.org/linux/man-pages/man3/htons.3.html
 * @throws RangeError ERR_OUT_OF_RANGE outside 0..65535; TypeError ERR_INVALID_ARG_TYPE.
 */
export function htons(hostshort: number): number {
  return hostToNetwork16(checkUint(hostshort, 16, "htons"));
}

/**
 * Converts a 16-bit value from network to host byte order. Wraps `ntohs(3)`; does not block.
 * @see https://man7.org/linux/man-pages/man3/ntohs.3.html
 * @throws RangeError ERR_OUT_OF_RANGE outside 0..65535; TypeError ERR_INVALID_ARG_TYPE.
 */
export function ntohs(netshort: number): number {
  return hostToNetwork16(checkUint(netshort, 16, "ntohs"));
}

/**
 * Converts a 32-bit value from host to network byte order (an unsigned result).
 * Wraps `htonl(3)`; does not block.
 * @see https://man7.org/linux/man-pages/man3/htonl.3.html
 * @throws RangeError ERR_OUT_OF_RANGE outside 0..4294967295; TypeError ERR_INVALID_ARG_TYPE.
 */
export function htonl(hostlong: number): number {
  return hostToNetwork32(checkUint(hostlong, 32, "htonl"));
}

/**
 * Converts a 32-bit value from network to host byte order (an unsigned result).
 * Wraps `ntohl(3)`; does not block.
 * @see https://man7.org/linux/man-pages/man3/ntohl.3.html
 * @throws RangeError ERR_OUT_OF_RANGE outside 0..4294967295; TypeError ERR_INVALID_ARG_TYPE.
 */
export function ntohl(netlong: number): number {
  return hostToNetwork32(checkUint(netlong, 32, "ntohl"));
}

/**
 * Returns the index of the network interface `name` ("lo" → 1). Wraps
 * `if_nametoindex(3)` (which asks the kernel with an ioctl; does not block).
 * @see https://man7.org/linux/man-pages/man3/if_nametoindex.3.html
 * @throws SocketError ENODEV (no such interface); TypeError ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE.
 */
export function if_nametoindex(name: string): number {
  if (typeof name !== "string")
    throw codedError("ERR_INVALID_ARG_TYPE", `if_nametoindex: name must be a string, got ${describe(name)}`);
  if (name.includes("\0")) throw codedError("ERR_INVALID_ARG_VALUE", "if_nametoindex: name must not contain NUL bytes");
  return raw.ifIndexOf(name);
}

/**
 * Returns the name of the network interface with index `index` (1 → "lo").
 * Wraps `if_indextoname(3)`; does not block.
 * @see https://man7.org/linux/man-pages/man3/if_indextoname.3.html
 * @throws SocketError ENXIO (no such index); TypeError ERR_INVALID_ARG_TYPE; RangeError ERR_OUT_OF_RANGE.
 */
export function if_indextoname(index: number): string {
  const i = checkUint(index, 32, "if_indextoname");
  return raw.ifIndexToName(i);
}
