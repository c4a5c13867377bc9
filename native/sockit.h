/*
 * sockit native layer: shared declarations.
 *
 * The rules of this layer (see DESIGN.md):
 *   - one thunk per syscall; each returns its result or -errno, never throws for
 *     a failed syscall (the TypeScript layer knows the context and wraps it once);
 *   - napi_throw_type_error only for a broken invariant (an argument of the wrong
 *     shape), which the validation in src/raw/ makes unreachable;
 *   - EINTR is retried where that is safe, never for close(2).
 */
#ifndef SOCKIT_H
#define SOCKIT_H

#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Fail the current call with a TypeError when a napi_* call does not return napi_ok. */
#define NAPI_CALL(env, call)                                                  \
  do {                                                                        \
    if ((call) != napi_ok) {                                                  \
      sockit_throw_last(env, #call);                                          \
      return NULL;                                                            \
    }                                                                         \
  } while (0)

void sockit_throw_last(napi_env env, const char *what);

/* Declares argc/argv for a thunk taking up to `max` arguments, of which it needs
 * `want`; fewer is a broken invariant (src/raw validates first): TypeError. */
#define SOCKIT_ARGS(max, want)                                                \
  size_t argc = (max);                                                        \
  napi_value argv[(max)];                                                     \
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));       \
  if (argc < (want)) {                                                        \
    napi_throw_type_error(env, "ERR_SOCKIT_NATIVE_ARGS", __func__);           \
    return NULL;                                                              \
  }

/* One entry of a napi_property_descriptor table: a function `name` on exports. */
#define SOCKIT_FN(name, fn) {(name), NULL, (fn), NULL, NULL, NULL, napi_enumerable, NULL}

/* Argument helpers (module.c): each returns 0 on success or throws a TypeError
 * (or RangeError) and returns -1. */
int sockit_arg_int32(napi_env env, napi_value v, int32_t *out);
int sockit_arg_int64(napi_env env, napi_value v, int64_t *out);
/* Bytes of a Buffer/TypedArray/DataView/ArrayBuffer; null and undefined give (NULL, 0). */
int sockit_arg_bytes(napi_env env, napi_value v, void **data, size_t *len);
/* An Int32Array (used for out-values: addrlen, optlen, poll arrays). */
int sockit_arg_i32array(napi_env env, napi_value v, int32_t **data, size_t *count);
/* Whether v is null or undefined (an optional argument left out). */
bool sockit_arg_nullish(napi_env env, napi_value v);

/* Throws RangeError ERR_SOCKIT_NATIVE_RANGE naming `what`; returns NULL, so a
 * thunk can `return sockit_throw_range(env, __func__);`. */
napi_value sockit_throw_range(napi_env env, const char *what);

/* A JS number for a result: an int32 where it fits, else a double. */
napi_value sockit_int(napi_env env, int64_t v);

/* Registration of each part of the module: module.c's init calls these, in this
 * order; each defines its functions (and constant groups) on exports. */
napi_status sockit_init_syscalls(napi_env env, napi_value exports);  /* syscalls.c */
napi_status sockit_init_resolver(napi_env env, napi_value exports);  /* resolver.c */
napi_status sockit_init_poller(napi_env env, napi_value exports);    /* poller.c, poller_epoll_linux.c */
napi_status sockit_init_constants(napi_env env, napi_value exports); /* constants_linux.c */
napi_status sockit_init_msg(napi_env env, napi_value exports);       /* msg_linux.c */
napi_status sockit_init_packet(napi_env env, napi_value exports);    /* packet_linux.c */
napi_status sockit_init_netns(napi_env env, napi_value exports);     /* netns_linux.c */

/* Constant groups and struct facts that sockit_init_constants gathers from the
 * files whose headers cannot share its translation unit. */
napi_status sockit_tcp_states(napi_env env, napi_value consts); /* tcp_states_linux.c */
/* NLMSG, RTM, IFLA, sock_diag, genetlink ... and their structs (netlink_linux.c). */
napi_status sockit_netlink_constants(napi_env env, napi_value consts, napi_value structs);
/* ETH_P, PACKET, TPACKET, ICMP, ICMP6, BPF, ARPHRD and their structs (packet_linux.c). */
napi_status sockit_packet_constants(napi_env env, napi_value consts, napi_value structs);

#endif
