/**
 * Network namespaces: create a socket inside another network namespace (a
 * name under /run/netns, as `ip netns add` makes them, or any pinned
 * namespace file such as /proc/PID/ns/net), so one process can serve or probe
 * several namespaces. A socket keeps the namespace it was created in for its
 * whole life, so only socket(2) itself needs to run there.
 *
 * How: open the caller's own namespace (/proc/thread-self/ns/net) and the
 * target, setns(2) into the target, socket(2), setns(2) back, close both —
 * all within one synchronous stretch of JavaScript, so no other JavaScript,
 * timer or I/O callback of this thread ever runs in the other namespace.
 * setns(2) moves only the calling thread; libuv's pool threads stay where
 * they are. Needs CAP_SYS_ADMIN (root) for the target namespace.
 */
import { type FamilyName, type TypeName, familyNumber, protocolNumber, typeNumber } from "./names.js";
import { codedError } from "./errors.js";
import * as raw from "./raw/index.js";
import { describe } from "./raw/index.js";
import { nsClose, nsOpen, setNetns, setNetnsOrErrno } from "./raw/netns.js";
import { Socket } from "./socket.js";

/** A network namespace: a name under /run/netns ("blue"), a path ("/proc/1234/ns/net"), or an open fd of one. */
export type NetnsLike = string | number;

/** Where `ip netns` pins named namespaces. */
export const NETNS_RUN_DIR = "/run/netns";

/**
 * The path of a namespace given by name or path; validates the argument.
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/network_namespaces.7.html
 */
export function netnsPath(netns: unknown): string {
  if (typeof netns !== "string") {
    throw codedError("ERR_INVALID_ARG_TYPE", `netns must be a name, a path or an fd, got ${describe(netns)}`);
  }
  if (netns === "" || netns.includes("\0")) {
    throw codedError("ERR_INVALID_ARG_VALUE", `netns must be a non-empty name or path, got ${JSON.stringify(netns)}`);
  }
  if (netns.includes("/")) return netns;
  if (netns === "." || netns === "..") {
    throw codedError("ERR_INVALID_ARG_VALUE", `netns name ${JSON.stringify(netns)} is not a namespace name`);
  }
  return `${NETNS_RUN_DIR}/${netns}`;
}

function checkNetns(netns: unknown): void {
  if (typeof netns === "number") {
    if (!Number.isInteger(netns) || netns < 0 || netns > 0x7fffffff) {
      throw codedError("ERR_OUT_OF_RANGE", `netns fd must be an integer >= 0, got ${netns}`);
    }
    return;
  }
  netnsPath(netns);
}

/**
 * Runs `fn` synchronously with this thread inside the network namespace
 * `netns`, then moves the thread back to the namespace it was in, whatever
 * `fn` did (returned or threw). `fn` must be synchronous: anything it leaves
 * for later (a promise, a callback) runs back in the caller's namespace.
 * Does not correspond to a single syscall (open, setns, fn, setns, close).
 * @see https://man7.org/linux/man-pages/man2/setns.2.html
 * @see https://man7.org/linux/man-pages/man7/network_namespaces.7.html
 * @throws TypeError ERR_INVALID_ARG_TYPE/ERR_INVALID_ARG_VALUE for a bad `netns` or
 *   `fn`; SocketError from open (ENOENT: no such namespace) or setns (EPERM: needs
 *   CAP_SYS_ADMIN; EINVAL: not a network namespace).
 */
export function runInNetns<T>(netns: NetnsLike, fn: () => T): T {
  checkNetns(netns);
  if (typeof fn !== "function") throw codedError("ERR_INVALID_ARG_TYPE", `fn must be a function, got ${describe(fn)}`);
  const path = typeof netns === "number" ? undefined : netnsPath(netns);
  const home = nsOpen("/proc/thread-self/ns/net");
  let target = typeof netns === "number" ? netns : -1;
  try {
    if (path !== undefined) {
      target = nsOpen(path);
    }
    setNetns(target, path !== undefined ? { path } : {});
    try {
      return fn();
    } finally {
      const back = setNetnsOrErrno(home);
      if (back < 0) {
        // Nothing sane can run in the wrong namespace: stop here, loudly.
        process.emitWarning(`sockit: setns back to the original network namespace failed (${back})`);
        process.abort();
      }
    }
  } finally {
    if (path !== undefined && target >= 0) nsClose(target);
    nsClose(home);
  }
}

/** Options of {@link createSocket}. */
export interface CreateSocketOptions {
  /** Create the socket inside this network namespace (a name under /run/netns, a path, or an fd). */
  netns?: NetnsLike;
}

/**
 * Creates a socket, inside the network namespace `options.netns` when given
 * (otherwise exactly `new Socket(family, type, protocol)`). The socket stays
 * in that namespace: its binds, connects, routes and netlink requests all see
 * that namespace's interfaces, while the process stays where it is.
 * Wraps `socket(2)` between two `setns(2)` calls.
 * @see https://man7.org/linux/man-pages/man2/setns.2.html
 * @see https://man7.org/linux/man-pages/man2/socket.2.html
 * @throws TypeError ERR_INVALID_ARG_VALUE for an unknown family/type/protocol or bad netns;
 *   SocketError ENOENT (no such namespace), EPERM (setns needs CAP_SYS_ADMIN), and socket(2)'s errors.
 */
export function createSocket(
  family: FamilyName | number,
  type: TypeName | number,
  protocol?: string | number,
  options: CreateSocketOptions = {},
): Socket {
  if (options === null || typeof options !== "object") {
    throw codedError("ERR_INVALID_ARG_TYPE", `options must be an object, got ${describe(options)}`);
  }
  const af = familyNumber(family);
  const ty = typeNumber(type);
  const proto = protocolNumber(af, protocol);
  if (options.netns === undefined) return new Socket(af, ty, proto);
  const fd = runInNetns(options.netns, () => {
    return raw.socket(af, ty, proto); // SOCK_NONBLOCK | SOCK_CLOEXEC always
  });
  try {
    return new Socket(af, ty, proto, { fd });
  } catch (e) {
    raw.discardFd(fd);
    throw e;
  }
}
