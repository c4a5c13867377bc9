/*
 * Readiness: one uv_poll_t per socket, on the env's own loop.
 *
 * Lifetime. A poller has two owners: the JS external that names it and the libuv
 * handle. It is freed when both have let go: the external's finalizer runs (GC)
 * and the handle's close callback has run. Until then every call checks
 * `closing` and never touches a handle that is being closed.
 *
 * Close order (libuv: "the user should not close a file descriptor while it is
 * being polled by an active poll handle"): the TS layer calls pollerStop, then
 * close(2), then pollerClose, which uv_close()s the handle.
 *
 * The JS callback is held by a reference that is strong while the poller is
 * started (so a socket with a pending operation stays alive) and weak while it is
 * stopped (so an idle socket can be collected).
 *
 * Calls into JS go through napi_make_callback with an async context: that keeps
 * AsyncLocalStorage intact and drains the nextTick and microtask queues after
 * each callback, as Node's own handles do. One context serves every poller of
 * the env: the callback is sockit's own dispatcher, and the user's code runs in
 * promise continuations that carry the context they were created in; a context
 * per socket cost ~1.9 KiB of RSS per waiting socket (bench W5). It lives as
 * long as the env.
 *
 * Worker threads and env teardown: an async cleanup hook closes every poller
 * still open, then every fd the env's sockets still own (fdOwn/fdDisown keep
 * that set: a worker that ends without closing its sockets leaks nothing), and
 * removes itself when the last close callback has run, so the loop can close.
 *
 * Runtimes. The backend is chosen once per env, at load: libuv's uv_poll on
 * Node, the epoll thread of poller_epoll_linux.c on Bun (its uv_poll_init panics
 * the process) and Deno (its uv_poll reports once per start; see
 * sockit_init_poller), or wherever SOCKIT_POLLER=epoll asks for it (to measure
 * or test that backend on Node).
 * The JS side sees the same five functions and the same event bits either way.
 */
#include "poller.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

struct poller {
  uv_poll_t handle;
  napi_env env;
  env_state *state;
  napi_ref callback;
  int fd;
  int owners;  /* 2 at birth: the JS external and the libuv handle */
  int started; /* callback reference is strong */
  int closing; /* uv_close has been called */
  struct poller *prev, *next;
};

static void unlink_poller(poller *p) {
  env_state *s = p->state;
  if (p->prev) p->prev->next = p->next;
  else if (s->head == p) s->head = p->next;
  if (p->next) p->next->prev = p->prev;
  p->prev = p->next = NULL;
}

static void release(poller *p) {
  if (--p->owners == 0) free(p);
}

static void on_close(uv_handle_t *h) {
  poller *p = (poller *)h->data;
  env_state *s = p->state;
  s->live--;
  if (s->tearing_down && s->live == 0 && s->hook) {
    napi_remove_async_cleanup_hook(s->hook);
    s->hook = NULL;
  }
  release(p);
}

/* Stop polling, drop the JS references, and uv_close the handle. */
static void close_poller(poller *p, int in_teardown) {
  if (p->closing) return;
  p->closing = 1;
  uv_poll_stop(&p->handle);
  unlink_poller(p);
  if (!in_teardown) {
    /* JS objects may only be touched while the env is alive. */
    if (p->callback) napi_delete_reference(p->env, p->callback);
  }
  p->callback = NULL;
  uv_close((uv_handle_t *)&p->handle, on_close);
}

static void on_event(uv_poll_t *h, int status, int events) {
  poller *p = (poller *)h->data;
  if (p->closing) return;
  /* A collected callback: the socket is gone, nothing is waiting any more. */
  if (sockit_poll_call(p->env, p->state->async, p->callback, status, events) < 0) uv_poll_stop(&p->handle);
}

static void finalize_external(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  poller *p = (poller *)data;
  /* Safety net only: sockets are closed explicitly. A collected external whose
   * handle is still open is closed without closing the fd (JS owns the fd). */
  if (!p->closing) close_poller(p, 0);
  release(p);
}

static poller *get_poller(napi_env env, napi_value v) {
  void *data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, "ERR_SOCKIT_NATIVE_ARGS", "poller handle expected");
    return NULL;
  }
  return (poller *)data;
}

/* pollerNew(fd, callback(status, events)) -> external */
static napi_value p_new(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  if (argc < 2 || sockit_arg_int32(env, argv[0], &fd)) return NULL;
  env_state *s;
  NAPI_CALL(env, napi_get_instance_data(env, (void **)&s));
  uv_loop_t *loop;
  NAPI_CALL(env, napi_get_uv_event_loop(env, &loop));
  poller *p = calloc(1, sizeof *p);
  if (!p) return sockit_int(env, -ENOMEM);
  int r = uv_poll_init(loop, &p->handle, fd);
  if (r < 0) {
    free(p);
    return sockit_int(env, r);
  }
  p->handle.data = p;
  p->env = env;
  p->state = s;
  p->fd = fd;
  p->owners = 2;
  s->live++;
  p->next = s->head;
  if (s->head) s->head->prev = p;
  s->head = p;
  napi_value name, ext;
  if (napi_create_reference(env, argv[1], 0, &p->callback) != napi_ok ||
      napi_create_string_utf8(env, "sockit:poll", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      (s->async == NULL && napi_async_init(env, NULL, name, &s->async) != napi_ok) ||
      napi_create_external(env, p, finalize_external, NULL, &ext) != napi_ok) {
    p->owners = 1; /* no external was made */
    close_poller(p, 0);
    sockit_throw_last(env, "pollerNew");
    return NULL;
  }
  return ext;
}

/* pollerStart(h, events) -> 0 | -errno. Re-arms with the union of interest. */
static napi_value p_start(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  poller *p = get_poller(env, argv[0]);
  int32_t events;
  if (!p || sockit_arg_int32(env, argv[1], &events)) return NULL;
  if (p->closing) return sockit_int(env, -EBADF);
  int r = uv_poll_start(&p->handle, events, on_event);
  if (r == 0 && !p->started) {
    p->started = 1;
    napi_reference_ref(env, p->callback, NULL);
  }
  return sockit_int(env, r);
}

/* pollerStop(h) -> 0 */
static napi_value p_stop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  poller *p = get_poller(env, argv[0]);
  if (!p) return NULL;
  if (!p->closing) {
    uv_poll_stop(&p->handle);
    if (p->started) {
      p->started = 0;
      napi_reference_unref(env, p->callback, NULL);
    }
  }
  return sockit_int(env, 0);
}

/* pollerClose(h): idempotent; the fd is the caller's to close (before this). */
static napi_value p_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  poller *p = get_poller(env, argv[0]);
  if (!p) return NULL;
  close_poller(p, 0);
  return sockit_int(env, 0);
}

/* pollerRef(h, bool): whether this handle keeps the loop alive. */
static napi_value p_ref(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  poller *p = get_poller(env, argv[0]);
  bool on;
  if (!p) return NULL;
  NAPI_CALL(env, napi_get_value_bool(env, argv[1], &on));
  if (!p->closing) {
    if (on) uv_ref((uv_handle_t *)&p->handle);
    else uv_unref((uv_handle_t *)&p->handle);
  }
  return sockit_int(env, 0);
}

/* fdOwn(fd) / fdDisown(fd): the set of fds this env's sockets own. */
static napi_value fd_mark(napi_env env, napi_callback_info info, unsigned char on) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  if (argc < 1 || sockit_arg_int32(env, argv[0], &fd)) return NULL;
  env_state *s;
  NAPI_CALL(env, napi_get_instance_data(env, (void **)&s));
  if (fd < 0) return sockit_int(env, -EBADF);
  if ((size_t)fd >= s->owned_cap) {
    if (!on) return sockit_int(env, 0);
    size_t cap = s->owned_cap ? s->owned_cap : 1024;
    while (cap <= (size_t)fd) cap *= 2;
    unsigned char *grown = realloc(s->owned, cap);
    if (!grown) return sockit_int(env, -ENOMEM);
    memset(grown + s->owned_cap, 0, cap - s->owned_cap);
    s->owned = grown;
    s->owned_cap = cap;
  }
  s->owned[fd] = on;
  return sockit_int(env, 0);
}

static napi_value p_own(napi_env env, napi_callback_info info) { return fd_mark(env, info, 1); }
static napi_value p_disown(napi_env env, napi_callback_info info) { return fd_mark(env, info, 0); }

static void teardown(napi_async_cleanup_hook_handle hook, void *arg) {
  env_state *s = (env_state *)arg;
  s->tearing_down = 1;
  /* Deno runs an async cleanup hook as a plain one: it frees the handle itself
   * once the hook returns and never waits for napi_remove_async_cleanup_hook,
   * which frees the same handle (Deno's ext/napi: both take the Box back) — a
   * double free at every exit. Node requires the remove call, and waits for it
   * before it tears the env down. So under Deno the handle is never kept nor
   * removed; the close callbacks below may not run there, which is harmless at
   * the end of the env. */
  s->hook = s->runtime == SOCKIT_RT_DENO ? NULL : hook;
  /* Stop watching before closing (libuv's rule), then close what is owned. */
  while (s->head) close_poller(s->head, 1);
  sockit_close_owned(s);
  if (s->live == 0 && s->hook) {
    napi_remove_async_cleanup_hook(s->hook);
    s->hook = NULL;
  }
}

static void free_state(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  env_state *s = (env_state *)data;
  /* Pollers still alive reference the state; keep it until the process ends
   * unless every one of them is gone. */
  if (s->live == 0 && s->ep == NULL) {
    free(s->owned);
    free(s);
  }
}

/* Which runtime loaded us: Deno and Bun name themselves on the global object. */
static int detect_runtime(napi_env env) {
  napi_value global;
  bool has = false;
  if (napi_get_global(env, &global) != napi_ok) return SOCKIT_RT_NODE;
  if (napi_has_named_property(env, global, "Bun", &has) == napi_ok && has) return SOCKIT_RT_BUN;
  if (napi_has_named_property(env, global, "Deno", &has) == napi_ok && has) return SOCKIT_RT_DENO;
  return SOCKIT_RT_NODE;
}

static napi_status set_string(napi_env env, napi_value obj, const char *key, const char *value) {
  napi_value v;
  napi_status st = napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &v);
  return st != napi_ok ? st : napi_set_named_property(env, obj, key, v);
}

napi_status sockit_init_poller(napi_env env, napi_value exports) {
  env_state *s = calloc(1, sizeof *s);
  if (!s) return napi_generic_failure;
  napi_status st = napi_set_instance_data(env, s, free_state, NULL);
  if (st != napi_ok) {
    free(s);
    return st;
  }
  s->runtime = detect_runtime(env);
  /* libuv's uv_poll on Node. Bun has none (uv_poll_init panics). Deno has one
   * that reports readiness once per uv_poll_start (Deno 2.9: a second datagram
   * on a watcher left started is never reported — test/runtimes/subset.mjs
   * loses it), while sockit keeps a watcher started across wakeups, as libuv's
   * level-triggered poll allows: both get the epoll thread. SOCKIT_POLLER
   * chooses either ("uv" is honoured only where uv_poll exists: not on Bun). */
  const char *force = getenv("SOCKIT_POLLER");
  if (force && strcmp(force, "epoll") == 0) s->backend = SOCKIT_BACKEND_EPOLL;
  else if (force && strcmp(force, "uv") == 0 && s->runtime != SOCKIT_RT_BUN) s->backend = SOCKIT_BACKEND_UV;
  else s->backend = s->runtime == SOCKIT_RT_NODE ? SOCKIT_BACKEND_UV : SOCKIT_BACKEND_EPOLL;
  napi_property_descriptor props[] = {
      SOCKIT_FN("pollerNew", p_new),
      SOCKIT_FN("pollerStart", p_start),
      SOCKIT_FN("pollerStop", p_stop),
      SOCKIT_FN("pollerClose", p_close),
      SOCKIT_FN("pollerRef", p_ref),
      SOCKIT_FN("fdOwn", p_own),
      SOCKIT_FN("fdDisown", p_disown),
  };
  if (s->backend == SOCKIT_BACKEND_EPOLL) {
    st = sockit_epoll_init(env, exports, s);
    if (st == napi_ok) st = napi_define_properties(env, exports, 2, props + 5);
  } else {
    st = napi_add_async_cleanup_hook(env, teardown, s, NULL);
    if (st == napi_ok) st = napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  }
  if (st != napi_ok) return st;
  static const char *runtimes[] = {"node", "deno", "bun"};
  if ((st = set_string(env, exports, "pollerBackend", s->backend == SOCKIT_BACKEND_EPOLL ? "epoll" : "uv")) != napi_ok ||
      (st = set_string(env, exports, "runtime", runtimes[s->runtime])) != napi_ok)
    return st;
  /* libuv's event bits, for pollerStart and the callback (the epoll backend
   * speaks the same bits). */
  napi_value ev, n;
  if ((st = napi_create_object(env, &ev)) != napi_ok) return st;
  const struct { const char *name; int v; } bits[] = {
      {"READABLE", UV_READABLE}, {"WRITABLE", UV_WRITABLE},
      {"DISCONNECT", UV_DISCONNECT}, {"PRIORITIZED", UV_PRIORITIZED}};
  for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++) {
    if ((st = napi_create_int32(env, bits[i].v, &n)) != napi_ok) return st;
    if ((st = napi_set_named_property(env, ev, bits[i].name, n)) != napi_ok) return st;
  }
  return napi_set_named_property(env, exports, "UV", ev);
}
