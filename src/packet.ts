/**
 * Packet sockets (AF_PACKET): frames as the link layer sees them, on one
 * interface or all, with a classic BPF filter attached before any frame is
 * queued, promiscuous membership, PACKET_STATISTICS, and a capture that
 * reads frames in blocks from a TPACKET_V3 ring (src/packet-ring.ts), or with
 * recvmmsg(2) where the ring can't be had, each with its address, original
 * length and kernel timestamp, and counts them as tcpdump does.
 *
 * Needs CAP_NET_RAW; without it socket(2) fails with EPERM and a message
 * naming the capability.
 *
 * @see https://man7.org/linux/man-pages/man7/packet.7.html
 */
import type { PacketAddress } from "./address.js";
import { attachFilter, type BpfProgramLike } from "./bpf.js";
import { compileFilter, type FilterPrimitive } from "./filter/compile.js";
import { ETH_P, PACKET } from "./constants.js";
import { SocketError, codedError } from "./errors.js";
import type { PacketMembership, PacketStatistics } from "./options/sol-packet.js";
import { FrameBatch, PacketRing, ringGeometry, type CapturedPacket, type PacketRingOptions } from "./packet-ring.js";
import * as posix from "./posix.js";
import * as raw from "./raw/index.js";
import { RING } from "./raw/index.js";
import { Socket } from "./socket.js";
import type { Timestamp } from "./control.js";
import type { WaitOptions } from "./validate.js";

export type { CapturedPacket };

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
  return openBound(iface, options);
}

/** openPacketSocket, with `beforeBind` run on the socket just before bind(2) (the ring goes there). */
function openBound(
  iface: string | number | null,
  options: PacketSocketOptions,
  beforeBind?: (sock: Socket, ifindex: number) => void,
): Socket {
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
    beforeBind?.(sock, ifindex);
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

/** The wall clock now, CLOCK_REALTIME as the kernel stamps (for a frame the kernel did not stamp). */
function now(): Timestamp {
  const ns = raw.clockRealtimeNs();
  return { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
}

/** Options of {@link openCapture} and {@link capture}. */
export interface CaptureOptions extends PacketSocketOptions {
  /** Stop after this many frames (default: until `signal` aborts). */
  count?: number;
  /** Ends the capture: the generator returns (it does not throw). */
  signal?: AbortSignal;
  /**
   * How frames are read: "auto" (default) a TPACKET_V3 ring, or recvmmsg(2)
   * where the ring can't be had; "ring" (fail if it can't); "recvmsg".
   */
  method?: "auto" | "ring" | "recvmsg";
  /** The ring's block size, block count and block timeout (see PacketRing.open). */
  ring?: Pick<PacketRingOptions, "blockSize" | "blockCount" | "timeout">;
  /** Records' timestamps in microseconds (classic pcap) instead of nanoseconds (default false). */
  microseconds?: boolean;
  /** Start each record's data with the LINKTYPE_LINUX_SLL header (default: for type "dgram"). */
  sllHeader?: boolean;
}

/** A capture's counts, as tcpdump prints them at the end. */
export interface CaptureStatistics {
  /** Frames the capture delivered ("packets captured"). */
  captured: number;
  /** Frames that passed the filter, dropped ones included (PACKET_STATISTICS tp_packets: "received by filter"). */
  received: number;
  /** Frames the kernel dropped for lack of room in the ring or buffer (tp_drops: "dropped by kernel"). */
  dropped: number;
  /** Times the ring was full and the kernel froze it (tp_freeze_q_cnt; ring only). */
  freezes: number;
}

/** The loopback device's index, or 0 (libpcap looks up "lo" the same way). */
function loopbackIndex(): number {
  try {
    return posix.if_nametoindex("lo");
  } catch {
    return 0;
  }
}

/**
 * A running capture on a packet socket: frames in batches from a TPACKET_V3
 * ring (or recvmmsg(2) where the ring can't be had), the loopback's outgoing
 * copies left out so each frame on `lo` shows once (as libpcap does), and
 * tcpdump's counts. Iterate it for frames, or call {@link PacketCapture.read}
 * for batches whose records a pcap writer takes as they are.
 */
export class PacketCapture implements AsyncIterable<CapturedPacket> {
  /** The packet socket (closed by close()). */
  readonly socket: Socket;
  /** "ring" (TPACKET_V3, mmap) or "recvmsg" (a recvmmsg(2) per wakeup). */
  readonly method: "ring" | "recvmsg";
  /** The ring, when method is "ring". */
  readonly ring: PacketRing | undefined;
  /** Why there is no ring (the error setting it up), when method is "recvmsg" after "auto". */
  readonly fallbackReason: string | undefined;
  /** Whether records start with the LINKTYPE_LINUX_SLL header. */
  readonly sllHeader: boolean;
  /** Whether records' timestamps are nanoseconds (else microseconds). */
  readonly nanosecond: boolean;
  readonly #snaplen: number;
  readonly #lo: number;
  #captured = 0;
  #received = 0;
  #dropped = 0;
  #freezes = 0;

  private constructor(
    socket: Socket,
    ring: PacketRing | undefined,
    reason: string | undefined,
    o: { snaplen: number; lo: number; sll: boolean; nanosecond: boolean },
  ) {
    this.socket = socket;
    this.ring = ring;
    this.method = ring ? "ring" : "recvmsg";
    this.fallbackReason = reason;
    this.#snaplen = o.snaplen;
    this.#lo = o.lo;
    this.sllHeader = o.sll;
    this.nanosecond = o.nanosecond;
  }

  /**
   * Opens a capture on `iface` (a name, an index, or null for every
   * interface) as {@link openPacketSocket} does, with a TPACKET_V3 ring set
   * up before bind(2) (method "auto" falls back to recvmmsg(2) when the
   * kernel refuses the ring, and says why in `fallbackReason`). On the
   * loopback, PACKET_IGNORE_OUTGOING keeps the outgoing copy of each frame
   * out of the socket (Linux 4.20; before it, and for "any", those copies are
   * dropped as they are read). Does not correspond to a single syscall:
   * socket(2), setsockopt(2), mmap(2), bind(2).
   *
   * @see https://man7.org/linux/man-pages/man7/packet.7.html
   * @see https://docs.kernel.org/networking/packet_mmap.html
   * @throws SocketError EPERM (needs CAP_NET_RAW), ENODEV, and the ring's
   *   errors with method "ring"; TypeError/RangeError ERR_* at once.
   */
  static open(iface: string | number | null, options: CaptureOptions = {}): PacketCapture {
    if (typeof options !== "object" || options === null) {
      throw codedError("ERR_INVALID_ARG_TYPE", `options must be an object, got ${raw.describe(options)}`);
    }
    const method = options.method ?? "auto";
    if (method !== "auto" && method !== "ring" && method !== "recvmsg") {
      throw codedError(
        "ERR_INVALID_ARG_VALUE",
        `method must be "auto", "ring" or "recvmsg", got ${raw.describe(method)}`,
      );
    }
    const snaplen = options.snaplen === undefined ? 262144 : raw.checkInt(options.snaplen, "snaplen", 1, 262144);
    if (options.ring !== undefined && (typeof options.ring !== "object" || options.ring === null)) {
      throw codedError("ERR_INVALID_ARG_TYPE", `ring must be an object, got ${raw.describe(options.ring)}`);
    }
    // The largest frame must fit one block: snaplen + headers, rounded up to a power of two pages.
    const ringOptions: PacketRingOptions = {
      ...options.ring,
      blockSize: options.ring?.blockSize ?? Math.max(1 << 20, 2 ** Math.ceil(Math.log2(snaplen + 4096))),
    };
    ringGeometry(ringOptions); // RangeErrors before anything is opened
    const sll = options.sllHeader ?? options.type === "dgram";
    const nanosecond = options.microseconds !== true;
    const lo = loopbackIndex();
    let ring: PacketRing | undefined;
    let reason: string | undefined;
    const socket = openBound(iface, options, (sock, ifindex) => {
      if (ifindex !== 0 && ifindex === lo && PACKET.IGNORE_OUTGOING !== undefined) {
        try {
          sock.setsockopt("SOL_PACKET", "PACKET_IGNORE_OUTGOING", true);
        } catch (e) {
          // Before Linux 4.20: the outgoing copies come, and are dropped as they are read.
          if (!(e instanceof SocketError && e.code === "ENOPROTOOPT")) throw e;
        }
      }
      if (method !== "recvmsg") {
        try {
          ring = PacketRing.open(sock, {
            ...ringOptions,
            sllHeader: sll,
            microseconds: !nanosecond,
            skipOutgoingOn: lo,
          });
        } catch (e) {
          if (method === "ring" || !(e instanceof SocketError)) throw e;
          reason = e.message;
        }
      }
      if (ring === undefined) sock.setsockopt("SOL_SOCKET", "SO_TIMESTAMPNS", true);
    });
    return new PacketCapture(socket, ring, reason, { snaplen, lo, sll, nanosecond });
  }

  /**
   * Bytes a buffer given to {@link PacketCapture.read} as `into` must have
   * (0: `into` is not used, on the recvmsg path).
   */
  get readBufferSize(): number {
    return this.ring?.readBufferSize ?? 0;
  }

  /**
   * Waits for frames and returns the next batch: every frame of the ring's
   * retired blocks, or what one recvmmsg(2) gives. With `into` (at least
   * `readBufferSize` bytes), the ring copies the frames there and the batch
   * is a view of it, valid until `into` is used again (see PacketRing.read).
   * Does not correspond to a single syscall (see PacketRing.read; recvmmsg(2)).
   * @throws Error ERR_SOCKET_CLOSED after close(); AbortError when `signal` aborts;
   *   RangeError ERR_OUT_OF_RANGE at once for an `into` smaller than readBufferSize.
   */
  read(options?: WaitOptions & { into?: Buffer }): Promise<FrameBatch> {
    // Not async: a bad `into` throws at once (ring.read checks it before it waits).
    const counted = (batch: FrameBatch): FrameBatch => {
      this.#captured += batch.count;
      return batch;
    };
    if (this.ring) return this.ring.read(options).then(counted);
    const count = Math.max(1, Math.min(64, Math.floor((4 << 20) / this.#snaplen)));
    const { into: _ignored, ...wait } = options ?? {};
    return this.socket
      .recvBatch({ ...wait, count, size: this.#snaplen, controlSize: 64 })
      .then((got) => counted(this.#batchOf(got)));
  }

  /** Frames of a recvmmsg(2) as a FrameBatch: pcap records and meta rows, the loopback's outgoing copies left out. */
  #batchOf(got: { data: Buffer; size: number; address: unknown; timestamp?: Timestamp }[]): FrameBatch {
    const sll = this.sllHeader ? 16 : 0;
    const kept = got.filter((d) => {
      const a = d.address as PacketAddress;
      return !(this.#lo !== 0 && a.ifindex === this.#lo && a.pkttype === PACKET.OUTGOING);
    });
    let bytes = 0;
    for (const d of kept) bytes += 16 + sll + d.data.length;
    const records = Buffer.alloc(bytes);
    const meta = new Int32Array(kept.length * RING.META);
    const metaBytes = Buffer.from(meta.buffer);
    let off = 0;
    kept.forEach((d, i) => {
      const a = d.address as PacketAddress;
      const ts = d.timestamp ?? now();
      records.writeUInt32LE(ts.sec >>> 0, off);
      records.writeUInt32LE(this.nanosecond ? ts.nsec : Math.floor(ts.nsec / 1000), off + 4);
      records.writeUInt32LE(sll + d.data.length, off + 8);
      records.writeUInt32LE(sll + Math.max(d.size, d.data.length), off + 12);
      if (sll) {
        records.writeUInt16BE(a.pkttype & 0xffff, off + 16);
        records.writeUInt16BE(a.hatype & 0xffff, off + 18);
        records.writeUInt16BE(a.addr.length, off + 20);
        a.addr.copy(records, off + 22, 0, 8);
        records.writeUInt16BE(a.protocol & 0xffff, off + 30);
      }
      d.data.copy(records, off + 16 + sll);
      const row = i * RING.META;
      meta.set([off, a.ifindex, a.protocol, a.hatype, a.pkttype, a.addr.length, 0, -1], row);
      a.addr.copy(metaBytes, (row + 8) * 4, 0, 8);
      off += 16 + sll + d.data.length;
    });
    return new FrameBatch(records, meta, kept.length, got.length - kept.length, 0, this.sllHeader, this.nanosecond);
  }

  /** Frames one at a time, until close() (the iteration then ends). Does not correspond to a single syscall. */
  async *[Symbol.asyncIterator](): AsyncGenerator<CapturedPacket, void, undefined> {
    for (;;) {
      let batch: FrameBatch;
      try {
        batch = await this.read();
      } catch (e) {
        if (this.socket.closed) return;
        throw e;
      }
      yield* batch;
    }
  }

  /**
   * The counts so far: frames captured (delivered by read), and, from
   * PACKET_STATISTICS (which the kernel resets at each read; the capture
   * adds them up), frames received by the filter and dropped by the kernel.
   * After close(), the counts at close. Wraps `getsockopt(2)` PACKET_STATISTICS.
   *
   * @see https://man7.org/linux/man-pages/man7/packet.7.html
   * @throws SocketError from getsockopt(2) (not expected on an open packet socket).
   */
  statistics(): CaptureStatistics {
    if (!this.socket.closed) {
      const s = packetStatistics(this.socket);
      this.#received += s.packets;
      this.#dropped += s.drops;
      this.#freezes += s.freezes ?? 0;
    }
    return { captured: this.#captured, received: this.#received, dropped: this.#dropped, freezes: this.#freezes };
  }

  /**
   * Takes the final counts, unmaps the ring and closes the socket; a waiting
   * read rejects (the iteration ends). Idempotent. Wraps `getsockopt(2)`,
   * `munmap(2)` and `close(2)`.
   */
  close(): void {
    if (this.socket.closed) return;
    try {
      this.statistics();
    } catch {
      /* the counts stay as they were */
    }
    this.ring?.close();
    this.socket.close();
  }

  /** Closes the capture (for `using`). */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Opens a capture: {@link PacketCapture.open}.
 * @see https://man7.org/linux/man-pages/man7/packet.7.html
 * @throws as PacketCapture.open.
 */
export function openCapture(iface: string | number | null, options: CaptureOptions = {}): PacketCapture {
  return PacketCapture.open(iface, options);
}

/**
 * Captures frames on `iface` (a name, an index, or null for every
 * interface): opens a {@link PacketCapture} and yields each frame that passes
 * the filter, with its original length, address and kernel timestamp. Ends
 * after `count` frames, when `signal` aborts, or when the consumer stops
 * iterating; the socket is closed in every case.
 * Does not correspond to a single syscall: socket(2), setsockopt(2), mmap(2),
 * bind(2), then the ring (or recvmmsg(2)).
 *
 * @see https://man7.org/linux/man-pages/man7/packet.7.html
 * @throws SocketError EPERM (needs CAP_NET_RAW), ENODEV; TypeError/RangeError ERR_* at the first next().
 */
export async function* capture(
  iface: string | number | null,
  options: CaptureOptions = {},
): AsyncGenerator<CapturedPacket, void, undefined> {
  const count = options.count === undefined ? Infinity : raw.checkInt(options.count, "count", 1);
  const signal = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw codedError("ERR_INVALID_ARG_TYPE", `signal must be an AbortSignal, got ${raw.describe(signal)}`);
  }
  if (signal?.aborted) return;
  const cap = PacketCapture.open(iface, options);
  try {
    for (let n = 0; n < count;) {
      let batch: FrameBatch;
      try {
        batch = await cap.read(signal ? { signal } : undefined);
      } catch (e) {
        if (signal?.aborted) return;
        throw e;
      }
      for (let i = 0; i < batch.count && n < count; i++, n++) yield batch.frame(i);
    }
  } finally {
    cap.close();
  }
}
