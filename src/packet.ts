/**
 * Packet sockets (AF_PACKET): frames as the link layer sees them, on one
 * interface or all, with a classic BPF filter attached before any frame is
 * queued, promiscuous membership, PACKET_STATISTICS, and a capture loop that
 * yields each frame with its address, original length and kernel timestamp.
 *
 * Needs CAP_NET_RAW; without it socket(2) fails with EPERM and a message
 * naming the capability.
 *
 * @see https://man7.org/linux/man-pages/man7/packet.7.html
 */
import type { PacketAddress } from "./address.js";
import { attachFilter, compileFilter, type BpfProgramLike, type FilterPrimitive } from "./bpf.js";
import { ETH_P, MSG } from "./constants.js";
import { codedError } from "./errors.js";
import type { PacketMembership, PacketStatistics } from "./options/sol-packet.js";
import * as posix from "./posix.js";
import * as raw from "./raw/index.js";
import { Socket } from "./socket.js";
import type { Timestamp } from "./control.js";

/** Options of {@link openPacketSocket}. */
export interface PacketSocketOptions {
  /**
   * "raw" (default): frames with their link-layer header; "dgram": from the
   * network header on ("cooked", the kernel strips the link header and puts
   * what it said in the address).
   */
  type?: "raw" | "dgram";
  /** The EtherType to receive, host order: a number (ETH_P.IP) or "all" (default), "ip", "ipv6", "arp". */
  protocol?: number | "all" | "ip" | "ipv6" | "arp";
  /** Puts the interface in promiscuous mode while the socket is open (PACKET_MR_PROMISC). */
  promiscuous?: boolean;
  /** A filter expression ("udp and port 53") or primitives, compiled with compileFilter. */
  filter?: string | readonly FilterPrimitive[];
  /** A classic BPF program (instructions, tuples or bpf_asm text) — instead of `filter`. */
  program?: BpfProgramLike;
  /** Bytes the filter keeps of each packet (default 262144); used with `filter`. */
  snaplen?: number;
  /** Skips frames this host sends (PACKET_IGNORE_OUTGOING, Linux 4.20). */
  ignoreOutgoing?: boolean;
}

const PROTOCOLS: Record<string, number | undefined> = {
  all: ETH_P.ALL,
  ip: ETH_P.IP,
  ipv6: ETH_P.IPV6,
  arp: ETH_P.ARP,
};

/**
 * An interface index from a name or index; null/0 means every interface.
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/packet.7.html
 */
export function interfaceIndex(iface: string | number | null | undefined): number {
  if (iface === null || iface === undefined || iface === 0 || iface === "any") return 0;
  if (typeof iface === "number") return raw.checkInt(iface, "interface index", 0);
  if (typeof iface !== "string") {
    throw codedError("ERR_INVALID_ARG_TYPE", `interface must be a name, an index or null, got ${raw.describe(iface)}`);
  }
  return posix.if_nametoindex(iface);
}

/**
 * Opens a packet socket on interface `iface` (a name, an index, or null /
 * "any" for every interface): creates it receiving nothing (protocol 0),
 * attaches the filter, joins promiscuous mode if asked, then binds it to the
 * interface and protocol — so no frame the filter would reject is ever
 * queued. Does not correspond to a single syscall: socket(2), setsockopt(2)
 * (SO_ATTACH_FILTER, PACKET_ADD_MEMBERSHIP), bind(2).
 *
 * @see https://man7.org/linux/man-pages/man7/packet.7.html
 * @throws SocketError EPERM (needs CAP_NET_RAW; the message says so), ENODEV
 *   (no such interface), EINVAL (a program the kernel refuses);
 *   TypeError/RangeError ERR_* for bad options, at once.
 */
export function openPacketSocket(iface: string | number | null, options: PacketSocketOptions = {}): Socket {
  if (typeof options !== "object" || options === null) {
    throw codedError("ERR_INVALID_ARG_TYPE", `options must be an object, got ${raw.describe(options)}`);
  }
  const type = options.type ?? "raw";
  if (type !== "raw" && type !== "dgram") {
    throw codedError("ERR_INVALID_ARG_VALUE", `type must be "raw" or "dgram", got ${raw.describe(type)}`);
  }
  const p = options.protocol ?? "all";
  const protocol = typeof p === "number" ? raw.checkInt(p, "protocol", 0, 0xffff) : PROTOCOLS[p];
  if (protocol === undefined) {
    throw codedError("ERR_INVALID_ARG_VALUE", `protocol must be an EtherType number, "all", "ip", "ipv6" or "arp"`);
  }
  if (options.filter !== undefined && options.program !== undefined) {
    throw codedError("ERR_INVALID_ARG_VALUE", "give either filter or program, not both");
  }
  const program =
    options.program ??
    (options.filter !== undefined ? compileFilter(options.filter, options.snaplen ?? undefined) : undefined);
  const ifindex = interfaceIndex(iface);
  // Protocol 0: the socket receives nothing until bind gives it one.
  const sock = new Socket("packet", type, 0);
  try {
    if (program !== undefined) attachFilter(sock, program);
    if (options.promiscuous) {
      if (ifindex === 0) throw codedError("ERR_INVALID_ARG_VALUE", "promiscuous mode needs one interface, not any");
      addMembership(sock, { ifindex, type: "promisc" });
    }
    if (options.ignoreOutgoing) sock.setsockopt("SOL_PACKET", "PACKET_IGNORE_OUTGOING", true);
    sock.bind({ family: "packet", protocol, ifindex, hatype: 0, pkttype: 0, addr: Buffer.alloc(0) });
  } catch (e) {
    sock.close();
    throw e;
  }
  return sock;
}

/**
 * Adds a membership to a packet socket: promiscuous mode, all-multicast, or
 * one multicast address on an interface; it ends when the socket closes.
 * Wraps `setsockopt(2)` with PACKET_ADD_MEMBERSHIP.
 *
 * @see https://man7.org/linux/man-pages/man7/packet.7.html
 * @throws SocketError ENODEV, EINVAL; TypeError ERR_* for a bad membership.
 */
export function addMembership(sock: Socket, membership: PacketMembership): void {
  sock.setsockopt("SOL_PACKET", "PACKET_ADD_MEMBERSHIP", membership);
}

/**
 * Removes a membership added with {@link addMembership}. Wraps `setsockopt(2)`
 * with PACKET_DROP_MEMBERSHIP.
 *
 * @see https://man7.org/linux/man-pages/man7/packet.7.html
 * @throws SocketError EADDRNOTAVAIL (no such membership), ENODEV.
 */
export function dropMembership(sock: Socket, membership: PacketMembership): void {
  sock.setsockopt("SOL_PACKET", "PACKET_DROP_MEMBERSHIP", membership);
}

/**
 * Reads and resets the socket's counters: packets that passed the filter and
 * packets dropped for lack of buffer space since the last call. Wraps
 * `getsockopt(2)` with PACKET_STATISTICS.
 *
 * @see https://man7.org/linux/man-pages/man7/packet.7.html
 * @throws SocketError ENOPROTOOPT on a socket that is not a packet socket.
 */
export function packetStatistics(sock: Socket): PacketStatistics {
  return sock.getsockopt("SOL_PACKET", "PACKET_STATISTICS") as PacketStatistics;
}

/** One captured frame. */
export interface CapturedPacket {
  /** The bytes captured (at most `snaplen`). */
  data: Buffer;
  /** The frame's real length (larger than data.length when `truncated`). */
  length: number;
  /** True when the frame was longer than the captured `data` (MSG_TRUNC). */
  truncated: boolean;
  /** Interface, EtherType, link type, packet type (PACKET_HOST, PACKET_OUTGOING ...) and link address. */
  address: PacketAddress;
  /**
   * When sockit read it (the wall clock at the read, with nanosecond
   * resolution). Not the kernel's SO_TIMESTAMPNS: recvmsg(2) on packet
   * sockets refuses the MSG_CMSG_CLOEXEC flag sockit's recvmsg always adds
   * (EINVAL), so frames are read with recvfrom(2).
   */
  timestamp: Timestamp;
}

const origin = { wall: BigInt(Date.now()) * 1_000_000n, mono: process.hrtime.bigint() };

/** The wall clock now, with the resolution of the monotonic clock. */
function now(): Timestamp {
  const ns = origin.wall + (process.hrtime.bigint() - origin.mono);
  return { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
}

/** Options of {@link capture}. */
export interface CaptureOptions extends PacketSocketOptions {
  /** Stop after this many frames (default: until `signal` aborts). */
  count?: number;
  /** Ends the capture: the generator returns (it does not throw). */
  signal?: AbortSignal;
}

/**
 * Captures frames on `iface` (a name, an index, or null for every
 * interface): opens a packet socket as {@link openPacketSocket} does and
 * yields each frame that passes the filter, with its original length, address
 * and kernel timestamp. Ends after `count` frames, when `signal` aborts, or
 * when the consumer stops iterating; the socket is closed in every case.
 * Does not correspond to a single syscall: socket(2), setsockopt(2), bind(2),
 * recvfrom(2) with MSG_TRUNC.
 *
 * @see https://man7.org/linux/man-pages/man7/packet.7.html
 * @throws SocketError EPERM (needs CAP_NET_RAW), ENODEV; TypeError/RangeError ERR_* at the first next().
 */
export async function* capture(
  iface: string | number | null,
  options: CaptureOptions = {},
): AsyncGenerator<CapturedPacket, void, undefined> {
  const count = options.count === undefined ? Infinity : raw.checkInt(options.count, "count", 1);
  const snaplen = options.snaplen === undefined ? 262144 : raw.checkInt(options.snaplen, "snaplen", 1, 262144);
  const signal = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw codedError("ERR_INVALID_ARG_TYPE", `signal must be an AbortSignal, got ${raw.describe(signal)}`);
  }
  if (signal?.aborted) return;
  const sock = openPacketSocket(iface, options);
  try {
    for (let n = 0; n < count; n++) {
      let d;
      try {
        d = await sock.recvfrom(snaplen, { flags: MSG.TRUNC, ...(signal ? { signal } : {}) });
      } catch (e) {
        if (signal?.aborted) return;
        throw e;
      }
      yield {
        data: d.data,
        length: d.size,
        truncated: d.truncated,
        address: d.address as PacketAddress,
        timestamp: now(),
      };
    }
  } finally {
    sock.close();
  }
}
