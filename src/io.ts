/**
 * The readiness engine under every waiting call of a Socket: try the
 * non-blocking call; on AGAIN queue it and wait for readiness; on each
 * wakeup retry the queued calls of that direction in call order (a wakeup
 * can be a false positive: it only means "try again").
 *
 * Each socket has one IoQueue: two queues of waiters (a linked list each,
 * reads and writes), the socket's Watcher (src/watcher.ts), the EPOLLERR
 * back-off, and the out-of-band poll for error-queue and urgent-data reads.
 * The waiting state is built only on AGAIN: a call served at once costs one
 * syscall and one promise. The watcher stays armed after a wakeup until one
 * finds nothing waiting (re-arming would cost an epoll_ctl per wait).
 *
 * What the engine needs from its socket — whether it is closed, its default
 * timeout and deadline — comes through {@link IoOwner}.
 */
import { onAbort } from "./abort.js";
import { MSG } from "./constants.js";
import { AbortError, ERRNO, SocketError, closedError, type ErrorContext } from "./errors.js";
import * as raw from "./raw/index.js";
import { AGAIN } from "./raw/index.js";
import type { WaitOptions } from "./validate.js";
import { Watcher } from "./watcher.js";

/** The read direction of a queue. */
export const READ = 0;
/** The write direction of a queue. */
export const WRITE = 1;
/** A queue direction: READ or WRITE. */
export type Dir = typeof READ | typeof WRITE;

/** Flags that change how a call waits (see {@link IoQueue.run}). */
const SPECIAL_FLAGS = MSG.DONTWAIT | MSG.ERRQUEUE | MSG.OOB;
const EV_READ = raw.UV_EVENTS.READABLE;
const EV_WRITE = raw.UV_EVENTS.WRITABLE;
const EBADF = -ERRNO.EBADF!;
const ETIMEDOUT = -ERRNO.ETIMEDOUT!;

const noop = (): void => {};

/** One waiting call, as a socket method hands it to {@link IoQueue.run}. */
export interface IoRequest<T> {
  /** READ or WRITE: the queue it waits in. */
  dir: Dir;
  /** The syscall its errors name ("recv", "accept4" …). */
  syscall: string;
  /** The non-blocking syscall: its result, or AGAIN to wait; throws its SocketError. */
  attempt: () => number;
  /** The caller's `{ signal, timeout }`. */
  options?: WaitOptions | undefined;
  /**
   * Turns the attempt's result into the call's value (or throws its error) as
   * the call is served, so promises settle in the order calls were served,
   * whatever their kind (a `.then` per call would add a different number of
   * microtask hops to send and sendAll, recvInto and recv).
   */
  finish?: ((n: number) => T) | undefined;
  /** Names the peer in a timeout error. */
  ctx?: ErrorContext | undefined;
  /** The call's MSG_* flags (MSG_DONTWAIT, MSG_ERRQUEUE and MSG_OOB change how it waits). */
  flags?: number;
  /** The caller has just tried the attempt and met AGAIN: queue it without trying again. */
  tried?: boolean;
}

/** What the engine asks of its socket. */
export interface IoOwner {
  /** The socket's default timeout (setTimeout), ms. */
  readonly defaultTimeout: number | undefined;
  /** The socket's deadline (setDeadline), ms since the epoch. */
  readonly deadline: number | undefined;
  /** The error of a call the deadline ends. */
  deadlineError(syscall: string, ctx?: ErrorContext): SocketError;
}

/**
 * A call waiting for readiness: a link in its direction's queue. The promise's
 * resolvers are stored here (see waitFor), not captured by closures, so a
 * waiting call costs one object beside its promise and its attempt.
 */
class Waiter {
  next: Waiter | null = null;
  resolve: (v: unknown) => void = noop;
  reject: (e: unknown) => void = noop;
  /** Cancels the call's share of its signal's one abort listener (see abort.ts). */
  cancelAbort: (() => void) | undefined = undefined;
  timer: NodeJS.Timeout | undefined = undefined;
  constructor(
    readonly attempt: () => number,
    readonly finish: ((n: number) => unknown) | undefined,
    readonly syscall: string,
  ) {}
}

/** A promise settled through `w.resolve`/`w.reject` (Promise.withResolvers is not in Node 20). */
function waitFor<T>(w: Waiter): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    w.resolve = resolve as (v: unknown) => void;
    w.reject = reject;
  });
}

/**
 * A socket's fd and, once a call has waited, its Watcher: the two that are
 * taken down together, in libuv's order ({@link Watcher.closeWith}). It leads
 * back to nothing that keeps the Socket alive, so the Socket's
 * FinalizationRegistry holds it and closes a collected socket's fd and watcher
 * in one step. (Closing the fd there and leaving the handle to the addon's
 * finalizer, which runs at another time, let that finalizer's uv_poll_stop —
 * EPOLL_CTL_DEL by fd number — remove the registration of whatever fd had
 * taken the number meanwhile: that fd's waiting calls never woke.)
 */
export class WatchedFd {
  /** The readiness watcher, made by the first call that waits. */
  watcher: Watcher | null = null;

  constructor(readonly fd: number) {}

  /** Stop watching, run `closeFd` (close(2), or nothing on detach), close the handle. */
  closeWith(closeFd: () => void): void {
    const watcher = this.watcher;
    this.watcher = null;
    if (watcher === null) closeFd();
    else watcher.closeWith(closeFd);
  }
}

/** One socket's queues of waiting calls and its readiness watcher. */
export class IoQueue {
  /** Set when the socket is closed or detached: every later call is refused by its socket. */
  closed = false;
  /** Back-off (ms) while EPOLLERR persists with nothing moving (see #pollErr). */
  #errDelay = 0;
  /** Whether the user wants a waiting socket to keep the process alive (ref/unref). */
  #userRef = true;
  #readHead: Waiter | null = null;
  #readTail: Waiter | null = null;
  #writeHead: Waiter | null = null;
  #writeTail: Waiter | null = null;
  readonly #onPoll = (status: number, events: number): void => this.#handleEvents(status, events);

  readonly #slot: WatchedFd;

  constructor(
    slot: WatchedFd,
    private readonly owner: IoOwner,
  ) {
    this.#slot = slot;
  }

  /** Whether a waiting call keeps the process alive (Socket.ref/unref). */
  get userRef(): boolean {
    return this.#userRef;
  }

  set userRef(on: boolean) {
    this.#userRef = on;
    this.#updateRef();
  }

  /**
   * Whether a call may make its syscall at once, before {@link run}: the
   * socket is open, nothing waits in its direction, no flag changes how it
   * waits, and its signal has not fired. The hot calls try inline when it is,
   * so that a call served at once allocates its promise and nothing else; on
   * AGAIN they hand run() the attempt with `tried`.
   */
  canTry(dir: Dir, flags: number, options: WaitOptions | undefined): boolean {
    return (
      !this.closed &&
      (dir === READ ? this.#readHead : this.#writeHead) === null &&
      (flags & SPECIAL_FLAGS) === 0 &&
      options?.signal?.aborted !== true
    );
  }

  /**
   * Runs `req.attempt` now if nothing is queued in its direction, else queues
   * it; queued attempts are retried in call order on each readiness wakeup.
   * The caller has checked that the socket is open.
   *
   * `flags` change how a call waits:
   * - MSG_DONTWAIT: one attempt; EAGAIN rejects (the caller asked not to wait);
   * - MSG_ERRQUEUE / MSG_OOB reads poll with back-off instead of queueing: the
   *   error queue signals itself with POLLERR and urgent data with POLLPRI,
   *   neither of which is this socket's ordinary readiness (libuv reports
   *   POLLERR as "readable"; the watcher does not ask for POLLPRI). Queued,
   *   such a read would spin while ordinary data waits, and hold up every
   *   read queued after it.
   */
  run<T = number>(req: IoRequest<T>): Promise<T> {
    const { dir, syscall, attempt, options, finish, ctx } = req;
    const flags = req.flags ?? 0;
    // An already-aborted signal rejects before any syscall (Node's convention):
    // the call must not consume data or change the socket's state.
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
    if (flags & SPECIAL_FLAGS) {
      if (flags & MSG.DONTWAIT) {
        try {
          const r = attempt();
          if (r === AGAIN) return Promise.reject(new SocketError(AGAIN, syscall, ctx));
          return Promise.resolve(finish ? finish(r) : (r as T));
        } catch (e) {
          return Promise.reject(e);
        }
      }
      if (dir === READ)
        return this.#pollOutOfBand(syscall, attempt, options).then((n) => (finish ? finish(n) : (n as T)));
    }
    if (req.tried !== true && (dir === READ ? this.#readHead : this.#writeHead) === null) {
      let r: number;
      try {
        r = attempt();
        if (r !== AGAIN) return Promise.resolve(finish ? finish(r) : (r as T));
      } catch (e) {
        return Promise.reject(e);
      }
    }
    // The call is about to wait: a deadline already past refuses it now.
    const deadline = this.owner.deadline;
    if (deadline !== undefined && Date.now() >= deadline) return Promise.reject(this.owner.deadlineError(syscall, ctx));
    const w = new Waiter(attempt, finish, syscall);
    const promise = waitFor<T>(w);
    if (signal) {
      w.cancelAbort = onAbort(signal, () =>
        this.#withdraw(dir, w, new AbortError(undefined, { cause: signal.reason })),
      );
    }
    // The call's own timeout, else the socket's default (setTimeout); the
    // deadline (setDeadline) is watched by one timer for every waiter.
    const timeout = options?.timeout ?? this.owner.defaultTimeout;
    if (timeout !== undefined) {
      w.timer = setTimeout(() => {
        this.#withdraw(
          dir,
          w,
          ctx
            ? new SocketError(ETIMEDOUT, syscall, ctx)
            : new SocketError(ETIMEDOUT, syscall, {}, `${syscall} ETIMEDOUT: no completion within ${timeout} ms`),
        );
      }, timeout);
    }
    if (dir === READ) {
      if (this.#readTail === null) this.#readHead = w;
      else this.#readTail.next = w;
      this.#readTail = w;
    } else {
      if (this.#writeTail === null) this.#writeHead = w;
      else this.#writeTail.next = w;
      this.#writeTail = w;
    }
    this.#arm();
    return promise;
  }

  /** Rejects every waiting call, reads first, each with `error(itsSyscall)` (close, detach, a passed deadline). */
  rejectAll(error: (syscall: string) => unknown): void {
    for (const w of this.#takeAll()) {
      this.#settle(w);
      w.reject(error(w.syscall));
    }
    this.#updateRef();
  }

  /**
   * Takes the watcher down in libuv's order around `closeFd` (close(2) of the
   * socket's fd, or nothing on detach): stop, closeFd, close the handle.
   */
  closeWith(closeFd: () => void): void {
    this.#slot.closeWith(closeFd);
  }

  /** Removes the head of a direction's queue. */
  #shift(dir: Dir): void {
    if (dir === READ) {
      const w = this.#readHead!;
      this.#readHead = w.next;
      if (w.next === null) this.#readTail = null;
      w.next = null;
    } else {
      const w = this.#writeHead!;
      this.#writeHead = w.next;
      if (w.next === null) this.#writeTail = null;
      w.next = null;
    }
  }

  /** Empties both queues and returns their waiters, reads first, each in call order. */
  #takeAll(): Waiter[] {
    const all: Waiter[] = [];
    for (let w = this.#readHead; w !== null; w = w.next) all.push(w);
    for (let w = this.#writeHead; w !== null; w = w.next) all.push(w);
    this.#readHead = this.#readTail = this.#writeHead = this.#writeTail = null;
    return all;
  }

  /** How many calls wait, in both directions (for #pollErr's progress check). */
  #waitingCount(): number {
    let n = 0;
    for (let w = this.#readHead; w !== null; w = w.next) n++;
    for (let w = this.#writeHead; w !== null; w = w.next) n++;
    return n;
  }

  /** An error-queue or urgent-data read: polls with back-off (1 ms doubling to 50 ms), see run(). */
  async #pollOutOfBand(syscall: string, attempt: () => number, opts?: WaitOptions): Promise<number> {
    const signal = opts?.signal;
    const timeout = opts?.timeout ?? this.owner.defaultTimeout;
    const deadline = timeout === undefined ? Infinity : Date.now() + timeout;
    let delay = 1;
    for (;;) {
      if (this.closed) throw closedError(syscall);
      if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
      const r = attempt();
      if (r !== AGAIN) return r;
      // The socket's deadline is read on every round: setDeadline applies to waiting calls too.
      const socketDeadline = this.owner.deadline;
      if (socketDeadline !== undefined && Date.now() >= socketDeadline) throw this.owner.deadlineError(syscall);
      const left = Math.min(deadline, socketDeadline ?? Infinity) - Date.now();
      if (left <= 0)
        throw new SocketError(ETIMEDOUT, syscall, {}, `${syscall} ETIMEDOUT: nothing arrived within ${timeout} ms`);
      await new Promise<void>((resolve) => {
        const cancel = signal
          ? onAbort(signal, () => {
              clearTimeout(timer);
              resolve();
            })
          : undefined;
        const timer = setTimeout(
          () => {
            cancel?.();
            resolve();
          },
          Math.min(delay, left),
        );
        if (!this.#userRef) timer.unref();
      });
      delay = Math.min(delay * 2, 50);
    }
  }

  #settle(w: Waiter): void {
    if (w.cancelAbort) w.cancelAbort();
    if (w.timer) clearTimeout(w.timer);
  }

  #withdraw(dir: Dir, w: Waiter, err: unknown): void {
    // Find w's predecessor; a waiter already served is no longer in the list.
    let prev: Waiter | null = null;
    let at = dir === READ ? this.#readHead : this.#writeHead;
    while (at !== null && at !== w) {
      prev = at;
      at = at.next;
    }
    if (at === null) return;
    if (prev === null) {
      if (dir === READ) this.#readHead = w.next;
      else this.#writeHead = w.next;
    } else prev.next = w.next;
    if (w.next === null) {
      if (dir === READ) this.#readTail = prev;
      else this.#writeTail = prev;
    }
    w.next = null;
    this.#settle(w);
    w.reject(err);
    this.#updateRef();
  }

  /** Starts the watcher for every direction with waiters (the union of interest). */
  #arm(): void {
    const want = (this.#readHead !== null ? EV_READ : 0) | (this.#writeHead !== null ? EV_WRITE : 0);
    if (this.#slot.watcher === null) {
      const w = Watcher.open(this.#slot.fd, this.#onPoll);
      if (typeof w === "number") {
        this.#failAll(w, "poll");
        return;
      }
      this.#slot.watcher = w;
    }
    const armed = this.#slot.watcher.armed;
    if ((armed | want) !== armed) {
      const r = this.#slot.watcher.start(armed | want);
      if (r < 0) {
        this.#failAll(r, "poll");
        return;
      }
    }
    this.#updateRef();
  }

  /** The watcher keeps the loop alive only while something waits (and the user did not unref). */
  #updateRef(): void {
    this.#slot.watcher?.ref(this.#userRef && (this.#readHead !== null || this.#writeHead !== null));
  }

  #handleEvents(status: number, events: number): void {
    const watcher = this.#slot.watcher;
    if (this.closed || watcher === null) return;
    if (status < 0) {
      // libuv has stopped the watcher.
      watcher.stopped();
      if (status === EBADF && raw.fdIsOpen(this.#slot.fd)) {
        this.#pollErr();
        return;
      }
      // A real poll error (the fd was closed behind our back): reject what
      // waits, never abort the process.
      this.#failAll(status, "poll");
      return;
    }
    // libuv reports EPOLLHUP as readable and writable, so the queued calls run
    // and meet EOF or the real error.
    const armed = watcher.armed;
    let keep = armed;
    if (events & EV_READ) {
      if (this.#readHead === null) keep &= ~EV_READ;
      else this.#drain(READ);
    }
    if (events & EV_WRITE && !this.closed) {
      if (this.#writeHead === null) keep &= ~EV_WRITE;
      else this.#drain(WRITE);
    }
    if (this.closed || this.#slot.watcher === null) return;
    // Lazy disarm: a direction stays armed after its queue drains (the next
    // call usually waits again, and re-arming costs epoll_ctl); it is dropped
    // when a wakeup finds nothing waiting for it.
    if (keep !== armed) {
      keep |= (this.#readHead !== null ? EV_READ : 0) | (this.#writeHead !== null ? EV_WRITE : 0);
      watcher.start(keep);
    }
    this.#updateRef();
  }

  /**
   * libuv reports EPOLLERR — a pending socket error, which is not a bad fd: an
   * ICMP error on a UDP socket, an IP_RECVERR error queue, a reset — as
   * UV_EBADF and stops the watcher. Run the queued calls (they meet the real
   * error, or succeed), then watch again; when nothing moved (an error queue
   * nobody reads keeps EPOLLERR up) wait with back-off, 1 ms doubling to 50 ms,
   * instead of spinning.
   */
  #pollErr(): void {
    const before = this.#waitingCount();
    this.#drain(READ);
    if (!this.closed) this.#drain(WRITE);
    if (this.closed) return;
    const after = this.#waitingCount();
    if (after === 0) {
      this.#errDelay = 0;
      this.#updateRef();
      return;
    }
    if (after < before) {
      this.#errDelay = 0;
      this.#arm();
      return;
    }
    this.#errDelay = Math.min(Math.max(1, this.#errDelay * 2), 50);
    const timer = setTimeout(() => {
      if (!this.closed) this.#arm();
    }, this.#errDelay);
    if (!this.#userRef) timer.unref();
  }

  #drain(dir: Dir): void {
    for (let w = dir === READ ? this.#readHead : this.#writeHead; w !== null && !this.closed;) {
      let r: number;
      try {
        r = w.attempt();
      } catch (e) {
        // Code the attempt ran (an fd getter, in sendmsg) may have closed the
        // socket or withdrawn w: then w is settled and no longer the head.
        if ((dir === READ ? this.#readHead : this.#writeHead) === w) {
          this.#shift(dir);
          this.#settle(w);
          w.reject(e);
        }
        w = dir === READ ? this.#readHead : this.#writeHead;
        continue;
      }
      if (r === AGAIN) break;
      if ((dir === READ ? this.#readHead : this.#writeHead) !== w) {
        w = dir === READ ? this.#readHead : this.#writeHead;
        continue;
      }
      this.#shift(dir);
      this.#settle(w);
      // finish runs as the call is served, so results settle in call order.
      if (w.finish === undefined) w.resolve(r);
      else {
        try {
          w.resolve(w.finish(r));
        } catch (e) {
          w.reject(e);
        }
      }
      w = dir === READ ? this.#readHead : this.#writeHead;
    }
  }

  #failAll(errno: number, syscall: string): void {
    this.rejectAll((s) => new SocketError(errno, s || syscall));
  }
}
