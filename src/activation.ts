/**
 * Socket activation and readiness notification, as systemd (and s6, and
 * systemfd/catflap in development) speak them:
 *
 * - `listenFds()` reads LISTEN_PID / LISTEN_FDS / LISTEN_FDNAMES and adopts the
 *   passed descriptors (fd 3 onwards) as Sockets — of any family and type,
 *   Unix datagram and seqpacket included;
 * - `notify("READY=1")` sends a state string to the service manager over the
 *   Unix datagram socket NOTIFY_SOCKET names (a path, or "@abstract").
 *
 * @see https://www.freedesktop.org/software/systemd/man/latest/sd_listen_fds.html
 * @see https://www.freedesktop.org/software/systemd/man/latest/sd_notify.html
 */
import { readFileSync } from "node:fs";
import { FCNTL } from "./constants.js";
import { ERRNO, SocketError, codedError } from "./errors.js";
import * as raw from "./raw/index.js";
import { describe } from "./raw/index.js";
import type { FdLike } from "./messages.js";
import { Socket } from "./socket.js";

/** The first passed descriptor (SD_LISTEN_FDS_START). */
export const LISTEN_FDS_START = 3;

const ENOTSOCK = -ERRNO.ENOTSOCK!;
const EINVAL = -ERRNO.EINVAL!;

/** One descriptor passed by the service manager. */
export interface ListenFd {
  /** Its name from LISTEN_FDNAMES (FileDescriptorName=), or "unknown". */
  name: string;
  /** The descriptor number (3, 4, ...). */
  fd: number;
  /** The adopted Socket (owning the fd), or null for a descriptor that is not a socket (a FIFO, a file). */
  socket: Socket | null;
}

/** Options of {@link notify}. */
export interface NotifyOptions {
  /** Remove NOTIFY_SOCKET from process.env after reading it (default false: later notifications still work). */
  unsetEnvironment?: boolean;
  /**
   * Fds to hand to the manager with the message (SCM_RIGHTS), as sd_pid_notify_with_fds
   * does — with "FDSTORE=1" (and "FDNAME=…") systemd keeps them across restarts. They stay yours too.
   */
  fds?: readonly FdLike[];
}

/** Options of {@link listenFds}. */
export interface ActivationOptions {
  /** Remove the variables from process.env after reading them, so children do not see them (default true). */
  unsetEnvironment?: boolean;
}

function checkActivation(o: unknown, fn: string): { unsetEnvironment?: boolean } {
  if (o === undefined) return {};
  if (o === null || typeof o !== "object")
    throw codedError("ERR_INVALID_ARG_TYPE", `${fn}: options must be an object, got ${describe(o)}`);
  return o as ActivationOptions;
}

/**
 * Returns the descriptors the service manager passed to this process, each
 * adopted as a non-blocking, close-on-exec Socket that owns it (or, for a
 * non-socket, left as a plain fd made close-on-exec). Empty when the process
 * was not socket-activated (LISTEN_FDS unset, or LISTEN_PID names another
 * process). Does not correspond to a single syscall: reads the environment,
 * then getsockopt(2) SO_DOMAIN/SO_TYPE/SO_PROTOCOL and fcntl(2) per fd.
 *
 * Notes: when LISTEN_FDS is set but LISTEN_PID names another process, the
 * result is empty as sd_listen_fds(3) has it, and a process warning
 * (`process.emitWarning`, code `SOCKIT_LISTEN_PID_MISMATCH`, once per LISTEN_PID) says so:
 * the usual cause is a launcher between the manager and node (`npx`, `npm
 * exec`, a shell without `exec`), which also does not pass fds 3… on. Start
 * node itself: `systemd-socket-activate -l 7007 node --import tsx server.ts`.
 * @see https://www.freedesktop.org/software/systemd/man/latest/sd_listen_fds.html
 * @throws SocketError EINVAL (LISTEN_FDS or LISTEN_PID not a number), EBADF (a
 *   listed fd is not open); TypeError ERR_INVALID_ARG_TYPE.
 */
export function listenFds(options?: ActivationOptions): ListenFd[] {
  const opts = checkActivation(options, "listenFds");
  const env = process.env;
  const pidText = env.LISTEN_PID;
  const countText = env.LISTEN_FDS;
  const namesText = env.LISTEN_FDNAMES;
  if (opts.unsetEnvironment ?? true) {
    delete env.LISTEN_PID;
    delete env.LISTEN_FDS;
    delete env.LISTEN_FDNAMES;
  }
  if (countText === undefined) return [];
  if (pidText !== undefined) {
    if (!/^\d+$/.test(pidText))
      throw new SocketError(EINVAL, "sd_listen_fds", {}, `sd_listen_fds EINVAL: LISTEN_PID=${JSON.stringify(pidText)}`);
    if (Number(pidText) !== process.pid) {
      warnMismatch(pidText, countText);
      return [];
    }
  }
  if (!/^\d+$/.test(countText) || Number(countText) > 0x7fffffff - LISTEN_FDS_START)
    throw new SocketError(EINVAL, "sd_listen_fds", {}, `sd_listen_fds EINVAL: LISTEN_FDS=${JSON.stringify(countText)}`);
  const n = Number(countText);
  const names = namesText === undefined ? [] : namesText.split(":");
  const out: ListenFd[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const fd = LISTEN_FDS_START + i;
      const name = names[i] || "unknown";
      let socket: Socket | null = null;
      try {
        socket = Socket.fromFd(fd);
      } catch (e) {
        if (!(e instanceof SocketError && e.errno === ENOTSOCK)) throw e;
        // Not a socket (systemd passes FIFOs and files too): close-on-exec, as sd_listen_fds does.
        const fl = raw.fcntl(fd, FCNTL.F_GETFD!);
        raw.fcntl(fd, FCNTL.F_SETFD!, fl | FCNTL.FD_CLOEXEC!);
      }
      out.push({ name, fd, socket });
    }
  } catch (e) {
    // Give back what was adopted so far: the caller gets nothing, the fds stay as they were passed.
    for (const f of out) f.socket?.detach();
    throw e;
  }
  return out;
}

const warnedPids = new Set<string>();

/** The warning for LISTEN_FDS meant for another process (see listenFds' notes); once per LISTEN_PID. */
function warnMismatch(pidText: string, countText: string): void {
  if (warnedPids.has(pidText)) return;
  warnedPids.add(pidText);
  const launcher = isAncestor(Number(pidText))
    ? `LISTEN_PID=${pidText} is an ancestor of this process (${process.pid}): a launcher (npx, npm exec, a shell without exec) stood between it and node, and such launchers do not pass fds 3… on`
    : `LISTEN_PID=${pidText} is another process (this is ${process.pid})`;
  process.emitWarning(
    `LISTEN_FDS=${countText} is set, but ${launcher}; the passed sockets are not adopted. Let the service manager start node itself, e.g. systemd-socket-activate -l 7007 node --import tsx server.ts`,
    { type: "SocketActivationWarning", code: "SOCKIT_LISTEN_PID_MISMATCH" },
  );
}

/** Whether `pid` is this process's parent, grandparent ... (read from /proc; false where that cannot be read). */
function isAncestor(pid: number): boolean {
  let p = process.ppid;
  for (let i = 0; i < 64 && p > 1; i++) {
    if (p === pid) return true;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
      p = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    } catch {
      return false;
    }
  }
  return false;
}

/** A notify state: "READY=1\nSTATUS=..." or an object { READY: 1, STATUS: "..." }. */
export type NotifyState = string | Record<string, string | number>;

/**
 * Sends a state to the service manager over NOTIFY_SOCKET ("READY=1",
 * "STATUS=…", "STOPPING=1", "WATCHDOG=1", "MAINPID=…"); resolves false when
 * NOTIFY_SOCKET is unset (not started by a manager that listens), true when
 * sent. An "@name" address is an abstract socket. Does not correspond to a
 * single syscall: socket(2) AF_UNIX/SOCK_DGRAM, sendto(2) (sendmsg(2) with
 * `fds`), close(2).
 * @see https://www.freedesktop.org/software/systemd/man/latest/sd_notify.html
 * @throws SocketError ECONNREFUSED (nobody listens), ENOENT, EACCES, EAGAIN; SocketError
 *   EINVAL (NOTIFY_SOCKET not an absolute path or @name); TypeError ERR_INVALID_ARG_TYPE /
 *   ERR_INVALID_ARG_VALUE (empty state).
 */
export function notify(state: NotifyState, options?: NotifyOptions): Promise<boolean> {
  const opts = checkActivation(options, "notify") as NotifyOptions;
  if (opts.fds !== undefined && !Array.isArray(opts.fds))
    throw codedError("ERR_INVALID_ARG_TYPE", `notify: options.fds must be an array, got ${describe(opts.fds)}`);
  let text: string;
  if (typeof state === "string") text = state;
  else if (state !== null && typeof state === "object")
    text = Object.entries(state)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join("\n");
  else throw codedError("ERR_INVALID_ARG_TYPE", `notify: state must be a string or an object, got ${describe(state)}`);
  if (text === "") throw codedError("ERR_INVALID_ARG_VALUE", "notify: state must not be empty");
  const where = process.env.NOTIFY_SOCKET;
  if (opts.unsetEnvironment === true) delete process.env.NOTIFY_SOCKET;
  if (where === undefined || where === "") return Promise.resolve(false);
  let path: string;
  if (where.startsWith("@")) path = `\0${where.slice(1)}`;
  else if (where.startsWith("/")) path = where;
  else {
    // The environment, not an argument, is wrong: a rejection, like a failed send.
    return Promise.reject(
      new SocketError(
        EINVAL,
        "sd_notify",
        {},
        `sd_notify EINVAL: NOTIFY_SOCKET=${JSON.stringify(where)} is not a path or @name`,
      ),
    );
  }
  return send(text, path, opts.fds);
}

async function send(text: string, path: string, fds: readonly FdLike[] | undefined): Promise<boolean> {
  const s = new Socket("unix", "dgram");
  try {
    const data = Buffer.from(text, "utf8");
    const address = { family: "unix" as const, path };
    if (fds !== undefined && fds.length > 0) await s.sendmsg({ buffers: [data], address, fds });
    else await s.sendto(data, address);
  } finally {
    s.close();
  }
  return true;
}
