/*
 * One thunk per syscall. Each returns the syscall's result (>= 0) or -errno.
 *
 * Arguments arrive already validated by src/raw/ (types, ranges, buffer bounds);
 * the checks here only keep a broken invariant from touching memory it must not,
 * and throw a TypeError naming the thunk when that happens.
 *
 * Out-values (address lengths, option lengths, message flags) are written to an
 * Int32Array the caller passes, so no call allocates a JS object on the fast path.
 */
#include "sockit.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <unistd.h>

#define MAX_ARGS 8

/* Fetch up to MAX_ARGS arguments; `want` is how many the thunk reads. */
#define ARGS(want) SOCKIT_ARGS(MAX_ARGS, want)

#define INT_ARG(i, name)                                                      \
  int32_t name;                                                               \
  if (sockit_arg_int32(env, argv[i], &name)) return NULL;

#define BYTES_ARG(i, ptr, len)                                                \
  void *ptr;                                                                  \
  size_t len;                                                                 \
  if (sockit_arg_bytes(env, argv[i], &ptr, &len)) return NULL;

static napi_value result(napi_env env, ssize_t r) {
  return sockit_int(env, r < 0 ? -(int64_t)errno : (int64_t)r);
}

/* A window [offset, offset + length) of a byte argument, bounds-checked. */
static int window(void *data, size_t cap, int64_t off, int64_t len, char **out) {
  if (off < 0 || len < 0 || (uint64_t)off > cap || (uint64_t)len > cap - (size_t)off)
    return -1;
  *out = (char *)data + off;
  return 0;
}

/* An address argument: (Buffer, addrlen) with addrlen <= the Buffer's size. */
static int addr_arg(napi_env env, napi_value buf, napi_value len_v,
                    struct sockaddr **sa, socklen_t *salen) {
  void *data;
  size_t cap;
  int32_t len;
  if (sockit_arg_bytes(env, buf, &data, &cap)) return -1;
  if (sockit_arg_int32(env, len_v, &len)) return -1;
  if (len < 0 || (size_t)len > cap) {
    sockit_throw_range(env, "address length");
    return -1;
  }
  *sa = len ? (struct sockaddr *)data : NULL;
  *salen = (socklen_t)len;
  return 0;
}

/* The arguments send, recv, sendto and recvfrom open with: (fd, buf, offset,
 * length, flags), the window [offset, offset + length) checked against buf. */
typedef struct {
  int32_t fd;
  char *data;
  size_t len;
  int32_t flags;
} span_args;

/* 0, or -1 with an exception pending (`fn` names the thunk in a RangeError). */
static int span_args_get(napi_env env, const napi_value *argv, const char *fn, span_args *a) {
  void *buf;
  size_t cap;
  int64_t off, len;
  if (sockit_arg_int32(env, argv[0], &a->fd) || sockit_arg_bytes(env, argv[1], &buf, &cap) ||
      sockit_arg_int64(env, argv[2], &off) || sockit_arg_int64(env, argv[3], &len) ||
      sockit_arg_int32(env, argv[4], &a->flags))
    return -1;
  if (window(buf, cap, off, len, &a->data)) {
    sockit_throw_range(env, fn);
    return -1;
  }
  a->len = (size_t)len;
  return 0;
}

/* socket(domain, type, protocol): always SOCK_NONBLOCK | SOCK_CLOEXEC. */
static napi_value t_socket(napi_env env, napi_callback_info info) {
  ARGS(3);
  INT_ARG(0, domain);
  INT_ARG(1, type);
  INT_ARG(2, protocol);
  return result(env, socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol));
}

/* socketpair(domain, type, protocol, out Int32Array[2]) */
static napi_value t_socketpair(napi_env env, napi_callback_info info) {
  ARGS(4);
  INT_ARG(0, domain);
  INT_ARG(1, type);
  INT_ARG(2, protocol);
  int32_t *out;
  size_t n;
  if (sockit_arg_i32array(env, argv[3], &out, &n)) return NULL;
  if (n < 2) return sockit_throw_range(env, __func__);
  int sv[2];
  int r = socketpair(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol, sv);
  if (r == 0) {
    out[0] = sv[0];
    out[1] = sv[1];
  }
  return result(env, r);
}

/* bind(fd, addr, addrlen) */
static napi_value t_bind(napi_env env, napi_callback_info info) {
  ARGS(3);
  INT_ARG(0, fd);
  struct sockaddr *sa;
  socklen_t salen;
  if (addr_arg(env, argv[1], argv[2], &sa, &salen)) return NULL;
  return result(env, bind(fd, sa, salen));
}

/* connect(fd, addr, addrlen): EINTR is not retried here (a retried connect can
 * report EALREADY); the caller treats EINTR like EINPROGRESS. */
static napi_value t_connect(napi_env env, napi_callback_info info) {
  ARGS(3);
  INT_ARG(0, fd);
  struct sockaddr *sa;
  socklen_t salen;
  if (addr_arg(env, argv[1], argv[2], &sa, &salen)) return NULL;
  return result(env, connect(fd, sa, salen));
}

/* listen(fd, backlog) */
static napi_value t_listen(napi_env env, napi_callback_info info) {
  ARGS(2);
  INT_ARG(0, fd);
  INT_ARG(1, backlog);
  return result(env, listen(fd, backlog));
}

/* accept4(fd, addrBuf | null, lenout Int32Array | null, flags)
 * SOCK_NONBLOCK | SOCK_CLOEXEC are always added. lenout[0] receives addrlen. */
static napi_value t_accept4(napi_env env, napi_callback_info info) {
  ARGS(4);
  INT_ARG(0, fd);
  BYTES_ARG(1, abuf, acap);
  int32_t *lenout = NULL;
  size_t nlen = 0;
  if (!sockit_arg_nullish(env, argv[2])) {
    if (sockit_arg_i32array(env, argv[2], &lenout, &nlen)) return NULL;
    if (nlen < 1) return sockit_throw_range(env, __func__);
  }
  INT_ARG(3, flags);
  socklen_t alen = (socklen_t)acap;
  int r;
  do {
    r = accept4(fd, abuf ? (struct sockaddr *)abuf : NULL, abuf ? &alen : NULL,
                flags | SOCK_NONBLOCK | SOCK_CLOEXEC);
  } while (r < 0 && errno == EINTR);
  if (r >= 0 && lenout) lenout[0] = abuf ? (int32_t)alen : 0;
  return result(env, r);
}

/* send(fd, buf, offset, length, flags): MSG_NOSIGNAL is always added, so a
 * closed peer gives EPIPE instead of killing the process with SIGPIPE. */
static napi_value t_send(napi_env env, napi_callback_info info) {
  ARGS(5);
  span_args a;
  if (span_args_get(env, argv, __func__, &a)) return NULL;
  ssize_t r;
  do r = send(a.fd, a.data, a.len, a.flags | MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return result(env, r);
}

/* recv(fd, buf, offset, length, flags) */
static napi_value t_recv(napi_env env, napi_callback_info info) {
  ARGS(5);
  span_args a;
  if (span_args_get(env, argv, __func__, &a)) return NULL;
  ssize_t r;
  do r = recv(a.fd, a.data, a.len, a.flags);
  while (r < 0 && errno == EINTR);
  return result(env, r);
}

/* sendto(fd, buf, offset, length, flags, addr, addrlen) */
static napi_value t_sendto(napi_env env, napi_callback_info info) {
  ARGS(7);
  span_args a;
  if (span_args_get(env, argv, __func__, &a)) return NULL;
  struct sockaddr *sa;
  socklen_t salen;
  if (addr_arg(env, argv[5], argv[6], &sa, &salen)) return NULL;
  ssize_t r;
  do r = sendto(a.fd, a.data, a.len, a.flags | MSG_NOSIGNAL, sa, salen);
  while (r < 0 && errno == EINTR);
  return result(env, r);
}

/* recvfrom(fd, buf, offset, length, flags, addrBuf, lenout Int32Array)
 * lenout[0] receives the address length the kernel reported. */
static napi_value t_recvfrom(napi_env env, napi_callback_info info) {
  ARGS(7);
  span_args a;
  if (span_args_get(env, argv, __func__, &a)) return NULL;
  BYTES_ARG(5, abuf, acap);
  int32_t *lenout;
  size_t nlen;
  if (sockit_arg_i32array(env, argv[6], &lenout, &nlen)) return NULL;
  if (nlen < 1) return sockit_throw_range(env, __func__);
  socklen_t alen = (socklen_t)acap;
  ssize_t r;
  do r = recvfrom(a.fd, a.data, a.len, a.flags, (struct sockaddr *)abuf, &alen);
  while (r < 0 && errno == EINTR);
  lenout[0] = r >= 0 ? (int32_t)alen : 0;
  return result(env, r);
}

/* The buffers of sendmsg/recvmsg as an iovec array. Up to IOV_STACK of them
 * (the common case: one buffer, or a header and a body) live on the stack;
 * more, up to IOV_MAX (1024 on Linux: what the kernel takes, and what src/raw
 * checks first, against LIMITS.IOV_MAX), on the heap: 16 KiB of stack per call
 * for the rare long list was the cost before. */
#define IOV_STACK 8

typedef struct {
  struct iovec *v; /* stack, or the heap; NULL: out of memory */
  size_t n;
  struct iovec stack[IOV_STACK];
} iov_list;

/* Fills `l` from a JS array of byte views: 0 (with l->v NULL if the heap array
 * could not be had: the thunk returns -ENOMEM), or -1 with an exception pending.
 * On 0 with l->v set, iov_release(l) after the call. */
static int iov_get(napi_env env, napi_value arr, iov_list *l) {
  uint32_t len;
  l->v = l->stack;
  l->n = 0;
  if (napi_get_array_length(env, arr, &len) != napi_ok) {
    napi_throw_type_error(env, "ERR_SOCKIT_NATIVE_ARGS", "array of buffers expected");
    return -1;
  }
  if (len > IOV_MAX) {
    sockit_throw_range(env, "iovec count: more than IOV_MAX buffers");
    return -1;
  }
  if (len > IOV_STACK) {
    l->v = malloc(len * sizeof *l->v);
    if (l->v == NULL) return 0;
  }
  for (uint32_t i = 0; i < len; i++) {
    napi_value el;
    if (napi_get_element(env, arr, i, &el) != napi_ok ||
        sockit_arg_bytes(env, el, &l->v[i].iov_base, &l->v[i].iov_len)) {
      bool pending = false;
      napi_is_exception_pending(env, &pending);
      if (!pending) napi_throw_type_error(env, "ERR_SOCKIT_NATIVE_ARGS", "bytes expected");
      if (l->v != l->stack) free(l->v);
      l->v = NULL;
      return -1;
    }
  }
  l->n = len;
  return 0;
}

static void iov_release(iov_list *l) {
  if (l->v != l->stack) free(l->v);
  l->v = NULL;
}

/* sendmsg(fd, buffers[], addr | null, addrlen, control | null, flags) */
static napi_value t_sendmsg(napi_env env, napi_callback_info info) {
  ARGS(6);
  INT_ARG(0, fd);
  struct sockaddr *sa;
  socklen_t salen;
  if (addr_arg(env, argv[2], argv[3], &sa, &salen)) return NULL;
  BYTES_ARG(4, ctl, ctllen);
  INT_ARG(5, flags);
  iov_list iov;
  if (iov_get(env, argv[1], &iov)) return NULL;
  if (iov.v == NULL) return sockit_int(env, -ENOMEM);
  struct msghdr msg = {
      .msg_name = sa,
      .msg_namelen = salen,
      .msg_iov = iov.v,
      .msg_iovlen = iov.n,
      .msg_control = ctllen ? ctl : NULL,
      .msg_controllen = ctllen,
  };
  ssize_t r;
  do r = sendmsg(fd, &msg, flags | MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  int err = errno;
  iov_release(&iov);
  return sockit_int(env, r < 0 ? -(int64_t)err : (int64_t)r);
}

/* recvmsg(fd, buffers[], addrBuf | null, control | null, out Int32Array[3], flags)
 * (src/messages.ts adds MSG_CMSG_CLOEXEC where the family accepts it: packet
 * sockets reject the flag with EINVAL).
 * out = [addrlen, controllen, msg_flags]. */
static napi_value t_recvmsg(napi_env env, napi_callback_info info) {
  ARGS(6);
  INT_ARG(0, fd);
  BYTES_ARG(2, abuf, acap);
  BYTES_ARG(3, ctl, ctlcap);
  int32_t *out;
  size_t nout;
  if (sockit_arg_i32array(env, argv[4], &out, &nout)) return NULL;
  if (nout < 3) return sockit_throw_range(env, __func__);
  INT_ARG(5, flags);
  iov_list iov;
  if (iov_get(env, argv[1], &iov)) return NULL;
  if (iov.v == NULL) return sockit_int(env, -ENOMEM);
  struct msghdr msg = {
      .msg_name = acap ? abuf : NULL,
      .msg_namelen = (socklen_t)acap,
      .msg_iov = iov.v,
      .msg_iovlen = iov.n,
      .msg_control = ctlcap ? ctl : NULL,
      .msg_controllen = ctlcap,
  };
  ssize_t r;
  do r = recvmsg(fd, &msg, flags);
  while (r < 0 && errno == EINTR);
  int err = errno;
  iov_release(&iov);
  if (r >= 0) {
    out[0] = (int32_t)msg.msg_namelen;
    out[1] = (int32_t)msg.msg_controllen;
    out[2] = msg.msg_flags;
  }
  return sockit_int(env, r < 0 ? -(int64_t)err : (int64_t)r);
}

/* sendfile(outFd, inFd, offset, count): offset >= 0 reads the file from there
 * (its file position is neither used nor moved), offset < 0 passes NULL (reads
 * from, and advances, the file position). Returns the bytes sent or -errno.
 *
 * sendfile has no MSG_NOSIGNAL: a socket whose peer has gone raises SIGPIPE.
 * Node ignores SIGPIPE process-wide, so the common case costs one sigaction
 * query; if the disposition is the default (which would kill the process),
 * SIGPIPE is blocked for the call and a SIGPIPE the call raised is consumed
 * before the mask is restored — the caller sees EPIPE either way. */
static napi_value t_sendfile(napi_env env, napi_callback_info info) {
  ARGS(4);
  INT_ARG(0, out_fd);
  INT_ARG(1, in_fd);
  int64_t off, count;
  if (sockit_arg_int64(env, argv[2], &off) || sockit_arg_int64(env, argv[3], &count)) return NULL;
  if (count < 0) return sockit_throw_range(env, __func__);
  /* Linux moves at most 0x7ffff000 bytes per call anyway. */
  size_t n = count > 0x7ffff000 ? 0x7ffff000 : (size_t)count;
  off_t pos = (off_t)off;
  struct sigaction sa;
  int guard = sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL;
  sigset_t pipe_set, old_set, pending;
  int was_pending = 0;
  if (guard) {
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
    sigpending(&pending);
    was_pending = sigismember(&pending, SIGPIPE);
  }
  ssize_t r;
  do r = sendfile(out_fd, in_fd, off < 0 ? NULL : &pos, n);
  while (r < 0 && errno == EINTR);
  int err = errno;
  if (guard) {
    if (r < 0 && err == EPIPE && !was_pending) {
      struct timespec zero = {0, 0};
      while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_set, NULL);
  }
  return sockit_int(env, r < 0 ? -(int64_t)err : (int64_t)r);
}

/* shutdown(fd, how) */
static napi_value t_shutdown(napi_env env, napi_callback_info info) {
  ARGS(2);
  INT_ARG(0, fd);
  INT_ARG(1, how);
  return result(env, shutdown(fd, how));
}

/* close(fd). Never retried on EINTR: on Linux the fd is released even then, and
 * a retry could close an fd another thread has just been given. */
static napi_value t_close(napi_env env, napi_callback_info info) {
  ARGS(1);
  INT_ARG(0, fd);
  int r = close(fd);
  if (r < 0 && errno == EINTR) return sockit_int(env, 0);
  return result(env, r);
}

typedef int (*namefn)(int, struct sockaddr *, socklen_t *);

static napi_value name_call(napi_env env, napi_callback_info info, namefn fn) {
  ARGS(3);
  INT_ARG(0, fd);
  BYTES_ARG(1, abuf, acap);
  int32_t *lenout;
  size_t nlen;
  if (sockit_arg_i32array(env, argv[2], &lenout, &nlen)) return NULL;
  if (nlen < 1) return sockit_throw_range(env, "getsockname/getpeername");
  socklen_t alen = (socklen_t)acap;
  int r = fn(fd, (struct sockaddr *)abuf, &alen);
  lenout[0] = r == 0 ? (int32_t)alen : 0;
  return result(env, r);
}

/* getsockname(fd, addrBuf, lenout) */
static napi_value t_getsockname(napi_env env, napi_callback_info info) {
  return name_call(env, info, getsockname);
}

/* getpeername(fd, addrBuf, lenout) */
static napi_value t_getpeername(napi_env env, napi_callback_info info) {
  return name_call(env, info, getpeername);
}

/* setsockopt(fd, level, name, value, length) */
static napi_value t_setsockopt(napi_env env, napi_callback_info info) {
  ARGS(5);
  INT_ARG(0, fd);
  INT_ARG(1, level);
  INT_ARG(2, name);
  BYTES_ARG(3, val, cap);
  INT_ARG(4, len);
  if (len < 0 || (size_t)len > cap) return sockit_throw_range(env, __func__);
  return result(env, setsockopt(fd, level, name, val, (socklen_t)len));
}

/* getsockopt(fd, level, name, buf, lenout): lenout[0] is the capacity on
 * entry and the length the kernel wrote on return. */
static napi_value t_getsockopt(napi_env env, napi_callback_info info) {
  ARGS(5);
  INT_ARG(0, fd);
  INT_ARG(1, level);
  INT_ARG(2, name);
  BYTES_ARG(3, val, cap);
  int32_t *lenout;
  size_t nlen;
  if (sockit_arg_i32array(env, argv[4], &lenout, &nlen)) return NULL;
  if (nlen < 1 || lenout[0] < 0 || (size_t)lenout[0] > cap) return sockit_throw_range(env, __func__);
  socklen_t len = (socklen_t)lenout[0];
  int r = getsockopt(fd, level, name, val, &len);
  lenout[0] = r == 0 ? (int32_t)len : 0;
  return result(env, r);
}

/* ioctl(fd, request, &int): for the int-valued socket ioctls (FIONREAD,
 * SIOCATMARK, SIOCOUTQ, FIONBIO). out[0] carries the int both ways. */
static napi_value t_ioctl_int(napi_env env, napi_callback_info info) {
  ARGS(3);
  INT_ARG(0, fd);
  int64_t req;
  if (sockit_arg_int64(env, argv[1], &req)) return NULL;
  int32_t *out;
  size_t n;
  if (sockit_arg_i32array(env, argv[2], &out, &n)) return NULL;
  if (n < 1) return sockit_throw_range(env, __func__);
  int v = out[0];
  int r = ioctl(fd, (unsigned long)req, &v);
  if (r >= 0) out[0] = v;
  return result(env, r);
}

/* fcntl(fd, cmd, arg) for the integer commands (F_GETFL, F_SETFL, F_GETFD,
 * F_SETFD, F_DUPFD_CLOEXEC). */
static napi_value t_fcntl(napi_env env, napi_callback_info info) {
  ARGS(3);
  INT_ARG(0, fd);
  INT_ARG(1, cmd);
  INT_ARG(2, arg);
  int r;
  do r = fcntl(fd, cmd, arg);
  while (r < 0 && errno == EINTR && cmd != F_SETLKW);
  return result(env, r);
}

/* poll(fds Int32Array [fd, events, revents] * n, n, timeoutMs). Blocks the
 * calling thread: this is posix.poll, for scripts, workers and ports of C. */
static napi_value t_poll(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t *arr;
  size_t cnt;
  if (sockit_arg_i32array(env, argv[0], &arr, &cnt)) return NULL;
  INT_ARG(1, nfds);
  INT_ARG(2, timeout);
  if (nfds < 0 || (size_t)nfds * 3 > cnt || nfds > 1 << 20) return sockit_throw_range(env, __func__);
  struct pollfd stackfds[64];
  struct pollfd *fds = nfds <= 64 ? stackfds : calloc((size_t)nfds, sizeof *fds);
  if (!fds) return sockit_int(env, -ENOMEM);
  for (int i = 0; i < nfds; i++) {
    fds[i].fd = arr[i * 3];
    fds[i].events = (short)arr[i * 3 + 1];
    fds[i].revents = 0;
  }
  /* Not retried on EINTR: the caller's timeout would restart from zero. */
  int r = poll(fds, (nfds_t)nfds, timeout);
  int err = errno;
  if (r >= 0)
    for (int i = 0; i < nfds; i++) arr[i * 3 + 2] = fds[i].revents;
  if (fds != stackfds) free(fds);
  return sockit_int(env, r < 0 ? -(int64_t)err : r);
}

static int fill_set(int32_t *fds, size_t n, fd_set *set, int *maxfd) {
  FD_ZERO(set);
  for (size_t i = 0; i < n; i++) {
    if (fds[i] < 0 || fds[i] >= FD_SETSIZE) return -1;
    FD_SET(fds[i], set);
    if (fds[i] > *maxfd) *maxfd = fds[i];
  }
  return 0;
}

static void read_set(int32_t *fds, size_t n, fd_set *set) {
  for (size_t i = 0; i < n; i++)
    if (!FD_ISSET(fds[i], set)) fds[i] = -1;
}

/* select(read Int32Array, write Int32Array, except Int32Array, timeoutMicros)
 * Each array lists fds; on return the fds that are not ready are replaced by -1.
 * A negative timeout waits forever. Blocks the calling thread (posix.select). */
static napi_value t_select(napi_env env, napi_callback_info info) {
  ARGS(4);
  int32_t *r, *w, *x;
  size_t nr, nw, nx;
  if (sockit_arg_i32array(env, argv[0], &r, &nr) || sockit_arg_i32array(env, argv[1], &w, &nw) ||
      sockit_arg_i32array(env, argv[2], &x, &nx))
    return NULL;
  int64_t tmo;
  if (sockit_arg_int64(env, argv[3], &tmo)) return NULL;
  fd_set rs, ws, xs;
  int maxfd = -1;
  if (fill_set(r, nr, &rs, &maxfd) || fill_set(w, nw, &ws, &maxfd) || fill_set(x, nx, &xs, &maxfd))
    return sockit_int(env, -EINVAL);
  struct timeval tv = {.tv_sec = tmo / 1000000, .tv_usec = tmo % 1000000};
  int n = select(maxfd + 1, &rs, &ws, &xs, tmo < 0 ? NULL : &tv);
  if (n < 0) return sockit_int(env, -(int64_t)errno);
  read_set(r, nr, &rs);
  read_set(w, nw, &ws);
  read_set(x, nx, &xs);
  return sockit_int(env, n);
}

/* if_nametoindex(name) -> index | -errno */
static napi_value t_if_nametoindex(napi_env env, napi_callback_info info) {
  ARGS(1);
  char name[IF_NAMESIZE + 1];
  size_t n;
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &n) != napi_ok) {
    napi_throw_type_error(env, "ERR_SOCKIT_NATIVE_ARGS", "string expected");
    return NULL;
  }
  /* A NUL inside the name would silently truncate it to another interface. */
  if (n >= IF_NAMESIZE || strlen(name) != n) return sockit_int(env, -ENODEV);
  unsigned idx = if_nametoindex(name);
  return sockit_int(env, idx ? (int64_t)idx : -(int64_t)errno);
}

/* if_indextoname(index) -> name | -errno */
static napi_value t_if_indextoname(napi_env env, napi_callback_info info) {
  ARGS(1);
  int64_t idx;
  if (sockit_arg_int64(env, argv[0], &idx)) return NULL;
  char name[IF_NAMESIZE];
  if (idx <= 0 || idx > UINT32_MAX || !if_indextoname((unsigned)idx, name))
    return sockit_int(env, idx <= 0 || idx > UINT32_MAX ? -ENXIO : -(int64_t)errno);
  napi_value s;
  NAPI_CALL(env, napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &s));
  return s;
}

/* inet_ntop(family, bytes) -> string | -errno (libc's formatting; used as the
 * reference in tests of the TS codec, and by posix.inet_ntop). */
static napi_value t_inet_ntop(napi_env env, napi_callback_info info) {
  ARGS(2);
  INT_ARG(0, af);
  BYTES_ARG(1, src, len);
  if ((af == AF_INET && len != 4) || (af == AF_INET6 && len != 16)) return sockit_throw_range(env, __func__);
  char out[INET6_ADDRSTRLEN];
  if (!inet_ntop(af, src, out, sizeof out)) return sockit_int(env, -(int64_t)errno);
  napi_value s;
  NAPI_CALL(env, napi_create_string_utf8(env, out, NAPI_AUTO_LENGTH, &s));
  return s;
}

/* inet_pton(family, string, out) -> 1 | 0 (not an address) | -errno */
static napi_value t_inet_pton(napi_env env, napi_callback_info info) {
  ARGS(3);
  INT_ARG(0, af);
  char str[128];
  size_t n;
  if (napi_get_value_string_utf8(env, argv[1], str, sizeof str, &n) != napi_ok) {
    napi_throw_type_error(env, "ERR_SOCKIT_NATIVE_ARGS", "string expected");
    return NULL;
  }
  if (n >= sizeof str - 1 || strlen(str) != n) return sockit_int(env, 0);
  BYTES_ARG(2, out, cap);
  if ((af == AF_INET && cap < 4) || (af == AF_INET6 && cap < 16)) return sockit_throw_range(env, __func__);
  int r = inet_pton(af, str, out);
  return sockit_int(env, r < 0 ? -(int64_t)errno : r);
}

/* clock_gettime(CLOCK_REALTIME) -> ns since the epoch (a BigInt) | -errno (a
 * number). The clock SO_TIMESTAMPNS stamps with, read at the moment of the
 * call: ping subtracts a send time read here from the kernel's receive time.
 * (JS has no such clock: performance.timeOrigin + now() is the monotonic clock
 * plus an offset fixed at startup, off by as much as the process was
 * descheduled between the two reads that made it, and by any slew since.) */
static napi_value t_clock_realtime(napi_env env, napi_callback_info info) {
  (void)info;
  struct timespec ts;
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return sockit_int(env, -(int64_t)errno);
  napi_value v;
  NAPI_CALL(env, napi_create_bigint_int64(env, (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec, &v));
  return v;
}

napi_status sockit_init_syscalls(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      SOCKIT_FN("socket", t_socket),
      SOCKIT_FN("socketpair", t_socketpair),
      SOCKIT_FN("bind", t_bind),
      SOCKIT_FN("connect", t_connect),
      SOCKIT_FN("listen", t_listen),
      SOCKIT_FN("accept4", t_accept4),
      SOCKIT_FN("send", t_send),
      SOCKIT_FN("recv", t_recv),
      SOCKIT_FN("sendto", t_sendto),
      SOCKIT_FN("recvfrom", t_recvfrom),
      SOCKIT_FN("sendmsg", t_sendmsg),
      SOCKIT_FN("recvmsg", t_recvmsg),
      SOCKIT_FN("sendfile", t_sendfile),
      SOCKIT_FN("shutdown", t_shutdown),
      SOCKIT_FN("close", t_close),
      SOCKIT_FN("getsockname", t_getsockname),
      SOCKIT_FN("getpeername", t_getpeername),
      SOCKIT_FN("setsockopt", t_setsockopt),
      SOCKIT_FN("getsockopt", t_getsockopt),
      SOCKIT_FN("ioctlInt", t_ioctl_int),
      SOCKIT_FN("fcntl", t_fcntl),
      SOCKIT_FN("poll", t_poll),
      SOCKIT_FN("select", t_select),
      SOCKIT_FN("ifNameToIndex", t_if_nametoindex),
      SOCKIT_FN("ifIndexToName", t_if_indextoname),
      SOCKIT_FN("inetNtop", t_inet_ntop),
      SOCKIT_FN("inetPton", t_inet_pton),
      SOCKIT_FN("clockRealtime", t_clock_realtime),
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
