/*
 * Network namespaces: the three calls src/netns.ts needs to create a socket
 * inside another namespace — open(2) of the namespace file, setns(2), and
 * close(2) of it. One syscall per thunk, result or -errno, as everywhere.
 *
 * setns(2) moves only the calling thread, and the TS layer calls socket(2)
 * and setns(2) back within one synchronous stretch of JavaScript, so no other
 * JS (and no other libuv callback on this thread) runs in the other namespace.
 */
#include "sockit.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* nsOpen(path): open(path, O_RDONLY | O_CLOEXEC) → fd or -errno. */
static napi_value t_ns_open(napi_env env, napi_callback_info info) {
  SOCKIT_ARGS(1, 1);
  char path[PATH_MAX];
  size_t len = 0;
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok) {
    napi_throw_type_error(env, "ERR_SOCKIT_NATIVE_ARGS", "string expected");
    return NULL;
  }
  /* A path that filled the buffer was cut short: refuse it rather than open a prefix. */
  if (len >= sizeof path - 1) return sockit_int(env, -ENAMETOOLONG);
  if (strlen(path) != len) return sockit_int(env, -ENOENT); /* a NUL inside */
  int fd;
  do fd = open(path, O_RDONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  return sockit_int(env, fd < 0 ? -(int64_t)errno : fd);
}

/* setns(fd, nstype) → 0 or -errno. */
static napi_value t_setns(napi_env env, napi_callback_info info) {
  SOCKIT_ARGS(2, 2);
  int32_t fd, nstype;
  if (sockit_arg_int32(env, argv[0], &fd) || sockit_arg_int32(env, argv[1], &nstype)) return NULL;
  int r = setns(fd, nstype);
  return sockit_int(env, r < 0 ? -(int64_t)errno : 0);
}

/* nsClose(fd) → 0 or -errno. Never retried on EINTR (see t_close in syscalls.c). */
static napi_value t_ns_close(napi_env env, napi_callback_info info) {
  SOCKIT_ARGS(1, 1);
  int32_t fd;
  if (sockit_arg_int32(env, argv[0], &fd)) return NULL;
  int r = close(fd);
  return sockit_int(env, r < 0 ? -(int64_t)errno : 0);
}

napi_status sockit_init_netns(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      SOCKIT_FN("nsOpen", t_ns_open),
      SOCKIT_FN("setns", t_setns),
      SOCKIT_FN("nsClose", t_ns_close),
  };
  napi_status st = napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  if (st != napi_ok) return st;
  napi_value v;
  if ((st = napi_create_int32(env, CLONE_NEWNET, &v)) != napi_ok) return st;
  return napi_set_named_property(env, exports, "CLONE_NEWNET", v);
}
