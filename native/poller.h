/*
 * Readiness backends: what poller.c (libuv's uv_poll, and the parts both
 * backends share) and poller_epoll_linux.c (an epoll thread, for runtimes
 * without libuv) have in common. Not part of the module's interface.
 */
#ifndef SOCKIT_POLLER_H
#define SOCKIT_POLLER_H

#include "sockit.h"

/* The runtime this env belongs to, read off the global object at load. */
enum { SOCKIT_RT_NODE, SOCKIT_RT_DENO, SOCKIT_RT_BUN };
/* The readiness backend an env uses. */
enum { SOCKIT_BACKEND_UV, SOCKIT_BACKEND_EPOLL };

typedef struct poller poller;
typedef struct ep_state ep_state;

/* Per-env state of the addon (its instance data). */
typedef struct env_state {
  int runtime;
  int backend;
  /* libuv backend */
  poller *head;
  int live; /* pollers whose close callback has not run */
  int tearing_down;
  napi_async_cleanup_hook_handle hook;
  napi_async_context async; /* one async context for every poller of the env */
  /* epoll backend */
  ep_state *ep;
  /* both: owned[fd] != 0: a Socket of this env owns fd */
  unsigned char *owned;
  size_t owned_cap;
} env_state;

/* Calls a watcher's JS callback(status, events) through napi_make_callback (an
 * exception it throws becomes the process's uncaught exception); -1 when the
 * callback has been collected (nothing waits any more), else 0. */
int sockit_poll_call(napi_env env, napi_async_context async, napi_ref callback, int status, int events);

/* Closes every fd a Socket of the env still owns (env teardown). */
void sockit_close_owned(env_state *s);

/* Defines pollerNew/Start/Stop/Close/Ref on exports over the epoll backend and
 * registers its env cleanup hook (poller_epoll_linux.c). */
napi_status sockit_epoll_init(napi_env env, napi_value exports, env_state *s);

#endif
