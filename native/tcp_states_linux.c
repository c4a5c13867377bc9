/*
 * TCP connection states (tcp_info.tcpi_state, sock_diag's idiag_state).
 * They live in glibc's <netinet/tcp.h>, which cannot share a translation unit
 * with <linux/tcp.h> (used for the full struct tcp_info), hence this file.
 */
#include "sockit.h"

#include <netinet/tcp.h>

napi_status sockit_tcp_states(napi_env env, napi_value consts) {
  static const struct { const char *name; int v; } states[] = {
      {"TCP_ESTABLISHED", TCP_ESTABLISHED}, {"TCP_SYN_SENT", TCP_SYN_SENT},
      {"TCP_SYN_RECV", TCP_SYN_RECV},       {"TCP_FIN_WAIT1", TCP_FIN_WAIT1},
      {"TCP_FIN_WAIT2", TCP_FIN_WAIT2},     {"TCP_TIME_WAIT", TCP_TIME_WAIT},
      {"TCP_CLOSE", TCP_CLOSE},             {"TCP_CLOSE_WAIT", TCP_CLOSE_WAIT},
      {"TCP_LAST_ACK", TCP_LAST_ACK},       {"TCP_LISTEN", TCP_LISTEN},
      {"TCP_CLOSING", TCP_CLOSING},
  };
  napi_value g, n;
  napi_status st = napi_create_object(env, &g);
  if (st != napi_ok) return st;
  for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
    if ((st = napi_create_int32(env, states[i].v, &n)) != napi_ok) return st;
    if ((st = napi_set_named_property(env, g, states[i].name, n)) != napi_ok) return st;
  }
  return napi_set_named_property(env, consts, "TCP_STATE", g);
}
