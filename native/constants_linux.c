/*
 * Constants and struct facts, read from the system headers at build time so
 * that TypeScript never hard-codes a number the kernel defines.
 *
 * Each group becomes a plain object of name -> number; src/constants.ts freezes
 * them. A name the headers lack is simply absent (#ifdef), never invented.
 * Struct facts are { size, <field>: offset } objects; src/address.ts and the
 * option codecs lay out bytes with them.
 */
#include "constants.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/tcp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <linux/sockios.h>
#include <limits.h>

#ifndef SOL_TCP
#define SOL_TCP IPPROTO_TCP
#endif
#ifndef SOL_UDP
#define SOL_UDP IPPROTO_UDP
#endif


/* The kernel's cap on fds in one SCM_RIGHTS message (include/net/scm.h); it is
 * not in any user-space header. */
#define SCM_MAX_FD 253

napi_status sockit_init_constants(napi_env env, napi_value exports) {
  napi_value consts, structs;
  if (napi_create_object(env, &consts) != napi_ok) return napi_generic_failure;
  if (napi_create_object(env, &structs) != napi_ok) return napi_generic_failure;

  BEGIN("AF")
  C(AF_UNSPEC) C(AF_UNIX) C(AF_LOCAL) C(AF_INET) C(AF_INET6) C(AF_NETLINK) C(AF_PACKET)
#ifdef AF_BLUETOOTH
  C(AF_BLUETOOTH)
#endif
#ifdef AF_CAN
  C(AF_CAN)
#endif
#ifdef AF_VSOCK
  C(AF_VSOCK)
#endif
#ifdef AF_ALG
  C(AF_ALG)
#endif
#ifdef AF_TIPC
  C(AF_TIPC)
#endif
#ifdef AF_XDP
  C(AF_XDP)
#endif
#ifdef AF_KEY
  C(AF_KEY)
#endif
  END

  BEGIN("SOCK")
  C(SOCK_STREAM) C(SOCK_DGRAM) C(SOCK_SEQPACKET) C(SOCK_RAW) C(SOCK_RDM)
  C(SOCK_NONBLOCK) C(SOCK_CLOEXEC)
  END

  BEGIN("SOL")
  C(SOL_SOCKET) C(SOL_IP) C(SOL_IPV6) C(SOL_TCP) C(SOL_UDP) C(SOL_RAW) C(SOL_PACKET)
  C(SOL_NETLINK) C(SOL_ICMPV6)
  END

  BEGIN("SO")
  C(SO_DEBUG) C(SO_REUSEADDR) C(SO_TYPE) C(SO_ERROR) C(SO_DONTROUTE) C(SO_BROADCAST)
  C(SO_SNDBUF) C(SO_RCVBUF) C(SO_SNDBUFFORCE) C(SO_RCVBUFFORCE) C(SO_KEEPALIVE)
  C(SO_OOBINLINE) C(SO_NO_CHECK) C(SO_PRIORITY) C(SO_LINGER) C(SO_BSDCOMPAT)
  C(SO_REUSEPORT) C(SO_PASSCRED) C(SO_PEERCRED) C(SO_RCVLOWAT) C(SO_SNDLOWAT)
  C(SO_RCVTIMEO) C(SO_SNDTIMEO) C(SO_BINDTODEVICE) C(SO_ATTACH_FILTER)
  C(SO_DETACH_FILTER) C(SO_LOCK_FILTER) C(SO_PEERNAME) C(SO_TIMESTAMP) C(SO_TIMESTAMPNS)
  C(SO_TIMESTAMPING) C(SO_ACCEPTCONN) C(SO_PEERSEC) C(SO_PASSSEC) C(SO_MARK)
  C(SO_PROTOCOL) C(SO_DOMAIN) C(SO_RXQ_OVFL) C(SO_WIFI_STATUS) C(SO_PEEK_OFF)
  C(SO_NOFCS) C(SO_BUSY_POLL) C(SO_INCOMING_CPU) C(SO_ATTACH_BPF)
  C(SO_ATTACH_REUSEPORT_CBPF) C(SO_ATTACH_REUSEPORT_EBPF) C(SO_CNX_ADVICE)
  C(SO_MEMINFO) C(SO_INCOMING_NAPI_ID) C(SO_COOKIE) C(SO_PEERGROUPS) C(SO_ZEROCOPY)
  C(SO_TXTIME) C(SO_BINDTOIFINDEX)
  /* SO_PASSPIDFD/SO_PEERPIDFD (Linux 6.5) come from <asm-generic/socket.h>
   * (through <sys/socket.h>) from linux-libc-dev 6.5 on; SCM_PIDFD and
   * SCM_SECURITY are in no uapi header (the kernel keeps them in its internal
   * include/linux/socket.h) and reach user space through glibc 2.39's
   * <bits/socket.h>. Older headers lack them and so does the group here:
   * src/ then reports ERR_NOT_SUPPORTED rather than use a guessed number. */
#ifdef SO_PASSPIDFD
  C(SO_PASSPIDFD)
#endif
#ifdef SO_PEERPIDFD
  C(SO_PEERPIDFD)
#endif
  END

  BEGIN("IPPROTO")
  C(IPPROTO_IP) C(IPPROTO_ICMP) C(IPPROTO_IGMP) C(IPPROTO_IPIP) C(IPPROTO_TCP)
  C(IPPROTO_EGP) C(IPPROTO_PUP) C(IPPROTO_UDP) C(IPPROTO_IDP) C(IPPROTO_TP)
  C(IPPROTO_DCCP) C(IPPROTO_IPV6) C(IPPROTO_RSVP) C(IPPROTO_GRE) C(IPPROTO_ESP)
  C(IPPROTO_AH) C(IPPROTO_MTP) C(IPPROTO_BEETPH) C(IPPROTO_ENCAP) C(IPPROTO_PIM)
  C(IPPROTO_COMP) C(IPPROTO_SCTP) C(IPPROTO_UDPLITE) C(IPPROTO_MPLS) C(IPPROTO_RAW)
  C(IPPROTO_HOPOPTS) C(IPPROTO_ROUTING) C(IPPROTO_FRAGMENT) C(IPPROTO_ICMPV6)
  C(IPPROTO_NONE) C(IPPROTO_DSTOPTS) C(IPPROTO_MH)
#ifdef IPPROTO_MPTCP
  C(IPPROTO_MPTCP)
#endif
#ifdef IPPROTO_ETHERNET
  C(IPPROTO_ETHERNET)
#endif
  END

  BEGIN("MSG")
  C(MSG_OOB) C(MSG_PEEK) C(MSG_DONTROUTE) C(MSG_CTRUNC) C(MSG_PROXY) C(MSG_TRUNC)
  C(MSG_DONTWAIT) C(MSG_EOR) C(MSG_WAITALL) C(MSG_FIN) C(MSG_SYN) C(MSG_CONFIRM)
  C(MSG_RST) C(MSG_ERRQUEUE) C(MSG_NOSIGNAL) C(MSG_MORE) C(MSG_WAITFORONE)
  C(MSG_BATCH) C(MSG_ZEROCOPY) C(MSG_FASTOPEN) C(MSG_CMSG_CLOEXEC)
  END

  BEGIN("TCP")
  C(TCP_NODELAY) C(TCP_MAXSEG) C(TCP_CORK) C(TCP_KEEPIDLE) C(TCP_KEEPINTVL)
  C(TCP_KEEPCNT) C(TCP_SYNCNT) C(TCP_LINGER2) C(TCP_DEFER_ACCEPT) C(TCP_WINDOW_CLAMP)
  C(TCP_INFO) C(TCP_QUICKACK) C(TCP_CONGESTION) C(TCP_MD5SIG) C(TCP_THIN_LINEAR_TIMEOUTS)
  C(TCP_THIN_DUPACK) C(TCP_USER_TIMEOUT) C(TCP_REPAIR) C(TCP_REPAIR_QUEUE)
  C(TCP_QUEUE_SEQ) C(TCP_REPAIR_OPTIONS) C(TCP_FASTOPEN) C(TCP_TIMESTAMP)
  C(TCP_NOTSENT_LOWAT) C(TCP_CC_INFO) C(TCP_SAVE_SYN) C(TCP_SAVED_SYN)
  C(TCP_REPAIR_WINDOW) C(TCP_FASTOPEN_CONNECT) C(TCP_ULP) C(TCP_MD5SIG_EXT)
  C(TCP_FASTOPEN_KEY) C(TCP_FASTOPEN_NO_COOKIE) C(TCP_ZEROCOPY_RECEIVE) C(TCP_INQ)
  C(TCP_TX_DELAY)
  END

  BEGIN("UDP")
#ifdef UDP_CORK
  C(UDP_CORK)
#endif
#ifdef UDP_SEGMENT
  C(UDP_SEGMENT)
#endif
#ifdef UDP_GRO
  C(UDP_GRO)
#endif
  END

  BEGIN("IP")
  C(IP_TOS) C(IP_TTL) C(IP_HDRINCL) C(IP_OPTIONS) C(IP_RECVOPTS) C(IP_RETOPTS)
  C(IP_PKTINFO) C(IP_PKTOPTIONS) C(IP_MTU_DISCOVER) C(IP_RECVERR) C(IP_RECVTTL)
  C(IP_RECVTOS) C(IP_MTU) C(IP_FREEBIND) C(IP_IPSEC_POLICY) C(IP_XFRM_POLICY)
  C(IP_PASSSEC) C(IP_TRANSPARENT) C(IP_ORIGDSTADDR) C(IP_RECVORIGDSTADDR)
  C(IP_MINTTL) C(IP_NODEFRAG) C(IP_CHECKSUM) C(IP_BIND_ADDRESS_NO_PORT)
  C(IP_RECVFRAGSIZE) C(IP_MULTICAST_IF) C(IP_MULTICAST_TTL) C(IP_MULTICAST_LOOP)
  C(IP_ADD_MEMBERSHIP) C(IP_DROP_MEMBERSHIP) C(IP_UNBLOCK_SOURCE) C(IP_BLOCK_SOURCE)
  C(IP_ADD_SOURCE_MEMBERSHIP) C(IP_DROP_SOURCE_MEMBERSHIP) C(IP_MULTICAST_ALL)
  C(IP_UNICAST_IF) C(IP_PMTUDISC_DONT) C(IP_PMTUDISC_WANT) C(IP_PMTUDISC_DO)
  C(IP_PMTUDISC_PROBE)
#ifdef IP_RECVERR_RFC4884
  C(IP_RECVERR_RFC4884)
#endif
  END

  BEGIN("IPV6")
  C(IPV6_ADDRFORM) C(IPV6_2292PKTINFO) C(IPV6_CHECKSUM) C(IPV6_NEXTHOP)
  C(IPV6_UNICAST_HOPS) C(IPV6_MULTICAST_IF) C(IPV6_MULTICAST_HOPS)
  C(IPV6_MULTICAST_LOOP) C(IPV6_JOIN_GROUP) C(IPV6_LEAVE_GROUP) C(IPV6_ROUTER_ALERT)
  C(IPV6_MTU_DISCOVER) C(IPV6_MTU) C(IPV6_RECVERR) C(IPV6_V6ONLY) C(IPV6_JOIN_ANYCAST)
  C(IPV6_LEAVE_ANYCAST) C(IPV6_MULTICAST_ALL) C(IPV6_IPSEC_POLICY) C(IPV6_XFRM_POLICY)
  C(IPV6_HDRINCL) C(IPV6_RECVPKTINFO) C(IPV6_PKTINFO) C(IPV6_RECVHOPLIMIT)
  C(IPV6_HOPLIMIT) C(IPV6_RECVHOPOPTS) C(IPV6_HOPOPTS) C(IPV6_RTHDRDSTOPTS)
  C(IPV6_RECVRTHDR) C(IPV6_RTHDR) C(IPV6_RECVDSTOPTS) C(IPV6_DSTOPTS)
  C(IPV6_RECVPATHMTU) C(IPV6_PATHMTU) C(IPV6_DONTFRAG) C(IPV6_RECVTCLASS) C(IPV6_TCLASS)
  C(IPV6_AUTOFLOWLABEL) C(IPV6_ADDR_PREFERENCES) C(IPV6_MINHOPCOUNT)
  C(IPV6_RECVORIGDSTADDR) C(IPV6_ORIGDSTADDR) C(IPV6_TRANSPARENT) C(IPV6_UNICAST_IF)
  C(IPV6_FREEBIND)
  END

  BEGIN("NETLINK")
  C(NETLINK_ROUTE) C(NETLINK_USERSOCK) C(NETLINK_FIREWALL) C(NETLINK_SOCK_DIAG)
  C(NETLINK_NFLOG) C(NETLINK_XFRM) C(NETLINK_SELINUX) C(NETLINK_ISCSI) C(NETLINK_AUDIT)
  C(NETLINK_FIB_LOOKUP) C(NETLINK_CONNECTOR) C(NETLINK_NETFILTER) C(NETLINK_IP6_FW)
  C(NETLINK_DNRTMSG) C(NETLINK_KOBJECT_UEVENT) C(NETLINK_GENERIC) C(NETLINK_SCSITRANSPORT)
  C(NETLINK_ECRYPTFS) C(NETLINK_RDMA) C(NETLINK_CRYPTO) C(NETLINK_SMC)
  END

  BEGIN("SHUT")
  C(SHUT_RD) C(SHUT_WR) C(SHUT_RDWR)
  END

  BEGIN("SCM")
  C(SCM_RIGHTS) C(SCM_CREDENTIALS) C(SCM_TIMESTAMP) C(SCM_TIMESTAMPNS)
  C(SCM_TIMESTAMPING) C(SCM_WIFI_STATUS) C(SCM_MAX_FD)
#ifdef SCM_PIDFD
  C(SCM_PIDFD)
#endif
#ifdef SCM_SECURITY
  C(SCM_SECURITY)
#endif
  END

  BEGIN("POLL")
  C(POLLIN) C(POLLPRI) C(POLLOUT) C(POLLERR) C(POLLHUP) C(POLLNVAL) C(POLLRDNORM)
  C(POLLRDBAND) C(POLLWRNORM) C(POLLWRBAND) C(POLLRDHUP)
  END

  BEGIN("IOCTL")
  C(FIONREAD) C(FIONBIO) C(SIOCATMARK) C(SIOCINQ) C(SIOCOUTQ) C(SIOCOUTQNSD)
  END

  BEGIN("FCNTL")
  C(F_GETFL) C(F_SETFL) C(F_GETFD) C(F_SETFD) C(F_DUPFD) C(F_DUPFD_CLOEXEC)
  C(FD_CLOEXEC) C(O_NONBLOCK) C(O_RDONLY) C(O_WRONLY) C(O_RDWR)
  END

  BEGIN("LIMITS")
  C(FD_SETSIZE) C(SOMAXCONN) C(IFNAMSIZ) C(IOV_MAX)
  sockit_set_num(env, g, "SUN_PATH_MAX", (double)sizeof(((struct sockaddr_un *)0)->sun_path));
  sockit_set_num(env, g, "SA_FAMILY_SIZE", (double)sizeof(sa_family_t));
  END

  SBEGIN(sockaddr_in) F(sin_family) F(sin_port) F(sin_addr) SEND
  SBEGIN(sockaddr_in6)
  F(sin6_family) F(sin6_port) F(sin6_flowinfo) F(sin6_addr) F(sin6_scope_id)
  SEND
  SBEGIN(sockaddr_un) F(sun_family) F(sun_path) SEND
  SBEGIN(sockaddr_nl) F(nl_family) F(nl_pid) F(nl_groups) SEND
  SBEGIN(sockaddr_ll)
  F(sll_family) F(sll_protocol) F(sll_ifindex) F(sll_hatype) F(sll_pkttype)
  F(sll_halen) F(sll_addr)
  SEND
  SBEGIN(sockaddr_storage) F(ss_family) SEND
  SBEGIN(linger) F(l_onoff) F(l_linger) SEND
  SBEGIN(timeval) F(tv_sec) F(tv_usec) SEND
  SBEGIN(ucred) F(pid) F(uid) F(gid) SEND
  SBEGIN(ip_mreqn) F(imr_multiaddr) F(imr_address) F(imr_ifindex) SEND
  SBEGIN(ip_mreq) F(imr_multiaddr) F(imr_interface) SEND
  SBEGIN(ipv6_mreq) F(ipv6mr_multiaddr) F(ipv6mr_interface) SEND
  SBEGIN(tcp_info)
  F(tcpi_state) F(tcpi_ca_state) F(tcpi_retransmits) F(tcpi_probes) F(tcpi_backoff)
  F(tcpi_options) F(tcpi_rto) F(tcpi_ato) F(tcpi_snd_mss) F(tcpi_rcv_mss)
  F(tcpi_unacked) F(tcpi_sacked) F(tcpi_lost) F(tcpi_retrans) F(tcpi_fackets)
  F(tcpi_last_data_sent) F(tcpi_last_ack_sent) F(tcpi_last_data_recv)
  F(tcpi_last_ack_recv) F(tcpi_pmtu) F(tcpi_rcv_ssthresh) F(tcpi_rtt) F(tcpi_rttvar)
  F(tcpi_snd_ssthresh) F(tcpi_snd_cwnd) F(tcpi_advmss) F(tcpi_reordering)
  F(tcpi_rcv_rtt) F(tcpi_rcv_space) F(tcpi_total_retrans) F(tcpi_pacing_rate)
  F(tcpi_max_pacing_rate) F(tcpi_bytes_acked) F(tcpi_bytes_received) F(tcpi_segs_out)
  F(tcpi_segs_in) F(tcpi_notsent_bytes) F(tcpi_min_rtt) F(tcpi_data_segs_in)
  F(tcpi_data_segs_out) F(tcpi_delivery_rate) F(tcpi_busy_time) F(tcpi_rwnd_limited)
  F(tcpi_sndbuf_limited) F(tcpi_delivered) F(tcpi_delivered_ce) F(tcpi_bytes_sent)
  F(tcpi_bytes_retrans) F(tcpi_dsack_dups) F(tcpi_reord_seen) F(tcpi_rcv_ooopack)
  F(tcpi_snd_wnd)
  SEND
  SBEGIN(sock_extended_err)
  F(ee_errno) F(ee_origin) F(ee_type) F(ee_code) F(ee_pad) F(ee_info) F(ee_data)
  SEND
  SBEGIN(cmsghdr) F(cmsg_len) F(cmsg_level) F(cmsg_type) SEND
  SBEGIN(in_pktinfo) F(ipi_ifindex) F(ipi_spec_dst) F(ipi_addr) SEND
  SBEGIN(in6_pktinfo) F(ipi6_addr) F(ipi6_ifindex) SEND
  SBEGIN(timespec) F(tv_sec) F(tv_nsec) SEND

  if (sockit_tcp_states(env, consts) != napi_ok) return napi_generic_failure;
  if (sockit_packet_constants(env, consts, structs) != napi_ok) return napi_generic_failure;
  if (sockit_netlink_constants(env, consts, structs) != napi_ok) return napi_generic_failure;
  if (napi_set_named_property(env, exports, "constants", consts) != napi_ok)
    return napi_generic_failure;
  return napi_set_named_property(env, exports, "structs", structs);
}
