/*
 * Batched message calls (Linux): recvmmsg(2) and sendmmsg(2), plus the
 * control-message layout facts src/control.ts needs (CMSG_ALIGN's unit,
 * CMSG_LEN(0), a table of CMSG_SPACE/CMSG_LEN for the codec's tests) and the
 * errqueue and timestamping constants (SO_EE_*, SOF_TIMESTAMPING_*) the
 * other header groups do not carry.
 *
 * The rules of native/ hold here too: one thunk per syscall, the result or
 * -errno, no exception for a failed syscall, EINTR retried (both calls are
 * made on non-blocking sockets with no timeout, so a retry cannot stretch a
 * deadline), and TypeError/RangeError only for an argument src/ should have
 * refused already.
 *
 * To keep the per-message cost off the JS side, the receive thunk works on
 * flat slabs: message i lands in data[i*slot, (i+1)*slot), its sender in
 * addrs[i*addrSlot ...), its control data in ctl[i*ctlSlot ...); the lengths
 * and flags come back in one Int32Array (4 ints per message). Nothing is
 * allocated in JS per message.
 */
#include "constants.h"

#include <errno.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#ifndef UIO_MAXIOV /* sys/uio.h defines it under _GNU_SOURCE */
#define UIO_MAXIOV IOV_MAX
#endif

#define MSG_MAX_ARGS 12
/* Messages whose headers live on the stack; larger batches use the heap. */
#define STACK_MSGS 64

#define MARGS(want) SOCKIT_ARGS(MSG_MAX_ARGS, want)

/* An optional Int32Array with at least `need` elements; null gives NULL. */
static int opt_i32(napi_env env, napi_value v, size_t need, int32_t **out) {
  *out = NULL;
  if (sockit_arg_nullish(env, v)) return 0;
  size_t n;
  if (sockit_arg_i32array(env, v, out, &n)) return -1;
  if (n < need) {
    sockit_throw_range(env, "Int32Array too short");
    return -1;
  }
  return 0;
}

/* A slab of `count` slots of `slot` bytes: checks it fits the buffer. */
static int slab(size_t cap, int32_t slot, int32_t count) {
  return slot < 0 || count < 0 || (uint64_t)slot * (uint64_t)count > cap ? -1 : 0;
}

/*
 * recvmmsg(fd, data, slot, count, addrs | null, addrSlot, ctl | null, ctlSlot,
 *          out Int32Array[count * 4], flags)
 * out[i*4 ..] = [msg_len, msg_namelen, msg_controllen, msg_flags] for each
 * message received. The caller adds MSG_CMSG_CLOEXEC (packet sockets reject it).
 */
static napi_value t_recvmmsg(napi_env env, napi_callback_info info) {
  MARGS(10);
  int32_t fd, slot, count, addr_slot, ctl_slot, flags;
  void *data, *addrs, *ctl;
  size_t cap, acap, ccap;
  if (sockit_arg_int32(env, argv[0], &fd) || sockit_arg_bytes(env, argv[1], &data, &cap) ||
      sockit_arg_int32(env, argv[2], &slot) || sockit_arg_int32(env, argv[3], &count) ||
      sockit_arg_bytes(env, argv[4], &addrs, &acap) || sockit_arg_int32(env, argv[5], &addr_slot) ||
      sockit_arg_bytes(env, argv[6], &ctl, &ccap) || sockit_arg_int32(env, argv[7], &ctl_slot))
    return NULL;
  int32_t *out;
  if (opt_i32(env, argv[8], (size_t)(count > 0 ? count : 0) * 4, &out)) return NULL;
  if (sockit_arg_int32(env, argv[9], &flags)) return NULL;
  if (count < 1 || count > UIO_MAXIOV || !out) return sockit_throw_range(env, "recvmmsg: count");
  if (slab(cap, slot, count)) return sockit_throw_range(env, "recvmmsg: data slab");
  if (!addrs) addr_slot = 0;
  if (!ctl) ctl_slot = 0;
  if (slab(acap, addr_slot, count)) return sockit_throw_range(env, "recvmmsg: address slab");
  if (slab(ccap, ctl_slot, count)) return sockit_throw_range(env, "recvmmsg: control slab");

  struct mmsghdr stack_msgs[STACK_MSGS];
  struct iovec stack_iov[STACK_MSGS];
  struct mmsghdr *msgs = stack_msgs;
  struct iovec *iov = stack_iov;
  if (count > STACK_MSGS) {
    msgs = calloc((size_t)count, sizeof *msgs);
    iov = calloc((size_t)count, sizeof *iov);
    if (!msgs || !iov) {
      free(msgs);
      free(iov);
      return sockit_int(env, -ENOMEM);
    }
  } else {
    memset(msgs, 0, sizeof(struct mmsghdr) * (size_t)count);
  }
  for (int32_t i = 0; i < count; i++) {
    iov[i].iov_base = (char *)data + (size_t)i * (size_t)slot;
    iov[i].iov_len = (size_t)slot;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    if (addr_slot) {
      msgs[i].msg_hdr.msg_name = (char *)addrs + (size_t)i * (size_t)addr_slot;
      msgs[i].msg_hdr.msg_namelen = (socklen_t)addr_slot;
    }
    if (ctl_slot) {
      msgs[i].msg_hdr.msg_control = (char *)ctl + (size_t)i * (size_t)ctl_slot;
      msgs[i].msg_hdr.msg_controllen = (size_t)ctl_slot;
    }
  }
  int r;
  do r = recvmmsg(fd, msgs, (unsigned)count, flags, NULL);
  while (r < 0 && errno == EINTR);
  int err = errno;
  for (int i = 0; i < r; i++) {
    out[i * 4] = (int32_t)msgs[i].msg_len;
    out[i * 4 + 1] = (int32_t)msgs[i].msg_hdr.msg_namelen;
    out[i * 4 + 2] = (int32_t)msgs[i].msg_hdr.msg_controllen;
    out[i * 4 + 3] = msgs[i].msg_hdr.msg_flags;
  }
  if (msgs != stack_msgs) {
    free(msgs);
    free(iov);
  }
  return sockit_int(env, r < 0 ? -(int64_t)err : r);
}

/*
 * sendmmsg(fd, buffers[], addrs | null, addrSlot, addrLens Int32Array | null,
 *          ctl | null, ctlSlot, ctlLens Int32Array | null, out Int32Array | null, flags)
 * Message i is buffers[i] (one iovec), sent to addrs[i*addrSlot ..] with
 * length addrLens[i] (0: no address), with control data ctl[i*ctlSlot ..] of
 * length ctlLens[i] (0: none). out[i] receives the bytes sent of message i.
 * MSG_NOSIGNAL is always added, as in sendmsg.
 */
static napi_value t_sendmmsg(napi_env env, napi_callback_info info) {
  MARGS(10);
  int32_t fd, addr_slot, ctl_slot, flags;
  if (sockit_arg_int32(env, argv[0], &fd)) return NULL;
  uint32_t count;
  bool is_array = false;
  if (napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array) {
    napi_throw_type_error(env, "ERR_SOCKIT_NATIVE_ARGS", "sendmmsg: array of buffers expected");
    return NULL;
  }
  NAPI_CALL(env, napi_get_array_length(env, argv[1], &count));
  if (count < 1 || count > UIO_MAXIOV) return sockit_throw_range(env, "sendmmsg: count");
  void *addrs, *ctl;
  size_t acap, ccap;
  int32_t *alens, *clens, *out;
  if (sockit_arg_bytes(env, argv[2], &addrs, &acap) || sockit_arg_int32(env, argv[3], &addr_slot) ||
      opt_i32(env, argv[4], count, &alens) || sockit_arg_bytes(env, argv[5], &ctl, &ccap) ||
      sockit_arg_int32(env, argv[6], &ctl_slot) || opt_i32(env, argv[7], count, &clens) ||
      opt_i32(env, argv[8], count, &out) || sockit_arg_int32(env, argv[9], &flags))
    return NULL;
  if (!addrs || !alens) addr_slot = 0;
  if (!ctl || !clens) ctl_slot = 0;
  if (slab(acap, addr_slot, (int32_t)count)) return sockit_throw_range(env, "sendmmsg: address slab");
  if (slab(ccap, ctl_slot, (int32_t)count)) return sockit_throw_range(env, "sendmmsg: control slab");

  struct mmsghdr stack_msgs[STACK_MSGS];
  struct iovec stack_iov[STACK_MSGS];
  struct mmsghdr *msgs = stack_msgs;
  struct iovec *iov = stack_iov;
  if (count > STACK_MSGS) {
    msgs = calloc(count, sizeof *msgs);
    iov = calloc(count, sizeof *iov);
    if (!msgs || !iov) {
      free(msgs);
      free(iov);
      return sockit_int(env, -ENOMEM);
    }
  } else {
    memset(msgs, 0, sizeof(struct mmsghdr) * count);
  }
  napi_value bad = NULL;
  for (uint32_t i = 0; i < count && !bad; i++) {
    napi_value el;
    if (napi_get_element(env, argv[1], i, &el) != napi_ok ||
        sockit_arg_bytes(env, el, &iov[i].iov_base, &iov[i].iov_len)) {
      bad = argv[1];
      break;
    }
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    if (addr_slot && alens[i] > 0) {
      if (alens[i] > addr_slot) {
        sockit_throw_range(env, "sendmmsg: address length");
        bad = argv[4];
        break;
      }
      msgs[i].msg_hdr.msg_name = (char *)addrs + (size_t)i * (size_t)addr_slot;
      msgs[i].msg_hdr.msg_namelen = (socklen_t)alens[i];
    }
    if (ctl_slot && clens[i] > 0) {
      if (clens[i] > ctl_slot) {
        sockit_throw_range(env, "sendmmsg: control length");
        bad = argv[7];
        break;
      }
      msgs[i].msg_hdr.msg_control = (char *)ctl + (size_t)i * (size_t)ctl_slot;
      msgs[i].msg_hdr.msg_controllen = (size_t)clens[i];
    }
  }
  int r = 0, err = 0;
  if (!bad) {
    do r = sendmmsg(fd, msgs, count, flags | MSG_NOSIGNAL);
    while (r < 0 && errno == EINTR);
    err = errno;
    if (out)
      for (int i = 0; i < r; i++) out[i] = (int32_t)msgs[i].msg_len;
  }
  if (msgs != stack_msgs) {
    free(msgs);
    free(iov);
  }
  if (bad) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending) napi_throw_type_error(env, "ERR_SOCKIT_NATIVE_ARGS", "sendmmsg: bytes expected");
    return NULL;
  }
  return sockit_int(env, r < 0 ? -(int64_t)err : r);
}


/* A JS array of CMSG_SPACE(n) or CMSG_LEN(n) for n = 0 .. count-1. */
static napi_status table(napi_env env, napi_value obj, const char *name, int space, uint32_t count) {
  napi_value arr;
  napi_status st = napi_create_array_with_length(env, count, &arr);
  if (st != napi_ok) return st;
  for (uint32_t n = 0; n < count; n++) {
    napi_value v;
    st = napi_create_double(env, (double)(space ? CMSG_SPACE(n) : CMSG_LEN(n)), &v);
    if (st != napi_ok) return st;
    st = napi_set_element(env, arr, n, v);
    if (st != napi_ok) return st;
  }
  return napi_set_named_property(env, obj, name, arr);
}

napi_status sockit_init_msg(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      SOCKIT_FN("recvmmsg", t_recvmmsg),
      SOCKIT_FN("sendmmsg", t_sendmmsg),
  };
  napi_status st = napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  if (st != napi_ok) return st;

  napi_value facts;
  if ((st = napi_create_object(env, &facts)) != napi_ok) return st;
#define N(name, v) \
  if ((st = sockit_set_num(env, facts, name, (double)(v))) != napi_ok) return st;
  /* CMSG_ALIGN rounds up to sizeof(size_t) in glibc (sizeof(long) in the kernel). */
  N("CMSG_ALIGN_UNIT", CMSG_ALIGN(1))
  N("CMSG_LEN_FIELD_SIZE", sizeof(((struct cmsghdr *)0)->cmsg_len))
  N("CMSG_HDR", CMSG_LEN(0))
  N("UIO_MAXIOV", UIO_MAXIOV)
  N("MMSGHDR_SIZE", sizeof(struct mmsghdr))
  N("SO_EE_ORIGIN_NONE", SO_EE_ORIGIN_NONE)
  N("SO_EE_ORIGIN_LOCAL", SO_EE_ORIGIN_LOCAL)
  N("SO_EE_ORIGIN_ICMP", SO_EE_ORIGIN_ICMP)
  N("SO_EE_ORIGIN_ICMP6", SO_EE_ORIGIN_ICMP6)
  N("SO_EE_ORIGIN_TXSTATUS", SO_EE_ORIGIN_TXSTATUS)
#ifdef SO_EE_ORIGIN_ZEROCOPY
  N("SO_EE_ORIGIN_ZEROCOPY", SO_EE_ORIGIN_ZEROCOPY)
#endif
#ifdef SO_EE_ORIGIN_TXTIME
  N("SO_EE_ORIGIN_TXTIME", SO_EE_ORIGIN_TXTIME)
#endif
  /* SO_EE_OFFENDER(ee) is the sockaddr right after the struct. */
  N("SO_EE_OFFENDER", sizeof(struct sock_extended_err))
  /* SO_TIMESTAMPING flags (an enum in linux/net_tstamp.h, so no #ifdef per name). */
  N("SOF_TIMESTAMPING_TX_HARDWARE", SOF_TIMESTAMPING_TX_HARDWARE)
  N("SOF_TIMESTAMPING_TX_SOFTWARE", SOF_TIMESTAMPING_TX_SOFTWARE)
  N("SOF_TIMESTAMPING_RX_HARDWARE", SOF_TIMESTAMPING_RX_HARDWARE)
  N("SOF_TIMESTAMPING_RX_SOFTWARE", SOF_TIMESTAMPING_RX_SOFTWARE)
  N("SOF_TIMESTAMPING_SOFTWARE", SOF_TIMESTAMPING_SOFTWARE)
  N("SOF_TIMESTAMPING_SYS_HARDWARE", SOF_TIMESTAMPING_SYS_HARDWARE)
  N("SOF_TIMESTAMPING_RAW_HARDWARE", SOF_TIMESTAMPING_RAW_HARDWARE)
  N("SOF_TIMESTAMPING_OPT_ID", SOF_TIMESTAMPING_OPT_ID)
  N("SOF_TIMESTAMPING_TX_SCHED", SOF_TIMESTAMPING_TX_SCHED)
  N("SOF_TIMESTAMPING_TX_ACK", SOF_TIMESTAMPING_TX_ACK)
  N("SOF_TIMESTAMPING_OPT_CMSG", SOF_TIMESTAMPING_OPT_CMSG)
  N("SOF_TIMESTAMPING_OPT_TSONLY", SOF_TIMESTAMPING_OPT_TSONLY)
  N("SOF_TIMESTAMPING_OPT_STATS", SOF_TIMESTAMPING_OPT_STATS)
  N("SOF_TIMESTAMPING_OPT_PKTINFO", SOF_TIMESTAMPING_OPT_PKTINFO)
  N("SOF_TIMESTAMPING_OPT_TX_SWHW", SOF_TIMESTAMPING_OPT_TX_SWHW)
#undef N
  if ((st = table(env, facts, "CMSG_SPACE_TABLE", 1, 65)) != napi_ok) return st;
  if ((st = table(env, facts, "CMSG_LEN_TABLE", 0, 65)) != napi_ok) return st;
  return napi_set_named_property(env, exports, "msgFacts", facts);
}
