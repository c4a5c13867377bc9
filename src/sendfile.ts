/**
 * Socket.sendfile: a file sent to a stream socket by the kernel, without
 * copying it through user space — `sendfile(2)` driven through the socket's
 * I/O primitive (try; on EAGAIN wait for writable and resume at the offset
 * reached), with a copy fallback (read + send) for the files the kernel will
 * not splice. CPython's `socket.sendfile` and Go's `TCPConn.ReadFrom` do the
 * same; like CPython, only stream sockets are taken.
 *
 * Which inputs the kernel refuses was measured (Linux 6.18): every socket type
 * takes sendfile as its output — Unix stream, dgram and seqpacket, TCP, a
 * connected UDP socket — but per-process /proc files (/proc/<pid>/status,
 * limits, cmdline ...), pipes, FIFOs and sockets as *input* fail with EINVAL
 * (ESPIPE for a pipe read at an offset); /proc/version, /proc/cpuinfo and
 * regular files are spliced.
 * Those, and ENOSYS/EOPNOTSUPP from file systems without splice support, take
 * the copy path when they fail before the first byte.
 */
import { fstat, read, type Stats } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { promisify } from "node:util";
import { SOCK } from "./constants.js";
import { AbortError, ERRNO, SocketError, closedError, codedError } from "./errors.js";
import type { MessageHost } from "./messages.js";
import * as raw from "./raw/index.js";
import { AGAIN, describe } from "./raw/index.js";
import { type WaitOptions, checkWait } from "./validate.js";

const WRITE = 1;
const fstatAsync = promisify(fstat);
const readAsync = promisify(read);

/** What sendfile reads from: an fd number, a `node:fs/promises` FileHandle, or a path sockit opens and closes. */
export type SendfileSource = number | FileHandle | { readonly fd: number } | string | URL | Buffer;

/** Options of {@link Socket.sendfile}. */
export interface SendfileOptions extends WaitOptions {
  /** Where in the file to start (default 0). The file position is neither used nor moved. */
  offset?: number;
  /** How many bytes to send (default: up to the end of the file). Fewer are sent if the file ends first. */
  length?: number;
}

/** Linux moves at most this many bytes per sendfile(2) call (MAX_RW_COUNT). */
const MAX_CHUNK = 0x7ffff000;
/** The copy fallback's read size. */
const COPY_CHUNK = 256 * 1024;

/** Errnos that mean "this file cannot be spliced", not "the transfer failed": the copy path takes over. */
const REFUSED = new Set(
  ["EINVAL", "ENOSYS", "EOPNOTSUPP", "ENOTSUP", "ESPIPE"].map((n) => ERRNO[n]).filter((n) => n !== undefined),
);

function refused(e: unknown): boolean {
  return e instanceof SocketError && REFUSED.has(-e.errno);
}

/** Checks an offset or length: an integer 0..2^53-1 (off_t and size_t are 64-bit; no wrap). */
export function checkFileRange(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw codedError("ERR_INVALID_ARG_TYPE", `${what} must be an integer, got ${describe(v)}`);
  }
  if (v < 0 || v > Number.MAX_SAFE_INTEGER) {
    throw codedError("ERR_OUT_OF_RANGE", `${what} must be in 0..${Number.MAX_SAFE_INTEGER}, got ${v}`);
  }
  return v;
}

/** @internal Socket.sendfile: validates at once, then sends. */
export function sendfile(host: MessageHost, file: SendfileSource, options?: SendfileOptions): Promise<number> {
  checkWait(options, "sendfile");
  const offset = options?.offset === undefined ? 0 : checkFileRange(options.offset, "sendfile: options.offset");
  const length = options?.length === undefined ? Infinity : checkFileRange(options.length, "sendfile: options.length");
  if (host.type !== SOCK.STREAM) {
    throw codedError(
      "ERR_SOCKET_BAD_TYPE",
      "sendfile() needs a stream socket (a file has no message boundaries; CPython refuses it too)",
    );
  }
  let fd: number | undefined;
  if (typeof file === "number") fd = raw.checkFd(file, "sendfile");
  else if (typeof file === "string" || file instanceof URL || Buffer.isBuffer(file)) fd = undefined;
  else if (file !== null && typeof file === "object" && typeof (file as { fd?: unknown }).fd === "number") {
    // A FileHandle (or any object with an fd): -1 once it is closed.
    const inner = (file as { fd: number }).fd;
    if (inner < 0)
      return Promise.reject(new SocketError(-ERRNO.EBADF!, "sendfile", {}, "sendfile EBADF: the FileHandle is closed"));
    fd = raw.checkFd(inner, "sendfile");
  } else {
    throw codedError(
      "ERR_INVALID_ARG_TYPE",
      `sendfile: file must be an fd number, a FileHandle or a path, got ${describe(file)}`,
    );
  }
  if (typeof file === "string" && file === "") throw codedError("ERR_INVALID_ARG_VALUE", "sendfile: the path is empty");
  // After validation (bad arguments throw even on a closed socket), before opening anything.
  if (host.closed) return Promise.reject(closedError("sendfile"));
  return fd === undefined
    ? sendPath(host, file as string | URL | Buffer, offset, length, options)
    : transfer(host, fd, offset, length, options);
}

async function sendPath(
  host: MessageHost,
  path: string | URL | Buffer,
  offset: number,
  length: number,
  options: WaitOptions | undefined,
): Promise<number> {
  const signal = options?.signal;
  if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
  const handle = await open(path, "r");
  try {
    return await transfer(host, handle.fd, offset, length, options);
  } finally {
    await handle.close();
  }
}

/** The remaining options for a later wait: the same signal, what is left of the timeout. */
function remaining(options: WaitOptions | undefined, deadline: number): WaitOptions | undefined {
  if (deadline === Infinity) return options;
  return { signal: options?.signal, timeout: Math.max(0, deadline - Date.now()) };
}

async function transfer(
  host: MessageHost,
  inFd: number,
  offset: number,
  length: number,
  options: WaitOptions | undefined,
): Promise<number> {
  const deadline = options?.timeout === undefined ? Infinity : Date.now() + options.timeout;
  const end = offset + length;
  let sent = 0;
  try {
    if (length === 0) return 0;
    let copy = false;
    const out = host.fd;
    await host.io(
      WRITE,
      "sendfile",
      () => {
        for (;;) {
          const want = Math.min(end - (offset + sent), MAX_CHUNK);
          if (want <= 0) return sent;
          let r: number;
          try {
            r = raw.sendfile(out, inFd, offset + sent, want);
          } catch (e) {
            // Refused before the first byte: a file the kernel cannot splice.
            if (sent === 0 && refused(e)) {
              copy = true;
              return 0;
            }
            throw e;
          }
          if (r === AGAIN) return AGAIN;
          if (r === 0) return sent; // end of file
          sent += r;
        }
      },
      options,
      0,
    );
    if (copy) await copyFallback(host, inFd, offset, end, options, deadline, (n) => (sent += n));
    return sent;
  } catch (e) {
    // Whatever ended it — a send error, close, abort, timeout — says how far it got.
    if (e !== null && typeof e === "object") Object.assign(e, { sent });
    throw e;
  }
}

/** read(2) + send(2) for a file the kernel would not splice; reads at the offset when the file can seek. */
async function copyFallback(
  host: MessageHost,
  inFd: number,
  offset: number,
  end: number,
  options: WaitOptions | undefined,
  deadline: number,
  progress: (n: number) => void,
): Promise<void> {
  let st: Stats;
  try {
    st = await fstatAsync(inFd);
  } catch (e) {
    throw new SocketError((e as { errno?: number }).errno ?? -ERRNO.EBADF!, "fstat");
  }
  const seekable = st.isFile() || st.isBlockDevice();
  if (!seekable && offset !== 0) {
    throw new SocketError(
      -ERRNO.ESPIPE!,
      "sendfile",
      {},
      "sendfile ESPIPE: the file cannot seek (a pipe, FIFO or socket), so it cannot start at an offset",
    );
  }
  const buf = Buffer.allocUnsafe(Math.min(COPY_CHUNK, end - offset));
  let pos = offset;
  const out = host.fd;
  for (;;) {
    const signal = options?.signal;
    if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
    if (host.closed) throw closedError("sendfile");
    const want = Math.min(buf.length, end - pos);
    if (want <= 0) return;
    let n: number;
    try {
      ({ bytesRead: n } = await readAsync(inFd, buf, 0, want, seekable ? pos : null));
    } catch (e) {
      throw new SocketError((e as { errno?: number }).errno ?? -ERRNO.EIO!, "read");
    }
    if (n === 0) return;
    pos += n;
    let at = 0;
    await host.io(
      WRITE,
      "send",
      () => {
        while (at < n) {
          const r = raw.send(out, buf, at, n - at, 0);
          if (r === AGAIN) return AGAIN;
          at += r;
          progress(r);
        }
        return n;
      },
      remaining(options, deadline),
      0,
    );
  }
}
