/**
 * The raw layer's readiness watcher: one per socket (and one per fd a
 * Selector watches), a uv_poll_t on Node's loop or an entry of the env's
 * epoll thread (native/poller.c, native/poller_epoll_linux.c). Its callback
 * gets (status, events) in libuv's terms: status < 0 is -errno and means the
 * watcher has stopped. The start call returns -errno rather than throwing:
 * its callers fail every call that waits with it, each under its own syscall.
 * Also here: the env's owned-fd set, which closes a worker's sockets when the
 * worker ends without closing them.
 */
import { native, type PollerHandle } from "./native.js";

/** libuv's event bits as the watcher reports them: READABLE, WRITABLE, DISCONNECT, PRIORITIZED. */
export const UV_EVENTS: Readonly<{ READABLE: number; WRITABLE: number; DISCONNECT: number; PRIORITIZED: number }> =
  native.UV;

/** Which readiness backend this env runs: "uv" (Node) or "epoll" (Bun, Deno, or SOCKIT_POLLER=epoll). */
export const POLLER_BACKEND: "uv" | "epoll" = native.pollerBackend;

/** A new, stopped watcher on `fd` calling `callback(status, events)`; or -errno. */
export function pollerNew(fd: number, callback: (status: number, events: number) => void): PollerHandle | number {
  return native.pollerNew(fd, callback);
}

/** Watches for `events` (UV_EVENTS bits), replacing the interest: 0 or -errno. */
export function pollerStart(handle: PollerHandle, events: number): number {
  return native.pollerStart(handle, events);
}

/** Stops watching (the watcher can be started again). */
export function pollerStop(handle: PollerHandle): void {
  native.pollerStop(handle);
}

/** Stops and frees the watcher (uv_close); the handle must not be used again. */
export function pollerClose(handle: PollerHandle): void {
  native.pollerClose(handle);
}

/** Whether the watcher keeps the event loop alive while started (uv_ref / uv_unref). */
export function pollerRef(handle: PollerHandle, on: boolean): void {
  native.pollerRef(handle, on);
}

/** Adds `fd` to the env's owned set: closed by the addon if the env (a worker) ends first. */
export function fdOwn(fd: number): void {
  native.fdOwn(fd);
}

/** Removes `fd` from the env's owned set (it was closed or handed on). */
export function fdDisown(fd: number): void {
  native.fdDisown(fd);
}

/** Whether `fd` is an open descriptor (fcntl F_GETFD succeeds): tells a pending socket error from a closed fd. */
export function fdIsOpen(fd: number): boolean {
  return native.fcntl(fd, native.constants.FCNTL!.F_GETFD!, 0) >= 0;
}
