/**
 * The kernel's numbers, read from the system headers when the addon was built
 * (native/constants_linux.c) and exposed as frozen groups keyed by the C name
 * without its prefix: `AF.INET6`, `SOCK.SEQPACKET`, `SO.REUSEADDR`, `MSG.PEEK`.
 * `constantName("SO", 2)` gives back "SO_REUSEADDR"; unknown values print as
 * numbers and are never rejected (CPython's IntEnum, socket2's Debug impls).
 */
import { native } from "./raw/native.js";

type Group<K extends string> = Readonly<Record<K, number> & Record<string, number | undefined>>;

const prefixes = {
  AF: "AF_",
  SOCK: "SOCK_",
  SOL: "SOL_",
  SO: "SO_",
  IPPROTO: "IPPROTO_",
  MSG: "MSG_",
  TCP: "TCP_",
  UDP: "UDP_",
  IP: "IP_",
  IPV6: "IPV6_",
  SHUT: "SHUT_",
  SCM: "SCM_",
  POLL: "POLL",
  NETLINK: "NETLINK_",
  TCP_STATE: "TCP_",
  IOCTL: "",
  FCNTL: "",
  LIMITS: "",
  ETH_P: "ETH_P_",
  PACKET: "PACKET_",
  ICMP: "ICMP_",
  ICMP6: "ICMP6_",
  BPF: "BPF_",
  ARPHRD: "ARPHRD_",
} as const;

/** A group name accepted by {@link constantName}. */
export type ConstantGroup = keyof typeof prefixes;

const fullNames = new Map<ConstantGroup, Map<number, string>>();

function group<K extends string>(name: ConstantGroup): Group<K> {
  const src = native.constants[name] ?? {};
  const prefix = prefixes[name];
  const out: Record<string, number> = {};
  const reverse = new Map<number, string>();
  for (const [cname, value] of Object.entries(src)) {
    out[prefix && cname.startsWith(prefix) ? cname.slice(prefix.length) : cname] = value;
    if (!reverse.has(value)) reverse.set(value, cname);
  }
  fullNames.set(name, reverse);
  return Object.freeze(out) as Group<K>;
}

/** Address families (`AF_*`). */
export const AF = group<"UNSPEC" | "UNIX" | "LOCAL" | "INET" | "INET6" | "NETLINK" | "PACKET">("AF");
/** Socket types (`SOCK_*`), including the SOCK_NONBLOCK/SOCK_CLOEXEC flags. */
export const SOCK = group<"STREAM" | "DGRAM" | "SEQPACKET" | "RAW" | "RDM" | "NONBLOCK" | "CLOEXEC">("SOCK");
/** Option levels (`SOL_*`). */
export const SOL = group<"SOCKET" | "IP" | "IPV6" | "TCP" | "UDP" | "RAW" | "PACKET" | "NETLINK" | "ICMPV6">("SOL");
/** Socket-level options (`SO_*`). */
export const SO = group<
  | "REUSEADDR"
  | "REUSEPORT"
  | "KEEPALIVE"
  | "LINGER"
  | "RCVBUF"
  | "SNDBUF"
  | "RCVLOWAT"
  | "SNDLOWAT"
  | "BROADCAST"
  | "BINDTODEVICE"
  | "TYPE"
  | "DOMAIN"
  | "PROTOCOL"
  | "ERROR"
  | "ACCEPTCONN"
  | "PEERCRED"
  | "PASSCRED"
  | "MARK"
  | "PRIORITY"
  | "RCVTIMEO"
  | "SNDTIMEO"
  | "OOBINLINE"
  | "TIMESTAMP"
  | "TIMESTAMPNS"
  | "TIMESTAMPING"
  | "PEERSEC"
  | "COOKIE"
  | "DONTROUTE"
>("SO");
/** Protocol numbers (`IPPROTO_*`). */
export const IPPROTO = group<"IP" | "ICMP" | "TCP" | "UDP" | "IPV6" | "ICMPV6" | "RAW" | "SCTP" | "UDPLITE">("IPPROTO");
/** send/recv flags (`MSG_*`). */
export const MSG = group<
  | "OOB"
  | "PEEK"
  | "DONTROUTE"
  | "CTRUNC"
  | "TRUNC"
  | "DONTWAIT"
  | "EOR"
  | "WAITALL"
  | "NOSIGNAL"
  | "MORE"
  | "ERRQUEUE"
  | "CMSG_CLOEXEC"
  | "WAITFORONE"
  | "CONFIRM"
  | "FASTOPEN"
  | "ZEROCOPY"
>("MSG");
/** TCP-level options (`TCP_*`). */
export const TCP = group<
  | "NODELAY"
  | "MAXSEG"
  | "CORK"
  | "KEEPIDLE"
  | "KEEPINTVL"
  | "KEEPCNT"
  | "USER_TIMEOUT"
  | "CONGESTION"
  | "FASTOPEN"
  | "INFO"
  | "QUICKACK"
  | "NOTSENT_LOWAT"
  | "DEFER_ACCEPT"
  | "SYNCNT"
  | "LINGER2"
>("TCP");
/** UDP-level options (`UDP_*`). */
export const UDP = group<"CORK" | "SEGMENT" | "GRO">("UDP");
/** IPv4-level options (`IP_*`). */
export const IP = group<
  | "TOS"
  | "TTL"
  | "HDRINCL"
  | "PKTINFO"
  | "RECVTTL"
  | "RECVTOS"
  | "RECVERR"
  | "MTU_DISCOVER"
  | "MTU"
  | "MULTICAST_IF"
  | "MULTICAST_TTL"
  | "MULTICAST_LOOP"
  | "ADD_MEMBERSHIP"
  | "DROP_MEMBERSHIP"
  | "FREEBIND"
  | "TRANSPARENT"
  | "BIND_ADDRESS_NO_PORT"
>("IP");
/** IPv6-level options (`IPV6_*`). */
export const IPV6 = group<
  | "V6ONLY"
  | "UNICAST_HOPS"
  | "MULTICAST_HOPS"
  | "MULTICAST_LOOP"
  | "MULTICAST_IF"
  | "JOIN_GROUP"
  | "LEAVE_GROUP"
  | "RECVPKTINFO"
  | "PKTINFO"
  | "RECVHOPLIMIT"
  | "RECVTCLASS"
  | "TCLASS"
  | "RECVERR"
  | "FREEBIND"
  | "TRANSPARENT"
>("IPV6");
/** shutdown(2) directions. */
export const SHUT = group<"RD" | "WR" | "RDWR">("SHUT");
/** Control message types at SOL_SOCKET (`SCM_*`), and SCM_MAX_FD. */
export const SCM = group<"RIGHTS" | "CREDENTIALS" | "TIMESTAMP" | "TIMESTAMPNS" | "TIMESTAMPING" | "MAX_FD">("SCM");
/** poll(2) event bits (`POLLIN` → `POLL.IN`). */
export const POLL = group<"IN" | "PRI" | "OUT" | "ERR" | "HUP" | "NVAL" | "RDHUP" | "RDNORM" | "WRNORM">("POLL");
/** Netlink protocols (`NETLINK_*`). */
export const NETLINK = group<"ROUTE" | "SOCK_DIAG" | "KOBJECT_UEVENT" | "GENERIC" | "NETFILTER" | "AUDIT">("NETLINK");
/** TCP states as in tcp_info.tcpi_state (`TCP_ESTABLISHED` → `TCP_STATE.ESTABLISHED`). */
export const TCP_STATE = group<
  | "ESTABLISHED"
  | "SYN_SENT"
  | "SYN_RECV"
  | "FIN_WAIT1"
  | "FIN_WAIT2"
  | "TIME_WAIT"
  | "CLOSE"
  | "CLOSE_WAIT"
  | "LAST_ACK"
  | "LISTEN"
  | "CLOSING"
>("TCP_STATE");
/** Socket ioctl requests (FIONREAD, SIOCATMARK, SIOCOUTQ, ...), by their C names. */
export const IOCTL = group<"FIONREAD" | "FIONBIO" | "SIOCATMARK" | "SIOCINQ" | "SIOCOUTQ" | "SIOCOUTQNSD">("IOCTL");
/** fcntl(2) commands and flags, by their C names. */
export const FCNTL = group<
  "F_GETFL" | "F_SETFL" | "F_GETFD" | "F_SETFD" | "F_DUPFD_CLOEXEC" | "FD_CLOEXEC" | "O_NONBLOCK"
>("FCNTL");
/** Sizes and limits: FD_SETSIZE, SOMAXCONN, IFNAMSIZ, IOV_MAX, SUN_PATH_MAX. */
export const LIMITS = group<"FD_SETSIZE" | "SOMAXCONN" | "IFNAMSIZ" | "IOV_MAX" | "SUN_PATH_MAX" | "SA_FAMILY_SIZE">(
  "LIMITS",
);

/** Ethernet protocol ids (`ETH_P_*`, host order: pass `htons(ETH_P.ALL)` to a packet socket) and ETH_ALEN/ETH_HLEN. */
export const ETH_P = group<"ALL" | "IP" | "IPV6" | "ARP" | "8021Q" | "LOOP">("ETH_P");
/** Packet-socket options, packet types, membership and fanout values (`PACKET_*`, linux/if_packet.h). */
export const PACKET = group<
  | "HOST"
  | "BROADCAST"
  | "MULTICAST"
  | "OTHERHOST"
  | "OUTGOING"
  | "ADD_MEMBERSHIP"
  | "DROP_MEMBERSHIP"
  | "STATISTICS"
  | "AUXDATA"
  | "MR_PROMISC"
  | "MR_MULTICAST"
  | "MR_ALLMULTI"
>("PACKET");
/** ICMP types and codes (`ICMP_ECHO`, `ICMP_TIME_EXCEEDED`, `ICMP_PORT_UNREACH` ..., netinet/ip_icmp.h). */
export const ICMP = group<
  "ECHOREPLY" | "ECHO" | "DEST_UNREACH" | "TIME_EXCEEDED" | "PORT_UNREACH" | "HOST_UNREACH" | "EXC_TTL"
>("ICMP");
/** ICMPv6 types and codes and the ICMP6_FILTER option (`ICMP6_ECHO_REQUEST` ..., netinet/icmp6.h). */
export const ICMP6 = group<
  "ECHO_REQUEST" | "ECHO_REPLY" | "DST_UNREACH" | "TIME_EXCEEDED" | "PACKET_TOO_BIG" | "PARAM_PROB" | "FILTER"
>("ICMP6");
/** Classic BPF opcode parts and limits (`BPF_LD`, `BPF_ABS`, `BPF_JEQ`, `BPF_MAXINSNS`, `SKF_AD_*`; linux/filter.h). */
export const BPF = group<
  | "LD"
  | "LDX"
  | "ST"
  | "STX"
  | "ALU"
  | "JMP"
  | "RET"
  | "MISC"
  | "W"
  | "H"
  | "B"
  | "IMM"
  | "ABS"
  | "IND"
  | "MEM"
  | "LEN"
  | "MSH"
  | "K"
  | "X"
  | "A"
  | "JA"
  | "JEQ"
  | "JGT"
  | "JGE"
  | "JSET"
  | "MAXINSNS"
  | "MEMWORDS"
>("BPF");
/** Link-layer types of sockaddr_ll.sll_hatype (`ARPHRD_ETHER`, `ARPHRD_LOOPBACK` ...). */
export const ARPHRD = group<"ETHER" | "LOOPBACK" | "NONE">("ARPHRD");

/** Struct sizes and field offsets from the headers (`STRUCTS.sockaddr_in6.sin6_port`). */
export const STRUCTS = native.structs;

/**
 * Returns the C name of `value` in `group` ("SO_REUSEADDR"), or the number as a
 * string when the headers define no such value. Does not correspond to a syscall.
 */
export function constantName(group: ConstantGroup, value: number): string {
  return fullNames.get(group)?.get(value) ?? String(value);
}
