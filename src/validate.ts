/**
 * Argument checks shared by Socket, posix and the message calls: each throws a
 * TypeError/RangeError with an ERR_* code at once, before any syscall.
 */
import { LIMITS } from "./constants.js";
import { codedError } from "./errors.js";
import { checkInt, describe } from "./raw/index.js";

/** Options every waiting call accepts. */
export interface WaitOptions {
  /** Rejects the call with an AbortError when aborted (the operation is withdrawn). */
  signal?: AbortSignal;
  /** Rejects the call with SocketError ETIMEDOUT after this many milliseconds. */
  timeout?: number;
}

/** Data to send: a string (UTF-8) or any Buffer/TypedArray/DataView. `what` names it in errors ("send: data"). */
export function toBytes(data: unknown, what: string): ArrayBufferView {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (ArrayBuffer.isView(data)) return data;
  throw codedError(
    "ERR_INVALID_ARG_TYPE",
    `${what} must be a Buffer, TypedArray, DataView or string, got ${describe(data)}`,
  );
}

/** A receive size: an integer 0..2^31-1. */
export function checkSize(size: unknown, syscall: string): number {
  if (typeof size !== "number" || !Number.isInteger(size)) {
    throw codedError("ERR_INVALID_ARG_TYPE", `${syscall}: size must be an integer, got ${describe(size)}`);
  }
  if (size < 0 || size > 0x7fffffff)
    throw codedError("ERR_OUT_OF_RANGE", `${syscall}: size must be in 0..2147483647, got ${size}`);
  return size;
}

/** MSG_* flags: absent is 0. */
export function checkFlags(flags: unknown, syscall: string): number {
  return flags === undefined ? 0 : checkInt(flags, `${syscall}: flags`);
}

/** What checkWait returns for absent options: shared, frozen (no allocation per call). */
const NO_OPTIONS: Record<string, unknown> = Object.freeze({});

/** Checks an options object and its `signal`/`timeout`; returns it (an empty frozen object when absent). */
export function checkWait(opts: unknown, syscall: string): Record<string, unknown> {
  if (opts === undefined) return NO_OPTIONS;
  if (opts === null || typeof opts !== "object") {
    throw codedError("ERR_INVALID_ARG_TYPE", `${syscall}: options must be an object, got ${describe(opts)}`);
  }
  const { signal, timeout } = opts as WaitOptions;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw codedError(
      "ERR_INVALID_ARG_TYPE",
      `${syscall}: options.signal must be an AbortSignal, got ${describe(signal)}`,
    );
  }
  if (timeout !== undefined) checkTimeout(timeout, `${syscall}: options.timeout`);
  return opts as Record<string, unknown>;
}

/** A timeout in milliseconds: a number 0..2^31-1 (setTimeout's limit; larger would fire at once). */
export function checkTimeout(timeout: unknown, what: string): number {
  if (typeof timeout !== "number" || !(timeout >= 0) || timeout > 0x7fffffff) {
    throw codedError("ERR_OUT_OF_RANGE", `${what} must be a number of milliseconds >= 0, got ${describe(timeout)}`);
  }
  return timeout;
}

/**
 * The backlog `listen()` uses when none is given — `Socket.listen`,
 * `posix.listen`, `createServer` and the CLI alike: SOMAXCONN from
 * <sys/socket.h> (4096 with Linux 5.4+ headers), read from the addon.
 *
 * Why not Node's 511: that number dates from kernels whose somaxconn was 128;
 * the kernel caps any backlog at net.core.somaxconn anyway, so the header's
 * SOMAXCONN means "as deep as this host allows" (Go reads the sysctl for the
 * same reason), and a deep queue is what lets a server ride out a burst of
 * connections. The queue costs nothing until connections wait in it.
 */
export const DEFAULT_BACKLOG: number = LIMITS.SOMAXCONN;

/**
 * Checks a listen(2) backlog: an integer in the int range. A negative backlog
 * is taken as 0, as POSIX says ("as if it had been called with a backlog
 * argument value of 0") and CPython's `socket.listen` does — Linux itself
 * would read it as unsigned and give the largest queue.
 */
export function checkBacklog(backlog: unknown, syscall: string): number {
  const n = checkInt(backlog, `${syscall}: backlog`);
  return n < 0 ? 0 : n;
}
