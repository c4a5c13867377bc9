/**
 * The pcapng file format (what Wireshark and dumpcap write; tcpdump 4.99 and
 * libpcap read it): a writer that records, beside each packet, the interface
 * it was seen on (an Interface Description Block per interface, with its
 * name) and its direction and reception type (the Enhanced Packet Block's
 * epb_flags), and a reader of those blocks for checking files. Pure byte
 * layout plus simple file output, little-endian.
 *
 * @see https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html
 * @see https://www.tcpdump.org/linktypes.html
 */
import { PACKET } from "./constants.js";
import { codedError } from "./errors.js";
import type { FrameBatch } from "./packet-ring.js";
import { PacketError } from "./packets/error.js";
import { LINKTYPE, type PcapTimestamp } from "./pcap.js";
import { SinkWriter, type PcapSink } from "./pcap-sink.js";
import * as raw from "./raw/index.js";

const SHB = 0x0a0d0d0a;
const IDB = 1;
const EPB = 6;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_ENDOFOPT = 0;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_TSRESOL = 9;
const EPB_FLAGS = 2;

/** epb_flags direction bits (0: unknown). */
export const PCAPNG_DIRECTION = Object.freeze({ INBOUND: 1, OUTBOUND: 2 });
/** epb_flags reception type (bits 2–4). */
export const PCAPNG_RECEPTION = Object.freeze({ UNICAST: 1, MULTICAST: 2, BROADCAST: 3, PROMISCUOUS: 4 });

const pad4 = (n: number): number => (n + 3) & ~3;

/**
 * The epb_flags word for a frame of packet type `pkttype` (sll_pkttype):
 * direction and reception type. Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/packet.7.html
 */
export function epbFlags(pkttype: number): number {
  const inbound = (reception: number): number => PCAPNG_DIRECTION.INBOUND | (reception << 2);
  if (pkttype === PACKET.HOST) return inbound(PCAPNG_RECEPTION.UNICAST);
  if (pkttype === PACKET.BROADCAST) return inbound(PCAPNG_RECEPTION.BROADCAST);
  if (pkttype === PACKET.MULTICAST) return inbound(PCAPNG_RECEPTION.MULTICAST);
  if (pkttype === PACKET.OTHERHOST) return inbound(PCAPNG_RECEPTION.PROMISCUOUS);
  if (pkttype === PACKET.OUTGOING) return PCAPNG_DIRECTION.OUTBOUND;
  return 0;
}

/** One option: code, length, value padded to 4 bytes. */
function option(code: number, value: Buffer): Buffer {
  const b = Buffer.alloc(4 + pad4(value.length));
  b.writeUInt16LE(code, 0);
  b.writeUInt16LE(value.length, 2);
  value.copy(b, 4);
  return b;
}

/** A block: type, total length, body, total length again. */
function block(type: number, body: Buffer): Buffer {
  const b = Buffer.alloc(12 + body.length);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(b.length, 4);
  body.copy(b, 8);
  b.writeUInt32LE(b.length, b.length - 4);
  return b;
}

const END = Buffer.alloc(4); // opt_endofopt

/** Options of {@link PcapngWriter}. */
export interface PcapngOptions {
  /** LINKTYPE_* of every interface (default LINKTYPE.ETHERNET). */
  linkType?: number;
  /** The snapshot length in each Interface Description Block (default 262144). */
  snaplen?: number;
  /** Timestamps in nanoseconds (if_tsresol 9) instead of microseconds (default true). */
  nanosecond?: boolean;
  /** The name of interface `ifindex` (default: the index as text). */
  interfaceName?: (ifindex: number) => string;
}

/**
 * Writes a pcapng file: the Section Header Block at construction, an
 * Interface Description Block the first time a packet of an interface comes,
 * then an Enhanced Packet Block per packet with its direction and reception
 * type in epb_flags.
 * @see https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html
 */
export class PcapngWriter {
  /** The interface's link type (LINKTYPE_*), written in its Interface Description Block. */
  readonly linkType: number;
  /** The snapshot length: packets are cut to it. */
  readonly snaplen: number;
  /** Whether timestamps are in nanoseconds (if_tsresol 9) rather than microseconds. */
  readonly nanosecond: boolean;
  /** Packets written. */
  count = 0;
  readonly #out: SinkWriter;
  readonly #ids = new Map<number, number>();
  readonly #name: (ifindex: number) => string;

  /**
   * Opens `sink` (a path, an fd or a stream) and writes the Section Header
   * Block. Does not correspond to a single syscall: open(2) and write(2) for a path.
   * @throws Error from open(2); TypeError/RangeError ERR_* for bad options.
   */
  constructor(sink: PcapSink, options: PcapngOptions = {}) {
    this.linkType = raw.checkInt(options.linkType ?? LINKTYPE.ETHERNET, "linkType", 0, 0xffff);
    this.snaplen = raw.checkInt(options.snaplen ?? 262144, "snaplen", 0, 0x7fffffff);
    this.nanosecond = options.nanosecond !== false;
    const name = options.interfaceName;
    if (name !== undefined && typeof name !== "function") {
      throw codedError("ERR_INVALID_ARG_TYPE", "interfaceName must be a function");
    }
    this.#name = name ?? String;
    this.#out = new SinkWriter(sink);
    const head = Buffer.alloc(16);
    head.writeUInt32LE(BYTE_ORDER_MAGIC, 0);
    head.writeUInt16LE(1, 4); // major
    head.writeUInt16LE(0, 6); // minor
    head.writeBigInt64LE(-1n, 8); // section length: not given
    this.#emit(block(SHB, Buffer.concat([head, option(SHB_USERAPPL, Buffer.from("sockit")), END])));
  }

  #emit(b: Buffer): void {
    this.#out.write(b);
  }

  /** The interface id of `ifindex`, with its Interface Description Block added to `out` the first time. */
  #interface(ifindex: number, out: Buffer[]): number {
    let id = this.#ids.get(ifindex);
    if (id === undefined) {
      id = this.#ids.size;
      this.#ids.set(ifindex, id);
      const head = Buffer.alloc(8);
      head.writeUInt16LE(this.linkType, 0);
      head.writeUInt32LE(this.snaplen, 4);
      out.push(
        block(
          IDB,
          Buffer.concat([
            head,
            option(IF_NAME, Buffer.from(this.#name(ifindex))),
            option(IF_TSRESOL, Buffer.from([this.nanosecond ? 9 : 6])),
            END,
          ]),
        ),
      );
    }
    return id;
  }

  /** The Enhanced Packet Block of one packet. */
  #epb(id: number, ts: PcapTimestamp, data: Uint8Array, originalLength: number, pkttype: number): Buffer {
    const sec = raw.checkInt(ts.sec, "timestamp.sec", 0, 0xffffffff);
    const nsec = raw.checkInt(ts.nsec, "timestamp.nsec", 0, 999_999_999);
    const units =
      BigInt(sec) * (this.nanosecond ? 1_000_000_000n : 1_000_000n) +
      BigInt(this.nanosecond ? nsec : Math.floor(nsec / 1000));
    const flags = epbFlags(pkttype);
    const optLen = flags ? 8 + 4 : 0;
    const b = Buffer.alloc(12 + 20 + pad4(data.byteLength) + optLen);
    b.writeUInt32LE(EPB, 0);
    b.writeUInt32LE(b.length, 4);
    b.writeUInt32LE(id, 8);
    b.writeUInt32LE(Number(units >> 32n), 12);
    b.writeUInt32LE(Number(units & 0xffffffffn), 16);
    b.writeUInt32LE(data.byteLength, 20);
    b.writeUInt32LE(Math.max(originalLength, data.byteLength), 24);
    b.set(data, 28);
    if (flags) {
      const o = 28 + pad4(data.byteLength);
      b.writeUInt16LE(EPB_FLAGS, o);
      b.writeUInt16LE(4, o + 2);
      b.writeUInt32LE(flags, o + 4); // then opt_endofopt (zeros)
    }
    b.writeUInt32LE(b.length, b.length - 4);
    return b;
  }

  /**
   * Appends one packet seen on interface `ifindex` with packet type `pkttype`
   * (PACKET_HOST, PACKET_OUTGOING ...): `data` cut to snaplen, its original
   * length and timestamp. Does not correspond to a single syscall (write(2)
   * for a path).
   * @throws Error ERR_INVALID_ARG_VALUE after close(); TypeError/RangeError ERR_* for bad arguments.
   */
  write(data: Uint8Array, timestamp: PcapTimestamp, originalLength: number, ifindex: number, pkttype: number): void {
    if (this.#out.closed) throw codedError("ERR_INVALID_ARG_VALUE", "PcapngWriter: write after close");
    if (!(data instanceof Uint8Array)) throw codedError("ERR_INVALID_ARG_TYPE", "data must be a Buffer or Uint8Array");
    const out: Buffer[] = [];
    const id = this.#interface(raw.checkInt(ifindex, "ifindex", 0), out);
    const cut = data.byteLength > this.snaplen ? data.subarray(0, this.snaplen) : data;
    out.push(this.#epb(id, timestamp, cut, originalLength, raw.checkInt(pkttype, "pkttype", 0, 255)));
    this.#emit(out.length === 1 ? out[0]! : Buffer.concat(out));
    this.count++;
  }

  /**
   * Appends the first `count` frames of a capture batch (default all) with
   * one write: each record's bytes (with the cooked header when the batch has
   * one), interface and direction. Does not correspond to a single syscall.
   * @throws Error ERR_INVALID_ARG_VALUE after close(); RangeError ERR_OUT_OF_RANGE for a count past the batch.
   */
  writeBatch(batch: FrameBatch, count = batch.count): void {
    if (this.#out.closed) throw codedError("ERR_INVALID_ARG_VALUE", "PcapngWriter: write after close");
    const n = raw.checkInt(count, "count", 0, batch.count);
    const out: Buffer[] = [];
    const r = batch.records;
    for (let i = 0; i < n; i++) {
      const off = batch.recordOffset(i);
      const incl = r.readUInt32LE(off + 8);
      const frac = r.readUInt32LE(off + 4);
      const ts = { sec: r.readUInt32LE(off), nsec: batch.nanosecond ? frac : frac * 1000 };
      const { address } = batch.frame(i);
      const id = this.#interface(address.ifindex, out);
      const data = r.subarray(off + 16, off + 16 + Math.min(incl, this.snaplen));
      out.push(this.#epb(id, ts, data, r.readUInt32LE(off + 12), address.pkttype));
    }
    if (out.length) this.#emit(Buffer.concat(out));
    this.count += n;
  }

  /** Closes the file (a path's fd; an fd or stream given by the caller is left open). Idempotent. */
  close(): void {
    this.#out.close();
  }
}

/** A pcapng file read back (one section, little-endian). */
export interface PcapngFile {
  /** The Interface Description Blocks, in order: link type, snapshot length, name, timestamp resolution. */
  interfaces: { linkType: number; snaplen: number; name?: string; tsresol: number }[];
  /** The Enhanced Packet Blocks, in file order: interface, timestamp, length on the wire, captured bytes, EPB flags. */
  packets: { interfaceId: number; timestamp: PcapTimestamp; originalLength: number; data: Buffer; flags?: number }[];
}

/**
 * Parses a little-endian pcapng file written by {@link PcapngWriter} (or any
 * one section of IDBs and EPBs; other blocks are skipped). Does not
 * correspond to a syscall.
 * @see https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html
 * @throws PacketError (ERR_PACKET_MALFORMED) for a bad header or a block past the end.
 */
export function parsePcapng(bytes: Uint8Array): PcapngFile {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 28 || b.readUInt32LE(0) !== SHB || b.readUInt32LE(8) !== BYTE_ORDER_MAGIC) {
    throw new PacketError("pcapng", "no little-endian Section Header Block");
  }
  const out: PcapngFile = { interfaces: [], packets: [] };
  const options = (from: number, to: number, each: (code: number, v: Buffer) => void): void => {
    for (let o = from; o + 4 <= to;) {
      const code = b.readUInt16LE(o);
      const len = b.readUInt16LE(o + 2);
      if (code === OPT_ENDOFOPT) return;
      if (o + 4 + len > to) throw new PacketError("pcapng", `option at ${o} is cut short`);
      each(code, b.subarray(o + 4, o + 4 + len));
      o += 4 + pad4(len);
    }
  };
  for (let off = 0; off < b.length;) {
    if (off + 12 > b.length) throw new PacketError("pcapng", `block at ${off} is cut short`);
    const type = b.readUInt32LE(off);
    const len = b.readUInt32LE(off + 4);
    if (len < 12 || len % 4 !== 0 || off + len > b.length) {
      throw new PacketError("pcapng", `block at ${off} has a bad length ${len}`);
    }
    const end = off + len - 4;
    if (type === IDB) {
      if (len < 20) throw new PacketError("pcapng", `IDB at ${off} is too short`);
      const i: PcapngFile["interfaces"][number] = {
        linkType: b.readUInt16LE(off + 8),
        snaplen: b.readUInt32LE(off + 12),
        tsresol: 6,
      };
      options(off + 16, end, (code, v) => {
        if (code === IF_NAME) i.name = v.toString("utf8");
        else if (code === IF_TSRESOL && v.length >= 1) i.tsresol = v[0]!;
      });
      out.interfaces.push(i);
    } else if (type === EPB) {
      if (len < 32) throw new PacketError("pcapng", `EPB at ${off} is too short`);
      const interfaceId = b.readUInt32LE(off + 8);
      const iface = out.interfaces[interfaceId];
      if (iface === undefined) throw new PacketError("pcapng", `EPB at ${off} names interface ${interfaceId}`);
      const units = (BigInt(b.readUInt32LE(off + 12)) << 32n) | BigInt(b.readUInt32LE(off + 16));
      const incl = b.readUInt32LE(off + 20);
      if (off + 28 + incl > end) throw new PacketError("pcapng", `EPB at ${off} is cut short`);
      const per = 10n ** BigInt(iface.tsresol & 0x7f);
      const p: PcapngFile["packets"][number] = {
        interfaceId,
        timestamp: { sec: Number(units / per), nsec: Number(((units % per) * 1_000_000_000n) / per) },
        originalLength: b.readUInt32LE(off + 24),
        data: b.subarray(off + 28, off + 28 + incl),
      };
      options(off + 28 + pad4(incl), end, (code, v) => {
        if (code === EPB_FLAGS && v.length >= 4) p.flags = v.readUInt32LE(0);
      });
      out.packets.push(p);
    }
    off += len;
  }
  return out;
}
