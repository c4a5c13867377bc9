/**
 * What every relay end is (the contract ends.ts and ws.ts implement), and the
 * reader that turns a Node stream into that contract's read(buf). Every end
 * offers the same four calls:
 *
 *   read(buf)      → bytes (a stream's next chunk, or one whole message) copied
 *                    into `buf`; -1 at EOF. Message ends return the message's
 *                    real length, which exceeds buf.length when it was cut.
 *   write(buf, n, text?) → sends buf[0, n) — one message on a message end;
 *                    `buf` is reused by the caller as soon as the promise
 *                    settles. `text` is the source's `lastText` (WebSocket
 *                    frame type), which only WebSocket ends use.
 *   endWrite()     → half-close: no more writes (shutdown(SHUT_WR), end()).
 *   close()        → releases everything; idempotent.
 */

/** One end of a relay. */
export interface End {
  /** How the end is named in steps and errors (the address as written). */
  readonly name: string;
  /** True when each read/write is one message (dgram, seqpacket, WebSocket). */
  readonly messages: boolean;
  /** False when reading can never see EOF (a datagram socket). */
  readonly canEof: boolean;
  /** The largest message a write may carry (message ends), else Infinity. */
  readonly maxWrite: number;
  /**
   * WebSocket ends: whether the message the last read returned came in a text
   * frame (false: binary). Undefined for every other end: its bytes have no
   * frame type.
   */
  readonly lastText?: boolean;
  read(buf: Buffer): Promise<number>;
  write(buf: Buffer, n: number, text?: boolean): Promise<void>;
  endWrite(): void;
  close(): void;
}

/**
 * Reads a Node Readable through the End read(buf) call: copies its chunks into
 * the caller's buffer (keeping what does not fit for the next read), pausing
 * the stream while a chunk waits. With `messages`, a read returns one chunk.
 */
export class ChunkReader {
  #chunks: Buffer[] = [];
  #offset = 0;
  #ended = false;
  #error: unknown;
  #wake: (() => void) | undefined;
  #last: Buffer | undefined;

  constructor(
    private readonly source: {
      on(e: "data", f: (c: Buffer) => void): unknown;
      pause(): unknown;
      resume(): unknown;
    },
  ) {
    source.on("data", (c: Buffer) => {
      this.#chunks.push(typeof c === "string" ? Buffer.from(c) : c);
      source.pause();
      this.#notify();
    });
  }

  /** Marks the end of the data (the source's "end" or "close"). */
  end(): void {
    this.#ended = true;
    this.#notify();
  }

  fail(err: unknown): void {
    this.#error ??= err;
    this.#notify();
  }

  /** Feeds a chunk that does not come from a "data" event (WebSocket messages). */
  push(c: Buffer): void {
    this.#chunks.push(c);
    this.#notify();
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  /** The chunk the last read copied from (so a WebSocket end can tell its frame type). */
  get lastChunk(): Buffer | undefined {
    return this.#last;
  }

  async read(buf: Buffer, messages = false): Promise<number> {
    while (this.#chunks.length === 0) {
      if (this.#error !== undefined) throw this.#error;
      if (this.#ended) return -1;
      this.source.resume();
      await new Promise<void>((r) => (this.#wake = r));
    }
    const c = this.#chunks[0]!;
    this.#last = c;
    const rest = c.length - this.#offset;
    const n = Math.min(rest, buf.length);
    c.copy(buf, 0, this.#offset, this.#offset + n);
    if (messages && n === rest && this.#offset === 0) {
      this.#chunks.shift();
      return n;
    }
    if (n === rest) {
      this.#chunks.shift();
      this.#offset = 0;
    } else {
      this.#offset += n;
    }
    return n;
  }
}
