/**
 * The option and result shapes the Socket calls share with the modules that
 * serve them (messages, batches, the messages() iterator): here, below all of
 * them, so none of those imports socket.ts for a type. socket.ts re-exports them.
 */
import type { SocketAddress } from "./address.js";
import type { WaitOptions } from "./validate.js";

/** Options of send-like calls. */
export interface SendOptions extends WaitOptions {
  /** MSG_* flags (MSG_NOSIGNAL is always added). */
  flags?: number;
}

/** Options of receive-like calls. */
export interface RecvOptions extends WaitOptions {
  /** MSG_* flags. */
  flags?: number;
}

/** Options of recvInto. */
export interface RecvIntoOptions extends RecvOptions {
  /** Where in `buffer` to start writing; default 0. */
  offset?: number;
  /** How many bytes at most; default the rest of `buffer` after `offset`. */
  length?: number;
}

/** What recvfrom and messages() deliver. */
export interface Datagram {
  /** The message (or the part of it that fit, see `truncated`). */
  data: Buffer;
  /**
   * The sender; `{ family: "unix", path: "" }` for an unnamed Unix peer. Frozen,
   * and the same object while datagrams come from the same sender (decoded
   * once per sender, not per datagram).
   */
  address: SocketAddress;
  /** True when the message was longer than the buffer (MSG_TRUNC): `size` has its real length. */
  truncated: boolean;
  /** The real length of the message (larger than data.length when truncated). */
  size: number;
}
