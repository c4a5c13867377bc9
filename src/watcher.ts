/**
 * A readiness watcher on one fd — a uv_poll_t on Node's loop, an entry of the
 * epoll thread elsewhere (src/raw/poller.ts) — with the state its owners used
 * to keep beside it: the events it is started for and whether it holds the
 * loop. Socket (through its IoQueue, src/io.ts) and Selector both stand on
 * it, so libuv's order for taking one down (stop watching, close the fd, then
 * close the handle) lives here, in {@link Watcher.closeWith}, and nowhere else.
 */
import * as raw from "./raw/index.js";
import type { PollerHandle } from "./raw/index.js";

/** The callback a watcher runs: status < 0 is -errno (the watcher has stopped); events are UV_EVENTS bits. */
export type WatchCallback = (status: number, events: number) => void;

/** One fd's readiness watcher. */
export class Watcher {
  #handle: PollerHandle | null;
  #armed = 0;
  // libuv creates handles ref'd.
  #refed = true;

  private constructor(handle: PollerHandle) {
    this.#handle = handle;
  }

  /**
   * A stopped watcher on `fd`, or -errno when none can be made. The backend
   * holds `callback` strongly only while the watcher is started (so an idle
   * socket can be collected): the owner keeps it alive (a field, not a
   * closure made for the call).
   */
  static open(fd: number, callback: WatchCallback): Watcher | number {
    const h = raw.pollerNew(fd, callback);
    return typeof h === "number" ? h : new Watcher(h);
  }

  /** The events it is started for (0: stopped). */
  get armed(): number {
    return this.#armed;
  }

  /** Watches `events` (replacing the interest; 0 stops): 0, or -errno (the interest is unchanged). */
  start(events: number): number {
    if (events === this.#armed || this.#handle === null) return 0;
    if (events === 0) {
      this.stop();
      return 0;
    }
    const r = raw.pollerStart(this.#handle, events);
    if (r >= 0) this.#armed = events;
    return r;
  }

  /** Stops watching (it can be started again). */
  stop(): void {
    if (this.#armed !== 0 && this.#handle !== null) raw.pollerStop(this.#handle);
    this.#armed = 0;
  }

  /** The backend stopped the watcher itself (an error status): it is no longer started. */
  stopped(): void {
    this.#armed = 0;
  }

  /** Whether the watcher keeps the event loop alive while started. */
  ref(on: boolean): void {
    if (on === this.#refed || this.#handle === null) return;
    raw.pollerRef(this.#handle, on);
    this.#refed = on;
  }

  /**
   * Takes the watcher down in libuv's order: stop watching, run `closeFd`
   * (close(2) of the watched fd, or nothing when the fd lives on), then close
   * the handle — even when `closeFd` throws (its error is rethrown).
   */
  closeWith(closeFd: () => void): void {
    const h = this.#handle;
    if (h === null) {
      closeFd();
      return;
    }
    raw.pollerStop(h);
    this.#armed = 0;
    try {
      closeFd();
    } finally {
      this.#handle = null;
      raw.pollerClose(h);
    }
  }
}
