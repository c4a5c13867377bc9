/**
 * Ethernet II frames (IEEE 802.3), as a SOCK_RAW packet socket reads them:
 * destination, source, EtherType (one 802.1Q tag is stepped over). Pure, no I/O.
 *
 * @see https://man7.org/linux/man-pages/man7/packet.7.html
 */
import { ETH_P } from "../constants.js";
import { codedError } from "../errors.js";
import { asBuffer, need } from "./error.js";
import { checkField } from "./ipv4.js";

/**
 * ETH_HLEN (14) and ETH_ALEN (6), from the headers.
 * @see https://man7.org/linux/man-pages/man7/packet.7.html
 */
export const ETH_HEADER_SIZE = ETH_P.ETH_HLEN ?? 14;
const ALEN = ETH_P.ETH_ALEN ?? 6;

/** A decoded Ethernet frame. */
export interface EthernetFrame {
  /** "aa:bb:cc:dd:ee:ff". */
  destination: string;
  /** The source MAC address: "aa:bb:cc:dd:ee:ff". */
  source: string;
  /** The EtherType of the payload (ETH_P.IP, ETH_P.IPV6, ETH_P.ARP ...), after a VLAN tag if any. */
  etherType: number;
  /** The 802.1Q VLAN id, when the frame carried a tag. */
  vlan?: number;
  /** The payload. A view. */
  payload: Buffer;
}

/**
 * Formats 6 bytes as "aa:bb:cc:dd:ee:ff".
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/packet.7.html
 */
export function formatMac(b: Uint8Array, off = 0): string {
  return Array.from(b.subarray(off, off + ALEN), (x) => x.toString(16).padStart(2, "0")).join(":");
}

/**
 * Decodes an Ethernet II frame. Does not correspond to a syscall.
 *
 * @see https://man7.org/linux/man-pages/man7/packet.7.html
 * @throws PacketError (ERR_PACKET_MALFORMED) when shorter than its header.
 */
export function decodeEthernet(bytes: Uint8Array): EthernetFrame {
  const b = asBuffer(bytes);
  need("ethernet", b, ETH_HEADER_SIZE);
  let etherType = b.readUInt16BE(2 * ALEN);
  let off = ETH_HEADER_SIZE;
  let vlan: number | undefined;
  if (etherType === ETH_P["8021Q"]) {
    need("ethernet", b, ETH_HEADER_SIZE + 4, "802.1Q-tagged header");
    vlan = b.readUInt16BE(ETH_HEADER_SIZE) & 0x0fff;
    etherType = b.readUInt16BE(ETH_HEADER_SIZE + 2);
    off += 4;
  }
  return {
    destination: formatMac(b, 0),
    source: formatMac(b, ALEN),
    etherType,
    ...(vlan !== undefined ? { vlan } : {}),
    payload: b.subarray(off),
  };
}

function macBytes(text: unknown, what: string): Buffer {
  if (typeof text !== "string" || !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(text)) {
    throw codedError(
      "ERR_INVALID_ADDRESS",
      `${what} must be a MAC address "aa:bb:cc:dd:ee:ff", got ${JSON.stringify(text)}`,
    );
  }
  return Buffer.from(text.replaceAll(":", ""), "hex");
}

/**
 * Encodes an Ethernet II frame (no FCS, no padding). Does not correspond to a syscall.
 *
 * @see https://man7.org/linux/man-pages/man7/packet.7.html
 * @throws TypeError ERR_INVALID_ADDRESS, RangeError ERR_OUT_OF_RANGE.
 */
export function encodeEthernet(
  f: { destination: string; source: string; etherType: number },
  payload: Uint8Array,
): Buffer {
  const b = Buffer.alloc(ETH_HEADER_SIZE + payload.byteLength);
  macBytes(f.destination, "destination").copy(b, 0);
  macBytes(f.source, "source").copy(b, ALEN);
  b.writeUInt16BE(checkField(f.etherType, "etherType", 0xffff), 2 * ALEN);
  b.set(payload, ETH_HEADER_SIZE);
  return b;
}
