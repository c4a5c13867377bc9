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

/* Argument helpers: each returns 0 on success or throws a TypeError and returns -1. */
int sockit_arg_int32(napi_env env, napi_value v, int32_t *out);
int sockit_arg_int64(napi_env env, napi_value v, int64_t *out);
/* Bytes of a Buffer/TypedArray/ArrayBuffer; null and undefined give (NULL, 0). */
int sockit_arg_bytes(napi_env env, napi_value v, void **data, size_t *len);
/* An Int32Array (used for out-values: addrlen, optlen, poll arrays). */
int sockit_arg_i32array(napi_env env, napi_value v, int32_t **data, size_t *count);

napi_value sockit_int(napi_env env, int64_t v);

/* Registration of each part of the module. */
napi_status sockit_init_syscalls(napi_env env, napi_value exports);
napi_status sockit_init_poller(napi_env env, napi_value exports);
napi_status sockit_init_resolver(napi_env env, napi_value exports); /* resolver.c */
napi_status sockit_init_constants(napi_env env, napi_value exports);
napi_status sockit_tcp_states(napi_env env, napi_value consts);
napi_status sockit_init_netns(napi_env env, napi_value exports); /* netns_linux.c */
/* Netlink constant groups and struct facts (netlink_linux.c). */
napi_status sockit_netlink_constants(napi_env env, napi_value consts, napi_value structs);

#endif
