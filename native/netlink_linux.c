/*
 * Netlink constants and struct facts, from the kernel's uapi headers, for the
 * pure codec in src/netlink/: nlmsghdr and its flags, attributes, extended
 * acks, rtnetlink (links, addresses, routes, neighbours, groups), sock_diag
 * (inet, unix, packet, netlink), generic netlink's controller, and the
 * netlink-level socket options. A name the headers lack is absent (#ifdef),
 * never invented; src/constants.ts freezes the groups.
 *
 * <linux/if.h> comes after glibc's <net/if.h>: its libc-compat guard then
 * skips what glibc already defines and adds IFF_LOWER_UP, IFF_DORMANT,
 * IFF_ECHO and the IF_OPER_* operational states.
 */
#include "sockit.h"

#include <net/if.h>
#include <linux/if.h>
#include <linux/genetlink.h>
#include <linux/icmpv6.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/inet_diag.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/netlink_diag.h>
#include <linux/packet_diag.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <linux/veth.h>
#include <netinet/in.h>
#include <stddef.h>

static napi_status set_num(napi_env env, napi_value obj, const char *name, double v) {
  napi_value n;
  napi_status st = napi_create_double(env, v, &n);
  if (st != napi_ok) return st;
  return napi_set_named_property(env, obj, name, n);
}

#define BEGIN(group)                                                          \
  {                                                                           \
    napi_value g;                                                             \
    if (napi_create_object(env, &g) != napi_ok) return napi_generic_failure;  \
    const char *group_name = group;
#define C(name) set_num(env, g, #name, (double)(name));
#define END                                                                   \
  if (napi_set_named_property(env, consts, group_name, g) != napi_ok)         \
    return napi_generic_failure;                                              \
  }
#define SBEGIN(type)                                                          \
  {                                                                           \
    typedef struct type S_;                                                   \
    napi_value g;                                                             \
    if (napi_create_object(env, &g) != napi_ok) return napi_generic_failure;  \
    const char *group_name = #type;                                           \
    set_num(env, g, "size", (double)sizeof(S_));
#define F(field) set_num(env, g, #field, (double)offsetof(S_, field));
#define SEND                                                                  \
  if (napi_set_named_property(env, structs, group_name, g) != napi_ok)        \
    return napi_generic_failure;                                              \
  }

napi_status sockit_netlink_constants(napi_env env, napi_value consts, napi_value structs) {
  BEGIN("NLMSG")
  C(NLMSG_NOOP) C(NLMSG_ERROR) C(NLMSG_DONE) C(NLMSG_OVERRUN) C(NLMSG_MIN_TYPE)
  C(NLMSG_ALIGNTO) C(NLMSG_HDRLEN)
  END

  BEGIN("NLM_F")
  C(NLM_F_REQUEST) C(NLM_F_MULTI) C(NLM_F_ACK) C(NLM_F_ECHO) C(NLM_F_DUMP_INTR)
  C(NLM_F_DUMP_FILTERED) C(NLM_F_ROOT) C(NLM_F_MATCH) C(NLM_F_ATOMIC) C(NLM_F_DUMP)
  C(NLM_F_REPLACE) C(NLM_F_EXCL) C(NLM_F_CREATE) C(NLM_F_APPEND)
#ifdef NLM_F_NONREC
  C(NLM_F_NONREC)
#endif
#ifdef NLM_F_BULK
  C(NLM_F_BULK)
#endif
  C(NLM_F_CAPPED) C(NLM_F_ACK_TLVS)
  END

  BEGIN("NLA")
  C(NLA_F_NESTED) C(NLA_F_NET_BYTEORDER) C(NLA_TYPE_MASK) C(NLA_ALIGNTO) C(NLA_HDRLEN)
  END

  BEGIN("NLMSGERR_ATTR")
  C(NLMSGERR_ATTR_UNUSED) C(NLMSGERR_ATTR_MSG) C(NLMSGERR_ATTR_OFFS) C(NLMSGERR_ATTR_COOKIE)
  C(NLMSGERR_ATTR_POLICY)
#ifdef NLMSGERR_ATTR_MISS_TYPE
  C(NLMSGERR_ATTR_MISS_TYPE) C(NLMSGERR_ATTR_MISS_NEST)
#endif
  END

  /* SOL_NETLINK options; prefix NETLINK_ like the protocols, hence a group of their own. */
  BEGIN("NETLINK_SOCKOPT")
  C(NETLINK_ADD_MEMBERSHIP) C(NETLINK_DROP_MEMBERSHIP) C(NETLINK_PKTINFO)
  C(NETLINK_BROADCAST_ERROR) C(NETLINK_NO_ENOBUFS) C(NETLINK_LISTEN_ALL_NSID)
  C(NETLINK_LIST_MEMBERSHIPS) C(NETLINK_CAP_ACK) C(NETLINK_EXT_ACK) C(NETLINK_GET_STRICT_CHK)
  END

  BEGIN("RTM")
  C(RTM_NEWLINK) C(RTM_DELLINK) C(RTM_GETLINK) C(RTM_SETLINK)
  C(RTM_NEWADDR) C(RTM_DELADDR) C(RTM_GETADDR)
  C(RTM_NEWROUTE) C(RTM_DELROUTE) C(RTM_GETROUTE)
  C(RTM_NEWNEIGH) C(RTM_DELNEIGH) C(RTM_GETNEIGH)
  C(RTM_NEWRULE) C(RTM_DELRULE) C(RTM_GETRULE)
  C(RTM_NEWNSID) C(RTM_DELNSID) C(RTM_GETNSID)
  END

  BEGIN("IFLA")
  C(IFLA_UNSPEC) C(IFLA_ADDRESS) C(IFLA_BROADCAST) C(IFLA_IFNAME) C(IFLA_MTU) C(IFLA_LINK)
  C(IFLA_QDISC) C(IFLA_STATS) C(IFLA_MASTER) C(IFLA_TXQLEN) C(IFLA_OPERSTATE)
  C(IFLA_LINKMODE) C(IFLA_LINKINFO) C(IFLA_NET_NS_PID) C(IFLA_IFALIAS) C(IFLA_NUM_VF)
  C(IFLA_STATS64) C(IFLA_AF_SPEC) C(IFLA_GROUP) C(IFLA_NET_NS_FD) C(IFLA_PROMISCUITY)
  C(IFLA_NUM_TX_QUEUES) C(IFLA_NUM_RX_QUEUES) C(IFLA_CARRIER) C(IFLA_CARRIER_CHANGES)
  C(IFLA_LINK_NETNSID) C(IFLA_PROTO_DOWN) C(IFLA_GSO_MAX_SEGS) C(IFLA_GSO_MAX_SIZE)
  C(IFLA_XDP) C(IFLA_EVENT) C(IFLA_NEW_NETNSID) C(IFLA_MIN_MTU) C(IFLA_MAX_MTU)
  C(IFLA_PROP_LIST) C(IFLA_ALT_IFNAME) C(IFLA_PERM_ADDRESS)
  C(IFLA_INFO_KIND) C(IFLA_INFO_DATA) C(IFLA_INFO_SLAVE_KIND) C(IFLA_INFO_SLAVE_DATA)
  END

  BEGIN("VETH_INFO")
  C(VETH_INFO_PEER)
  END

  BEGIN("IFA")
  C(IFA_UNSPEC) C(IFA_ADDRESS) C(IFA_LOCAL) C(IFA_LABEL) C(IFA_BROADCAST) C(IFA_ANYCAST)
  C(IFA_CACHEINFO) C(IFA_MULTICAST) C(IFA_FLAGS) C(IFA_RT_PRIORITY)
#ifdef IFA_PROTO
  C(IFA_PROTO)
#endif
  END

  BEGIN("IFA_F")
  C(IFA_F_SECONDARY) C(IFA_F_TEMPORARY) C(IFA_F_NODAD) C(IFA_F_OPTIMISTIC)
  C(IFA_F_DADFAILED) C(IFA_F_HOMEADDRESS) C(IFA_F_DEPRECATED) C(IFA_F_TENTATIVE)
  C(IFA_F_PERMANENT) C(IFA_F_MANAGETEMPADDR) C(IFA_F_NOPREFIXROUTE) C(IFA_F_MCAUTOJOIN)
  C(IFA_F_STABLE_PRIVACY)
  END

  BEGIN("IFF")
  C(IFF_UP) C(IFF_BROADCAST) C(IFF_DEBUG) C(IFF_LOOPBACK) C(IFF_POINTOPOINT)
  C(IFF_NOTRAILERS) C(IFF_RUNNING) C(IFF_NOARP) C(IFF_PROMISC) C(IFF_ALLMULTI)
  C(IFF_MASTER) C(IFF_SLAVE) C(IFF_MULTICAST) C(IFF_PORTSEL) C(IFF_AUTOMEDIA) C(IFF_DYNAMIC)
#ifdef IFF_LOWER_UP
  C(IFF_LOWER_UP)
#endif
#ifdef IFF_DORMANT
  C(IFF_DORMANT)
#endif
#ifdef IFF_ECHO
  C(IFF_ECHO)
#endif
  END

  BEGIN("IF_OPER")
  C(IF_OPER_UNKNOWN) C(IF_OPER_NOTPRESENT) C(IF_OPER_DOWN) C(IF_OPER_LOWERLAYERDOWN)
  C(IF_OPER_TESTING) C(IF_OPER_DORMANT) C(IF_OPER_UP)
  END

  BEGIN("IF_LINK_MODE")
  C(IF_LINK_MODE_DEFAULT) C(IF_LINK_MODE_DORMANT)
#ifdef IF_LINK_MODE_TESTING
  C(IF_LINK_MODE_TESTING)
#endif
  END

  /* RTA_PREF values: an IPv6 route's router preference (RFC 4191). */
  BEGIN("ICMPV6_ROUTER_PREF")
  C(ICMPV6_ROUTER_PREF_LOW) C(ICMPV6_ROUTER_PREF_MEDIUM) C(ICMPV6_ROUTER_PREF_HIGH)
  C(ICMPV6_ROUTER_PREF_INVALID)
  END

  BEGIN("RTA")
  C(RTA_UNSPEC) C(RTA_DST) C(RTA_SRC) C(RTA_IIF) C(RTA_OIF) C(RTA_GATEWAY) C(RTA_PRIORITY)
  C(RTA_PREFSRC) C(RTA_METRICS) C(RTA_MULTIPATH) C(RTA_FLOW) C(RTA_CACHEINFO) C(RTA_TABLE)
  C(RTA_MARK) C(RTA_MFC_STATS) C(RTA_VIA) C(RTA_NEWDST) C(RTA_PREF) C(RTA_ENCAP_TYPE)
  C(RTA_ENCAP) C(RTA_EXPIRES) C(RTA_UID) C(RTA_TTL_PROPAGATE) C(RTA_IP_PROTO) C(RTA_SPORT)
  C(RTA_DPORT) C(RTA_NH_ID)
  END

  BEGIN("RTNH_F")
  C(RTNH_F_DEAD) C(RTNH_F_PERVASIVE) C(RTNH_F_ONLINK) C(RTNH_F_OFFLOAD) C(RTNH_F_LINKDOWN)
  C(RTNH_F_UNRESOLVED)
  END

  BEGIN("RTN")
  C(RTN_UNSPEC) C(RTN_UNICAST) C(RTN_LOCAL) C(RTN_BROADCAST) C(RTN_ANYCAST)
  C(RTN_MULTICAST) C(RTN_BLACKHOLE) C(RTN_UNREACHABLE) C(RTN_PROHIBIT) C(RTN_THROW)
  C(RTN_NAT) C(RTN_XRESOLVE)
  END

  BEGIN("RTPROT")
  C(RTPROT_UNSPEC) C(RTPROT_REDIRECT) C(RTPROT_KERNEL) C(RTPROT_BOOT) C(RTPROT_STATIC)
  C(RTPROT_GATED) C(RTPROT_RA) C(RTPROT_MRT) C(RTPROT_ZEBRA) C(RTPROT_BIRD)
  C(RTPROT_DNROUTED) C(RTPROT_XORP) C(RTPROT_NTK) C(RTPROT_DHCP) C(RTPROT_MROUTED)
  C(RTPROT_BABEL) C(RTPROT_BGP) C(RTPROT_ISIS) C(RTPROT_OSPF) C(RTPROT_RIP) C(RTPROT_EIGRP)
  END

  BEGIN("RT_SCOPE")
  C(RT_SCOPE_UNIVERSE) C(RT_SCOPE_SITE) C(RT_SCOPE_LINK) C(RT_SCOPE_HOST) C(RT_SCOPE_NOWHERE)
  END

  BEGIN("RT_TABLE")
  C(RT_TABLE_UNSPEC) C(RT_TABLE_COMPAT) C(RT_TABLE_DEFAULT) C(RT_TABLE_MAIN)
  C(RT_TABLE_LOCAL) C(RT_TABLE_MAX)
  END

  BEGIN("RTNLGRP")
  C(RTNLGRP_NONE) C(RTNLGRP_LINK) C(RTNLGRP_NOTIFY) C(RTNLGRP_NEIGH) C(RTNLGRP_TC)
  C(RTNLGRP_IPV4_IFADDR) C(RTNLGRP_IPV4_MROUTE) C(RTNLGRP_IPV4_ROUTE) C(RTNLGRP_IPV4_RULE)
  C(RTNLGRP_IPV6_IFADDR) C(RTNLGRP_IPV6_MROUTE) C(RTNLGRP_IPV6_ROUTE) C(RTNLGRP_IPV6_IFINFO)
  C(RTNLGRP_IPV6_PREFIX) C(RTNLGRP_IPV6_RULE) C(RTNLGRP_ND_USEROPT) C(RTNLGRP_NSID)
  C(RTNLGRP_MPLS_ROUTE) C(RTNLGRP_NEXTHOP)
  END

  BEGIN("NDA")
  C(NDA_UNSPEC) C(NDA_DST) C(NDA_LLADDR) C(NDA_CACHEINFO) C(NDA_PROBES) C(NDA_VLAN)
  C(NDA_PORT) C(NDA_VNI) C(NDA_IFINDEX) C(NDA_MASTER)
  END

  BEGIN("NUD")
  C(NUD_INCOMPLETE) C(NUD_REACHABLE) C(NUD_STALE) C(NUD_DELAY) C(NUD_PROBE) C(NUD_FAILED)
  C(NUD_NOARP) C(NUD_PERMANENT) C(NUD_NONE)
  END

  BEGIN("NTF")
  C(NTF_USE) C(NTF_SELF) C(NTF_MASTER) C(NTF_PROXY) C(NTF_EXT_LEARNED) C(NTF_OFFLOADED)
  C(NTF_ROUTER)
  END

  /* sock_diag: the request type, and each family's attribute and "show" bits. */
  BEGIN("SOCK_DIAG")
  C(SOCK_DIAG_BY_FAMILY) C(SOCK_DESTROY)
  END

  BEGIN("SK_MEMINFO")
  C(SK_MEMINFO_RMEM_ALLOC) C(SK_MEMINFO_RCVBUF) C(SK_MEMINFO_WMEM_ALLOC) C(SK_MEMINFO_SNDBUF)
  C(SK_MEMINFO_FWD_ALLOC) C(SK_MEMINFO_WMEM_QUEUED) C(SK_MEMINFO_OPTMEM) C(SK_MEMINFO_BACKLOG)
  C(SK_MEMINFO_DROPS) C(SK_MEMINFO_VARS)
  END

  /* The kernel broadcasts uevents on group 1 of NETLINK_KOBJECT_UEVENT
   * (lib/kobject_uevent.c, netlink_broadcast(..., 1, ...)); udev re-broadcasts
   * on group 2. No uapi header names them. */
  BEGIN("UEVENT_GROUP")
  set_num(env, g, "UEVENT_GROUP_KERNEL", 1);
  set_num(env, g, "UEVENT_GROUP_UDEV", 2);
  END

  BEGIN("INET_DIAG")
  C(INET_DIAG_NONE) C(INET_DIAG_MEMINFO) C(INET_DIAG_INFO) C(INET_DIAG_VEGASINFO)
  C(INET_DIAG_CONG) C(INET_DIAG_TOS) C(INET_DIAG_TCLASS) C(INET_DIAG_SKMEMINFO)
  C(INET_DIAG_SHUTDOWN) C(INET_DIAG_DCTCPINFO) C(INET_DIAG_PROTOCOL) C(INET_DIAG_SKV6ONLY)
  C(INET_DIAG_LOCALS) C(INET_DIAG_PEERS) C(INET_DIAG_PAD) C(INET_DIAG_MARK)
  C(INET_DIAG_BBRINFO) C(INET_DIAG_CLASS_ID) C(INET_DIAG_MD5SIG) C(INET_DIAG_ULP_INFO)
  C(INET_DIAG_SK_BPF_STORAGES) C(INET_DIAG_CGROUP_ID) C(INET_DIAG_SOCKOPT)
  C(INET_DIAG_NOCOOKIE)
  END

  BEGIN("UNIX_DIAG")
  C(UNIX_DIAG_NAME) C(UNIX_DIAG_VFS) C(UNIX_DIAG_PEER) C(UNIX_DIAG_ICONS) C(UNIX_DIAG_RQLEN)
  C(UNIX_DIAG_MEMINFO) C(UNIX_DIAG_SHUTDOWN) C(UNIX_DIAG_UID)
  END

  BEGIN("UDIAG_SHOW")
  C(UDIAG_SHOW_NAME) C(UDIAG_SHOW_VFS) C(UDIAG_SHOW_PEER) C(UDIAG_SHOW_ICONS)
  C(UDIAG_SHOW_RQLEN) C(UDIAG_SHOW_MEMINFO) C(UDIAG_SHOW_UID)
  END

  BEGIN("PACKET_DIAG")
  C(PACKET_DIAG_INFO) C(PACKET_DIAG_MCLIST) C(PACKET_DIAG_RX_RING) C(PACKET_DIAG_TX_RING)
  C(PACKET_DIAG_FANOUT) C(PACKET_DIAG_UID) C(PACKET_DIAG_MEMINFO) C(PACKET_DIAG_FILTER)
  C(PACKET_SHOW_INFO) C(PACKET_SHOW_MCLIST) C(PACKET_SHOW_RING_CFG) C(PACKET_SHOW_FANOUT)
  C(PACKET_SHOW_MEMINFO) C(PACKET_SHOW_FILTER)
  END

  BEGIN("NETLINK_DIAG")
  C(NETLINK_DIAG_MEMINFO) C(NETLINK_DIAG_GROUPS) C(NETLINK_DIAG_RX_RING)
  C(NETLINK_DIAG_TX_RING) C(NETLINK_DIAG_FLAGS)
  C(NDIAG_SHOW_MEMINFO) C(NDIAG_SHOW_GROUPS) C(NDIAG_SHOW_RING_CFG) C(NDIAG_SHOW_FLAGS)
  C(NDIAG_PROTO_ALL)
  END

  BEGIN("GENL")
  C(GENL_ID_CTRL) C(GENL_HDRLEN) C(GENL_NAMSIZ)
  C(CTRL_CMD_UNSPEC) C(CTRL_CMD_NEWFAMILY) C(CTRL_CMD_DELFAMILY) C(CTRL_CMD_GETFAMILY)
  C(CTRL_CMD_NEWOPS) C(CTRL_CMD_DELOPS) C(CTRL_CMD_GETOPS) C(CTRL_CMD_NEWMCAST_GRP)
  C(CTRL_CMD_DELMCAST_GRP) C(CTRL_CMD_GETMCAST_GRP)
  C(CTRL_ATTR_UNSPEC) C(CTRL_ATTR_FAMILY_ID) C(CTRL_ATTR_FAMILY_NAME) C(CTRL_ATTR_VERSION)
  C(CTRL_ATTR_HDRSIZE) C(CTRL_ATTR_MAXATTR) C(CTRL_ATTR_OPS) C(CTRL_ATTR_MCAST_GROUPS)
  C(CTRL_ATTR_OP_UNSPEC) C(CTRL_ATTR_OP_ID) C(CTRL_ATTR_OP_FLAGS)
  C(CTRL_ATTR_MCAST_GRP_UNSPEC) C(CTRL_ATTR_MCAST_GRP_NAME) C(CTRL_ATTR_MCAST_GRP_ID)
  END

  SBEGIN(nlmsghdr) F(nlmsg_len) F(nlmsg_type) F(nlmsg_flags) F(nlmsg_seq) F(nlmsg_pid) SEND
  SBEGIN(nlmsgerr) F(error) F(msg) SEND
  SBEGIN(nlattr) F(nla_len) F(nla_type) SEND
  SBEGIN(rtattr) F(rta_len) F(rta_type) SEND
  SBEGIN(genlmsghdr) F(cmd) F(version) F(reserved) SEND
  SBEGIN(ifinfomsg) F(ifi_family) F(ifi_type) F(ifi_index) F(ifi_flags) F(ifi_change) SEND
  SBEGIN(ifaddrmsg)
  F(ifa_family) F(ifa_prefixlen) F(ifa_flags) F(ifa_scope) F(ifa_index)
  SEND
  SBEGIN(ifa_cacheinfo) F(ifa_prefered) F(ifa_valid) F(cstamp) F(tstamp) SEND
  SBEGIN(rtmsg)
  F(rtm_family) F(rtm_dst_len) F(rtm_src_len) F(rtm_tos) F(rtm_table) F(rtm_protocol)
  F(rtm_scope) F(rtm_type) F(rtm_flags)
  SEND
  SBEGIN(ndmsg) F(ndm_family) F(ndm_ifindex) F(ndm_state) F(ndm_flags) F(ndm_type) SEND
  SBEGIN(inet_diag_sockid)
  F(idiag_sport) F(idiag_dport) F(idiag_src) F(idiag_dst) F(idiag_if) F(idiag_cookie)
  SEND
  SBEGIN(inet_diag_req_v2)
  F(sdiag_family) F(sdiag_protocol) F(idiag_ext) F(pad) F(idiag_states) F(id)
  SEND
  SBEGIN(inet_diag_msg)
  F(idiag_family) F(idiag_state) F(idiag_timer) F(idiag_retrans) F(id) F(idiag_expires)
  F(idiag_rqueue) F(idiag_wqueue) F(idiag_uid) F(idiag_inode)
  SEND
  SBEGIN(unix_diag_req)
  F(sdiag_family) F(sdiag_protocol) F(pad) F(udiag_states) F(udiag_ino) F(udiag_show)
  F(udiag_cookie)
  SEND
  SBEGIN(unix_diag_msg)
  F(udiag_family) F(udiag_type) F(udiag_state) F(pad) F(udiag_ino) F(udiag_cookie)
  SEND
  SBEGIN(unix_diag_rqlen) F(udiag_rqueue) F(udiag_wqueue) SEND
  SBEGIN(unix_diag_vfs) F(udiag_vfs_ino) F(udiag_vfs_dev) SEND
  SBEGIN(packet_diag_req)
  F(sdiag_family) F(sdiag_protocol) F(pad) F(pdiag_ino) F(pdiag_show) F(pdiag_cookie)
  SEND
  SBEGIN(packet_diag_msg)
  F(pdiag_family) F(pdiag_type) F(pdiag_num) F(pdiag_ino) F(pdiag_cookie)
  SEND
  SBEGIN(packet_diag_info)
  F(pdi_index) F(pdi_version) F(pdi_reserve) F(pdi_copy_thresh) F(pdi_tstamp) F(pdi_flags)
  SEND
  SBEGIN(netlink_diag_req)
  F(sdiag_family) F(sdiag_protocol) F(pad) F(ndiag_ino) F(ndiag_show) F(ndiag_cookie)
  SEND
  SBEGIN(netlink_diag_msg)
  F(ndiag_family) F(ndiag_type) F(ndiag_protocol) F(ndiag_state) F(ndiag_portid)
  F(ndiag_dst_portid) F(ndiag_dst_group) F(ndiag_ino) F(ndiag_cookie)
  SEND
  return napi_ok;
}
