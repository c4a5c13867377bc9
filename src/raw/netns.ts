/**
 * The raw layer's network-namespace calls: open(2) of a namespace file,
 * setns(2) into it and back, close. src/netns.ts builds runInNetns and
 * createSocket's `netns` option on them.
 */
import { SocketError, type ErrorContext } from "../errors.js";
import { native } from "./native.js";

/** Wraps `open(2)` of a namespace file (O_RDONLY | O_CLOEXEC): its fd. */
export function nsOpen(path: string): number {
  const r = native.nsOpen(path);
  if (r < 0) throw new SocketError(r, "open", { path });
  return r;
}

/** Wraps `setns(2)` into the network namespace `fd` refers to. */
export function setNetns(fd: number, ctx?: ErrorContext): void {
  const r = native.setns(fd, native.CLONE_NEWNET);
  if (r < 0) throw new SocketError(r, "setns", ctx);
}

/** Wraps `setns(2)` into the network namespace `fd`: 0 or -errno, for the one caller that cannot throw (the way back). */
export function setNetnsOrErrno(fd: number): number {
  return native.setns(fd, native.CLONE_NEWNET);
}

/** Closes a namespace fd opened by {@link nsOpen}. */
export function nsClose(fd: number): void {
  native.nsClose(fd);
}
