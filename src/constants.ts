/**
 * The kernel's numbers, read from the system headers when the addon was built
 * (native/constants_linux.c) and exposed as frozen groups keyed by the C name
 * without its prefix: `AF.INET6`, `SOCK.SEQPACKET`, `SO.REUSEADDR`, `MSG.PEEK`.
 * `constantName("SO", 2)` gives back "SO_REUSEADDR"; unknown values print as
 * numbers and are never rejected (CPython's IntEnum, socket2's Debug impls).
 */
import { HEADER_CONSTANTS, HEADER_STRUCTS } from "./raw/headers.js";

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
  TPACKET: "",
  ICMP: "ICMP_",
  ICMP6: "ICMP6_",
  BPF: "BPF_",
  ARPHRD: "ARPHRD_",
  NLMSG: "NLMSG_",
  NLM_F: "NLM_F_",
  NLA: "NLA_",
  NLMSGERR_ATTR: "NLMSGERR_ATTR_",
  NETLINK_SOCKOPT: "NETLINK_",
  RTM: "RTM_",
  IFLA: "IFLA_",
  VETH_INFO: "VETH_INFO_",
  IFA: "IFA_",
  IFA_F: "IFA_F_",
  IFF: "IFF_",
  IF_OPER: "IF_OPER_",
  RTA: "RTA_",
  RTN: "RTN_",
  RTPROT: "RTPROT_",
  RT_SCOPE: "RT_SCOPE_",
  RT_TABLE: "RT_TABLE_",
  RTNLGRP: "RTNLGRP_",
  NDA: "NDA_",
  NUD: "NUD_",
  NTF: "NTF_",
  SOCK_DIAG: "",
  INET_DIAG: "INET_DIAG_",
  UNIX_DIAG: "UNIX_DIAG_",
  UDIAG_SHOW: "UDIAG_SHOW_",
  PACKET_DIAG: "",
  NETLINK_DIAG: "",
  GENL: "",
  SK_MEMINFO: "SK_MEMINFO_",
  UEVENT_GROUP: "UEVENT_GROUP_",
  RTNH_F: "RTNH_F_",
  IF_LINK_MODE: "IF_LINK_MODE_",
  ICMPV6_ROUTER_PREF: "ICMPV6_ROUTER_PREF_",
} as const;

/** A group name accepted by {@link constantName}. */
export type ConstantGroup = keyof typeof prefixes;

const fullNames = new Map<ConstantGroup, Map<number, string>>();

function group<K extends string>(name: ConstantGroup): Group<K> {
  const src = HEADER_CONSTANTS[name] ?? {};
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
  | "LOOPBACK"
  | "VERSION"
  | "RX_RING"
>("PACKET");
/** The mmap'ed packet ring (linux/if_packet.h): `TPACKET_V3`, `TP_STATUS_USER`, `TPACKET_ALIGNMENT` (full C names). */
export const TPACKET = group<
  "TPACKET_V1" | "TPACKET_V2" | "TPACKET_V3" | "TPACKET_ALIGNMENT" | "TP_STATUS_KERNEL" | "TP_STATUS_USER"
>("TPACKET");
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

/** Netlink message types (`NLMSG_DONE`, `NLMSG_ERROR` ...), NLMSG_ALIGNTO and NLMSG_HDRLEN (linux/netlink.h). */
export const NLMSG = group<"NOOP" | "ERROR" | "DONE" | "OVERRUN" | "MIN_TYPE" | "ALIGNTO" | "HDRLEN">("NLMSG");
/** nlmsghdr flags (`NLM_F_REQUEST`, `NLM_F_DUMP`, `NLM_F_ACK_TLVS` ...). */
export const NLM_F = group<
  | "REQUEST"
  | "MULTI"
  | "ACK"
  | "ECHO"
  | "DUMP_INTR"
  | "ROOT"
  | "MATCH"
  | "DUMP"
  | "REPLACE"
  | "EXCL"
  | "CREATE"
  | "APPEND"
  | "CAPPED"
  | "ACK_TLVS"
>("NLM_F");
/** Netlink attribute flags and alignment (`NLA_F_NESTED`, `NLA_ALIGNTO`, `NLA_HDRLEN` ...). */
export const NLA = group<"F_NESTED" | "F_NET_BYTEORDER" | "TYPE_MASK" | "ALIGNTO" | "HDRLEN">("NLA");
/** Extended-ack attributes of an NLMSG_ERROR (`NLMSGERR_ATTR_MSG`, `NLMSGERR_ATTR_OFFS` ...). */
export const NLMSGERR_ATTR = group<"MSG" | "OFFS" | "COOKIE" | "POLICY">("NLMSGERR_ATTR");
/** SOL_NETLINK socket options (`NETLINK_ADD_MEMBERSHIP`, `NETLINK_EXT_ACK` ...). */
export const NETLINK_SOCKOPT = group<
  | "ADD_MEMBERSHIP"
  | "DROP_MEMBERSHIP"
  | "PKTINFO"
  | "BROADCAST_ERROR"
  | "NO_ENOBUFS"
  | "LISTEN_ALL_NSID"
  | "LIST_MEMBERSHIPS"
  | "CAP_ACK"
  | "EXT_ACK"
  | "GET_STRICT_CHK"
>("NETLINK_SOCKOPT");
/** rtnetlink message types (`RTM_NEWLINK`, `RTM_GETADDR`, `RTM_DELROUTE` ...; linux/rtnetlink.h). */
export const RTM = group<
  | "NEWLINK"
  | "DELLINK"
  | "GETLINK"
  | "SETLINK"
  | "NEWADDR"
  | "DELADDR"
  | "GETADDR"
  | "NEWROUTE"
  | "DELROUTE"
  | "GETROUTE"
  | "NEWNEIGH"
  | "DELNEIGH"
  | "GETNEIGH"
>("RTM");
/** Link attributes (`IFLA_IFNAME`, `IFLA_MTU`, `IFLA_INFO_KIND` ...; linux/if_link.h). */
export const IFLA = group<
  | "ADDRESS"
  | "BROADCAST"
  | "IFNAME"
  | "MTU"
  | "LINK"
  | "QDISC"
  | "MASTER"
  | "TXQLEN"
  | "OPERSTATE"
  | "LINKMODE"
  | "LINKINFO"
  | "IFALIAS"
  | "GROUP"
  | "NET_NS_FD"
  | "PROMISCUITY"
  | "NUM_TX_QUEUES"
  | "NUM_RX_QUEUES"
  | "CARRIER"
  | "MIN_MTU"
  | "MAX_MTU"
  | "PERM_ADDRESS"
  | "LINK_NETNSID"
  | "INFO_KIND"
  | "INFO_DATA"
  | "INFO_SLAVE_KIND"
>("IFLA");
/** veth link data (`VETH_INFO_PEER`; linux/veth.h). */
export const VETH_INFO = group<"PEER">("VETH_INFO");
/** Address attributes (`IFA_ADDRESS`, `IFA_LOCAL`, `IFA_LABEL` ...; linux/if_addr.h). */
export const IFA = group<
  "ADDRESS" | "LOCAL" | "LABEL" | "BROADCAST" | "ANYCAST" | "CACHEINFO" | "MULTICAST" | "FLAGS" | "RT_PRIORITY"
>("IFA");
/** Address flags (`IFA_F_SECONDARY`, `IFA_F_PERMANENT`, `IFA_F_NOPREFIXROUTE` ...). */
export const IFA_F = group<
  | "SECONDARY"
  | "TEMPORARY"
  | "NODAD"
  | "OPTIMISTIC"
  | "DADFAILED"
  | "HOMEADDRESS"
  | "DEPRECATED"
  | "TENTATIVE"
  | "PERMANENT"
  | "MANAGETEMPADDR"
  | "NOPREFIXROUTE"
  | "MCAUTOJOIN"
  | "STABLE_PRIVACY"
>("IFA_F");
/** Interface flags (`IFF_UP`, `IFF_LOOPBACK`, `IFF_LOWER_UP` ...; net/if.h, linux/if.h). */
export const IFF = group<
  | "UP"
  | "BROADCAST"
  | "DEBUG"
  | "LOOPBACK"
  | "POINTOPOINT"
  | "NOTRAILERS"
  | "RUNNING"
  | "NOARP"
  | "PROMISC"
  | "ALLMULTI"
  | "MASTER"
  | "SLAVE"
  | "MULTICAST"
  | "PORTSEL"
  | "AUTOMEDIA"
  | "DYNAMIC"
>("IFF");
/** RFC 2863 operational states of IFLA_OPERSTATE (`IF_OPER_UP` ...; linux/if.h). */
export const IF_OPER = group<"UNKNOWN" | "NOTPRESENT" | "DOWN" | "LOWERLAYERDOWN" | "TESTING" | "DORMANT" | "UP">(
  "IF_OPER",
);
/** Route attributes (`RTA_DST`, `RTA_GATEWAY`, `RTA_OIF`, `RTA_TABLE` ...; linux/rtnetlink.h). */
export const RTA = group<
  "DST" | "SRC" | "IIF" | "OIF" | "GATEWAY" | "PRIORITY" | "PREFSRC" | "METRICS" | "MULTIPATH" | "TABLE" | "PREF"
>("RTA");
/** Route types (`RTN_UNICAST`, `RTN_LOCAL`, `RTN_BLACKHOLE` ...). */
export const RTN = group<
  | "UNSPEC"
  | "UNICAST"
  | "LOCAL"
  | "BROADCAST"
  | "ANYCAST"
  | "MULTICAST"
  | "BLACKHOLE"
  | "UNREACHABLE"
  | "PROHIBIT"
  | "THROW"
  | "NAT"
>("RTN");
/** Route origins (`RTPROT_KERNEL`, `RTPROT_BOOT`, `RTPROT_STATIC` ...). */
export const RTPROT = group<"UNSPEC" | "REDIRECT" | "KERNEL" | "BOOT" | "STATIC" | "RA" | "DHCP">("RTPROT");
/** Route and address scopes (`RT_SCOPE_UNIVERSE`, `RT_SCOPE_LINK`, `RT_SCOPE_HOST` ...). */
export const RT_SCOPE = group<"UNIVERSE" | "SITE" | "LINK" | "HOST" | "NOWHERE">("RT_SCOPE");
/** Routing table ids (`RT_TABLE_MAIN`, `RT_TABLE_LOCAL` ...). */
export const RT_TABLE = group<"UNSPEC" | "COMPAT" | "DEFAULT" | "MAIN" | "LOCAL" | "MAX">("RT_TABLE");
/** rtnetlink multicast groups (`RTNLGRP_LINK`, `RTNLGRP_IPV4_IFADDR` ...): join with NETLINK_ADD_MEMBERSHIP. */
export const RTNLGRP = group<
  | "LINK"
  | "NOTIFY"
  | "NEIGH"
  | "TC"
  | "IPV4_IFADDR"
  | "IPV4_ROUTE"
  | "IPV4_RULE"
  | "IPV6_IFADDR"
  | "IPV6_ROUTE"
  | "IPV6_RULE"
  | "NSID"
>("RTNLGRP");
/** Neighbour attributes (`NDA_DST`, `NDA_LLADDR` ...; linux/neighbour.h). */
export const NDA = group<"DST" | "LLADDR" | "CACHEINFO" | "PROBES" | "VLAN" | "PORT" | "IFINDEX" | "MASTER">("NDA");
/** Neighbour states (`NUD_REACHABLE`, `NUD_PERMANENT` ...). */
export const NUD = group<
  "INCOMPLETE" | "REACHABLE" | "STALE" | "DELAY" | "PROBE" | "FAILED" | "NOARP" | "PERMANENT" | "NONE"
>("NUD");
/** Neighbour flags (`NTF_PROXY`, `NTF_ROUTER` ...). */
export const NTF = group<"USE" | "SELF" | "MASTER" | "PROXY" | "ROUTER">("NTF");
/** sock_diag request types, by C name (`SOCK_DIAG_BY_FAMILY`, `SOCK_DESTROY`; linux/sock_diag.h). */
export const SOCK_DIAG = group<"SOCK_DIAG_BY_FAMILY" | "SOCK_DESTROY">("SOCK_DIAG");
/** inet_diag attributes (`INET_DIAG_INFO`, `INET_DIAG_SHUTDOWN` ...; linux/inet_diag.h). */
export const INET_DIAG = group<
  "NONE" | "MEMINFO" | "INFO" | "CONG" | "TOS" | "TCLASS" | "SKMEMINFO" | "SHUTDOWN" | "PROTOCOL" | "SKV6ONLY" | "MARK"
>("INET_DIAG");
/** unix_diag attributes (`UNIX_DIAG_NAME`, `UNIX_DIAG_PEER`, `UNIX_DIAG_RQLEN` ...; linux/unix_diag.h). */
export const UNIX_DIAG = group<"NAME" | "VFS" | "PEER" | "ICONS" | "RQLEN" | "MEMINFO" | "SHUTDOWN" | "UID">(
  "UNIX_DIAG",
);
/** What a unix_diag request asks for (`UDIAG_SHOW_NAME`, `UDIAG_SHOW_PEER` ...). */
export const UDIAG_SHOW = group<"NAME" | "VFS" | "PEER" | "ICONS" | "RQLEN" | "MEMINFO" | "UID">("UDIAG_SHOW");
/** packet_diag attributes and show bits, by C name (`PACKET_DIAG_INFO`, `PACKET_SHOW_INFO` ...; linux/packet_diag.h). */
export const PACKET_DIAG = group<"PACKET_DIAG_INFO" | "PACKET_DIAG_UID" | "PACKET_SHOW_INFO" | "PACKET_SHOW_MEMINFO">(
  "PACKET_DIAG",
);
/** netlink_diag attributes and show bits, by C name (`NETLINK_DIAG_GROUPS`, `NDIAG_SHOW_GROUPS`, `NDIAG_PROTO_ALL` ...). */
export const NETLINK_DIAG = group<"NETLINK_DIAG_GROUPS" | "NDIAG_SHOW_GROUPS" | "NDIAG_PROTO_ALL">("NETLINK_DIAG");
/** Generic netlink: the controller's id, commands and attributes, by C name (`GENL_ID_CTRL`, `CTRL_CMD_GETFAMILY` ...). */
export const GENL = group<
  | "GENL_ID_CTRL"
  | "GENL_HDRLEN"
  | "GENL_NAMSIZ"
  | "CTRL_CMD_GETFAMILY"
  | "CTRL_ATTR_FAMILY_ID"
  | "CTRL_ATTR_FAMILY_NAME"
  | "CTRL_ATTR_VERSION"
  | "CTRL_ATTR_HDRSIZE"
  | "CTRL_ATTR_MAXATTR"
  | "CTRL_ATTR_OPS"
  | "CTRL_ATTR_MCAST_GROUPS"
  | "CTRL_ATTR_OP_ID"
  | "CTRL_ATTR_OP_FLAGS"
  | "CTRL_ATTR_MCAST_GRP_NAME"
  | "CTRL_ATTR_MCAST_GRP_ID"
>("GENL");

/** Next-hop flags of a route's rtm_flags (`RTNH_F_ONLINK`, `RTNH_F_LINKDOWN` ...). */
export const RTNH_F = group<"DEAD" | "PERVASIVE" | "ONLINK" | "OFFLOAD" | "LINKDOWN">("RTNH_F");
/** Link modes of IFLA_LINKMODE (`IF_LINK_MODE_DEFAULT`, `IF_LINK_MODE_DORMANT`; linux/if.h). */
export const IF_LINK_MODE = group<"DEFAULT" | "DORMANT">("IF_LINK_MODE");
/** Router preferences of RTA_PREF (`ICMPV6_ROUTER_PREF_MEDIUM` ...; linux/icmpv6.h). */
export const ICMPV6_ROUTER_PREF = group<"LOW" | "MEDIUM" | "HIGH" | "INVALID">("ICMPV6_ROUTER_PREF");
/** Indexes into a sock_diag meminfo array (`SK_MEMINFO_RMEM_ALLOC` ...; linux/sock_diag.h). */
export const SK_MEMINFO = group<"RMEM_ALLOC" | "RCVBUF" | "WMEM_ALLOC" | "SNDBUF" | "VARS">("SK_MEMINFO");
/** NETLINK_KOBJECT_UEVENT multicast groups: the kernel's (1) and udev's (2); no header names them (lib/kobject_uevent.c). */
export const UEVENT_GROUP = group<"KERNEL" | "UDEV">("UEVENT_GROUP");

/** Struct sizes and field offsets from the headers (`STRUCTS.sockaddr_in6.sin6_port`). */
export const STRUCTS = HEADER_STRUCTS;

/**
 * Returns the C name of `value` in `group` ("SO_REUSEADDR"), or the number as a
 * string when the headers define no such value. Does not correspond to a syscall.
 */
export function constantName(group: ConstantGroup, value: number): string {
  return fullNames.get(group)?.get(value) ?? String(value);
}
