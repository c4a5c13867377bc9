/**
 * A Unix peer's credentials: peerCredentials (SO_PEERCRED), peerGroups
 * (SO_PEERGROUPS), and the servers' policy checks peerAllowed / acceptAllowed.
 * Credentials exist on Unix sockets only: anywhere else these throw
 * ERR_SOCKET_BAD_TYPE at once.
 */
import { SO, SOL, STRUCTS } from "./constants.js";
import { type Credentials, decodeCredentials } from "./control.js";
import { LITTLE_ENDIAN } from "./endian.js";
import { SocketError, closedError, codedError } from "./errors.js";
import * as raw from "./raw/index.js";
import { describe } from "./raw/index.js";
import type { Socket, WaitOptions } from "./socket.js";
import { ERRNO } from "./errors.js";

const EINVAL = -ERRNO.EINVAL!;
const ERANGE = -ERRNO.ERANGE!;

/** Who {@link acceptAllowed} and {@link peerAllowed} let in. */
export interface PeerPolicy {
  /** Users admitted (a peer whose uid is listed is in). */
  uids?: Iterable<number>;
  /** Groups admitted (a peer whose primary group, or one of its supplementary groups, is listed is in). */
  gids?: Iterable<number>;
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
