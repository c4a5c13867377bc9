/*
 * Raw IP, ICMP and packet sockets: the constants and struct facts they need
 * (ETH_P_*, PACKET_*, ICMP/ICMPv6 types, classic BPF opcodes, ARPHRD_*) read
 * from the headers, the one thunk that cannot be a plain setsockopt:
 * attaching a classic BPF program, whose struct sock_fprog carries a pointer,
 * and the TPACKET_V3 receive ring: mmap(2)/munmap(2) of the ring the socket's
 * PACKET_RX_RING set up, and the walker that copies the frames of the blocks
 * the kernel has handed over into a JS buffer and hands the blocks back.
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
#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

  /* The mmap ring (linux/if_packet.h): versions, frame/block status bits. */
  BEGIN("TPACKET")
  C(TPACKET_V1) C(TPACKET_V2) C(TPACKET_V3) C(TPACKET_ALIGNMENT)
  C(TP_STATUS_KERNEL) C(TP_STATUS_USER) C(TP_STATUS_COPY) C(TP_STATUS_LOSING)
  C(TP_STATUS_CSUMNOTREADY) C(TP_STATUS_VLAN_VALID) C(TP_STATUS_BLK_TMO)
  C(TP_STATUS_VLAN_TPID_VALID) C(TP_STATUS_CSUM_VALID)
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
  SBEGIN(tpacket_stats_v3) F(tp_packets) F(tp_drops) F(tp_freeze_q_cnt) SEND
  SBEGIN(tpacket_req3)
  F(tp_block_size) F(tp_block_nr) F(tp_frame_size) F(tp_frame_nr) F(tp_retire_blk_tov)
  F(tp_sizeof_priv) F(tp_feature_req_word)
  SEND
  SBEGIN(tpacket3_hdr)
  F(tp_next_offset) F(tp_sec) F(tp_nsec) F(tp_snaplen) F(tp_len) F(tp_status) F(tp_mac) F(tp_net)
  SEND
  SBEGIN(tpacket_block_desc) F(version) F(offset_to_priv) F(hdr) SEND
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
    return sockit_throw_range(env, __func__);
  }
  struct sock_fprog prog;
  memset(&prog, 0, sizeof prog);
  prog.len = (unsigned short)count;
  prog.filter = (struct sock_filter *)data;
  int r = setsockopt(fd, level, name, &prog, sizeof prog);
  return sockit_int(env, r < 0 ? -errno : r);
}


/* ------------------------------------------------------------------------ */
/* The TPACKET_V3 receive ring.
 *
 * src/packet-ring.ts sets PACKET_VERSION and PACKET_RX_RING with plain
 * setsockopt(2) calls; ringMmap maps what they set up and returns an external
 * that owns the mapping (munmap'd by ringMunmap, or by the finalizer if the
 * JS side forgot). ringRead walks the blocks the kernel has retired to user
 * space (block_status & TP_STATUS_USER), copies each frame out and writes
 * TP_STATUS_KERNEL back, so JS never holds a view of ring memory: nothing can
 * touch it after munmap.
 *
 * Every offset read out of a block (the kernel writes them; a bug or a
 * corrupted ring must not become a wild read) is checked against the block
 * size before use: a frame that does not fit ends the walk of its block,
 * which is counted as malformed and returned to the kernel.
 *
 * Output, for each frame kept: a pcap record (pcap-savefile(5)) in `out`,
 * little-endian as src/pcap.ts writes its file header, so a pcap writer can
 * pass a batch through with one write:
 *   u32 ts_sec, u32 ts_usec|ts_nsec, u32 caplen, u32 len, [16-byte Linux
 *   cooked (LINKTYPE_LINUX_SLL) header when RING_SLL], tp_snaplen bytes
 * and the facts pcap's record has no room for in `meta`, RING_META int32s
 * per frame (see enum below). res = [frames, bytes, skipped, malformed, blocks].
 */

#define RING_MAGIC 0x52494e47u /* "RING" */
/* ringRead flags */
#define RING_USEC 1 /* microsecond timestamps (pcap's classic magic) instead of nanoseconds */
#define RING_SLL 2  /* prepend the LINKTYPE_LINUX_SLL header built from the sockaddr_ll */
/* meta layout: one row of int32 per frame */
enum { M_OFFSET, M_IFINDEX, M_PROTOCOL, M_HATYPE, M_PKTTYPE, M_HALEN, M_STATUS, M_VLAN, M_ADDR0, M_ADDR1, RING_META };
enum { R_FRAMES, R_BYTES, R_SKIPPED, R_MALFORMED, R_BLOCKS, RING_RES };

struct ring {
  uint32_t magic;
  uint8_t *base;     /* NULL once unmapped */
  size_t length;     /* block_size * block_nr */
  size_t block_size;
  uint32_t block_nr;
  uint32_t block;    /* the block the walk is in */
  uint32_t index;    /* frames of it already walked (0: start of block) */
  size_t offset;     /* offset of the next frame in it, when index > 0 */
};

/* sockaddr_ll sits after the tpacket3_hdr, TPACKET_ALIGN'ed (packet(7), libpcap). */
#define SLL_OFFSET TPACKET_ALIGN(sizeof(struct tpacket3_hdr))

struct walk {
  uint8_t *out;
  size_t out_cap, used;
  int32_t *meta;
  size_t meta_rows, frames;
  int32_t flags, lo_ifindex;
  int32_t skipped, malformed, blocks;
};

/* 1: the frame is copied or skipped; 0: no room in out/meta (stop, come back);
 * -1: malformed (its offsets leave the block). */
static int walk_frame(struct walk *w, const uint8_t *block, size_t block_size, size_t off) {
  struct tpacket3_hdr h;
  struct sockaddr_ll sll;
  if (off > block_size || block_size - off < SLL_OFFSET + sizeof sll || block_size - off < sizeof h) return -1;
  memcpy(&h, block + off, sizeof h);
  memcpy(&sll, block + off + SLL_OFFSET, sizeof sll);
  if ((size_t)h.tp_mac > block_size - off || (size_t)h.tp_snaplen > block_size - off - h.tp_mac) return -1;
  if (w->lo_ifindex > 0 && sll.sll_ifindex == w->lo_ifindex && sll.sll_pkttype == PACKET_OUTGOING) {
    w->skipped++;
    return 1;
  }
  size_t sll_len = (w->flags & RING_SLL) ? 16 : 0;
  size_t need = 16 + sll_len + h.tp_snaplen;
  if (w->frames >= w->meta_rows || w->out_cap - w->used < need) return 0;
  uint8_t *r = w->out + w->used;
  uint32_t hdr[4] = {
      htole32(h.tp_sec),
      htole32((w->flags & RING_USEC) ? h.tp_nsec / 1000 : h.tp_nsec),
      htole32((uint32_t)(sll_len + h.tp_snaplen)),
      /* tp_len can be below tp_snaplen only in a broken frame: never report less than was captured. */
      htole32((uint32_t)(sll_len + (h.tp_len > h.tp_snaplen ? h.tp_len : h.tp_snaplen))),
  };
  memcpy(r, hdr, 16);
  if (sll_len) {
    /* LINKTYPE_LINUX_SLL: packet type, ARPHRD_ type, address length, 8 address bytes, protocol; big-endian. */
    uint16_t f[3] = {htobe16(sll.sll_pkttype), htobe16(sll.sll_hatype), htobe16(sll.sll_halen)};
    memcpy(r + 16, f, 6);
    memset(r + 22, 0, 8);
    memcpy(r + 22, sll.sll_addr, sll.sll_halen < 8 ? sll.sll_halen : 8);
    memcpy(r + 30, &sll.sll_protocol, 2); /* already network order */
  }
  memcpy(r + 16 + sll_len, block + off + h.tp_mac, h.tp_snaplen);
  int32_t *m = w->meta + w->frames * RING_META;
  m[M_OFFSET] = (int32_t)w->used;
  m[M_IFINDEX] = sll.sll_ifindex;
  m[M_PROTOCOL] = ntohs(sll.sll_protocol);
  m[M_HATYPE] = sll.sll_hatype;
  m[M_PKTTYPE] = sll.sll_pkttype;
  m[M_HALEN] = sll.sll_halen;
  m[M_STATUS] = (int32_t)h.tp_status;
  m[M_VLAN] = (h.tp_status & TP_STATUS_VLAN_VALID) ? (int32_t)h.hv1.tp_vlan_tci : -1;
  memcpy(&m[M_ADDR0], sll.sll_addr, 8);
  w->used += need;
  w->frames++;
  return 1;
}

/* Walks the retired blocks from r->block on; returns 0, or -ENOBUFS when out
 * cannot hold even the first frame. */
static int walk_ring(struct ring *r, struct walk *w) {
  while (r->base != NULL) {
    uint8_t *block = r->base + (size_t)r->block * r->block_size;
    struct tpacket_block_desc *bd = (struct tpacket_block_desc *)block;
    uint32_t status = __atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE);
    if (!(status & TP_STATUS_USER)) return 0;
    uint32_t num = bd->hdr.bh1.num_pkts;
    size_t off = r->index == 0 ? bd->hdr.bh1.offset_to_first_pkt : r->offset;
    int bad = 0;
    while (r->index < num) {
      int k = walk_frame(w, block, r->block_size, off);
      if (k == 0) {
        r->offset = off;
        return w->frames == 0 ? -ENOBUFS : 0;
      }
      if (k < 0) {
        bad = 1;
        break;
      }
      r->index++;
      if (r->index < num) {
        uint32_t next;
        memcpy(&next, block + off, sizeof next); /* tp_next_offset: in bounds, walk_frame checked */
        if (next == 0) {
          bad = 1;
          break;
        }
        off += next;
      }
    }
    if (bad) w->malformed++;
    /* Hand the block back: everything read from it has been copied. */
    __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    w->blocks++;
    r->index = 0;
    r->offset = 0;
    r->block = (r->block + 1) % r->block_nr;
  }
  return 0;
}

static void ring_finalize(napi_env env, void *data, void *hint) {
  struct ring *r = data;
  if (r->base != NULL) munmap(r->base, r->length);
  r->magic = 0;
  free(r);
}

static struct ring *ring_arg(napi_env env, napi_value v) {
  void *data = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external ||
      napi_get_value_external(env, v, &data) != napi_ok || data == NULL ||
      ((struct ring *)data)->magic != RING_MAGIC) {
    napi_throw_type_error(env, "ERR_SOCKIT_NATIVE_ARGS", "ring handle expected");
    return NULL;
  }
  return data;
}

/* ringMmap(fd, blockSize, blockNr) → external | -errno: mmap(2) of the RX ring. */
static napi_value t_ring_mmap(napi_env env, napi_callback_info info) {
  SOCKIT_ARGS(3, 3);
  int32_t fd, block_size, block_nr;
  if (sockit_arg_int32(env, argv[0], &fd) || sockit_arg_int32(env, argv[1], &block_size) ||
      sockit_arg_int32(env, argv[2], &block_nr))
    return NULL;
  if (block_size < (int32_t)sizeof(struct tpacket_block_desc) || block_nr < 1) {
    return sockit_throw_range(env, __func__);
  }
  size_t length = (size_t)block_size * (size_t)block_nr;
  struct ring *r = calloc(1, sizeof *r);
  if (r == NULL) return sockit_int(env, -ENOMEM);
  void *base = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    int e = errno;
    free(r);
    return sockit_int(env, -e);
  }
  r->magic = RING_MAGIC;
  r->base = base;
  r->length = length;
  r->block_size = (size_t)block_size;
  r->block_nr = (uint32_t)block_nr;
  napi_value v;
  if (napi_create_external(env, r, ring_finalize, NULL, &v) != napi_ok) {
    munmap(base, length);
    free(r);
    sockit_throw_last(env, "napi_create_external");
    return NULL;
  }
  return v;
}

/* ringMunmap(ring) → 0 | -errno (-EBADF once unmapped): munmap(2). */
static napi_value t_ring_munmap(napi_env env, napi_callback_info info) {
  SOCKIT_ARGS(1, 1);
  struct ring *r = ring_arg(env, argv[0]);
  if (r == NULL) return NULL;
  if (r->base == NULL) return sockit_int(env, -EBADF);
  int rc = munmap(r->base, r->length);
  r->base = NULL; /* gone either way: munmap only fails for a bad range */
  return sockit_int(env, rc < 0 ? -errno : 0);
}

/* The common arguments of ringRead and ringDecode: out, meta, res, flags, loIfindex. */
static int walk_args(napi_env env, napi_value *argv, struct walk *w, int32_t **res) {
  void *out;
  size_t out_cap, meta_n, res_n;
  if (sockit_arg_bytes(env, argv[0], &out, &out_cap) || sockit_arg_i32array(env, argv[1], &w->meta, &meta_n) ||
      sockit_arg_i32array(env, argv[2], res, &res_n) || sockit_arg_int32(env, argv[3], &w->flags) ||
      sockit_arg_int32(env, argv[4], &w->lo_ifindex))
    return -1;
  if (res_n < RING_RES) {
    sockit_throw_range(env, "res");
    return -1;
  }
  w->out = out;
  w->out_cap = out_cap;
  w->meta_rows = meta_n / RING_META;
  return 0;
}

static napi_value walk_result(napi_env env, struct walk *w, int32_t *res, int rc) {
  res[R_FRAMES] = (int32_t)w->frames;
  res[R_BYTES] = (int32_t)w->used;
  res[R_SKIPPED] = w->skipped;
  res[R_MALFORMED] = w->malformed;
  res[R_BLOCKS] = w->blocks;
  return sockit_int(env, rc < 0 ? rc : (int64_t)w->frames);
}

/* ringRead(ring, out, meta, res, flags, loIfindex) → frames copied (0: none
 * ready) | -EBADF (unmapped) | -ENOBUFS (out too small for one frame). */
static napi_value t_ring_read(napi_env env, napi_callback_info info) {
  SOCKIT_ARGS(6, 6);
  struct ring *r = ring_arg(env, argv[0]);
  if (r == NULL) return NULL;
  struct walk w;
  memset(&w, 0, sizeof w);
  int32_t *res;
  if (walk_args(env, argv + 1, &w, &res)) return NULL;
  if (r->base == NULL) return sockit_int(env, -EBADF);
  return walk_result(env, &w, res, walk_ring(r, &w));
}

/* ringDecode(block, out, meta, res, flags, loIfindex) → frames: the same walk
 * over one block held in a JS buffer (as if the kernel had retired it), for
 * tests of the walker on arbitrary bytes. */
static napi_value t_ring_decode(napi_env env, napi_callback_info info) {
  SOCKIT_ARGS(6, 6);
  void *block;
  size_t len;
  if (sockit_arg_bytes(env, argv[0], &block, &len)) return NULL;
  struct walk w;
  memset(&w, 0, sizeof w);
  int32_t *res;
  if (walk_args(env, argv + 1, &w, &res)) return NULL;
  if (len < sizeof(struct tpacket_block_desc)) return walk_result(env, &w, res, -EINVAL);
  /* A copy, aligned as the ring is (the JS bytes may sit at any offset). */
  uint8_t *copy = malloc(len);
  if (copy == NULL) return walk_result(env, &w, res, -ENOMEM);
  memcpy(copy, block, len);
  struct ring r;
  memset(&r, 0, sizeof r);
  r.base = copy;
  r.length = len;
  r.block_size = len;
  r.block_nr = 1;
  /* One block: walk_ring stops when it comes round to it again (handed back). */
  int rc = walk_ring(&r, &w);
  free(copy);
  return walk_result(env, &w, res, rc);
}

napi_status sockit_init_packet(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      SOCKIT_FN("setsockoptFilter", t_setsockopt_filter),
      SOCKIT_FN("ringMmap", t_ring_mmap),
      SOCKIT_FN("ringMunmap", t_ring_munmap),
      SOCKIT_FN("ringRead", t_ring_read),
      SOCKIT_FN("ringDecode", t_ring_decode),
  };
  napi_status st = napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  if (st != napi_ok) return st;
  napi_value facts, n;
  static const struct { const char *name; double v; } F[] = {
      {"USEC", RING_USEC}, {"SLL", RING_SLL}, {"META", RING_META}, {"RES", RING_RES},
      {"SLL_OFFSET", (double)SLL_OFFSET},
  };
  if (napi_create_object(env, &facts) != napi_ok) return napi_generic_failure;
  for (size_t i = 0; i < sizeof F / sizeof F[0]; i++) {
    if (napi_create_double(env, F[i].v, &n) != napi_ok || napi_set_named_property(env, facts, F[i].name, n) != napi_ok)
      return napi_generic_failure;
  }
  return napi_set_named_property(env, exports, "ringFacts", facts);
}
