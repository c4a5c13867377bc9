/**
 * The classic pcap file format (what tcpdump -w writes and Wireshark, tshark
 * and libpcap read): a writer, and a reader for checking files. Pure byte
 * layout plus simple file output; the link-type numbers are pcap's own
 * registry (tcpdump.org linktypes), not kernel constants.
 *
 * @see https://www.tcpdump.org/manpages/pcap-savefile.5.html
 * @see https://www.tcpdump.org/linktypes.html
 */
import { ARPHRD } from "./constants.js";
import type { PacketAddress } from "./address.js";
import { codedError } from "./errors.js";
import { SinkWriter, type PcapSink } from "./pcap-sink.js";
import { PacketError } from "./packets/error.js";
import * as raw from "./raw/index.js";

/**
 * pcap link types (LINKTYPE_*) sockit writes.
 * @see https://www.tcpdump.org/manpages/pcap-savefile.5.html
 */
export const LINKTYPE = Object.freeze({
  /** BSD loopback. */
  NULL: 0,
  /** Ethernet II frames (also Linux loopback, which carries a fake Ethernet header). */
  ETHERNET: 1,
  /** Raw IPv4 or IPv6 packets, no link header. */
  RAW: 101,
  /** Linux "cooked" capture, v1: a 16-byte header built from sockaddr_ll (SOCK_DGRAM packet sockets, "any"). */
  LINUX_SLL: 113,
});

const MAGIC_MICRO = 0xa1b2c3d4;
const MAGIC_NANO = 0xa1b23c4d;
const FILE_HEADER_SIZE = 24;
const RECORD_HEADER_SIZE = 16;
const SLL_HEADER_SIZE = 16;

/** A timestamp: seconds and nanoseconds since the epoch. */
export interface PcapTimestamp {
  /** Seconds since the epoch. */
  sec: number;
  /** Nanoseconds, 0-999999999. */
  nsec: number;
}

/** Options of the pcap file header. */
export interface PcapHeaderOptions {
  /** LINKTYPE_* (default LINKTYPE.ETHERNET). */
  linkType?: number;
  /** The capture's snapshot length (default 262144). */
  snaplen?: number;
  /** Nanosecond timestamps (magic 0xa1b23c4d) instead of microseconds (default false). */
  nanosecond?: boolean;
}

/**
 * Encodes the 24-byte pcap file header (version 2.4, little-endian). Does not
 * correspond to a syscall.
 *
 * @see https://www.tcpdump.org/manpages/pcap-savefile.5.html
 * @throws RangeError ERR_OUT_OF_RANGE for a link type or snaplen out of range.
 */
export function encodePcapHeader(options: PcapHeaderOptions = {}): Buffer {
  const b = Buffer.alloc(FILE_HEADER_SIZE);
  b.writeUInt32LE(options.nanosecond ? MAGIC_NANO : MAGIC_MICRO, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  b.writeInt32LE(0, 8); // thiszone
  b.writeUInt32LE(0, 12); // sigfigs
  b.writeUInt32LE(raw.checkInt(options.snaplen ?? 262144, "snaplen", 1, 0x7fffffff), 16);
  b.writeUInt32LE(raw.checkInt(options.linkType ?? LINKTYPE.ETHERNET, "linkType", 0, 0xffff), 20);
  return b;
}

/**
 * Encodes one record: the 16-byte header (timestamp, captured and original
 * length) and the data. Does not correspond to a syscall.
 * @see https://www.tcpdump.org/manpages/pcap-savefile.5.html
 */
export function encodePcapRecord(
  data: Uint8Array,
  timestamp: PcapTimestamp,
  originalLength = data.byteLength,
  nanosecond = false,
): Buffer {
  const b = Buffer.alloc(RECORD_HEADER_SIZE + data.byteLength);
  const sec = raw.checkInt(timestamp.sec, "timestamp.sec", 0, 0xffffffff);
  const nsec = raw.checkInt(timestamp.nsec, "timestamp.nsec", 0, 999_999_999);
  b.writeUInt32LE(sec, 0);
  b.writeUInt32LE(nanosecond ? nsec : Math.floor(nsec / 1000), 4);
  b.writeUInt32LE(data.byteLength, 8);
  b.writeUInt32LE(raw.checkInt(originalLength, "originalLength", data.byteLength, 0xffffffff), 12);
  b.set(data, RECORD_HEADER_SIZE);
  return b;
}

/**
 * Builds the 16-byte Linux cooked-capture (LINKTYPE_LINUX_SLL) header for a
 * frame received on a SOCK_DGRAM packet socket, from its address. Does not
 * correspond to a syscall.
 * @see https://www.tcpdump.org/manpages/pcap-savefile.5.html
 */
export function encodeSllHeader(address: PacketAddress): Buffer {
  const b = Buffer.alloc(SLL_HEADER_SIZE);
  b.writeUInt16BE(address.pkttype & 0xffff, 0);
  b.writeUInt16BE(address.hatype & 0xffff, 2);
  const hw = address.addr.subarray(0, 8);
  b.writeUInt16BE(address.addr.length, 4);
  hw.copy(b, 6);
  b.writeUInt16BE(address.protocol & 0xffff, 14);
  return b;
}

/**
 * The pcap link type for frames of a packet socket: LINKTYPE_ETHERNET for a
 * SOCK_RAW socket on Ethernet or loopback, LINKTYPE_LINUX_SLL otherwise (write
 * each frame after {@link encodeSllHeader}). Does not correspond to a syscall.
 * @see https://www.tcpdump.org/manpages/pcap-savefile.5.html
 */
export function linkTypeFor(socketType: "raw" | "dgram", hatype?: number): number {
  if (socketType === "raw" && (hatype === undefined || hatype === ARPHRD.ETHER || hatype === ARPHRD.LOOPBACK)) {
    return LINKTYPE.ETHERNET;
  }
  return LINKTYPE.LINUX_SLL;
}

export type { PcapSink };

/**
 * Writes a pcap file: the header at construction, one record per
 * {@link PcapWriter.write}. A path is created (truncated) and written
 * synchronously; a stream gets each record as one chunk.
 * @see https://www.tcpdump.org/manpages/pcap-savefile.5.html
 */
export class PcapWriter {
  /** The file's link type (LINKTYPE_*). */
  readonly linkType: number;
  /** The file's snapshot length: records are cut to it. */
  readonly snaplen: number;
  /** Whether timestamps are written in nanoseconds (else microseconds). */
  readonly nanosecond: boolean;
  readonly #out: SinkWriter;
  /** Records written. */
  count = 0;

  /**
   * Opens `sink` and writes the file header. Does not correspond to a single
   * syscall: open(2) and write(2) for a path.
   *
   * @throws Error from open(2) (ENOENT, EACCES); TypeError/RangeError ERR_* for bad options.
   */
  constructor(sink: PcapSink, options: PcapHeaderOptions = {}) {
    const header = encodePcapHeader(options);
    this.linkType = options.linkType ?? LINKTYPE.ETHERNET;
    this.snaplen = options.snaplen ?? 262144;
    this.nanosecond = options.nanosecond === true;
    this.#out = new SinkWriter(sink);
    this.#emit(header);
  }

  #emit(b: Buffer): void {
    this.#out.write(b);
  }

  /**
   * Appends one packet: `data` cut to snaplen, its original length
   * (default: data's length) and timestamp (default: now). Does not
   * correspond to a single syscall (write(2) for a path).
   *
   * @throws Error ERR_INVALID_STATE after close().
   */
  write(data: Uint8Array, timestamp?: PcapTimestamp, originalLength?: number): void {
    if (this.#out.closed) throw codedError("ERR_INVALID_ARG_VALUE", "PcapWriter: write after close");
    if (!(data instanceof Uint8Array)) throw codedError("ERR_INVALID_ARG_TYPE", "data must be a Buffer or Uint8Array");
    let ts = timestamp;
    if (ts === undefined) {
      const now = Date.now();
      ts = { sec: Math.floor(now / 1000), nsec: (now % 1000) * 1e6 };
    }
    const cut = data.byteLength > this.snaplen ? data.subarray(0, this.snaplen) : data;
    this.#emit(encodePcapRecord(cut, ts, Math.max(originalLength ?? data.byteLength, cut.byteLength), this.nanosecond));
    this.count++;
  }

  /**
   * Appends `count` records already encoded end to end in `records` (a
   * capture batch's: FrameBatch.records), with one write. Their timestamps
   * must be in this file's unit (`nanosecond`) and their captured lengths at
   * most its snaplen; nothing is re-encoded. Does not correspond to a single
   * syscall (write(2) for a path).
   *
   * @throws Error ERR_INVALID_ARG_VALUE after close(); TypeError for bytes that are not a Uint8Array.
   */
  writeRecords(records: Uint8Array, count: number): void {
    if (this.#out.closed) throw codedError("ERR_INVALID_ARG_VALUE", "PcapWriter: write after close");
    if (!(records instanceof Uint8Array)) {
      throw codedError("ERR_INVALID_ARG_TYPE", "records must be a Buffer or Uint8Array");
    }
    const n = raw.checkInt(count, "count", 0);
    if (n === 0 && records.byteLength === 0) return;
    const b = Buffer.from(records.buffer, records.byteOffset, records.byteLength);
    this.#emit(b);
    this.count += n;
  }

  /** Closes the file (a path's fd; an fd or stream given by the caller is left open). Idempotent. */
  close(): void {
    this.#out.close();
  }
}

/** A pcap file read back. */
export interface PcapFile {
  /** The link type of the records (LINKTYPE_*). */
  linkType: number;
  /** The snapshot length from the file header. */
  snaplen: number;
  /** Whether the file's timestamps are in nanoseconds. */
  nanosecond: boolean;
  /** The records, in file order: timestamp, length on the wire, captured bytes. */
  records: { timestamp: PcapTimestamp; originalLength: number; data: Buffer }[];
}

/**
 * Parses a classic pcap file (either byte order, micro- or nanosecond).
 * Does not correspond to a syscall.
 *
 * @see https://www.tcpdump.org/manpages/pcap-savefile.5.html
 * @throws PacketError (ERR_PACKET_MALFORMED) for a bad magic or a record past the end.
 */
export function parsePcap(bytes: Uint8Array): PcapFile {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < FILE_HEADER_SIZE) throw new PacketError("pcap", `file header needs 24 bytes, got ${b.length}`);
  let le = true;
  let magic = b.readUInt32LE(0);
  if (magic !== MAGIC_MICRO && magic !== MAGIC_NANO) {
    le = false;
    magic = b.readUInt32BE(0);
    if (magic !== MAGIC_MICRO && magic !== MAGIC_NANO) {
      throw new PacketError("pcap", `bad magic 0x${b.readUInt32LE(0).toString(16)}`);
    }
  }
  const u32 = (off: number): number => (le ? b.readUInt32LE(off) : b.readUInt32BE(off));
  const nanosecond = magic === MAGIC_NANO;
  const out: PcapFile = { linkType: u32(20) & 0xffff, snaplen: u32(16), nanosecond, records: [] };
  for (let off = FILE_HEADER_SIZE; off < b.length;) {
    if (off + RECORD_HEADER_SIZE > b.length) throw new PacketError("pcap", `record header at ${off} is cut short`);
    const incl = u32(off + 8);
    if (off + RECORD_HEADER_SIZE + incl > b.length) throw new PacketError("pcap", `record at ${off} is cut short`);
    const frac = u32(off + 4);
    out.records.push({
      timestamp: { sec: u32(off), nsec: nanosecond ? frac : frac * 1000 },
      originalLength: u32(off + 12),
      data: b.subarray(off + RECORD_HEADER_SIZE, off + RECORD_HEADER_SIZE + incl),
    });
    off += RECORD_HEADER_SIZE + incl;
  }
  return out;
}
