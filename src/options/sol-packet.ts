/**
 * Packet-socket options (level SOL_PACKET), sorted by C name: memberships
 * (promiscuous, all-multicast, a multicast address) as struct packet_mreq,
 * PACKET_STATISTICS as struct tpacket_stats, and the int/bool options.
 * Layouts come from the headers (STRUCTS.packet_mreq, STRUCTS.tpacket_stats).
 * SO_ATTACH_FILTER carries a pointer and so is not a table codec: attach
 * programs with attachFilter (src/bpf.ts).
 *
 * @see https://man7.org/linux/man-pages/man7/packet.7.html
 */
import { PACKET, SOL, STRUCTS } from "../constants.js";
import { readU16, readU32, writeI32, writeU16 } from "../endian.js";
import { codedError } from "../errors.js";
import * as raw from "../raw/index.js";
import { bool, int, type Codec } from "./codecs.js";
import { man, ro, rw, wo, type LevelSpec } from "./table.js";

const see = man("packet", 7);
const MQ = STRUCTS.packet_mreq!;
const TS = STRUCTS.tpacket_stats!;
const TS3 = STRUCTS.tpacket_stats_v3!;
const AUX = STRUCTS.tpacket_auxdata!;

/** A packet-socket membership (struct packet_mreq). */
export interface PacketMembership {
  /** The interface, by index or name ("eth0"). */
  ifindex: number | string;
  /** "promisc", "allmulti", "multicast", "unicast", or a PACKET_MR_* number. */
  type: "promisc" | "allmulti" | "multicast" | "unicast" | number;
  /** The link-layer address for "multicast" (bytes, or "01:00:5e:00:00:01"). */
  address?: Uint8Array | string;
}

const MR_TYPES: Record<string, number | undefined> = {
  promisc: PACKET.MR_PROMISC,
  allmulti: PACKET.MR_ALLMULTI,
  multicast: PACKET.MR_MULTICAST,
  unicast: PACKET.MR_UNICAST,
};

/** The interface index of `v` (a number, or a name resolved with if_nametoindex). */
function ifIndexOf(v: unknown, what: string): number {
  if (typeof v === "string") {
    const n = raw.ifNameToIndex(v);
    if (n <= 0) throw codedError("ERR_INVALID_ARG_VALUE", `${what}: no interface named ${JSON.stringify(v)}`);
    return n;
  }
  return raw.checkInt(v, what, 0);
}

/** struct packet_mreq ← `{ ifindex, type, address? }` (setsockopt only: the kernel has no getter). */
export const packetMreq: Codec<never, PacketMembership> = {
  kind: "packet_mreq",
  size: MQ.size,
  decode() {
    throw codedError("ERR_INVALID_ARG_VALUE", "packet_mreq options are write-only");
  },
  encode(v, what = "value") {
    if (typeof v !== "object" || v === null) {
      throw codedError("ERR_INVALID_ARG_TYPE", `${what} must be an object { ifindex, type, address? }`);
    }
    const type = typeof v.type === "number" ? raw.checkInt(v.type, `${what}.type`, 0, 0xffff) : MR_TYPES[v.type];
    if (type === undefined) {
      throw codedError(
        "ERR_INVALID_ARG_VALUE",
        `${what}.type must be promisc, allmulti, multicast, unicast or a number`,
      );
    }
    let addr: Uint8Array = new Uint8Array(0);
    if (typeof v.address === "string") {
      if (!/^[0-9a-f]{2}(:[0-9a-f]{2})*$/i.test(v.address)) {
        throw codedError("ERR_INVALID_ADDRESS", `${what}.address must look like "01:00:5e:00:00:01"`);
      }
      addr = Buffer.from(v.address.replaceAll(":", ""), "hex");
    } else if (v.address instanceof Uint8Array) addr = v.address;
    else if (v.address !== undefined)
      throw codedError("ERR_INVALID_ARG_TYPE", `${what}.address must be bytes or a string`);
    const room = MQ.size - MQ.mr_address!;
    if (addr.byteLength > room) throw codedError("ERR_OUT_OF_RANGE", `${what}.address is at most ${room} bytes`);
    const b = Buffer.alloc(MQ.size);
    const idx = ifIndexOf(v.ifindex, `${what}.ifindex`);
    writeI32(b, MQ.mr_ifindex!, idx);
    writeU16(b, MQ.mr_type!, type);
    writeU16(b, MQ.mr_alen!, addr.byteLength);
    b.set(addr, MQ.mr_address!);
    return b;
  },
};

/** PACKET_STATISTICS: packets received and dropped since the last read (reading resets both). */
export interface PacketStatistics {
  /** tp_packets: packets that passed the filter (including those dropped). */
  packets: number;
  /** tp_drops: packets dropped because the receive buffer (or ring) was full. */
  drops: number;
  /** tp_freeze_q_cnt: times a TPACKET_V3 ring was full and froze (present on a socket with a V3 ring). */
  freezes?: number;
}

/**
 * struct tpacket_stats → `{ packets, drops }`; struct tpacket_stats_v3 (what
 * a socket with a TPACKET_V3 ring returns, 4 bytes longer) adds `freezes`.
 */
export const tpacketStats: Codec<PacketStatistics, never> = {
  kind: "tpacket_stats",
  size: TS3.size,
  decode(b, length) {
    const s: PacketStatistics = {
      packets: length >= TS.tp_packets! + 4 ? readU32(b, TS.tp_packets!) : 0,
      drops: length >= TS.tp_drops! + 4 ? readU32(b, TS.tp_drops!) : 0,
    };
    if (length >= TS3.tp_freeze_q_cnt! + 4) s.freezes = readU32(b, TS3.tp_freeze_q_cnt!);
    return s;
  },
  encode() {
    throw codedError("ERR_INVALID_ARG_VALUE", "PACKET_STATISTICS is read-only");
  },
};

/** A PACKET_AUXDATA control message: struct tpacket_auxdata. */
export interface PacketAuxdata {
  /** TP_STATUS_* bits (tp_status): checksum state, VLAN valid, losing ... */
  status: number;
  /** The packet's length on the wire. */
  length: number;
  /** How much of it was captured. */
  snaplen: number;
  /** Offset of the link-layer header (tp_mac). */
  mac: number;
  /** Offset of the network header (tp_net). */
  net: number;
  /** The VLAN tag control information (tp_vlan_tci). */
  vlanTci: number;
  /** The VLAN tag protocol id (tp_vlan_tpid). */
  vlanTpid: number;
}

/** Decodes a PACKET_AUXDATA control message (SOL_PACKET level cmsg). Does not correspond to a syscall. */
export function decodePacketAuxdata(data: Uint8Array): PacketAuxdata | undefined {
  if (data.byteLength < AUX.size) return undefined;
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return {
    status: readU32(b, AUX.tp_status!),
    length: readU32(b, AUX.tp_len!),
    snaplen: readU32(b, AUX.tp_snaplen!),
    mac: readU16(b, AUX.tp_mac!),
    net: readU16(b, AUX.tp_net!),
    vlanTci: readU16(b, AUX.tp_vlan_tci!),
    vlanTpid: readU16(b, AUX.tp_vlan_tpid!),
  };
}

/** SOL_PACKET options: C name → codec, access, doc. */
export const SOL_PACKET_OPTIONS = {
  PACKET_ADD_MEMBERSHIP: wo(
    packetMreq,
    "Adds a membership { ifindex, type: promisc | allmulti | multicast, address? } (dropped on close).",
    see,
  ),
  PACKET_AUXDATA: rw(bool, "Adds a PACKET_AUXDATA control message (struct tpacket_auxdata) to each packet.", see),
  PACKET_DROP_MEMBERSHIP: wo(packetMreq, "Removes a membership added with PACKET_ADD_MEMBERSHIP.", see),
  PACKET_FANOUT: rw(int, "Joins a fanout group: group id | (PACKET_FANOUT_* mode << 16).", see),
  PACKET_IGNORE_OUTGOING: rw(bool, "Skips packets this host sends (Linux 4.20).", see),
  PACKET_LOSS: rw(bool, "TX ring: skips malformed frames instead of stopping.", see),
  PACKET_ORIGDEV: rw(bool, "Reports the original device (not the bond or bridge) in the packet address.", see),
  PACKET_QDISC_BYPASS: rw(bool, "Sends past the queueing discipline (TX ring and sendmsg).", see),
  PACKET_RESERVE: rw(int, "Headroom reserved in front of each ring frame.", see),
  PACKET_STATISTICS: ro(
    tpacketStats,
    "Packets received and dropped since the last read { packets, drops }; reading resets them.",
    see,
  ),
  PACKET_TIMESTAMP: rw(int, "Ring timestamp source (SOF_TIMESTAMPING_* flags).", see),
  PACKET_VERSION: rw(int, "Ring frame layout: TPACKET_V1, V2 or V3 (0, 1, 2).", see),
  PACKET_VNET_HDR: rw(bool, "Prepends struct virtio_net_hdr to each packet (offloads).", see),
} as const;

/** The SOL_PACKET level. */
export const solPacket: LevelSpec<typeof SOL_PACKET_OPTIONS> = {
  name: "SOL_PACKET",
  aliases: [],
  level: SOL.PACKET,
  prefix: "PACKET_",
  numbers: PACKET,
  // The PACKET_ group also holds packet types, membership types and fanout modes.
  notOptions: /^(HOST|BROADCAST|MULTICAST|OTHERHOST|OUTGOING|LOOPBACK|USER|KERNEL|MR_.*|FANOUT_(?!DATA).*)$/,
  see,
  options: SOL_PACKET_OPTIONS,
};
