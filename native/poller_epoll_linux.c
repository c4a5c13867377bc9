/*
 * Readiness without libuv: one epoll thread per env, for runtimes whose libuv
 * has no uv_poll (Bun panics the process in uv_poll_init), and on request
 * (SOCKIT_POLLER=epoll) elsewhere.
 *
 * It speaks exactly what poller.c's uv_poll backend speaks — the same five
 * functions, the same UV_* event bits, the same status (UV_EBADF, watcher
 * stopped, on EPOLLERR) — so the JS side has one watcher interface.
 *
 * How it works. Every started poller is registered, level-triggered, with its
 * interest on the env's epoll fd; a stopped one is removed (an fd with no
 * interest would still report EPOLLERR/EPOLLHUP and spin the thread). The thread
 * sits in epoll_wait; when events arrive it hands the batch to the JS thread
 * through a thread-safe function and waits until the JS thread has dispatched
 * it. That handshake is what keeps libuv's semantics without one epoll_ctl per
 * event: while JS runs the callbacks the thread does not poll, so an fd JS has
 * just read dry is not reported again, and an fd still ready after the batch is
 * reported by the next epoll_wait, as a level-triggered loop would.
 *
 * Lifetime. The thread never touches a poller: the kernel hands it a key (slot
 * and generation in the env's table), which the JS thread looks up; a poller
 * closed in between is simply not found. A poller is freed when both its JS
 * external has been collected and it has been closed. The thread is stopped and
 * joined (idempotently) from the thread-safe function's finalizer, which Node
 * runs at env teardown before freeing the function, and from the env cleanup
 * hook, for runtimes that never finalize it.
 *
 * Keeping the loop alive. As with uv_poll, a poller that is started and
 * referenced keeps the loop alive; the thread-safe function is referenced while
 * at least one is, and unreferenced otherwise.
 */
#include "poller.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <uv.h> /* the UV_* event bits and UV_EBADF only; no libuv function is called */

#define EP_BATCH 256
#define EP_WAKE_KEY UINT64_MAX

typedef struct ep_poller {
  ep_state *st;
  napi_ref callback;
  int fd;
  uint32_t slot;
  int interest;   /* UV_* bits while started */
  int started;    /* callback reference is strong */
  int refed;      /* counts toward keeping the loop alive while started */
  int registered; /* on the epoll set */
  int closing;
  int owners; /* 2 at birth: the JS external and the table slot */
} ep_poller;

typedef struct {
  ep_poller *p;
  uint32_t gen;
  uint32_t next_free; /* UINT32_MAX: end of the free list */
} ep_slot;

struct ep_state {
  env_state *env_state;
  napi_env env;
  int epfd, wakefd;
  pthread_t thread;
  int thread_running;
  napi_threadsafe_function tsfn;
  int tsfn_finalized;
  int tsfn_refed;
  size_t keeping_alive; /* started and referenced pollers */
  napi_async_context async;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int pending; /* a batch is with the JS thread */
  int quit;
  int nev;
  struct epoll_event evs[EP_BATCH];
  ep_slot *slots;
  uint32_t cap, free_head;
  int torn_down;
};

static uint64_t key_of(ep_state *st, uint32_t slot) {
  return ((uint64_t)st->slots[slot].gen << 32) | slot;
}

static uint32_t to_epoll(int uv) {
  uint32_t e = 0;
  if (uv & UV_READABLE) e |= EPOLLIN;
  if (uv & UV_WRITABLE) e |= EPOLLOUT;
  if (uv & UV_DISCONNECT) e |= EPOLLRDHUP;
  if (uv & UV_PRIORITIZED) e |= EPOLLPRI;
  return e;
}

static void update_keepalive(ep_state *st) {
  if (st->tsfn == NULL || st->tsfn_finalized || st->torn_down) return;
  int want = st->keeping_alive > 0;
  if (want == st->tsfn_refed) return;
  if (want) napi_ref_threadsafe_function(st->env, st->tsfn);
  else napi_unref_threadsafe_function(st->env, st->tsfn);
  st->tsfn_refed = want;
}

/* Marks p started or stopped, with its callback reference and the loop's. */
static void set_started(ep_poller *p, int on) {
  ep_state *st = p->st;
  if (on == p->started) return;
  p->started = on;
  if (p->callback) {
    if (on) napi_reference_ref(st->env, p->callback, NULL);
    else napi_reference_unref(st->env, p->callback, NULL);
  }
  if (p->refed) {
    if (on) st->keeping_alive++;
    else st->keeping_alive--;
    update_keepalive(st);
  }
}

static void unregister(ep_poller *p) {
  if (!p->registered) return;
  epoll_ctl(p->st->epfd, EPOLL_CTL_DEL, p->fd, NULL);
  p->registered = 0;
}

static void release(ep_poller *p) {
  if (--p->owners == 0) free(p);
}

/* Stops p, frees its slot and drops the JS references; the fd is the caller's. */
static void close_poller(ep_poller *p, int in_teardown) {
  if (p->closing) return;
  ep_state *st = p->st;
  unregister(p);
  if (in_teardown) p->callback = NULL; /* JS objects may only be touched while the env is alive */
  set_started(p, 0);
  p->closing = 1;
  if (p->callback) napi_delete_reference(st->env, p->callback);
  p->callback = NULL;
  ep_slot *sl = &st->slots[p->slot];
  sl->p = NULL;
  sl->gen++;
  sl->next_free = st->free_head;
  st->free_head = p->slot;
  release(p);
}

static void call_js(ep_state *st, ep_poller *p, int status, int events) {
  if (sockit_poll_call(st->env, st->async, p->callback, status, events) < 0) {
    /* The socket was collected while polling: nothing is waiting any more. */
    unregister(p);
    set_started(p, 0);
  }
}

/* One reported event, filtered and reported the way libuv's epoll loop and
 * uv__poll_io do. */
static void dispatch_one(ep_state *st, const struct epoll_event *ev) {
  uint32_t slot = (uint32_t)ev->data.u64;
  if (slot >= st->cap || key_of(st, slot) != ev->data.u64) return; /* closed meanwhile */
  ep_poller *p = st->slots[slot].p;
  if (p == NULL || p->closing || !p->started) return;
  uint32_t want = to_epoll(p->interest);
  uint32_t e = ev->events & (want | EPOLLERR | EPOLLHUP);
  /* epoll sometimes reports EPOLLERR or EPOLLHUP alone: merge in the interest
   * so the reads and writes run and meet the error or the hangup. */
  if (e == EPOLLERR || e == EPOLLHUP) e |= want;
  if (e == 0) return;
  if ((e & EPOLLERR) && !(e & EPOLLPRI)) {
    /* libuv stops the watcher and reports UV_EBADF (a pending socket error). */
    unregister(p);
    set_started(p, 0);
    call_js(st, p, UV_EBADF, 0);
    return;
  }
  int uv = 0;
  if (e & EPOLLIN) uv |= UV_READABLE;
  if (e & EPOLLPRI) uv |= UV_PRIORITIZED;
  if (e & EPOLLOUT) uv |= UV_WRITABLE;
  if (e & EPOLLRDHUP) uv |= UV_DISCONNECT;
  call_js(st, p, 0, uv);
}

/* The thread-safe function's call_js: runs on the JS thread. env is NULL when
 * the function is being torn down with a batch still queued. */
static void dispatch(napi_env env, napi_value js_cb, void *context, void *data) {
  (void)js_cb;
  (void)data;
  ep_state *st = (ep_state *)context;
  if (env != NULL && !st->torn_down)
    for (int i = 0; i < st->nev; i++) dispatch_one(st, &st->evs[i]);
  pthread_mutex_lock(&st->mu);
  st->pending = 0;
  pthread_cond_signal(&st->cv);
  pthread_mutex_unlock(&st->mu);
}

static void *thread_main(void *arg) {
  ep_state *st = (ep_state *)arg;
  for (;;) {
    int n = epoll_wait(st->epfd, st->evs, EP_BATCH, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    int m = 0;
    for (int i = 0; i < n; i++)
      if (st->evs[i].data.u64 != EP_WAKE_KEY) st->evs[m++] = st->evs[i];
    pthread_mutex_lock(&st->mu);
    int quit = st->quit;
    if (!quit && m > 0) {
      st->nev = m;
      st->pending = 1;
    }
    pthread_mutex_unlock(&st->mu);
    if (quit) break;
    if (m == 0) continue;
    if (napi_call_threadsafe_function(st->tsfn, NULL, napi_tsfn_nonblocking) != napi_ok) break;
    pthread_mutex_lock(&st->mu);
    while (st->pending && !st->quit) pthread_cond_wait(&st->cv, &st->mu);
    quit = st->quit;
    pthread_mutex_unlock(&st->mu);
    if (quit) break;
  }
  return NULL;
}

/* Stops and joins the thread; idempotent. */
static void stop_thread(ep_state *st) {
  if (!st->thread_running) return;
  pthread_mutex_lock(&st->mu);
  st->quit = 1;
  pthread_cond_signal(&st->cv);
  pthread_mutex_unlock(&st->mu);
  uint64_t one = 1;
  ssize_t w;
  do w = write(st->wakefd, &one, sizeof one);
  while (w < 0 && errno == EINTR);
  pthread_join(st->thread, NULL);
  st->thread_running = 0;
}

static void tsfn_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  ep_state *st = (ep_state *)data;
  stop_thread(st);
  st->tsfn_finalized = 1;
}

/* Starts the thread and its thread-safe function, at the first poller. */
static int start_thread(ep_state *st) {
  if (st->thread_running) return 0;
  if (st->tsfn_finalized) return -ESHUTDOWN;
  napi_value name;
  if (napi_create_string_utf8(st->env, "sockit:epoll", NAPI_AUTO_LENGTH, &name) != napi_ok) return -ENOMEM;
  if (st->async == NULL && napi_async_init(st->env, NULL, name, &st->async) != napi_ok) return -ENOMEM;
  if (st->tsfn == NULL) {
    if (napi_create_threadsafe_function(st->env, NULL, NULL, name, 0, 1, st, tsfn_finalize, st, dispatch,
                                        &st->tsfn) != napi_ok)
      return -ENOMEM;
    /* Unreferenced until a started, referenced poller needs the loop. */
    napi_unref_threadsafe_function(st->env, st->tsfn);
    st->tsfn_refed = 0;
  }
  /* The thread takes no signals: they belong to the JS thread. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int r = pthread_create(&st->thread, NULL, thread_main, st);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (r != 0) return -r;
  st->thread_running = 1;
  return 0;
}

static ep_poller *get_poller(napi_env env, napi_value v) {
  void *data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, "ERR_SOCKIT_NATIVE_ARGS", "poller handle expected");
    return NULL;
  }
  return (ep_poller *)data;
}

static void finalize_external(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  ep_poller *p = (ep_poller *)data;
  /* Safety net only: sockets are closed explicitly (the fd stays JS's). */
  if (!p->closing && !p->st->torn_down) close_poller(p, 0);
  release(p);
}

static ep_state *state_of(napi_env env) {
  env_state *s = NULL;
  if (napi_get_instance_data(env, (void **)&s) != napi_ok || s == NULL) return NULL;
  return s->ep;
}

/* pollerNew(fd, callback(status, events)) -> external | -errno */
static napi_value e_new(napi_env env, napi_callback_info info) {
  SOCKIT_ARGS(2, 2);
  int32_t fd;
  if (sockit_arg_int32(env, argv[0], &fd)) return NULL;
  ep_state *st = state_of(env);
  if (st == NULL || st->torn_down) return sockit_int(env, -ESHUTDOWN);
  /* Refuse what epoll cannot watch now, as uv_poll_init does (a regular file:
   * EPERM; a bad fd: EBADF). */
  struct epoll_event probe = {0};
  if (epoll_ctl(st->epfd, EPOLL_CTL_ADD, fd, &probe) < 0) return sockit_int(env, -errno);
  epoll_ctl(st->epfd, EPOLL_CTL_DEL, fd, NULL);
  int r = start_thread(st);
  if (r < 0) return sockit_int(env, r);
  if (st->free_head == UINT32_MAX) {
    uint32_t cap = st->cap ? st->cap * 2 : 64;
    ep_slot *grown = realloc(st->slots, cap * sizeof *grown);
    if (!grown) return sockit_int(env, -ENOMEM);
    for (uint32_t i = st->cap; i < cap; i++) {
      grown[i].p = NULL;
      grown[i].gen = 0;
      grown[i].next_free = i + 1 < cap ? i + 1 : UINT32_MAX;
    }
    st->free_head = st->cap;
    st->slots = grown;
    st->cap = cap;
  }
  ep_poller *p = calloc(1, sizeof *p);
  if (!p) return sockit_int(env, -ENOMEM);
  p->st = st;
  p->fd = fd;
  p->refed = 1; /* handles start referenced, as libuv's do */
  p->owners = 2;
  p->slot = st->free_head;
  st->free_head = st->slots[p->slot].next_free;
  st->slots[p->slot].p = p;
  napi_value ext;
  if (napi_create_reference(env, argv[1], 0, &p->callback) != napi_ok ||
      napi_create_external(env, p, finalize_external, NULL, &ext) != napi_ok) {
    p->owners = 1; /* no external was made */
    close_poller(p, 0);
    sockit_throw_last(env, "pollerNew");
    return NULL;
  }
  return ext;
}

/* pollerStart(h, events) -> 0 | -errno: watch for `events` (replacing the interest). */
static napi_value e_start(napi_env env, napi_callback_info info) {
  SOCKIT_ARGS(2, 2);
  ep_poller *p = get_poller(env, argv[0]);
  int32_t events;
  if (!p || sockit_arg_int32(env, argv[1], &events)) return NULL;
  if (p->closing) return sockit_int(env, -EBADF);
  struct epoll_event ev = {.events = to_epoll(events), .data.u64 = key_of(p->st, p->slot)};
  if (epoll_ctl(p->st->epfd, p->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, p->fd, &ev) < 0)
    return sockit_int(env, -errno);
  p->registered = 1;
  p->interest = events;
  set_started(p, 1);
  return sockit_int(env, 0);
}

/* pollerStop(h) -> 0 */
static napi_value e_stop(napi_env env, napi_callback_info info) {
  SOCKIT_ARGS(1, 1);
  ep_poller *p = get_poller(env, argv[0]);
  if (!p) return NULL;
  if (!p->closing) {
    unregister(p);
    set_started(p, 0);
  }
  return sockit_int(env, 0);
}

/* pollerClose(h): idempotent; the fd is the caller's to close (after pollerStop). */
static napi_value e_close(napi_env env, napi_callback_info info) {
  SOCKIT_ARGS(1, 1);
  ep_poller *p = get_poller(env, argv[0]);
  if (!p) return NULL;
  close_poller(p, 0);
  return sockit_int(env, 0);
}

/* pollerRef(h, bool): whether this poller, while started, keeps the loop alive. */
static napi_value e_ref(napi_env env, napi_callback_info info) {
  SOCKIT_ARGS(2, 2);
  ep_poller *p = get_poller(env, argv[0]);
  bool on;
  if (!p) return NULL;
  NAPI_CALL(env, napi_get_value_bool(env, argv[1], &on));
  if (!p->closing && (int)on != p->refed) {
    p->refed = on;
    if (p->started) {
      if (on) p->st->keeping_alive++;
      else p->st->keeping_alive--;
      update_keepalive(p->st);
    }
  }
  return sockit_int(env, 0);
}

/* Env teardown (worker exit, process end): stop the thread, close every poller
 * still open and every fd the env's sockets own. */
static void teardown(void *arg) {
  ep_state *st = (ep_state *)arg;
  stop_thread(st);
  for (uint32_t i = 0; i < st->cap; i++)
    if (st->slots[i].p) close_poller(st->slots[i].p, 1);
  st->torn_down = 1;
  if (st->tsfn && !st->tsfn_finalized) napi_release_threadsafe_function(st->tsfn, napi_tsfn_abort);
  sockit_close_owned(st->env_state);
  close(st->epfd);
  close(st->wakefd);
  /* The state itself stays: JS externals still name their pollers, and their
   * finalizers may run after this hook. It is freed with the env's instance
   * data when nothing can reach it (poller.c's free_state keeps it). */
}

napi_status sockit_epoll_init(napi_env env, napi_value exports, env_state *s) {
  ep_state *st = calloc(1, sizeof *st);
  if (!st) return napi_generic_failure;
  st->env_state = s;
  st->env = env;
  st->free_head = UINT32_MAX;
  st->epfd = epoll_create1(EPOLL_CLOEXEC);
  st->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  struct epoll_event wake = {.events = EPOLLIN, .data.u64 = EP_WAKE_KEY};
  if (st->epfd < 0 || st->wakefd < 0 || epoll_ctl(st->epfd, EPOLL_CTL_ADD, st->wakefd, &wake) < 0 ||
      pthread_mutex_init(&st->mu, NULL) != 0 || pthread_cond_init(&st->cv, NULL) != 0) {
    if (st->epfd >= 0) close(st->epfd);
    if (st->wakefd >= 0) close(st->wakefd);
    free(st);
    return napi_generic_failure;
  }
  s->ep = st;
  napi_status status = napi_add_env_cleanup_hook(env, teardown, st);
  if (status != napi_ok) return status;
  napi_property_descriptor props[] = {
      SOCKIT_FN("pollerNew", e_new), SOCKIT_FN("pollerStart", e_start), SOCKIT_FN("pollerStop", e_stop),
      SOCKIT_FN("pollerClose", e_close), SOCKIT_FN("pollerRef", e_ref),
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
