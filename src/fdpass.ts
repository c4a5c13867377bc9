/**
 * Passing file descriptors over a Unix socket, as functions on a Socket
 * (after CPython's socket.send_fds / recv_fds): sendFds sends data with
 * SCM_RIGHTS, recvFds receives it with the fds that came along. Built on
 * Socket.sendmsg/recvmsg, whose fd-ownership rule applies (messages.ts).
 */
import { toBytes } from "./validate.js";
import type { RecvOptions, SendOptions } from "./call-options.js";
import type { FdLike, ReceivedMessage } from "./messages.js";
import type { Socket } from "./socket.js";

/**
 * Sends `data` together with `fds` (SCM_RIGHTS) over a Unix socket. On a
 * stream socket the rest of the data follows if the kernel took only part of
 * it (the fds travel with the first byte). Does not correspond to a single
 * syscall (`sendmsg(2)`, then `send(2)` for the rest on a stream).
 * @see https://man7.org/linux/man-pages/man7/unix.7.html
 * @throws RangeError ERR_OUT_OF_RANGE for more than SCM_MAX_FD fds; TypeError for a
 *   value without an fd; SocketError EBADF (an fd closed), EPIPE, ETOOMANYREFS.
 */
export function sendFds(
  sock: Socket,
  data: ArrayBufferView | string,
  fds: readonly FdLike[],
  options?: SendOptions,
): Promise<number> {
  const buf = toBytes(data, "sendFds: data");
  // sendmsg validates (and throws) synchronously; the rest follows its result.
  return sock.sendmsg({ ...options, buffers: [buf], fds }).then(async (n) => {
    if (n < buf.byteLength && sock.type === "stream") {
      await sock.sendAll(Buffer.from(buf.buffer, buf.byteOffset + n, buf.byteLength - n), options);
    }
    return buf.byteLength;
  });
}

/**
 * Receives up to `size` bytes and up to `maxFds` fds over a Unix socket: the
 * {@link ReceivedMessage} of recvmsg, whose `fds` are the caller's to adopt
 * or close. Does not correspond to a single syscall beyond `recvmsg(2)`.
 * @see https://man7.org/linux/man-pages/man7/unix.7.html
 * @throws SocketError from recvmsg; AbortError; ERR_SOCKET_CLOSED.
 */
export function recvFds(sock: Socket, size: number, maxFds: number, options?: RecvOptions): Promise<ReceivedMessage> {
  return sock.recvmsg({ ...options, size, maxFds });
}
