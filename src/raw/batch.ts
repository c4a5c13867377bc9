/**
 * The raw layer's batched message calls: recvmmsg(2) and sendmmsg(2), many
 * datagrams per syscall. Like the single calls in ./index.ts they return the
 * count, or AGAIN (./index.ts) when the call would block, and throw the
 * SocketError of any other failure (made here, once).
 */
import { ERRNO, SocketError } from "../errors.js";
import { native, type Bytes } from "./native.js";

const AGAIN = -ERRNO.EAGAIN!;

/**
 * Wraps `recvmmsg(2)` (MSG_DONTWAIT): message i lands at `data[i * slot]`, its
 * sender at `addrs[i * addrSlot]`, its control data at `ctl[i * ctlSlot]`;
 * `out` gets [length, addrlen, controllen, msg_flags] per message. The count
 * received, or AGAIN.
 */
export function recvmmsg(
  fd: number,
  data: Bytes,
  slot: number,
  count: number,
  addrs: Bytes | null,
  addrSlot: number,
  ctl: Bytes | null,
  ctlSlot: number,
  out: Int32Array,
  flags: number,
): number {
  const r = native.recvmmsg(fd, data, slot, count, addrs, addrSlot, ctl, ctlSlot, out, flags);
  if (r >= 0 || r === AGAIN) return r;
  throw new SocketError(r, "recvmmsg");
}

/**
 * Wraps `sendmmsg(2)` (MSG_NOSIGNAL always): message i is `buffers[i]`, to
 * `addrs[i * addrSlot]` (`addrLens[i]` bytes) with the control data at
 * `ctl[i * ctlSlot]` (`ctlLens[i]` bytes); null arrays send without. The count
 * sent (possibly fewer than given), or AGAIN.
 */
export function sendmmsg(
  fd: number,
  buffers: Bytes[],
  addrs: Bytes | null,
  addrSlot: number,
  addrLens: Int32Array | null,
  ctl: Bytes | null,
  ctlSlot: number,
  ctlLens: Int32Array | null,
  out: Int32Array | null,
  flags: number,
): number {
  const r = native.sendmmsg(fd, buffers, addrs, addrSlot, addrLens, ctl, ctlSlot, ctlLens, out, flags);
  if (r >= 0 || r === AGAIN) return r;
  throw new SocketError(r, "sendmmsg");
}
