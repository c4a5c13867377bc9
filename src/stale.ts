/**
 * Whether a Unix socket file is stale — left behind by a process that died —
 * and so safe to remove before binding the path again. The one check that
 * `createServer` and the CLI's `unlink` option both use: a path is stale only
 * when it is a socket file and a connect(2) to it is refused (ECONNREFUSED:
 * nothing is bound or listening there). Anything else — a live listener, a
 * full backlog (the probe times out), a permission error, a socket of another
 * type (EPROTOTYPE), a file that is not a socket — means "leave it alone".
 */
import { lstatSync } from "node:fs";
import { ERRNO, SocketError, codedError } from "./errors.js";
import { describe } from "./raw/index.js";
import { Socket } from "./socket.js";

const ECONNREFUSED = -ERRNO.ECONNREFUSED!;

/**
 * Resolves true when `path` is a Unix socket file that nothing listens on
 * (a connect(2) of `type` to it gets ECONNREFUSED), false otherwise —
 * including when the path does not exist or is not a socket. Never removes
 * anything. Does not correspond to a single syscall: `lstat(2)`, `socket(2)`,
 * `connect(2)` with a 1 s limit.
 *
 * Notes: the answer can change as soon as it is given (another process may
 * bind the path next); remove the file and bind at once, and be ready for
 * EADDRINUSE.
 * @see https://man7.org/linux/man-pages/man7/unix.7.html
 * @throws TypeError ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE for a bad path or type (at once).
 */
export function isStaleSocket(path: string, type: "stream" | "seqpacket" | "dgram" = "stream"): Promise<boolean> {
  if (typeof path !== "string" || path === "")
    throw codedError("ERR_INVALID_ARG_TYPE", `isStaleSocket: path must be a non-empty string, got ${describe(path)}`);
  if (type !== "stream" && type !== "seqpacket" && type !== "dgram")
    throw codedError("ERR_INVALID_ARG_VALUE", `isStaleSocket: type must be "stream", "seqpacket" or "dgram"`);
  return probe(path, type);
}

async function probe(path: string, type: "stream" | "seqpacket" | "dgram"): Promise<boolean> {
  try {
    if (!lstatSync(path).isSocket()) return false;
  } catch {
    return false;
  }
  const s = new Socket("unix", type);
  try {
    await s.connect({ family: "unix", path }, { timeout: 1000 });
    return false;
  } catch (e) {
    return e instanceof SocketError && e.errno === ECONNREFUSED;
  } finally {
    s.close();
  }
}
