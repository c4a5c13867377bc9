/**
 * Where a capture file goes: a path (created, truncated, written with
 * write(2) and closed by us), an fd the caller owns, or anything with
 * write(chunk). The pcap and pcapng writers both write through one
 * {@link SinkWriter}.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { codedError } from "./errors.js";
import * as raw from "./raw/index.js";

/** Where a {@link PcapWriter} or {@link PcapngWriter} writes: a file path, an open fd, or anything with write(chunk). */
export type PcapSink = string | number | { write(chunk: Buffer): unknown };

/** Writes whole buffers to a {@link PcapSink} and closes what it opened. */
export class SinkWriter {
  #fd: number | undefined;
  #ownsFd = false;
  #stream: { write(chunk: Buffer): unknown } | undefined;
  #closed = false;

  /** Opens `sink` (open(2) for a path). @throws Error from open(2); TypeError ERR_INVALID_ARG_TYPE for anything else. */
  constructor(sink: PcapSink) {
    if (typeof sink === "string") {
      this.#fd = openSync(sink, "w");
      this.#ownsFd = true;
    } else if (typeof sink === "number") {
      this.#fd = raw.checkFd(sink, "write");
    } else if (typeof sink === "object" && sink !== null && typeof sink.write === "function") {
      this.#stream = sink;
    } else {
      throw codedError("ERR_INVALID_ARG_TYPE", "sink must be a path, an fd or a writable stream");
    }
  }

  /** True once close() ran. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Writes all of `b` (write(2) until done on an fd; one chunk on a stream). */
  write(b: Buffer): void {
    if (this.#fd !== undefined) {
      for (let off = 0; off < b.length;) off += writeSync(this.#fd, b, off);
    } else this.#stream!.write(b);
  }

  /** Closes the file if it was opened from a path (an fd or stream given by the caller is left open). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsFd && this.#fd !== undefined) closeSync(this.#fd);
  }
}
