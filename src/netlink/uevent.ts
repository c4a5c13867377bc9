/**
 * Kernel uevents (NETLINK_KOBJECT_UEVENT): the device events udev acts on —
 * "add@/devices/virtual/net/veth0" followed by KEY=VALUE lines — decoded into
 * objects. Pure decoding plus a monitor over a socket joined to the kernel's
 * broadcast group. Since Linux 4.18 a network device's uevents go only to
 * sockets in the device's network namespace, so `netns` picks which ones you see.
 */
import { NETLINK, UEVENT_GROUP } from "../constants.js";
import { codedError } from "../errors.js";
import { createSocket, type NetnsLike } from "../netns.js";
import { describe } from "../raw/index.js";
import type { Socket } from "../socket.js";
import { ownedIterator } from "./conn.js";
import { NetlinkMessageError } from "./errors.js";

/** One kernel uevent. */
export interface Uevent {
  /** "add", "remove", "change", "move", "online", "offline", "bind", "unbind". */
  action: string;
  /** The sysfs path below /sys: "/devices/virtual/net/veth0". */
  devpath: string;
  /** SUBSYSTEM: "net", "block", "usb" ... */
  subsystem?: string;
  /** SEQNUM, the kernel's event counter. */
  seqnum?: number;
  /** Every KEY=VALUE of the event (ACTION, DEVPATH, SUBSYSTEM, INTERFACE, IFINDEX ...). */
  env: Record<string, string>;
}

/**
 * Decodes one kernel uevent datagram ("ACTION@DEVPATH\0KEY=VALUE\0...").
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/netlink.7.html
 * @throws NetlinkMessageError when the datagram is not a kernel uevent (udev's
 *   "libudev" messages included).
 */
export function parseUevent(buf: ArrayBufferView): Uevent {
  if (!ArrayBuffer.isView(buf)) {
    throw codedError("ERR_INVALID_ARG_TYPE", `parseUevent: buf must be bytes, got ${describe(buf)}`);
  }
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const parts = b.toString("utf8").split("\0");
  const head = parts[0] ?? "";
  const at = head.indexOf("@");
  if (at <= 0 || head.startsWith("libudev"))
    throw new NetlinkMessageError("not a kernel uevent (no ACTION@DEVPATH header)", 0);
  const env: Record<string, string> = {};
  for (const p of parts.slice(1)) {
    const eq = p.indexOf("=");
    if (eq > 0) env[p.slice(0, eq)] = p.slice(eq + 1);
  }
  const ev: Uevent = { action: env.ACTION ?? head.slice(0, at), devpath: env.DEVPATH ?? head.slice(at + 1), env };
  if (env.SUBSYSTEM !== undefined) ev.subsystem = env.SUBSYSTEM;
  if (env.SEQNUM !== undefined && /^\d+$/.test(env.SEQNUM)) ev.seqnum = Number(env.SEQNUM);
  return ev;
}

/** Options of {@link monitorUevents}. */
export interface MonitorUeventsOptions {
  /** Watch this network namespace's devices. */
  netns?: NetnsLike;
  /** Ends the iteration (without error) when aborted. */
  signal?: AbortSignal;
  /** SO_RCVBUF: uevent bursts (a USB hub, a module load) can be large. Default 1 MiB (needs privilege above rmem_max). */
  receiveBufferSize?: number;
}

/**
 * Opens a NETLINK_KOBJECT_UEVENT socket bound to the kernel's uevent group
 * and returns an async iterable of the events, subscribed before it returns.
 * Breaking out of the loop, return(), or aborting `signal` closes the socket
 * (also before the first event). Datagrams that are
 * not kernel uevents are skipped. Does not correspond to a single syscall
 * (socket, bind to the group, then recvfrom in a loop).
 * @see https://man7.org/linux/man-pages/man7/netlink.7.html
 * @throws SocketError (EPROTONOSUPPORT, ENOENT for a missing netns); while iterating,
 *   SocketError ENOBUFS when events were lost.
 */
export function monitorUevents(options: MonitorUeventsOptions = {}): AsyncGenerator<Uevent, void, undefined> {
  if (options === null || typeof options !== "object") {
    throw codedError("ERR_INVALID_ARG_TYPE", `options must be an object, got ${describe(options)}`);
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw codedError("ERR_INVALID_ARG_TYPE", `options.signal must be an AbortSignal, got ${describe(options.signal)}`);
  }
  const sock = createSocket(
    "netlink",
    "dgram",
    NETLINK.KOBJECT_UEVENT,
    options.netns === undefined ? {} : { netns: options.netns },
  );
  try {
    try {
      sock.setsockopt("SOL_SOCKET", "SO_RCVBUFFORCE", options.receiveBufferSize ?? 1 << 20);
    } catch {
      /* unprivileged: keep the default */
    }
    // nl_groups is a bitmask: group N is bit N-1.
    sock.bind({ family: "netlink", pid: 0, groups: 1 << (UEVENT_GROUP.KERNEL - 1) });
  } catch (e) {
    sock.close();
    throw e;
  }
  return ownedIterator(uevents(sock, options.signal), () => sock.close(), options.signal);
}

async function* uevents(sock: Socket, signal: AbortSignal | undefined): AsyncGenerator<Uevent, void, undefined> {
  while (!sock.closed && !signal?.aborted) {
    let data: Buffer;
    try {
      ({ data } = await sock.recvfrom(65536, signal ? { signal } : {}));
    } catch (e) {
      if (sock.closed || signal?.aborted) return;
      throw e;
    }
    let ev: Uevent;
    try {
      ev = parseUevent(data);
    } catch (e) {
      if (e instanceof NetlinkMessageError) continue; // udev's or another sender's datagram
      throw e;
    }
    yield ev;
  }
}
