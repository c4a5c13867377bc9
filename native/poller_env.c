/* What both readiness backends (poller.c's uv_poll, poller_epoll_linux.c's
 * epoll thread) share, declared in poller.h: calling the JS dispatcher for
 * one watcher's event, and closing the fds an env's sockets still own when
 * the env (a worker) ends. */
#include "poller.h"

#include <unistd.h>

int sockit_poll_call(napi_env env, napi_async_context async, napi_ref callback, int status, int events) {
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return 0;
  napi_value cb = NULL, argv[2], recv, res;
  napi_get_reference_value(env, callback, &cb);
  if (cb != NULL) {
    napi_create_int32(env, status, &argv[0]);
    napi_create_int32(env, events, &argv[1]);
    napi_get_global(env, &recv); /* napi_make_callback needs an object receiver */
    napi_status st = napi_make_callback(env, async, recv, cb, 2, argv, &res);
    if (st == napi_pending_exception) {
      /* An exception thrown by the JS callback becomes an uncaught exception of
       * the process, as it would from any Node handle; never an abort here. */
      napi_value err;
      if (napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
    }
  }
  napi_close_handle_scope(env, scope);
  return cb != NULL ? 0 : -1;
}

void sockit_close_owned(env_state *s) {
  for (size_t fd = 0; fd < s->owned_cap; fd++)
    if (s->owned[fd]) {
      s->owned[fd] = 0;
      close((int)fd);
    }
}
