/**
 * The TPACKET_V3 receive ring of a packet socket: the kernel writes frames
 * into blocks of memory shared with the process (PACKET_RX_RING + mmap) and
 * retires a block to user space when it is full or its timeout passes; one
 * wakeup then reads a whole block of frames with no syscall per frame. This
 * is what libpcap reads (and why tcpdump keeps up with a flood that a
 * recvfrom(2) per frame cannot).
 *
 * Frames are copied out of the ring by native code that checks every offset
 * the kernel wrote against the block before it reads (see
 * native/packet_linux.c), and each block goes back to the kernel as soon as it
 * is copied: JavaScript never holds a view of ring memory, so nothing can
 * read it after munmap(2).
 *
 * @see https://docs.kernel.org/networking/packet_mmap.html
 * @see https://man7.org/linux/man-pages/man7/packet.7.html
 */
import { PACKET, SOL, STRUCTS, TPACKET } from "./constants.js";
import { writeI32, writeU32 } from "./endian.js";
import { codedError } from "./errors.js";
import * as raw from "./raw/index.js";
import { AGAIN, RING, type RingHandle } from "./raw/index.js";
import { Socket, ioHost, releaseHooks } from "./socket.js";
import type { PacketAddress } from "./address.js";
import type { Timestamp } from "./control.js";
import type { WaitOptions } from "./validate.js";

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
   * When the kernel received (or sent) it: the ring's tp_sec/tp_nsec, or
   * SO_TIMESTAMPNS on the recvmsg path. (On the recvmsg path, frames that
   * come in the first moments after opening may carry their read time: when
   * no socket on the host asked for receive timestamps before, Linux turns
   * them on from a deferred work item.)
   */
  timestamp: Timestamp;
  /** From the ring: tp_status, TP_STATUS_* bits (VLAN_VALID, CSUMNOTREADY, LOSING ...); 0 on the recvmsg path. */
  status: number;
  /** The VLAN tag control information the driver took off the frame (ring, TP_STATUS_VLAN_VALID). */
  vlanTci?: number;
}

const REQ = STRUCTS.tpacket_req3!;
const PAGE = 4096;
const META = RING.META;
/** The frame size the kernel checks PACKET_RX_RING's request with (V3 frames are packed; it only has to divide the block). */
const FRAME_SIZE = 2048;

/** Options of {@link PacketRing.open}. */
export interface PacketRingOptions {
  /** Bytes per block, a multiple of 4096 (default 1 MiB); the largest frame must fit one block. */
  blockSize?: number;
  /** Blocks in the ring (default 8: 8 MiB with the default block size). */
  blockCount?: number;
  /** Milliseconds after which the kernel retires a block that is not full (default 50; tp_retire_blk_tov). */
  timeout?: number;
  /** Timestamps of the records in microseconds (pcap's classic format) instead of nanoseconds (default false). */
  microseconds?: boolean;
  /** Start each record's data with the 16-byte LINKTYPE_LINUX_SLL header (for cooked captures; default false). */
  sllHeader?: boolean;
  /** Drop the PACKET_OUTGOING copy of frames on this interface index (the loopback's: each frame once, as libpcap does). */
  skipOutgoingOn?: number;
}

/**
 * A batch of captured frames: `count` frames as pcap records
 * (pcap-savefile(5): 16-byte little-endian header — seconds, micro- or
 * nanoseconds, captured and original length — then the bytes) laid end to
 * end in `records`, so a pcap writer can write the batch as it is, and the
 * rest of what the kernel said about each frame (interface, direction,
 * protocol, link address, status) beside them.
 */
export class FrameBatch {
  /** Frames in the batch. */
  readonly count: number;
  /** The pcap records, end to end (the batch's own copy). */
  readonly records: Buffer;
  /** Outgoing copies dropped on the loopback (see `skipOutgoingOn`). */
  readonly skipped: number;
  /** Blocks whose frames did not fit the block (a kernel bug or corruption): walked up to the bad frame and handed back. */
  readonly malformed: number;
  /** Whether each record's data starts with the 16-byte LINKTYPE_LINUX_SLL header. */
  readonly sllHeader: boolean;
  /** Whether the records' timestamps are nanoseconds (else microseconds). */
  readonly nanosecond: boolean;
  readonly #meta: Int32Array;

  /**
   * @internal Built by PacketRing.read and the recvmsg capture: meta holds
   * ringFacts.META int32s per frame — record offset, ifindex, protocol,
   * hatype, pkttype, halen, tp_status, VLAN TCI (-1: none), 8 address bytes.
   */
  constructor(
    records: Buffer,
    meta: Int32Array,
    count: number,
    skipped: number,
    malformed: number,
    sll: boolean,
    nanosecond: boolean,
  ) {
    this.records = records;
    this.#meta = meta;
    this.count = count;
    this.skipped = skipped;
    this.malformed = malformed;
    this.sllHeader = sll;
    this.nanosecond = nanosecond;
  }

  /**
   * Frame `i` (0 ≤ i < count): its bytes (a view of `records`, without the
   * cooked header), original length, address and kernel timestamp. Does not
   * correspond to a syscall.
   * @throws RangeError ERR_OUT_OF_RANGE for an index outside the batch.
   */
  frame(i: number): CapturedPacket {
    raw.checkInt(i, "index", 0, this.count - 1);
    const m = this.#meta;
    const row = i * META;
    const off = m[row]!;
    const r = this.records;
    const sec = r.readUInt32LE(off);
    const frac = r.readUInt32LE(off + 4);
    const incl = r.readUInt32LE(off + 8);
    const orig = r.readUInt32LE(off + 12);
    const head = this.sllHeader ? 16 : 0;
    const data = r.subarray(off + 16 + head, off + 16 + incl);
    const halen = Math.min(m[row + 5]!, 8);
    const addr = Buffer.from(m.buffer, m.byteOffset + (row + 8) * 4, 8).subarray(0, halen);
    const frame: CapturedPacket = {
      data,
      length: orig - head,
      truncated: orig > incl,
      address: {
        family: "packet",
        ifindex: m[row + 1]!,
        protocol: m[row + 2]!,
        hatype: m[row + 3]!,
        pkttype: m[row + 4]!,
        addr: Buffer.from(addr),
      },
      timestamp: { sec, nsec: this.nanosecond ? frac : frac * 1000 },
      status: m[row + 6]!,
    };
    if (m[row + 7]! >= 0) frame.vlanTci = m[row + 7]!;
    return frame;
  }

  /**
   * Where record `i` starts in `records` (`count`: its length), to take the
   * first i records as `records.subarray(0, recordOffset(i))`. Does not
   * correspond to a syscall.
   * @throws RangeError ERR_OUT_OF_RANGE for an index outside 0..count.
   */
  recordOffset(i: number): number {
    raw.checkInt(i, "index", 0, this.count);
    return i === this.count ? this.records.length : this.#meta[i * META]!;
  }

  /** Frames 0..count-1, each as {@link FrameBatch.frame} gives it. Does not correspond to a syscall. */
  *[Symbol.iterator](): IterableIterator<CapturedPacket> {
    for (let i = 0; i < this.count; i++) yield this.frame(i);
  }
}

/**
 * The ring's block size, block count and timeout from `options`, checked.
 * @internal Shared with PacketCapture.open, which checks them before it opens anything.
 * @throws RangeError ERR_OUT_OF_RANGE, TypeError ERR_INVALID_ARG_TYPE.
 */
export function ringGeometry(options: PacketRingOptions): { blockSize: number; blockCount: number; timeout: number } {
  const blockSize = raw.checkInt(options.blockSize ?? 1 << 20, "blockSize", PAGE, 1 << 30);
  if (blockSize % PAGE !== 0) throw codedError("ERR_OUT_OF_RANGE", `blockSize must be a multiple of ${PAGE}`);
  const blockCount = raw.checkInt(options.blockCount ?? 8, "blockCount", 1, 65536);
  if (blockSize * blockCount > 2 ** 31) throw codedError("ERR_OUT_OF_RANGE", "the ring must be at most 2 GiB");
  const timeout = raw.checkInt(options.timeout ?? 50, "timeout", 1, 60_000);
  if (options.skipOutgoingOn !== undefined) raw.checkInt(options.skipOutgoingOn, "skipOutgoingOn", 0);
  return { blockSize, blockCount, timeout };
}

/**
 * A TPACKET_V3 receive ring on a packet socket. Owns the mapping: `close()`
 * unmaps it, and so does closing or detaching the socket.
 */
export class PacketRing {
  /** Bytes per block. */
  readonly blockSize: number;
  /** Blocks in the ring. */
  readonly blockCount: number;
  /** Milliseconds after which the kernel hands over a block that is not full. */
  readonly timeout: number;
  readonly #sock: Socket;
  #ring: RingHandle | null;
  readonly #flags: number;
  readonly #lo: number;
  readonly #sll: boolean;
  readonly #nanosecond: boolean;
  readonly #out: Buffer;
  readonly #meta: Int32Array;
  readonly #res = new Int32Array(RING.RES);
  #skipped = 0;
  #malformed = 0;
  readonly #hook: () => void;

  private constructor(sock: Socket, ring: RingHandle, o: PacketRingOptions) {
    this.#sock = sock;
    this.#ring = ring;
    const { blockSize, blockCount, timeout } = ringGeometry(o);
    this.blockSize = blockSize;
    this.blockCount = blockCount;
    this.timeout = timeout;
    this.#sll = o.sllHeader === true;
    this.#nanosecond = o.microseconds !== true;
    this.#flags = (o.microseconds ? RING.USEC : 0) | (o.sllHeader ? RING.SLL : 0);
    this.#lo = o.skipOutgoingOn ?? 0;
    // Room for two blocks' frames per read: a frame takes at least 80 bytes of
    // a block (tpacket3_hdr, sockaddr_ll, alignment) and at most 32 besides
    // its data in a record, so a block's records fit in a block's size.
    this.#out = Buffer.allocUnsafe(blockSize * 2);
    this.#meta = new Int32Array(Math.ceil((blockSize * 2) / 64) * META);
    this.#hook = () => this.close();
    let hooks = releaseHooks.get(sock);
    if (hooks === undefined) releaseHooks.set(sock, (hooks = new Set()));
    hooks.add(this.#hook);
  }

  /**
   * Sets up a TPACKET_V3 receive ring on `sock` (a packet socket) and maps
   * it. Do it before bind(2) so that no frame is queued outside the ring.
   * Does not correspond to a single syscall: setsockopt(2) PACKET_VERSION and
   * PACKET_RX_RING, mmap(2).
   *
   * @see https://docs.kernel.org/networking/packet_mmap.html
   * @throws SocketError EINVAL (a ring the kernel refuses, or a socket that is
   *   not a packet socket), EBUSY (the socket has a ring already), ENOMEM;
   *   TypeError/RangeError ERR_* for bad options, at once.
   */
  static open(sock: Socket, options: PacketRingOptions = {}): PacketRing {
    if (!(sock instanceof Socket)) throw codedError("ERR_INVALID_ARG_TYPE", "sock must be a packet Socket");
    if (typeof options !== "object" || options === null) {
      throw codedError("ERR_INVALID_ARG_TYPE", `options must be an object, got ${raw.describe(options)}`);
    }
    const { blockSize, blockCount, timeout } = ringGeometry(options);
    const fd = sock.fd;
    const version = Buffer.alloc(4);
    writeI32(version, 0, TPACKET.TPACKET_V3);
    raw.setsockopt(fd, SOL.PACKET, PACKET.VERSION, version, { level: "SOL_PACKET", option: "PACKET_VERSION" });
    const req = Buffer.alloc(REQ.size);
    const u32 = (v: number, off: number): void => {
      writeU32(req, off, v);
    };
    u32(blockSize, REQ.tp_block_size!);
    u32(blockCount, REQ.tp_block_nr!);
    u32(FRAME_SIZE, REQ.tp_frame_size!);
    u32((blockSize / FRAME_SIZE) * blockCount, REQ.tp_frame_nr!);
    u32(timeout, REQ.tp_retire_blk_tov!);
    raw.setsockopt(fd, SOL.PACKET, PACKET.RX_RING, req, { level: "SOL_PACKET", option: "PACKET_RX_RING" });
    let ring: RingHandle;
    try {
      ring = raw.ringMmap(fd, blockSize, blockCount);
    } catch (e) {
      // Frames would go to a ring nobody reads: take it down (a request of 0 blocks frees it).
      try {
        raw.setsockopt(fd, SOL.PACKET, PACKET.RX_RING, Buffer.alloc(REQ.size));
      } catch {
        // The mmap's error is the one to report.
      }
      throw e;
    }
    return new PacketRing(sock, ring, options);
  }

  /** Whether the ring is still mapped. */
  get closed(): boolean {
    return this.#ring === null;
  }

  /**
   * Bytes a buffer given to {@link PacketRing.read} as `into` must have:
   * room for the records and the frame facts of one read.
   */
  get readBufferSize(): number {
    return this.#out.length + this.#meta.byteLength + 8;
  }

  /**
   * Waits until the kernel has retired at least one block holding a frame
   * this ring keeps, then copies out every frame of every retired block (one
   * wakeup, no syscall per frame) and hands the blocks back. The batch owns
   * its bytes; with `into` (at least {@link PacketRing.readBufferSize} bytes)
   * the frames are copied there instead and the batch is a view of it, valid
   * until `into` is used again: no allocation per read, for a loop that
   * writes each batch out before the next. Does not correspond to a single
   * syscall: poll readiness on the socket's fd, then reads shared memory.
   *
   * @see https://docs.kernel.org/networking/packet_mmap.html
   * @throws Error ERR_SOCKET_CLOSED when the ring or socket is closed (also
   *   for a read waiting when it closes); AbortError when `signal` aborts;
   *   RangeError ERR_OUT_OF_RANGE for an `into` too small, at once.
   */
  read(options?: WaitOptions & { into?: Buffer }): Promise<FrameBatch> {
    if (this.#ring === null) return Promise.reject(codedError("ERR_SOCKET_CLOSED", "ringRead: the ring is closed"));
    const into = options?.into;
    if (into === undefined) return this.#sock[ioHost]().io(0, "ringRead", this.#attempt, options, 0, this.#finish);
    if (!Buffer.isBuffer(into)) throw codedError("ERR_INVALID_ARG_TYPE", "into must be a Buffer");
    if (into.length < this.readBufferSize) {
      throw codedError("ERR_OUT_OF_RANGE", `into must have at least ${this.readBufferSize} bytes, got ${into.length}`);
    }
    // Records first, then the meta rows at a 4-byte aligned offset of the same memory.
    const records = into.subarray(0, this.#out.length);
    const at = this.#out.length + ((4 - ((into.byteOffset + this.#out.length) % 4)) % 4);
    const meta = new Int32Array(into.buffer, into.byteOffset + at, this.#meta.length);
    return this.#sock[ioHost]().io(
      0,
      "ringRead",
      () => this.#walk(records, meta),
      options,
      0,
      (n) =>
        new FrameBatch(
          records.subarray(0, this.#res[1]!),
          meta.subarray(0, n * META),
          n,
          this.#skipped,
          this.#malformed,
          this.#sll,
          this.#nanosecond,
        ),
    );
  }

  /** One walk: frames copied, or AGAIN (nothing kept yet: wait for readiness again). */
  #walk(out: Buffer, meta: Int32Array): number {
    if (this.#ring === null) throw codedError("ERR_SOCKET_CLOSED", "ringRead: the ring is closed");
    this.#skipped = this.#malformed = 0;
    for (;;) {
      const n = raw.ringRead(this.#ring, out, meta, this.#res, this.#flags, this.#lo);
      if (n === AGAIN) return AGAIN;
      this.#skipped += this.#res[2]!;
      this.#malformed += this.#res[3]!;
      // 0: blocks that held only skipped frames were handed back; look at the next one.
      if (n !== 0) return n;
    }
  }

  #attempt = (): number => this.#walk(this.#out, this.#meta);

  #finish = (n: number): FrameBatch => {
    const res = this.#res;
    const bytes = res[1]!;
    const records = Buffer.allocUnsafe(bytes);
    records.set(this.#out.subarray(0, bytes));
    const meta = this.#meta.slice(0, n * META);
    return new FrameBatch(records, meta, n, this.#skipped, this.#malformed, this.#sll, this.#nanosecond);
  };

  /** Unmaps the ring (the socket stays open, without a ring). Idempotent. Wraps `munmap(2)`. */
  close(): void {
    const ring = this.#ring;
    if (ring === null) return;
    this.#ring = null;
    releaseHooks.get(this.#sock)?.delete(this.#hook);
    raw.ringMunmap(ring);
  }
}

/**
 * Decodes one TPACKET_V3 block held in `block` (a copy of ring memory, e.g.
 * from a core dump or a test) with the walker the ring uses: the frames it
 * holds as a FrameBatch. The block must have TP_STATUS_USER in its
 * block_status, as a retired block has; a frame whose offsets leave the block
 * ends the walk (counted in `malformed`). Does not correspond to a syscall.
 *
 * @see https://docs.kernel.org/networking/packet_mmap.html
 * @throws TypeError ERR_INVALID_ARG_TYPE for a block that is not bytes.
 */
export function decodeRingBlock(
  block: Uint8Array,
  options: Pick<PacketRingOptions, "microseconds" | "sllHeader" | "skipOutgoingOn"> = {},
): FrameBatch {
  if (!(block instanceof Uint8Array)) throw codedError("ERR_INVALID_ARG_TYPE", "block must be a Buffer or Uint8Array");
  const lo = options.skipOutgoingOn === undefined ? 0 : raw.checkInt(options.skipOutgoingOn, "skipOutgoingOn", 0);
  const flags = (options.microseconds ? RING.USEC : 0) | (options.sllHeader ? RING.SLL : 0);
  // Records take at most the block's bytes (see PacketRing), frames at least 64 of them.
  const out = Buffer.allocUnsafe(block.byteLength + 64);
  const meta = new Int32Array((Math.ceil(block.byteLength / 64) + 1) * META);
  const res = new Int32Array(RING.RES);
  const n = raw.ringDecode(block, out, meta, res, flags, lo);
  return new FrameBatch(
    Buffer.from(out.subarray(0, res[1]!)),
    meta.slice(0, n * META),
    n,
    res[2]!,
    res[3]!,
    options.sllHeader === true,
    options.microseconds !== true,
  );
}
