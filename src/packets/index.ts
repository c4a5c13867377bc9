/**
 * Pure packet codecs, no I/O: Ethernet, IPv4, IPv6, ICMP, ICMPv6, UDP and TCP
 * headers, with the Internet checksum and pseudo-headers. Every decoder
 * throws only PacketError (ERR_PACKET_MALFORMED) for bad bytes; encoders throw
 * TypeError/RangeError ERR_* for bad input.
 */
export { PacketError } from "./error.js";
export {
  addressBytes,
  checksumAdd,
  finishChecksum,
  internetChecksum,
  pseudoHeaderSum,
  transportChecksum,
} from "./checksum.js";
export { ETH_HEADER_SIZE, decodeEthernet, encodeEthernet, formatMac, type EthernetFrame } from "./ethernet.js";
export { IPV4_HEADER_SIZE, decodeIPv4, encodeIPv4, type IPv4Header, type IPv4Input, type IPv4Packet } from "./ipv4.js";
export { IPV6_HEADER_SIZE, decodeIPv6, encodeIPv6, type IPv6Header, type IPv6Input, type IPv6Packet } from "./ipv6.js";
export {
  ICMP_HEADER_SIZE,
  decodeICMP,
  encodeEchoRequest,
  encodeICMP,
  type IcmpDecoded,
  type IcmpInput,
  type IcmpMessage,
} from "./icmp.js";
export { decodeICMPv6, encodeEchoRequestV6, encodeICMPv6, type PseudoHeader } from "./icmpv6.js";
export { UDP_HEADER_SIZE, decodeUDP, encodeUDP, type UdpDatagram, type UdpInput } from "./udp.js";
export { TCP_HEADER_SIZE, decodeTCP, encodeTCP, type TcpFlags, type TcpInput, type TcpSegment } from "./tcp.js";
