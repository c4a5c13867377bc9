/**
 * IPv4 options (level IPPROTO_IP, also spelled SOL_IP), sorted by C name.
 * Options the headers define but this table lacks still resolve by name, as
 * raw bytes.
 *
 * @see https://man7.org/linux/man-pages/man7/ip.7.html
 */
import { IP, IPPROTO } from "../constants.js";
import { bool, enumInt, int, ipMreqn, multicastIf } from "./codecs.js";
import { man, ro, rw, wo, type LevelSpec } from "./table.js";

const see = man("ip", 7);

/** IP_PMTUDISC_* by C name, for IP_MTU_DISCOVER. */
const PMTUDISC = Object.fromEntries(
  Object.entries(IP)
    .filter(([k]) => k.startsWith("PMTUDISC_"))
    .map(([k, v]) => [`IP_${k}`, v]),
);

/** IPPROTO_IP options: C name → codec, access, doc. */
export const IPPROTO_IP_OPTIONS = {
  IP_ADD_MEMBERSHIP: wo(ipMreqn, "Joins a multicast group { multiaddr, address?, ifindex? }.", see),
  IP_BIND_ADDRESS_NO_PORT: rw(bool, "Defers the choice of port at bind(2) with port 0 until connect(2).", see),
  IP_DROP_MEMBERSHIP: wo(ipMreqn, "Leaves a multicast group { multiaddr, address?, ifindex? }.", see),
  IP_FREEBIND: rw(bool, "Allows binding to an address that is not (yet) local.", see),
  IP_HDRINCL: rw(bool, "The application supplies the IP header (raw sockets).", see),
  IP_MINTTL: rw(int, "Drops incoming packets whose TTL is below this (GTSM, RFC 5082).", see),
  IP_MTU: ro(int, "The known path MTU of a connected socket.", see),
  IP_MTU_DISCOVER: rw(
    enumInt("pmtudisc", PMTUDISC),
    "Path MTU discovery: IP_PMTUDISC_DONT, _WANT, _DO or _PROBE (a number or the name).",
    see,
  ),
  IP_MULTICAST_ALL: rw(
    bool,
    "Delivers multicast of every group joined on the system, not only this socket's (default true).",
    see,
  ),
  IP_MULTICAST_IF: rw(
    multicastIf,
    'The interface for outgoing multicast: its address ("0.0.0.0": default) or { address?, ifindex? }.',
    see,
  ),
  IP_MULTICAST_LOOP: rw(bool, "Loops outgoing multicast back to local listeners (default true).", see),
  IP_MULTICAST_TTL: rw(int, "The TTL of outgoing multicast (default 1).", see),
  IP_NODEFRAG: rw(bool, "Skips reassembly of fragments (raw sockets).", see),
  IP_PKTINFO: rw(bool, "Enables IP_PKTINFO control messages (destination address, interface).", see),
  IP_RECVERR: rw(bool, "Queues extended errors to the error queue (read with MSG_ERRQUEUE).", see),
  IP_RECVFRAGSIZE: rw(bool, "Enables IP_RECVFRAGSIZE control messages (largest fragment size).", see),
  IP_RECVORIGDSTADDR: rw(bool, "Enables IP_ORIGDSTADDR control messages (original destination, for TPROXY).", see),
  IP_RECVTOS: rw(bool, "Enables IP_TOS control messages (the TOS byte of each packet).", see),
  IP_RECVTTL: rw(bool, "Enables IP_TTL control messages (the TTL of each packet).", see),
  IP_TOS: rw(int, "The type-of-service (DSCP/ECN) byte of outgoing packets.", see),
  IP_TRANSPARENT: rw(
    bool,
    "Allows binding to and sending from non-local addresses (TPROXY; needs CAP_NET_ADMIN).",
    see,
  ),
  IP_TTL: rw(int, "The TTL of outgoing unicast packets (-1 restores the default).", see),
} as const;

/** The IPPROTO_IP level. */
export const ipprotoIp: LevelSpec<typeof IPPROTO_IP_OPTIONS> = {
  name: "IPPROTO_IP",
  aliases: ["SOL_IP"],
  level: IPPROTO.IP,
  prefix: "IP_",
  numbers: IP,
  // The IP_ group also holds the IP_PMTUDISC_* values, which are not options.
  notOptions: /^PMTUDISC_/,
  see,
  options: IPPROTO_IP_OPTIONS,
};
