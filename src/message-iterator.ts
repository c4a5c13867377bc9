/**
 * The iterator behind Socket.messages(): an async generator by hand, draining
 * a batch (recvBatch) per wakeup and handing the datagrams out one by one,
 * serving next/return/throw in call order.
 */
import { SOCK } from "./constants.js";
import type { Datagram } from "./call-options.js";
import { type MessageHost, type RecvBatchOptions } from "./messages.js";
import { recvBatch } from "./message-batch.js";

const DONE: IteratorReturnResult<void> = Object.freeze({ value: undefined, done: true });

/**
 * @internal The receive loop behind Socket.messages(): one recvmmsg per
 * wakeup, handing out each datagram; ends when the socket is closed, and on a
 * seqpacket socket at EOF — the kernel reports a closed peer as a zero-length
 * read, which is indistinguishable from a zero-length message (as for recv(2)).
 *
 * Written as an iterator object rather than an async generator: a datagram
 * already in hand comes back as one resolved promise, where a generator's
 * `yield` costs an await and a resumption per datagram (about half the
 * per-message overhead of `for await` over a busy socket). Calls to next()
 * made before the previous one settled are served in call order.
 */
export class MessageIterator implements AsyncGenerator<Datagram, void, undefined> {
  readonly #host: MessageHost;
  readonly #options: RecvBatchOptions;
  #batch: Datagram[] = [];
  #at = 0;
  #done = false;
  /** The receive in progress; next() calls made meanwhile queue behind it. */
  #busy: Promise<unknown> | null = null;

  constructor(host: MessageHost, options: { size: number; signal?: AbortSignal; batch?: number }) {
    this.#host = host;
    const { size, signal, batch = 32 } = options;
    this.#options = signal ? { size, count: batch, signal } : { size, count: batch };
  }

  next(): Promise<IteratorResult<Datagram, void>> {
    if (this.#busy !== null) {
      const after = (): Promise<IteratorResult<Datagram, void>> => this.next();
      return this.#busy.then(after, after);
    }
    if (this.#done) return Promise.resolve(DONE);
    if (this.#at < this.#batch.length) {
      const m = this.#batch[this.#at++]!;
      // close() ends the loop even with received datagrams still in hand.
      if (this.#host.closed || (m.size === 0 && this.#host.type === SOCK.SEQPACKET)) return this.return();
      return Promise.resolve({ value: m, done: false });
    }
    if (this.#host.closed) return this.return();
    const p = this.#receive();
    this.#busy = p;
    const clear = (): void => {
      if (this.#busy === p) this.#busy = null;
    };
    p.then(clear, clear);
    return p;
  }

  async #receive(): Promise<IteratorResult<Datagram, void>> {
    let got: Datagram[];
    try {
      got = await recvBatch(this.#host, this.#options);
    } catch (e) {
      this.#finish();
      if ((e as { code?: string }).code === "ERR_SOCKET_CLOSED") return DONE;
      throw e;
    }
    this.#batch = got;
    this.#at = 0;
    this.#busy = null;
    return this.next();
  }

  #finish(): void {
    this.#done = true;
    this.#batch = [];
    this.#at = 0;
  }

  /**
   * Ends the iteration (what `break` out of `for await` calls); datagrams still
   * in hand are dropped. Made while a receive is pending, it waits for it, as a
   * generator's does: the pending next() gets the datagram it received.
   */
  return(): Promise<IteratorResult<Datagram, void>> {
    if (this.#busy !== null) {
      const after = (): Promise<IteratorResult<Datagram, void>> => this.return();
      return this.#busy.then(after, after);
    }
    this.#finish();
    return Promise.resolve(DONE);
  }

  /** Ends the iteration and rejects with `err`, as a generator does (after a pending receive, as return()). */
  throw(err?: unknown): Promise<IteratorResult<Datagram, void>> {
    if (this.#busy !== null) {
      const after = (): Promise<IteratorResult<Datagram, void>> => this.throw(err);
      return this.#busy.then(after, after);
    }
    this.#finish();
    return Promise.reject(err);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }
}
