/**
 * The socket calls commands make, each printed as a step with -v (curl-style
 * `* ` lines on stderr, with fds and addresses), so `sockit -v <command>`
 * shows exactly what happened: socket, bind, listen, connect, accept, close.
 * Data calls (send/recv) are printed with -vv by the commands themselves.
 */
import {
  LIMITS,
  type AddressLike,
  type SocketAddress,
  Socket,
  type WaitOptions,
  formatAddress,
  socketpair,
} from "../src/index.js";
import type { Context } from "./runtime.js";

/** An address as the CLI prints it: `127.0.0.1:80`, `[::1]:80`, `/path`, `@abstract`, `(unnamed)`. */
export function showAddress(address: SocketAddress | string): string {
  if (typeof address === "string") return address === "" ? "(unnamed)" : address;
  const text = formatAddress(address);
  return text === "" ? "(unnamed)" : text;
}

/** The local address of `s`, or "(unbound)" when it has none the kernel reports. */
export function localAddress(s: Socket): string {
  try {
    return showAddress(s.getsockname());
  } catch {
    return "(unbound)";
  }
}

function kind(s: Socket): string {
  const proto = s.protocol === 0 ? "" : ` ${String(s.protocol)}`;
  return `${String(s.family)} ${String(s.type)}${proto}`;
}

/** Creates a socket. Wraps `socket(2)`. */
export function openSocket(
  ctx: Context,
  family: ConstructorParameters<typeof Socket>[0],
  type: ConstructorParameters<typeof Socket>[1],
  protocol?: string | number,
): Socket {
  const s = new Socket(family, type, protocol);
  ctx.step(`socket ${kind(s)} → fd ${s.fd}`);
  return s;
}

/** Creates a connected pair. Wraps `socketpair(2)`. */
export function openPair(
  ctx: Context,
  family: Parameters<typeof socketpair>[0],
  type: Parameters<typeof socketpair>[1],
): [Socket, Socket] {
  const pair = socketpair(family, type);
  ctx.step(`socketpair ${kind(pair[0])} → fd ${pair[0].fd}, fd ${pair[1].fd}`);
  return pair;
}

/** Binds `s` and returns the address the kernel assigned (the port chosen for :0). Wraps `bind(2)`. */
export function bindSocket(ctx: Context, s: Socket, address: AddressLike): SocketAddress {
  s.bind(address);
  const bound = s.getsockname();
  const asked = typeof address === "string" ? address : formatAddress(address);
  const got = showAddress(bound);
  ctx.step(`bind fd ${s.fd} ${showAddress(asked)}${got === showAddress(asked) ? "" : ` → ${got}`}`);
  return bound;
}

/** Marks `s` as listening (default backlog: the library's, SOMAXCONN). Wraps `listen(2)`. */
export function listenSocket(ctx: Context, s: Socket, backlog: number = LIMITS.SOMAXCONN): void {
  s.listen(backlog);
  ctx.step(`listen fd ${s.fd} backlog ${backlog}`);
}

/** Connects `s` to `address`. Wraps `connect(2)`. */
export async function connectSocket(
  ctx: Context,
  s: Socket,
  address: AddressLike,
  options?: WaitOptions,
): Promise<void> {
  const target = typeof address === "string" ? address : formatAddress(address);
  ctx.step(`connect fd ${s.fd} → ${showAddress(target)} …`);
  await s.connect(address, options);
  ctx.step(`connected fd ${s.fd} ${localAddress(s)} → ${showAddress(target)}`);
}

/** Accepts one connection on `s`. Wraps `accept4(2)`. */
export async function acceptSocket(ctx: Context, s: Socket, options?: WaitOptions): Promise<Socket> {
  const conn = await s.accept(options);
  let peer = "(unnamed)";
  try {
    peer = showAddress(conn.getpeername());
  } catch {
    /* the peer may already be gone */
  }
  ctx.step(`accept fd ${s.fd} → fd ${conn.fd} from ${peer}`);
  return conn;
}

/** Closes `s` if still open (idempotent, never throws). Wraps `close(2)`. */
export function closeSocket(ctx: Context, s: Socket): void {
  if (s.closed) return;
  const fd = s.fd;
  try {
    s.close();
    ctx.step(`close fd ${fd}`);
  } catch (err) {
    ctx.step(`close fd ${fd} failed: ${(err as Error).message}`);
  }
}
