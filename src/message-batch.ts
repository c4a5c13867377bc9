/**
 * Batched messages: recvBatch (one recvmmsg(2) per wakeup, the datagrams
 * copied out into one allocation) and sendBatch (sendmmsg(2) until every
 * message is sent; on a stream socket one gathered sendmsg per 1024 messages).
 * The single-message calls and the shared option checks are in messages.ts.
 */
import { type AddressLike, type SocketAddress, decodeSockaddr, encodeSockaddr, toAddress } from "./address.js";
import { AF, MSG, SOCK } from "./constants.js";
import {
  type ControlMessage,
  carriesFds,
  controlLevel,
  controlType,
  decodeRights,
  decodeViews,
  encodeControl,
  encodePktinfo,
  parseControl,
} from "./control.js";
import { SocketError, codedError } from "./errors.js";
import * as raw from "./raw/index.js";
import * as batch from "./raw/batch.js";
import { AGAIN, describe } from "./raw/index.js";
import { checkWait, toBytes } from "./validate.js";
import type { SendOptions } from "./call-options.js";
import {
  type MessageHost,
  READ,
  WRITE,
  SCRATCH_SIZE,
  MAX_BUFFERS,
  MAX_CONTROL,
  SOCKADDR_SIZE,
  UIO_MAXIOV,
  closeQuietly,
  checkCount,
  run,
  rightsIn,
  cloexec,
  abortError,
  type RecvBatchOptions,
  type BatchDatagram,
  type BatchMessage,
} from "./messages.js";

// ---------------------------------------------------------------------------
// Batched I/O.

let slab = Buffer.allocUnsafeSlow(0);
let addrSlab = Buffer.alloc(0);
let batchOut = new Int32Array(0);
let ctlSlab = Buffer.alloc(0);

/** @internal recvBatch: one recvmmsg(2) per wakeup, up to `count` datagrams, copied out into one allocation. */
export function recvBatch(host: MessageHost, options?: RecvBatchOptions): Promise<BatchDatagram[]> {
  const o = checkWait(options, "recvBatch") as RecvBatchOptions;
  if (host.type === SOCK.STREAM) {
    throw codedError(
      "ERR_SOCKET_BAD_TYPE",
      "recvBatch needs a datagram, seqpacket or raw socket (a stream has no message boundaries)",
    );
  }
  const count = checkCount(o.count, "recvBatch: count", 1, UIO_MAXIOV, 32);
  const size = checkCount(o.size, "recvBatch: size", 1, 0x7fffffff, SCRATCH_SIZE);
  if (count * size > 0x7fffffff)
    throw codedError("ERR_OUT_OF_RANGE", `recvBatch: count * size must be at most 2 GiB, got ${count * size}`);
  const ctlSize = checkCount(o.controlSize, "recvBatch: controlSize", 0, 65536, 0);
  if (count * ctlSize > MAX_CONTROL * 16)
    throw codedError(
      "ERR_OUT_OF_RANGE",
      `recvBatch: count * controlSize must be at most 16 MiB, got ${count * ctlSize}`,
    );
  const flags =
    (o.flags === undefined ? 0 : raw.checkInt(o.flags, "recvBatch: flags")) | MSG.TRUNC | cloexec(host.family);
  const signal = o.signal;
  if (signal?.aborted) return Promise.reject(abortError(signal));
  const fd = host.fd;
  const family = host.family;
  let result: BatchDatagram[] = [];
  return run(
    host,
    READ,
    "recvmmsg",
    () => {
      if (slab.length < count * size) slab = Buffer.allocUnsafeSlow(count * size);
      if (addrSlab.length < count * SOCKADDR_SIZE) addrSlab = Buffer.alloc(count * SOCKADDR_SIZE);
      if (batchOut.length < count * 4) batchOut = new Int32Array(count * 4);
      if (ctlSlab.length < count * ctlSize) ctlSlab = Buffer.alloc(count * ctlSize);
      const ctl = ctlSize > 0 ? ctlSlab : null;
      const r = batch.recvmmsg(fd, slab, size, count, addrSlab, SOCKADDR_SIZE, ctl, ctlSize, batchOut, flags);
      if (r === AGAIN) return AGAIN;
      try {
        result = unpackBatch(r, size, ctlSize, family);
      } catch (e) {
        // Fds may have come with any of the messages: none may outlive this.
        for (let i = 0; i < r && ctlSize > 0; i++) {
          for (const f of rightsIn(ctlSlab.subarray(i * ctlSize, (i + 1) * ctlSize), batchOut[i * 4 + 2]!))
            closeQuietly(f);
        }
        throw e;
      }
      return r;
    },
    o,
    flags,
    () => result,
  );
}

/** The last sender a batch decoded: its family, sockaddr bytes and frozen address object. */
let senderFamily = -1;
let senderLen = -1;
const senderBytes = Buffer.alloc(SOCKADDR_SIZE);
let senderAddr: SocketAddress | undefined;

/**
 * The sender of a batch message, from addrSlab[at, at + len): decoded once per
 * distinct sender (most batches come from one peer), frozen and shared, as
 * recvfrom() shares its sender objects.
 */
function batchSender(at: number, len: number, family: number): SocketAddress {
  if (senderAddr !== undefined && len === senderLen && family === senderFamily) {
    let i = 0;
    while (i < len && addrSlab[at + i] === senderBytes[i]) i++;
    if (i === len) return senderAddr;
  }
  const addr = Object.freeze(decodeSockaddr(addrSlab.subarray(at, at + SOCKADDR_SIZE), len, family));
  addrSlab.copy(senderBytes, 0, at, at + Math.min(len, SOCKADDR_SIZE));
  senderLen = len;
  senderFamily = family;
  senderAddr = addr;
  return addr;
}

function unpackBatch(r: number, size: number, ctlSize: number, family: number): BatchDatagram[] {
  // Close up the gaps between the messages in the slab (message i sits at
  // i * size), so that one copy moves the batch into one allocation and each
  // datagram is a view of it.
  let total = 0;
  for (let i = 0; i < r; i++) {
    const got = Math.min(batchOut[i * 4]!, size);
    if (i * size !== total) slab.copyWithin(total, i * size, i * size + got);
    total += got;
  }
  const all = Buffer.allocUnsafe(total);
  slab.copy(all, 0, 0, total);
  const out: BatchDatagram[] = new Array(r);
  let off = 0;
  for (let i = 0; i < r; i++) {
    const len = batchOut[i * 4]!;
    const got = Math.min(len, size);
    const mflags = batchOut[i * 4 + 3]!;
    const d: BatchDatagram = {
      data: all.subarray(off, off + got),
      address: batchSender(i * SOCKADDR_SIZE, batchOut[i * 4 + 1]!, family),
      truncated: (mflags & MSG.TRUNC) !== 0 || len > size,
      size: len,
    };
    if (ctlSize > 0) {
      const parsed = parseControl(ctlSlab.subarray(i * ctlSize, (i + 1) * ctlSize), batchOut[i * 4 + 2]!);
      const control: ControlMessage[] = [];
      let closed = 0;
      for (const m of parsed.messages) {
        if (carriesFds(m)) {
          // SCM_RIGHTS and SCM_PIDFD: a batch hands out no fds.
          for (const f of decodeRights(m.data)) {
            closeQuietly(f);
            closed++;
          }
        } else control.push(m);
      }
      Object.assign(d, decodeViews(control));
      d.control = control;
      d.controlTruncated = (mflags & MSG.CTRUNC) !== 0 || closed > 0 || parsed.malformed !== null;
    }
    out[i] = d;
    off += got;
  }
  return out;
}

/** The control messages of one batch message: its pktinfo, then its raw ones. */
function messageControl(host: MessageHost, m: BatchMessage, what: string): ControlMessage[] {
  const list: ControlMessage[] = [];
  if (m.pktinfo !== undefined) list.push(encodePktinfo(m.pktinfo, host.family === AF.INET6 ? "inet6" : "inet"));
  if (m.control !== undefined) {
    if (!Array.isArray(m.control)) {
      throw codedError("ERR_INVALID_ARG_TYPE", `${what}.control must be an array of { level, type, data }`);
    }
    for (const c of m.control) {
      if (c === null || typeof c !== "object" || !ArrayBuffer.isView(c.data)) {
        throw codedError("ERR_INVALID_ARG_TYPE", `${what}: each control message must be { level, type, data }`);
      }
      const level = controlLevel(c.level);
      list.push({
        level,
        type: controlType(level, c.type),
        data: Buffer.from(c.data.buffer, c.data.byteOffset, c.data.byteLength),
      });
    }
  }
  return list;
}

/** @internal sendBatch: sendmmsg(2) until every message is sent. */
export function sendBatch(
  host: MessageHost,
  messages: readonly BatchMessage[],
  options?: SendOptions,
): Promise<number> {
  if (!Array.isArray(messages))
    throw codedError("ERR_INVALID_ARG_TYPE", `sendBatch: messages must be an array, got ${describe(messages)}`);
  const o = checkWait(options, "sendBatch") as SendOptions;
  const flags = o.flags === undefined ? 0 : raw.checkInt(o.flags, "sendBatch: flags");
  const count = messages.length;
  if (count === 0) return Promise.resolve(0);
  if (host.type === SOCK.STREAM) return sendStreamBatch(host, messages, o, flags);
  const buffers: ArrayBufferView[] = new Array(count);
  let addrs: Buffer | null = null;
  let lens: Int32Array | null = null;
  let lastAddr: AddressLike | undefined;
  let lastBytes: { bytes: Buffer; length: number } | undefined;
  let controls: (Buffer | null)[] | null = null;
  for (let i = 0; i < count; i++) {
    const m = messages[i];
    if (m === null || typeof m !== "object")
      throw codedError(
        "ERR_INVALID_ARG_TYPE",
        `sendBatch: messages[${i}] must be { data, address? }, got ${describe(m)}`,
      );
    buffers[i] = toBytes(m.data, `sendBatch: messages[${i}].data`);
    if (m.address !== undefined) {
      if (addrs === null) {
        addrs = Buffer.alloc(count * SOCKADDR_SIZE);
        lens = new Int32Array(count);
      }
      // Replies to one peer repeat its address: encode it once.
      if (m.address !== lastAddr || lastBytes === undefined) {
        lastBytes = encodeSockaddr(toAddress(m.address, host.family, "sendmmsg"), "sendmmsg");
        lastAddr = m.address;
      }
      lastBytes.bytes.copy(addrs, i * SOCKADDR_SIZE, 0, lastBytes.length);
      lens![i] = lastBytes.length;
    }
    if (m.pktinfo !== undefined || m.control !== undefined) {
      if (controls === null) controls = new Array<Buffer | null>(count).fill(null);
      controls[i] = encodeControl(messageControl(host, m, `sendBatch: messages[${i}]`));
    }
  }
  // Each message's control data goes into one slot of a slab, as the thunk takes it.
  let ctl: Buffer | null = null;
  let ctlLens: Int32Array | null = null;
  let ctlSlot = 0;
  if (controls !== null) {
    for (const c of controls) ctlSlot = Math.max(ctlSlot, c?.length ?? 0);
    ctl = Buffer.alloc(count * ctlSlot);
    ctlLens = new Int32Array(count);
    controls.forEach((c, i) => {
      if (c) {
        c.copy(ctl!, i * ctlSlot);
        ctlLens![i] = c.length;
      }
    });
  }
  const fd = host.fd;
  let sent = 0;
  return run(
    host,
    WRITE,
    "sendmmsg",
    () => {
      while (sent < count) {
        const rest = sent === 0 ? buffers : buffers.slice(sent, sent + UIO_MAXIOV);
        const part = rest.length > UIO_MAXIOV ? rest.slice(0, UIO_MAXIOV) : rest;
        let r: number;
        try {
          r = batch.sendmmsg(
            fd,
            part,
            addrs ? addrs.subarray(sent * SOCKADDR_SIZE) : null,
            addrs ? SOCKADDR_SIZE : 0,
            lens ? lens.subarray(sent) : null,
            ctl ? ctl.subarray(sent * ctlSlot) : null,
            ctlSlot,
            ctlLens ? ctlLens.subarray(sent) : null,
            null,
            flags,
          );
        } catch (e) {
          // How far the batch got before the failure.
          Object.assign(e as SocketError, { sent });
          throw e;
        }
        // Under MSG_DONTWAIT a partial batch is the answer, as sendmmsg(2) gives it.
        if (r === AGAIN) return sent > 0 && flags & MSG.DONTWAIT ? sent : AGAIN;
        sent += r;
      }
      return sent;
    },
    o,
    flags,
  );
}

/**
 * sendBatch on a stream socket: the messages' bytes in order, gathered into
 * one sendmsg(2) per MAX_BUFFERS messages (writev semantics). sendmmsg(2)
 * cannot be used on a stream: it counts a message the kernel took only part
 * of as sent and goes on with the next one, which would lose or interleave
 * bytes; a gathered write leaves a clean prefix, and the rest is sent next.
 * Messages carry data only here (no address, pktinfo or control), and
 * MSG_DONTWAIT is refused: a stream can stop inside a message, which a count
 * of messages cannot report (send() can).
 */
function sendStreamBatch(
  host: MessageHost,
  messages: readonly BatchMessage[],
  o: SendOptions,
  flags: number,
): Promise<number> {
  const count = messages.length;
  if (flags & MSG.DONTWAIT) {
    throw codedError(
      "ERR_INVALID_ARG_VALUE",
      "sendBatch: MSG_DONTWAIT is not supported on a stream socket (a stream can stop inside a message); use send()",
    );
  }
  const buffers: ArrayBufferView[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const m = messages[i];
    if (m === null || typeof m !== "object")
      throw codedError("ERR_INVALID_ARG_TYPE", `sendBatch: messages[${i}] must be { data }, got ${describe(m)}`);
    if (m.address !== undefined || m.pktinfo !== undefined || m.control !== undefined) {
      throw codedError(
        "ERR_INVALID_ARG_VALUE",
        `sendBatch: messages[${i}] has an address, pktinfo or control: on a stream socket a batch carries data only (use sendmsg() for ancillary data)`,
      );
    }
    buffers[i] = toBytes(m.data, `sendBatch: messages[${i}].data`);
  }
  const fd = host.fd;
  // Progress: messages[at] is the next to send, `off` bytes of it already gone.
  let at = 0;
  let off = 0;
  return run(
    host,
    WRITE,
    "sendmsg",
    () => {
      while (at < count) {
        let part: ArrayBufferView[];
        if (at === 0 && off === 0 && count <= MAX_BUFFERS) part = buffers;
        else {
          part = buffers.slice(at, at + MAX_BUFFERS);
          if (off > 0) {
            const first = part[0]!;
            part[0] = new Uint8Array(first.buffer, first.byteOffset + off, first.byteLength - off);
          }
        }
        let r: number;
        try {
          r = raw.sendmsg(fd, part, null, 0, null, flags);
        } catch (e) {
          // As for datagrams: the count of whole messages sent before the error.
          Object.assign(e as object, { sent: at });
          throw e;
        }
        if (r === AGAIN) return AGAIN;
        // Walk the bytes taken over the messages: whole ones, then into the next.
        let left = r;
        while (at < count) {
          const rest = buffers[at]!.byteLength - off;
          if (left < rest) {
            off += left;
            break;
          }
          left -= rest;
          at++;
          off = 0;
        }
      }
      return count;
    },
    o,
    flags,
  );
}
