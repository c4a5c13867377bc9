/**
 * `Selector`: readiness of many file descriptors at once, in the shape of
 * CPython's `selectors` module (register / modify / unregister / select /
 * getMap, READ and WRITE bits, SelectorKey { fileobj, fd, events, data }) —
 * but asynchronous, on Node's event loop. `posix.select` / `posix.poll` are the
 * blocking versions.
 *
 * How it waits. Each registration watches a duplicate of its fd
 * (F_DUPFD_CLOEXEC) with its own uv_poll_t: libuv allows one poll handle per fd
 * number in a loop (uv_poll_init gives EEXIST for a second), and the Socket
 * itself — or Node, for a tty or pipe — may already watch the original. A
 * duplicate shares the open file description, so its readiness is the
 * original's. The watchers run only while a select() is pending, so an idle
 * Selector does not keep the process alive.
 *
 * What select() reports comes from one poll(2) with a zero timeout over every
 * duplicate, made first (so ready fds are reported without waiting, and
 * select(0) is a pure check) and again after any watcher wakes up (so one
 * wakeup collects every fd ready at that moment). A wakeup with nothing ready
 * (a false positive, which libuv allows) just waits again.
 *
 * Closing. Unregister a descriptor before closing it, as with any selector. A
 * sockit Socket closed (or detached) while registered releases the Selector's
 * duplicate at once, so the peer sees the close; it is never reported again,
 * and unregister() still succeeds. A plain fd number closed while registered
 * stays open through the duplicate until unregister() — unregister first.
 */
import { AbortError, SocketError, closedError, codedError } from "./errors.js";
import { FCNTL, POLL } from "./constants.js";
import * as raw from "./raw/index.js";
import { describe } from "./raw/index.js";
import { Watcher } from "./watcher.js";
import { Socket, releaseHooks } from "./socket.js";
import { onAbort } from "./abort.js";

/** Interest in, and readiness for, reading (CPython's EVENT_READ). */
export const EVENT_READ = 1;
/** Interest in, and readiness for, writing (CPython's EVENT_WRITE). */
export const EVENT_WRITE = 2;

const UV_READ = raw.UV_EVENTS.READABLE;
const UV_WRITE = raw.UV_EVENTS.WRITABLE;
const IN = POLL.IN;
const OUT = POLL.OUT;

/** What a Selector can watch: a sockit Socket or any fd number (pipe, tty, socket, eventfd ...). */
export type FileObject = Socket | number;

/** One registration: the object, its fd, the events of interest, and the caller's data. */
export interface SelectorKey<D = unknown> {
  /** What was registered: a Socket, an object with `fd`, or an fd number. */
  readonly fileobj: FileObject;
  /** The registered fd. */
  readonly fd: number;
  /** The events watched: EVENT_READ, EVENT_WRITE or both. */
  readonly events: number;
  /** The data given to register or modify. */
  readonly data: D;
}

/** Options of {@link Selector.select}. */
export interface SelectOptions {
  /** Rejects the select() with an AbortError when aborted. */
  signal?: AbortSignal;
}

interface Entry<D> {
  key: SelectorKey<D>;
  dup: number;
  /** The duplicate's readiness watcher (src/watcher.ts). */
  watcher: Watcher;
  /** The dup was released (unregistered, or its Socket was closed). */
  dead: boolean;
  /** Run when a registered Socket is closed or detached (see releaseHooks). */
  hook: (() => void) | undefined;
}

function fdOf(fileobj: unknown, syscall: string): number {
  if (fileobj instanceof Socket) {
    if (fileobj.closed) throw closedError(syscall);
    return fileobj.fd;
  }
  return raw.checkFd(fileobj, syscall);
}

function checkEvents(events: unknown, syscall: string): number {
  if (typeof events !== "number" || !Number.isInteger(events))
    throw codedError("ERR_INVALID_ARG_TYPE", `${syscall}: events must be an integer, got ${describe(events)}`);
  if (events === 0 || (events & ~(EVENT_READ | EVENT_WRITE)) !== 0)
    throw codedError(
      "ERR_INVALID_ARG_VALUE",
      `${syscall}: events must be EVENT_READ, EVENT_WRITE or both, got ${events}`,
    );
  return events;
}

/**
 * Waits for readiness of many sockets and fds at once, on the event loop.
 * Does not correspond to a single syscall: one uv_poll_t (epoll) per
 * registered fd, and poll(2) with a zero timeout to collect what is ready.
 * @see https://man7.org/linux/man-pages/man2/poll.2.html
 * @see https://docs.python.org/3/library/selectors.html
 */
export class Selector<D = unknown> {
  #entries = new Map<number, Entry<D>>();
  /** Keys of closed Sockets whose fd number was registered again: only unregister() finds them. */
  #orphans = new Set<Entry<D>>();
  #closed = false;
  #waiting: (() => void) | null = null;
  /**
   * Every watcher's callback. Held here: the addon holds a stopped watcher's
   * callback weakly (so an idle Socket can be collected), and a closure made
   * per register() and held by nothing else was collected while its watcher
   * was stopped — the next select() then never woke.
   */
  readonly #onWake = (status: number): void => this.#wake(status);

  /**
   * Starts watching `fileobj` for `events` (EVENT_READ | EVENT_WRITE) and
   * returns its key. If anything fails (EBADF, EMFILE, the watcher), nothing
   * stays registered and nothing leaks. Does not correspond to a single syscall:
   * fcntl(2) F_DUPFD_CLOEXEC and uv_poll_init.
   * @see https://man7.org/linux/man-pages/man2/fcntl.2.html
   * @throws SocketError EBADF (fd not open), EMFILE; TypeError ERR_INVALID_ARG_VALUE (already
   *   registered, bad events), ERR_INVALID_ARG_TYPE; Error ERR_SOCKET_CLOSED (closed Socket or Selector).
   */
  register(fileobj: FileObject, events: number, data?: D): SelectorKey<D> {
    this.#checkOpen("register");
    const fd = fdOf(fileobj, "register");
    const ev = checkEvents(events, "register");
    const old = this.#entries.get(fd);
    if (old !== undefined) {
      if (!old.dead || !(old.key.fileobj instanceof Socket))
        throw codedError("ERR_INVALID_ARG_VALUE", `register: fd ${fd} is already registered`);
      // The number belonged to a Socket closed while registered and now names a new
      // file: the old key leaves the map (unregister(oldSocket) still finds it).
      this.#entries.delete(fd);
      this.#orphans.add(old);
    }
    const dup = raw.fcntl(fd, FCNTL.F_DUPFD_CLOEXEC!, 0);
    const watcher = Watcher.open(dup, this.#onWake);
    if (typeof watcher === "number") {
      raw.discardFd(dup);
      throw new SocketError(watcher, "uv_poll_init");
    }
    const key: SelectorKey<D> = Object.freeze({ fileobj, fd, events: ev, data: data as D });
    const entry: Entry<D> = { key, dup, watcher, dead: false, hook: undefined };
    this.#entries.set(fd, entry);
    if (fileobj instanceof Socket) {
      // Closing the Socket must close the connection: drop the duplicate at once.
      entry.hook = () => this.#release(entry);
      let set = releaseHooks.get(fileobj);
      if (set === undefined) releaseHooks.set(fileobj, (set = new Set()));
      set.add(entry.hook);
    }
    if (this.#waiting !== null) {
      // Registered while a select() waits: it watches this one too.
      try {
        this.#arm(entry);
      } catch (e) {
        this.#release(entry);
        this.#entries.delete(fd);
        throw e;
      }
      this.#waiting();
    }
    return key;
  }

  /**
   * Removes `fileobj` (a Socket, even one already closed, or its fd number)
   * and returns its key. Does not correspond to a single syscall: stops the
   * watcher and closes the Selector's duplicate fd.
   * @see https://man7.org/linux/man-pages/man2/close.2.html
   * @throws TypeError ERR_INVALID_ARG_VALUE (not registered).
   */
  unregister(fileobj: FileObject): SelectorKey<D> {
    const entry = this.#find(fileobj, "unregister");
    if (this.#orphans.has(entry)) this.#orphans.delete(entry);
    else this.#entries.delete(entry.key.fd);
    this.#release(entry);
    return entry.key;
  }

  /**
   * Changes the events (and data) of a registration; returns the new key. A
   * pending select() sees the change at once. Does not correspond to a syscall.
   * @throws TypeError ERR_INVALID_ARG_VALUE (not registered, bad events); Error ERR_SOCKET_CLOSED.
   */
  modify(fileobj: FileObject, events: number, data?: D): SelectorKey<D> {
    this.#checkOpen("modify");
    const entry = this.#find(fileobj, "modify");
    const ev = checkEvents(events, "modify");
    entry.key = Object.freeze({ ...entry.key, events: ev, data: data as D });
    if (this.#waiting !== null && !entry.dead) {
      this.#arm(entry);
      this.#waiting();
    }
    return entry.key;
  }

  /**
   * Waits until at least one registered fd is ready for its events, `timeout`
   * ms pass (fractions rounded up to whole ms; 0 or less: just check; absent
   * or null: wait as long as it takes), or `signal` aborts. Resolves with
   * `[key, events]` pairs for every ready fd (events masked by the key's),
   * empty on timeout. One select() at a time per Selector.
   * Does not correspond to a single syscall (see the module notes).
   * @see https://man7.org/linux/man-pages/man2/poll.2.html
   * @throws AbortError; Error ERR_SOCKET_CLOSED (Selector closed, also while waiting),
   *   ERR_NOT_SUPPORTED (another select() pending); RangeError ERR_OUT_OF_RANGE (bad timeout).
   */
  select(timeout?: number | null, options?: SelectOptions): Promise<[SelectorKey<D>, number][]> {
    let ms: number;
    if (timeout === undefined || timeout === null) ms = -1;
    else if (typeof timeout !== "number" || Number.isNaN(timeout))
      throw codedError("ERR_OUT_OF_RANGE", `select: timeout must be a number of ms or null, got ${describe(timeout)}`);
    else ms = timeout <= 0 ? 0 : Math.min(Math.ceil(timeout), 0x7fffffff);
    const signal = options?.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal))
      throw codedError("ERR_INVALID_ARG_TYPE", "select: options.signal must be an AbortSignal");
    if (this.#closed) return Promise.reject(closedError("select"));
    if (this.#waiting !== null)
      return Promise.reject(codedError("ERR_NOT_SUPPORTED", "select: another select() is pending on this Selector"));
    if (signal?.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
    let ready: [SelectorKey<D>, number][];
    try {
      ready = this.#collect();
    } catch (e) {
      return Promise.reject(e);
    }
    if (ready.length > 0 || ms === 0) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (err: unknown, value?: [SelectorKey<D>, number][]): void => {
        this.#waiting = null;
        if (timer) clearTimeout(timer);
        cancelAbort?.();
        for (const e of this.#entries.values()) this.#disarm(e);
        if (err !== undefined) reject(err);
        else resolve(value!);
      };
      const cancelAbort = signal
        ? onAbort(signal, () => done(new AbortError(undefined, { cause: signal.reason })))
        : undefined;
      if (ms > 0) timer = setTimeout(() => done(undefined, []), ms);
      // Called on every wakeup and on register/modify/unregister/close while waiting.
      this.#waiting = () => {
        if (this.#closed) return done(closedError("select"));
        let got: [SelectorKey<D>, number][];
        try {
          got = this.#collect();
        } catch (e) {
          return done(e);
        }
        if (got.length > 0) done(undefined, got);
      };
      try {
        for (const e of this.#entries.values()) this.#arm(e);
      } catch (e) {
        done(e);
      }
    });
  }

  /**
   * Returns the key of a registered object. Does not correspond to a syscall.
   * @throws TypeError ERR_INVALID_ARG_VALUE (not registered).
   */
  getKey(fileobj: FileObject): SelectorKey<D> {
    return this.#find(fileobj, "getKey").key;
  }

  /**
   * Returns the registrations by fd (a snapshot). Does not correspond to a syscall.
   * @see https://docs.python.org/3/library/selectors.html#selectors.BaseSelector.get_map
   */
  getMap(): ReadonlyMap<number, SelectorKey<D>> {
    return new Map([...this.#entries].map(([fd, e]) => [fd, e.key]));
  }

  /**
   * Unregisters everything and rejects a pending select() (ERR_SOCKET_CLOSED);
   * idempotent. Does not close the registered fds, only the Selector's duplicates.
   * Does not correspond to a single syscall.
   * @see https://man7.org/linux/man-pages/man2/close.2.html
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const e of this.#entries.values()) this.#release(e);
    this.#entries.clear();
    this.#orphans.clear();
    this.#waiting?.();
  }

  /** True once close() has run. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Closes the Selector (for `using`). */
  [Symbol.dispose](): void {
    this.close();
  }

  #checkOpen(syscall: string): void {
    if (this.#closed) throw codedError("ERR_SOCKET_CLOSED", `${syscall}: the Selector is closed`);
  }

  #find(fileobj: FileObject, syscall: string): Entry<D> {
    let entry: Entry<D> | undefined;
    if (fileobj instanceof Socket) {
      // A Socket closed since it was registered has fd -1: find it by identity.
      for (const e of [...this.#entries.values(), ...this.#orphans]) if (e.key.fileobj === fileobj) entry = e;
    } else entry = this.#entries.get(raw.checkFd(fileobj, syscall));
    if (entry === undefined)
      throw codedError("ERR_INVALID_ARG_VALUE", `${syscall}: ${describe(fileobj)} is not registered`);
    return entry;
  }

  #arm(e: Entry<D>): void {
    if (this.#noticeClosed(e)) return;
    const want = (e.key.events & EVENT_READ ? UV_READ : 0) | (e.key.events & EVENT_WRITE ? UV_WRITE : 0);
    const r = e.watcher.start(want);
    if (r < 0) throw new SocketError(r, "uv_poll_start");
  }

  #disarm(e: Entry<D>): void {
    if (!e.dead) e.watcher.stop();
  }

  /** Releases the watcher and duplicate of a Socket closed while registered. */
  #noticeClosed(e: Entry<D>): boolean {
    if (e.dead) return true;
    if (e.key.fileobj instanceof Socket && e.key.fileobj.closed) {
      this.#release(e);
      return true;
    }
    return false;
  }

  #release(e: Entry<D>): void {
    if (e.dead) return;
    e.dead = true;
    if (e.hook !== undefined && e.key.fileobj instanceof Socket) releaseHooks.get(e.key.fileobj)?.delete(e.hook);
    // libuv's order (stop watching, close the fd, then close the handle) is the watcher's.
    e.watcher.closeWith(() => raw.discardFd(e.dup));
  }

  #wake(status: number): void {
    void status; // an error status shows up as POLLERR/POLLNVAL in the poll below
    this.#waiting?.();
  }

  /** poll(2) with a zero timeout over every live duplicate: the ready keys. */
  #collect(): [SelectorKey<D>, number][] {
    const live: Entry<D>[] = [];
    for (const e of this.#entries.values()) if (!this.#noticeClosed(e)) live.push(e);
    if (live.length === 0) return [];
    const arr = new Int32Array(live.length * 3);
    live.forEach((e, i) => {
      arr[i * 3] = e.dup;
      arr[i * 3 + 1] = (e.key.events & EVENT_READ ? IN : 0) | (e.key.events & EVENT_WRITE ? OUT : 0);
    });
    const n = raw.poll(arr, live.length, 0);
    const out: [SelectorKey<D>, number][] = [];
    if (n === 0) return out;
    live.forEach((e, i) => {
      const rev = arr[i * 3 + 2]! & 0xffff;
      if (rev === 0) return;
      // As CPython's PollSelector: anything but POLLIN (HUP, ERR) also means
      // "writable" (the write would fail at once), anything but POLLOUT "readable".
      let ev = 0;
      if (rev & ~OUT) ev |= EVENT_READ;
      if (rev & ~IN) ev |= EVENT_WRITE;
      ev &= e.key.events;
      if (ev !== 0) out.push([e.key, ev]);
    });
    return out;
  }
}
