/*
 * Macros for the files that export constants and struct facts from the system
 * headers (constants_linux.c, netlink_linux.c, packet_linux.c):
 *
 *   BEGIN("AF") C(AF_INET) C(AF_INET6) END          -> consts.AF = { AF_INET: 2, ... }
 *   SBEGIN(sockaddr_in) F(sin_port) F(sin_addr) SEND -> structs.sockaddr_in = { size, sin_port, ... }
 *
 * The enclosing function has `env`, `consts` and `structs` in scope and returns
 * napi_status; any failure returns napi_generic_failure.
 */
#ifndef SOCKIT_CONSTANTS_H
#define SOCKIT_CONSTANTS_H

#include "sockit.h"

#include <stddef.h>

static inline napi_status sockit_set_num(napi_env env, napi_value obj, const char *name, double v) {
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
#define C(name)                                                               \
  if (sockit_set_num(env, g, #name, (double)(name)) != napi_ok)               \
    return napi_generic_failure;
#define END                                                                   \
  if (napi_set_named_property(env, consts, group_name, g) != napi_ok)         \
    return napi_generic_failure;                                              \
  }

/* A struct: its size and the offset of each named field. */
#define SBEGIN(type)                                                          \
  {                                                                           \
    typedef struct type S_;                                                   \
    napi_value g;                                                             \
    if (napi_create_object(env, &g) != napi_ok) return napi_generic_failure;  \
    const char *group_name = #type;                                           \
    if (sockit_set_num(env, g, "size", (double)sizeof(S_)) != napi_ok)        \
      return napi_generic_failure;
#define F(field)                                                              \
  if (sockit_set_num(env, g, #field, (double)offsetof(S_, field)) != napi_ok) \
    return napi_generic_failure;
#define SEND                                                                  \
  if (napi_set_named_property(env, structs, group_name, g) != napi_ok)        \
    return napi_generic_failure;                                              \
  }

#endif
