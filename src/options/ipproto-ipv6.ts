/**
 * IPv6 options (level IPPROTO_IPV6, also spelled SOL_IPV6), sorted by C name.
 * Options the headers define but this table lacks still resolve by name, as
 * raw bytes.
 *
 * @see https://man7.org/linux/man-pages/man7/ipv6.7.html
 */
import { IPPROTO, IPV6 } from "../constants.js";
import { bool, ifindex, int, ipv6Mreq } from "./codecs.js";
import { man, rw, wo, type LevelSpec } from "./table.js";

const see = man("ipv6", 7);

/** IPPROTO_IPV6 options: C name → codec, access, doc. */
export const IPPROTO_IPV6_OPTIONS = {
  IPV6_ADDR_PREFERENCES: rw(int, "Source address selection preferences (IPV6_PREFER_SRC_* flags, RFC 5014).", see),
  IPV6_AUTOFLOWLABEL: rw(bool, "Generates flow labels for outgoing packets automatically.", see),
  IPV6_DONTFRAG: rw(bool, "Fails sends larger than the path MTU instead of fragmenting them.", see),
  IPV6_FREEBIND: rw(bool, "Allows binding to an address that is not (yet) local.", see),
  IPV6_JOIN_GROUP: wo(ipv6Mreq, "Joins a multicast group { multiaddr, ifindex? }.", see),
  IPV6_LEAVE_GROUP: wo(ipv6Mreq, "Leaves a multicast group { multiaddr, ifindex? }.", see),
  IPV6_MINHOPCOUNT: rw(int, "Drops incoming packets whose hop limit is below this (GTSM, RFC 5082).", see),
  IPV6_MTU: rw(int, "The path MTU of a connected socket; setting it caps the MTU used.", see),
  IPV6_MTU_DISCOVER: rw(int, "Path MTU discovery mode (IPV6_PMTUDISC_*).", see),
  IPV6_MULTICAST_ALL: rw(
    bool,
    "Delivers multicast of every group joined on the system, not only this socket's (default true).",
    see,
  ),
  IPV6_MULTICAST_HOPS: rw(int, "The hop limit of outgoing multicast (default 1; -1 restores it).", see),
  IPV6_MULTICAST_IF: rw(
    ifindex,
    'The interface for outgoing multicast, by index or name ("lo"); 0 is the default.',
    see,
  ),
  IPV6_MULTICAST_LOOP: rw(bool, "Loops outgoing multicast back to local listeners (default true).", see),
  IPV6_RECVERR: rw(bool, "Queues extended errors to the error queue (read with MSG_ERRQUEUE).", see),
  IPV6_RECVHOPLIMIT: rw(bool, "Enables IPV6_HOPLIMIT control messages (the hop limit of each packet).", see),
  IPV6_RECVORIGDSTADDR: rw(bool, "Enables IPV6_ORIGDSTADDR control messages (original destination, for TPROXY).", see),
  IPV6_RECVPATHMTU: rw(bool, "Enables IPV6_PATHMTU control messages when the path MTU changes.", see),
  IPV6_RECVPKTINFO: rw(bool, "Enables IPV6_PKTINFO control messages (destination address, interface).", see),
  IPV6_RECVTCLASS: rw(bool, "Enables IPV6_TCLASS control messages (the traffic class of each packet).", see),
  IPV6_TCLASS: rw(int, "The traffic class (DSCP/ECN) of outgoing packets (-1 restores the default).", see),
  IPV6_TRANSPARENT: rw(
    bool,
    "Allows binding to and sending from non-local addresses (TPROXY; needs CAP_NET_ADMIN).",
    see,
  ),
  IPV6_UNICAST_HOPS: rw(int, "The hop limit of outgoing unicast packets (-1 restores the default).", see),
  IPV6_V6ONLY: rw(bool, "Restricts an AF_INET6 socket to IPv6 (no IPv4-mapped addresses); set before bind(2).", see),
} as const;

/** The IPPROTO_IPV6 level. */
export const ipprotoIpv6: LevelSpec<typeof IPPROTO_IPV6_OPTIONS> = {
  name: "IPPROTO_IPV6",
  aliases: ["SOL_IPV6"],
  level: IPPROTO.IPV6,
  prefix: "IPV6_",
  numbers: IPV6,
  see,
  options: IPPROTO_IPV6_OPTIONS,
};
