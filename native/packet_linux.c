/*
 * Raw IP, ICMP and packet sockets: the constants and struct facts they need
 * (ETH_P_*, PACKET_*, ICMP/ICMPv6 types, classic BPF opcodes, ARPHRD_*) read
 * from the headers, and the one thunk that cannot be a plain setsockopt:
 * attaching a classic BPF program, whose struct sock_fprog carries a pointer.
 */
#include "constants.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/ip_icmp.h>
#include <string.h>
#include <sys/socket.h>


napi_status sockit_packet_constants(napi_env env, napi_value consts, napi_value structs) {
  BEGIN("ETH_P")
  C(ETH_P_ALL) C(ETH_P_IP) C(ETH_P_IPV6) C(ETH_P_ARP) C(ETH_P_RARP) C(ETH_P_8021Q)
  C(ETH_P_8021AD) C(ETH_P_QINQ1) C(ETH_P_LOOP) C(ETH_P_PAE) C(ETH_P_MPLS_UC) C(ETH_P_PPP_SES)
  C(ETH_P_LLDP) C(ETH_P_802_2) C(ETH_P_802_3) C(ETH_ALEN) C(ETH_HLEN) C(ETH_DATA_LEN)
  C(ETH_FRAME_LEN)
  END

  BEGIN("PACKET")
  C(PACKET_HOST) C(PACKET_BROADCAST) C(PACKET_MULTICAST) C(PACKET_OTHERHOST)
  C(PACKET_OUTGOING) C(PACKET_LOOPBACK) C(PACKET_USER) C(PACKET_KERNEL)
  C(PACKET_ADD_MEMBERSHIP) C(PACKET_DROP_MEMBERSHIP) C(PACKET_RECV_OUTPUT)
  C(PACKET_RX_RING) C(PACKET_STATISTICS) C(PACKET_COPY_THRESH) C(PACKET_AUXDATA)
  C(PACKET_ORIGDEV) C(PACKET_VERSION) C(PACKET_HDRLEN) C(PACKET_RESERVE)
  C(PACKET_TX_RING) C(PACKET_LOSS) C(PACKET_VNET_HDR) C(PACKET_TX_TIMESTAMP)
  C(PACKET_TIMESTAMP) C(PACKET_FANOUT) C(PACKET_TX_HAS_OFF) C(PACKET_QDISC_BYPASS)
  C(PACKET_ROLLOVER_STATS) C(PACKET_FANOUT_DATA)
#ifdef PACKET_IGNORE_OUTGOING
  C(PACKET_IGNORE_OUTGOING)
#endif
  C(PACKET_MR_MULTICAST) C(PACKET_MR_PROMISC) C(PACKET_MR_ALLMULTI)
#ifdef PACKET_MR_UNICAST
  C(PACKET_MR_UNICAST)
#endif
  C(PACKET_FANOUT_HASH) C(PACKET_FANOUT_LB) C(PACKET_FANOUT_CPU)
  C(PACKET_FANOUT_ROLLOVER) C(PACKET_FANOUT_RND) C(PACKET_FANOUT_QM)
  C(PACKET_FANOUT_CBPF) C(PACKET_FANOUT_EBPF)
  END

  /* ICMP types and codes (netinet/ip_icmp.h), (ICMP_FILTER lives in linux/icmp.h, which clashes with netinet/ip_icmp.h). */
  BEGIN("ICMP")
  C(ICMP_ECHOREPLY) C(ICMP_DEST_UNREACH) C(ICMP_SOURCE_QUENCH) C(ICMP_REDIRECT)
  C(ICMP_ECHO) C(ICMP_TIME_EXCEEDED) C(ICMP_PARAMETERPROB) C(ICMP_TIMESTAMP)
  C(ICMP_TIMESTAMPREPLY) C(ICMP_INFO_REQUEST) C(ICMP_INFO_REPLY) C(ICMP_ADDRESS)
  C(ICMP_ADDRESSREPLY) C(ICMP_NET_UNREACH) C(ICMP_HOST_UNREACH) C(ICMP_PROT_UNREACH)
  C(ICMP_PORT_UNREACH) C(ICMP_FRAG_NEEDED) C(ICMP_SR_FAILED) C(ICMP_NET_ANO)
  C(ICMP_HOST_ANO) C(ICMP_PKT_FILTERED) C(ICMP_EXC_TTL) C(ICMP_EXC_FRAGTIME)
  END

  /* ICMPv6 types (netinet/icmp6.h) and ICMP6_FILTER at level IPPROTO_ICMPV6. */
  BEGIN("ICMP6")
  C(ICMP6_DST_UNREACH) C(ICMP6_PACKET_TOO_BIG) C(ICMP6_TIME_EXCEEDED)
  C(ICMP6_PARAM_PROB) C(ICMP6_ECHO_REQUEST) C(ICMP6_ECHO_REPLY)
  C(ICMP6_DST_UNREACH_NOROUTE) C(ICMP6_DST_UNREACH_ADMIN) C(ICMP6_DST_UNREACH_ADDR)
  C(ICMP6_DST_UNREACH_NOPORT) C(ICMP6_TIME_EXCEED_TRANSIT) C(ICMP6_FILTER)
  C(ND_ROUTER_SOLICIT) C(ND_ROUTER_ADVERT) C(ND_NEIGHBOR_SOLICIT) C(ND_NEIGHBOR_ADVERT)
  C(ND_REDIRECT)
  END

  /* Classic BPF (linux/filter.h, linux/bpf_common.h). */
  BEGIN("BPF")
  C(BPF_LD) C(BPF_LDX) C(BPF_ST) C(BPF_STX) C(BPF_ALU) C(BPF_JMP) C(BPF_RET) C(BPF_MISC)
  C(BPF_W) C(BPF_H) C(BPF_B) C(BPF_IMM) C(BPF_ABS) C(BPF_IND) C(BPF_MEM) C(BPF_LEN)
  C(BPF_MSH) C(BPF_ADD) C(BPF_SUB) C(BPF_MUL) C(BPF_DIV) C(BPF_OR) C(BPF_AND)
  C(BPF_LSH) C(BPF_RSH) C(BPF_NEG) C(BPF_MOD) C(BPF_XOR) C(BPF_JA) C(BPF_JEQ)
  C(BPF_JGT) C(BPF_JGE) C(BPF_JSET) C(BPF_K) C(BPF_X) C(BPF_A) C(BPF_TAX) C(BPF_TXA)
  C(BPF_MAXINSNS) C(BPF_MEMWORDS) C(SKF_AD_OFF) C(SKF_AD_PROTOCOL) C(SKF_AD_PKTTYPE)
  C(SKF_AD_IFINDEX) C(SKF_AD_MARK) C(SKF_AD_VLAN_TAG) C(SKF_AD_VLAN_TAG_PRESENT) C(SKF_NET_OFF)
  C(SKF_LL_OFF)
  END

  /* Link types (sockaddr_ll.sll_hatype). */
  BEGIN("ARPHRD")
  C(ARPHRD_ETHER) C(ARPHRD_LOOPBACK) C(ARPHRD_NONE) C(ARPHRD_IEEE80211)
  C(ARPHRD_IEEE80211_RADIOTAP) C(ARPHRD_PPP) C(ARPHRD_TUNNEL) C(ARPHRD_TUNNEL6)
  C(ARPHRD_SIT) C(ARPHRD_IPGRE) C(ARPHRD_VOID)
  END

  SBEGIN(sock_filter) F(code) F(jt) F(jf) F(k) SEND
  SBEGIN(sock_fprog) F(len) F(filter) SEND
  SBEGIN(tpacket_stats) F(tp_packets) F(tp_drops) SEND
  SBEGIN(tpacket_auxdata)
  F(tp_status) F(tp_len) F(tp_snaplen) F(tp_mac) F(tp_net) F(tp_vlan_tci) F(tp_vlan_tpid)
  SEND
  SBEGIN(packet_mreq) F(mr_ifindex) F(mr_type) F(mr_alen) F(mr_address) SEND
  SBEGIN(iphdr) F(tos) F(tot_len) F(id) F(frag_off) F(ttl) F(protocol) F(check) F(saddr) F(daddr) SEND
  SBEGIN(icmphdr) F(type) F(code) F(checksum) F(un) SEND
  SBEGIN(icmp6_hdr) F(icmp6_type) F(icmp6_code) F(icmp6_cksum) F(icmp6_dataun) SEND
  SBEGIN(icmp6_filter) F(icmp6_filt) SEND
  SBEGIN(ip6_hdr) F(ip6_ctlun) F(ip6_src) F(ip6_dst) SEND
  return napi_ok;
}

/*
 * setsockoptFilter(fd, level, name, insns, count): builds struct sock_fprog
 * around the `count` struct sock_filter in `insns` (laid out by src/bpf.ts
 * from the struct facts above) and calls setsockopt(2) with it. Used for
 * SO_ATTACH_FILTER, SO_ATTACH_REUSEPORT_CBPF and PACKET_FANOUT_DATA. The
 * kernel copies the program before returning, so the pointer need not outlive
 * the call.
 */
static napi_value t_setsockopt_filter(napi_env env, napi_callback_info info) {
  SOCKIT_ARGS(5, 5);
  int32_t fd, level, name, count;
  void *data;
  size_t len;
  if (sockit_arg_int32(env, argv[0], &fd) || sockit_arg_int32(env, argv[1], &level) ||
      sockit_arg_int32(env, argv[2], &name) || sockit_arg_bytes(env, argv[3], &data, &len) ||
      sockit_arg_int32(env, argv[4], &count))
    return NULL;
  if (count < 0 || count > 0xffff || (size_t)count * sizeof(struct sock_filter) > len) {
    napi_throw_range_error(env, "ERR_SOCKIT_NATIVE_ARGS", __func__);
    return NULL;
  }
  struct sock_fprog prog;
  memset(&prog, 0, sizeof prog);
  prog.len = (unsigned short)count;
  prog.filter = (struct sock_filter *)data;
  int r = setsockopt(fd, level, name, &prog, sizeof prog);
  return sockit_int(env, r < 0 ? -errno : r);
}

napi_status sockit_init_packet(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"setsockoptFilter", NULL, t_setsockopt_filter, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
