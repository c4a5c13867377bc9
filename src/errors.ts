/**
 * Errors: one class for failed syscalls, shaped like Node's system errors, and
 * coded TypeError/RangeError for programmer errors (thrown at once).
 */
import { getSystemErrorName } from "node:util";
import { constants as osConstants } from "node:os";

/** Where a failed call was aimed, added to its message and properties. */
export interface ErrorContext {
  /** The IP address the call was about. */
  address?: string;
  /** The port the call was about. */
  port?: number;
  /** The Unix socket path the call was about. */
  path?: string;
  /** For getsockopt/setsockopt: the option level. */
  level?: string | number;
  /** For getsockopt/setsockopt: the option name. */
  option?: string | number;
}

/**
 * A failed system call: `code` ("ECONNREFUSED"), `errno` (negative, as in Node,
 * so `util.getSystemErrorName(err.errno)` works), `syscall` (the real call:
 * "recvfrom", "setsockopt"), and `address`/`port`/`path` where known. The
 * message is `${syscall} ${code} ${address}:${port}` as Node writes it.
 */
export class SocketError extends Error {
  /** Always "SocketError". */
  override name = "SocketError";
  /** The errno name: "ECONNREFUSED", "EAGAIN", "ETIMEDOUT" ... */
  readonly code: string;
  /** The errno, negative as in Node: `util.getSystemErrorName(err.errno)` gives `code`. */
  readonly errno: number;
  /** The system call that failed: "connect", "recvmsg", "setsockopt", "accept4" ... */
  readonly syscall: string;
  // `declare`: no own property unless the context supplies it ("address" in err
  // is true only when an address is known, and inspect shows no undefineds).
  /** The IP address the call was about, when there is one. */
  declare address?: string;
  /** The port the call was about, when there is one. */
  declare port?: number;
  /** The Unix socket path the call was about, when there is one. */
  declare path?: string;
  /** For getsockopt/setsockopt: the option level ("SOL_SOCKET" or its number). */
  declare level?: string | number;
  /** For getsockopt/setsockopt: the option name ("SO_RCVBUF" or its number). */
  declare option?: string | number;

  constructor(errno: number, syscall: string, context: ErrorContext = {}, message?: string) {
    const neg = errno > 0 ? -errno : errno;
    const code = codeOf(neg);
    super(message ?? formatMessage(syscall, code, context));
    this.errno = neg;
    this.code = code;
    this.syscall = syscall;
    if (context.address !== undefined) this.address = context.address;
    if (context.port !== undefined) this.port = context.port;
    if (context.path !== undefined) this.path = context.path;
    if (context.level !== undefined) this.level = context.level;
    if (context.option !== undefined) this.option = context.option;
  }
}

function codeOf(errno: number): string {
  // os.constants.errno knows every errno of this platform (EINPROGRESS too);
  // util.getSystemErrorName only those libuv maps, and says "Unknown" for the rest.
  const name = errnoNames.get(-errno);
  if (name !== undefined) return name;
  try {
    return getSystemErrorName(errno);
  } catch {
    return `Unknown system error ${errno}`;
  }
}

/** Errno names by number; where two names share a number, Node's choice (ENOTSUP over EOPNOTSUPP). */
const errnoNames = new Map<number, string>();
for (const [name, value] of Object.entries(osConstants.errno as Record<string, number>)) {
  if (!errnoNames.has(value)) errnoNames.set(value, name);
}
for (const [value] of errnoNames) {
  try {
    const libuv = getSystemErrorName(-value);
    if (!libuv.startsWith("Unknown")) errnoNames.set(value, libuv);
  } catch {}
}

function formatMessage(syscall: string, code: string, c: ErrorContext): string {
  let where = "";
  if (c.address !== undefined) where = c.port !== undefined ? ` ${c.address}:${c.port}` : ` ${c.address}`;
  else if (c.path !== undefined) where = ` ${c.path === "" ? "(unnamed)" : c.path.replace(/\0/g, "@")}`;
  else if (c.option !== undefined) where = ` ${String(c.level)}/${String(c.option)}`;
  return `${syscall} ${code}${where}`;
}

/** Errno numbers by name, from Node's own table of this platform's values. */
export const ERRNO = osConstants.errno as Readonly<Record<string, number>>;

const codes = {
  ERR_INVALID_ARG_TYPE: TypeError,
  ERR_INVALID_ARG_VALUE: TypeError,
  ERR_OUT_OF_RANGE: RangeError,
  ERR_INVALID_ADDRESS: TypeError,
  ERR_UNKNOWN_CONSTANT: TypeError,
  ERR_SOCKET_BAD_TYPE: TypeError,
  ERR_SOCKET_CLOSED: Error,
  ERR_SOCKET_DETACHED: Error,
  ERR_NOT_SUPPORTED: Error,
  ERR_BUFFER_TOO_SMALL: RangeError,
} as const;

/** Every programmer-error code sockit throws. */
export type ErrorCode = keyof typeof codes;

/** A TypeError, RangeError or Error carrying a stable `code`, as Node's own. */
export type CodedError = (TypeError | RangeError | Error) & { code: ErrorCode };

/** Builds (does not throw) the coded error for `code`. */
export function codedError(code: ErrorCode, message: string): CodedError {
  const Ctor = codes[code];
  const err = new Ctor(message) as CodedError;
  Object.defineProperty(err, "code", { value: code, enumerable: true, writable: true, configurable: true });
  // Node prints coded errors as "TypeError [ERR_X]: message".
  Object.defineProperty(err, "name", { value: `${Ctor.name} [${code}]`, configurable: true, writable: true });
  Error.captureStackTrace?.(err, codedError);
  Object.defineProperty(err, "name", { value: Ctor.name, configurable: true, writable: true });
  return err;
}

/** The error for any operation on a closed socket. */
export function closedError(syscall: string): CodedError {
  return codedError("ERR_SOCKET_CLOSED", `${syscall}: socket is closed`);
}

/** Node's AbortError shape: name "AbortError", code "ABORT_ERR", `cause` = reason. */
export class AbortError extends Error {
  /** Always "AbortError", as Node's. */
  override name = "AbortError";
  /** Always "ABORT_ERR", as Node's. */
  readonly code = "ABORT_ERR";
  constructor(message = "The operation was aborted", options?: { cause?: unknown }) {
    super(message, options);
  }
}
