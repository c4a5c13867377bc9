/*
 * Name resolution off the event loop: getaddrinfo(3), getnameinfo(3),
 * gethostbyname2_r/gethostbyaddr_r, getservbyname_r/getservbyport_r,
 * getprotobyname_r/getprotobynumber_r and gethostname(2), each run on libuv's
 * thread pool through napi_async_work (the reentrant *_r forms, since several
 * may run at once), resolving a promise.
 *
 * Every promise resolves, never rejects: with [eai, errno, result], where eai is
 * 0 or the EAI_* code (negative on glibc) and errno is the errno of EAI_SYSTEM
 * (or of gethostname). The TypeScript layer builds the error, as for every
 * other thunk: C does no policy.
 *
 * Also here, synchronous because they never wait: inet_aton(3), if_nameindex(3)
 * and gai_strerror(3), plus the AI_*, NI_* and EAI_* constants from <netdb.h>.
 */
#include "sockit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#if !defined(__GLIBC__)
/*
 * musl has no getprotobyname_r/getprotobynumber_r. Its getprotobyname and
 * getprotobynumber walk a table built into libc with a static cursor, so one
 * lock serialises them (several thread-pool jobs may run at once); the struct
 * is copied out under the lock, and the name and alias pointers it holds point
 * into that constant table, so they stay valid after the unlock.
 */
#include <pthread.h>

static pthread_mutex_t proto_lock = PTHREAD_MUTEX_INITIALIZER;

static int proto_copy(struct protoent *found, struct protoent *out, struct protoent **res) {
  if (found) *out = *found;
  *res = found ? out : NULL;
  return 0;
}

static int sockit_getprotobyname_r(const char *name, struct protoent *out, char *buf, size_t len,
                                   struct protoent **res) {
  (void)buf, (void)len;
  pthread_mutex_lock(&proto_lock);
  int rc = proto_copy(getprotobyname(name), out, res);
  pthread_mutex_unlock(&proto_lock);
  return rc;
}

static int sockit_getprotobynumber_r(int proto, struct protoent *out, char *buf, size_t len,
                                     struct protoent **res) {
  (void)buf, (void)len;
  pthread_mutex_lock(&proto_lock);
  int rc = proto_copy(getprotobynumber(proto), out, res);
  pthread_mutex_unlock(&proto_lock);
  return rc;
}
#define getprotobyname_r sockit_getprotobyname_r
#define getprotobynumber_r sockit_getprotobynumber_r
#endif

/* h_errno's "see errno" value; glibc's alone: musl reports that case as EAI_SYSTEM's errno. */
#ifndef NETDB_INTERNAL
#define NETDB_INTERNAL (-1)
#endif

enum op {
  OP_GETADDRINFO,
  OP_GETNAMEINFO,
  OP_GETSERVBYNAME,
  OP_GETSERVBYPORT,
  OP_GETPROTOBYNAME,
  OP_GETPROTOBYNUMBER,
  OP_GETHOSTNAME,
  OP_GETHOSTBYNAME,
  OP_GETHOSTBYADDR,
};

/* One request: inputs, outputs, and the scratch the *_r calls fill. */
typedef struct job {
  enum op op;
  napi_async_work work;
  napi_deferred deferred;
  char *s1, *s2;           /* host/name, service/proto (NULL = absent) */
  int32_t i1, i2, i3, i4;  /* flags, family, socktype, protocol / port / number */
  struct sockaddr_storage ss;
  socklen_t sslen;
  int eai, err;
  struct addrinfo *ai;
  char host[NI_MAXHOST], serv[NI_MAXSERV];
  union {
    struct servent se;
    struct protoent pe;
    struct hostent he;
  } u;
  int found;
  char *buf;
  size_t buflen;
} job;

/* What the argument readers below return: ARG_THREW is the -1 of the
 * sockit_arg_* helpers (an exception is pending); ARG_NOMEM means a copy could
 * not be allocated, and the call fails with ENOMEM instead of going ahead. */
enum { ARG_OK = 0, ARG_THREW = -1, ARG_NOMEM = -2 };

/* Copies a string argument for the thread pool into *out (freed by free_job).
 * null and undefined are "absent": *out = NULL, which is what getaddrinfo(3)
 * and getservbyname_r(3) take for a missing host, service or protocol. An
 * allocation failure is ARG_NOMEM, never that NULL: a host that could not be
 * copied must not become getaddrinfo(NULL, ...) (the loopback address). */
static int dup_string(napi_env env, napi_value v, char **out) {
  *out = NULL;
  if (sockit_arg_nullish(env, v)) return ARG_OK;
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
    napi_throw_type_error(env, "ERR_SOCKIT_NATIVE_ARGS", "string expected");
    return ARG_THREW;
  }
  char *s = malloc(len + 1);
  if (!s) return ARG_NOMEM;
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  *out = s;
  return ARG_OK;
}

/* Runs a *_r call, growing its scratch buffer on ERANGE. */
#define GROW_R(call)                                                          \
  do {                                                                        \
    size_t cap = 1024;                                                        \
    for (;;) {                                                                \
      char *nb = realloc(j->buf, cap);                                        \
      if (!nb) {                                                              \
        j->eai = EAI_MEMORY;                                                  \
        break;                                                                \
      }                                                                       \
      j->buf = nb;                                                            \
      j->buflen = cap;                                                        \
      int rc = (call);                                                        \
      if (rc == ERANGE && cap < (1u << 20)) {                                 \
        cap *= 2;                                                             \
        continue;                                                             \
      }                                                                       \
      if (rc != 0 && rc != ENOENT) {                                          \
        j->eai = EAI_SYSTEM;                                                  \
        j->err = rc;                                                          \
      }                                                                       \
      break;                                                                  \
    }                                                                         \
  } while (0)

static void execute(napi_env env, void *data) {
  (void)env;
  job *j = data;
  switch (j->op) {
    case OP_GETADDRINFO: {
      struct addrinfo hints;
      memset(&hints, 0, sizeof hints);
      hints.ai_flags = j->i1;
      hints.ai_family = j->i2;
      hints.ai_socktype = j->i3;
      hints.ai_protocol = j->i4;
      errno = 0;
      j->eai = getaddrinfo(j->s1, j->s2, &hints, &j->ai);
      if (j->eai == EAI_SYSTEM) j->err = errno;
      break;
    }
    case OP_GETNAMEINFO:
      errno = 0;
      j->eai = getnameinfo((struct sockaddr *)&j->ss, j->sslen, j->host, sizeof j->host, j->serv,
                           sizeof j->serv, j->i1);
      if (j->eai == EAI_SYSTEM) j->err = errno;
      break;
    case OP_GETSERVBYNAME: {
      struct servent *res = NULL;
      GROW_R(getservbyname_r(j->s1, j->s2, &j->u.se, j->buf, j->buflen, &res));
      j->found = res != NULL;
      break;
    }
    case OP_GETSERVBYPORT: {
      struct servent *res = NULL;
      GROW_R(getservbyport_r(htons((uint16_t)j->i1), j->s2, &j->u.se, j->buf, j->buflen, &res));
      j->found = res != NULL;
      break;
    }
    case OP_GETPROTOBYNAME: {
      struct protoent *res = NULL;
      GROW_R(getprotobyname_r(j->s1, &j->u.pe, j->buf, j->buflen, &res));
      j->found = res != NULL;
      break;
    }
    case OP_GETPROTOBYNUMBER: {
      struct protoent *res = NULL;
      GROW_R(getprotobynumber_r(j->i1, &j->u.pe, j->buf, j->buflen, &res));
      j->found = res != NULL;
      break;
    }
    case OP_GETHOSTNAME:
      if (gethostname(j->host, sizeof j->host) != 0) j->err = errno;
      else j->host[sizeof j->host - 1] = 0;
      break;
    case OP_GETHOSTBYNAME:
    case OP_GETHOSTBYADDR: {
      struct hostent *res = NULL;
      int herr = 0;
      size_t cap = 1024;
      for (;;) {
        char *nb = realloc(j->buf, cap);
        if (!nb) {
          j->eai = EAI_MEMORY;
          break;
        }
        j->buf = nb;
        j->buflen = cap;
        int rc;
        if (j->op == OP_GETHOSTBYNAME)
          rc = gethostbyname2_r(j->s1, j->i1, &j->u.he, j->buf, j->buflen, &res, &herr);
        else
          rc = gethostbyaddr_r(&j->ss, (socklen_t)j->sslen, j->i1, &j->u.he, j->buf, j->buflen,
                               &res, &herr);
        if (rc == ERANGE && cap < (1u << 20)) {
          cap *= 2;
          continue;
        }
        if (res) j->found = 1;
        else if (herr == TRY_AGAIN) j->eai = EAI_AGAIN;
        else if (herr == NO_RECOVERY) j->eai = EAI_FAIL;
#ifdef EAI_NODATA
        else if (herr == NO_DATA) j->eai = EAI_NODATA;
#endif
        else if (herr == NETDB_INTERNAL) {
          j->eai = EAI_SYSTEM;
          j->err = rc ? rc : errno;
        } else j->eai = EAI_NONAME;
        break;
      }
      break;
    }
  }
}

static napi_value str_or_null(napi_env env, const char *s) {
  napi_value v = NULL;
  if (s) napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  else napi_get_null(env, &v);
  return v;
}

static napi_value string_list(napi_env env, char **list) {
  napi_value arr, v;
  napi_create_array(env, &arr);
  for (uint32_t i = 0; list && list[i]; i++) {
    napi_create_string_utf8(env, list[i], NAPI_AUTO_LENGTH, &v);
    napi_set_element(env, arr, i, v);
  }
  return arr;
}

static void set(napi_env env, napi_value obj, const char *name, napi_value v) {
  napi_set_named_property(env, obj, name, v);
}

static napi_value int_value(napi_env env, int64_t n) { return sockit_int(env, n); }

static napi_value bytes_value(napi_env env, const void *data, size_t len) {
  napi_value v = NULL;
  void *copy;
  napi_create_buffer_copy(env, len, data, &copy, &v);
  return v;
}

static napi_value build_result(napi_env env, job *j) {
  napi_value r = NULL, item;
  if (j->eai != 0 || j->err != 0) {
    napi_get_null(env, &r);
    return r;
  }
  switch (j->op) {
    case OP_GETADDRINFO: {
      napi_create_array(env, &r);
      uint32_t i = 0;
      for (struct addrinfo *a = j->ai; a; a = a->ai_next, i++) {
        napi_create_object(env, &item);
        set(env, item, "flags", int_value(env, a->ai_flags));
        set(env, item, "family", int_value(env, a->ai_family));
        set(env, item, "socktype", int_value(env, a->ai_socktype));
        set(env, item, "protocol", int_value(env, a->ai_protocol));
        set(env, item, "addr", bytes_value(env, a->ai_addr, a->ai_addr ? a->ai_addrlen : 0));
        set(env, item, "canonname", str_or_null(env, a->ai_canonname));
        napi_set_element(env, r, i, item);
      }
      break;
    }
    case OP_GETNAMEINFO:
      napi_create_array_with_length(env, 2, &r);
      napi_set_element(env, r, 0, str_or_null(env, j->host));
      napi_set_element(env, r, 1, str_or_null(env, j->serv));
      break;
    case OP_GETSERVBYNAME:
    case OP_GETSERVBYPORT:
      if (!j->found) break;
      napi_create_object(env, &r);
      set(env, r, "name", str_or_null(env, j->u.se.s_name));
      set(env, r, "aliases", string_list(env, j->u.se.s_aliases));
      set(env, r, "port", int_value(env, ntohs((uint16_t)j->u.se.s_port)));
      set(env, r, "proto", str_or_null(env, j->u.se.s_proto));
      break;
    case OP_GETPROTOBYNAME:
    case OP_GETPROTOBYNUMBER:
      if (!j->found) break;
      napi_create_object(env, &r);
      set(env, r, "name", str_or_null(env, j->u.pe.p_name));
      set(env, r, "aliases", string_list(env, j->u.pe.p_aliases));
      set(env, r, "number", int_value(env, j->u.pe.p_proto));
      break;
    case OP_GETHOSTNAME:
      r = str_or_null(env, j->host);
      break;
    case OP_GETHOSTBYNAME:
    case OP_GETHOSTBYADDR: {
      if (!j->found) break;
      napi_create_object(env, &r);
      set(env, r, "name", str_or_null(env, j->u.he.h_name));
      set(env, r, "aliases", string_list(env, j->u.he.h_aliases));
      set(env, r, "family", int_value(env, j->u.he.h_addrtype));
      napi_value list;
      napi_create_array(env, &list);
      for (uint32_t i = 0; j->u.he.h_addr_list && j->u.he.h_addr_list[i]; i++)
        napi_set_element(env, list, i, bytes_value(env, j->u.he.h_addr_list[i], (size_t)j->u.he.h_length));
      set(env, r, "addresses", list);
      break;
    }
  }
  if (r == NULL) napi_get_null(env, &r);
  return r;
}

static void free_job(job *j) {
  if (!j) return;
  if (j->ai) freeaddrinfo(j->ai);
  free(j->s1);
  free(j->s2);
  free(j->buf);
  free(j);
}

static void complete(napi_env env, napi_status status, void *data) {
  job *j = data;
  napi_value triple;
  (void)status; /* never cancelled: napi_cancel_async_work is not used */
  napi_create_array_with_length(env, 3, &triple);
  napi_set_element(env, triple, 0, int_value(env, j->eai));
  napi_set_element(env, triple, 1, int_value(env, j->err));
  napi_set_element(env, triple, 2, build_result(env, j));
  napi_resolve_deferred(env, j->deferred, triple);
  napi_delete_async_work(env, j->work);
  free_job(j);
}

/* Queues `j`; returns the promise or NULL with an exception pending. */
static napi_value queue(napi_env env, job *j, const char *name) {
  napi_value promise, res_name;
  if (napi_create_promise(env, &j->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &res_name) != napi_ok ||
      napi_create_async_work(env, NULL, res_name, execute, complete, j, &j->work) != napi_ok ||
      napi_queue_async_work(env, j->work) != napi_ok) {
    free_job(j);
    sockit_throw_last(env, name);
    return NULL;
  }
  return promise;
}

/* A request, or NULL when it cannot be allocated (the thunk then returns
 * nomem_promise). */
static job *new_job(enum op op) {
  job *j = calloc(1, sizeof *j);
  if (j) j->op = op;
  return j;
}

/* A promise already resolved with [0, ENOMEM, null]: how a request fails when
 * its memory cannot be had, through the same triple as every other failure
 * (src/resolver.ts's settle makes it a SocketError ENOMEM naming the call). */
static napi_value nomem_promise(napi_env env) {
  napi_deferred deferred;
  napi_value promise, triple, null_value;
  if (napi_create_promise(env, &deferred, &promise) != napi_ok ||
      napi_create_array_with_length(env, 3, &triple) != napi_ok ||
      napi_get_null(env, &null_value) != napi_ok ||
      napi_set_element(env, triple, 0, int_value(env, 0)) != napi_ok ||
      napi_set_element(env, triple, 1, int_value(env, ENOMEM)) != napi_ok ||
      napi_set_element(env, triple, 2, null_value) != napi_ok ||
      napi_resolve_deferred(env, deferred, triple) != napi_ok) {
    sockit_throw_last(env, "resolver: out of memory");
    return NULL;
  }
  return promise;
}

/* Ends a thunk whose arguments could not be taken (rc: ARG_THREW or
 * ARG_NOMEM): frees the job, then NULL with the exception pending, or the
 * ENOMEM promise. */
static napi_value abandon(napi_env env, job *j, int rc) {
  free_job(j);
  return rc == ARG_NOMEM ? nomem_promise(env) : NULL;
}

/* getaddrinfo(host|null, service|null, flags, family, socktype, protocol) -> Promise */
static napi_value r_getaddrinfo(napi_env env, napi_callback_info info) {
  SOCKIT_ARGS(6, 6);
  job *j = new_job(OP_GETADDRINFO);
  if (!j) return nomem_promise(env);
  int rc;
  if ((rc = dup_string(env, argv[0], &j->s1)) || (rc = dup_string(env, argv[1], &j->s2)) ||
      (rc = sockit_arg_int32(env, argv[2], &j->i1)) || (rc = sockit_arg_int32(env, argv[3], &j->i2)) ||
      (rc = sockit_arg_int32(env, argv[4], &j->i3)) || (rc = sockit_arg_int32(env, argv[5], &j->i4)))
    return abandon(env, j, rc);
  return queue(env, j, "sockit:getaddrinfo");
}

/* Copies a sockaddr (or raw address bytes) argument into the job. */
static int addr_into(napi_env env, napi_value v, job *j) {
  void *data;
  size_t len;
  if (sockit_arg_bytes(env, v, &data, &len)) return -1;
  if (len > sizeof j->ss) {
    sockit_throw_range(env, "address length");
    return -1;
  }
  memcpy(&j->ss, data, len);
  j->sslen = (socklen_t)len;
  return 0;
}

/* getnameinfo(sockaddrBytes, flags) -> Promise */
static napi_value r_getnameinfo(napi_env env, napi_callback_info info) {
  SOCKIT_ARGS(2, 2);
  job *j = new_job(OP_GETNAMEINFO);
  if (!j) return nomem_promise(env);
  if (addr_into(env, argv[0], j) || sockit_arg_int32(env, argv[1], &j->i1)) return abandon(env, j, ARG_THREW);
  return queue(env, j, "sockit:getnameinfo");
}

/* getservbyname(name, proto|null) / getservbyport(port, proto|null) -> Promise */
static napi_value r_getservbyname(napi_env env, napi_callback_info info) {
  SOCKIT_ARGS(2, 2);
  job *j = new_job(OP_GETSERVBYNAME);
  if (!j) return nomem_promise(env);
  int rc;
  if ((rc = dup_string(env, argv[0], &j->s1)) || (rc = dup_string(env, argv[1], &j->s2)))
    return abandon(env, j, rc);
  return queue(env, j, "sockit:getservbyname");
}

static napi_value r_getservbyport(napi_env env, napi_callback_info info) {
  SOCKIT_ARGS(2, 2);
  job *j = new_job(OP_GETSERVBYPORT);
  if (!j) return nomem_promise(env);
  int rc;
  if ((rc = sockit_arg_int32(env, argv[0], &j->i1)) || (rc = dup_string(env, argv[1], &j->s2)))
    return abandon(env, j, rc);
  return queue(env, j, "sockit:getservbyport");
}

/* getprotobyname(name) / getprotobynumber(n) -> Promise */
static napi_value r_getprotobyname(napi_env env, napi_callback_info info) {
  SOCKIT_ARGS(1, 1);
  job *j = new_job(OP_GETPROTOBYNAME);
  if (!j) return nomem_promise(env);
  int rc = dup_string(env, argv[0], &j->s1);
  if (rc) return abandon(env, j, rc);
  return queue(env, j, "sockit:getprotobyname");
}

static napi_value r_getprotobynumber(napi_env env, napi_callback_info info) {
  SOCKIT_ARGS(1, 1);
  job *j = new_job(OP_GETPROTOBYNUMBER);
  if (!j) return nomem_promise(env);
  if (sockit_arg_int32(env, argv[0], &j->i1)) return abandon(env, j, ARG_THREW);
  return queue(env, j, "sockit:getprotobynumber");
}

/* gethostname() -> Promise */
static napi_value r_gethostname(napi_env env, napi_callback_info info) {
  (void)info;
  job *j = new_job(OP_GETHOSTNAME);
  if (!j) return nomem_promise(env);
  return queue(env, j, "sockit:gethostname");
}

/* gethostbyname2(name, af) -> Promise */
static napi_value r_gethostbyname(napi_env env, napi_callback_info info) {
  SOCKIT_ARGS(2, 2);
  job *j = new_job(OP_GETHOSTBYNAME);
  if (!j) return nomem_promise(env);
  int rc;
  if ((rc = dup_string(env, argv[0], &j->s1)) || (rc = sockit_arg_int32(env, argv[1], &j->i1)))
    return abandon(env, j, rc);
  return queue(env, j, "sockit:gethostbyname");
}

/* gethostbyaddr(addrBytes (4 or 16), af) -> Promise */
static napi_value r_gethostbyaddr(napi_env env, napi_callback_info info) {
  SOCKIT_ARGS(2, 2);
  job *j = new_job(OP_GETHOSTBYADDR);
  if (!j) return nomem_promise(env);
  if (addr_into(env, argv[0], j) || sockit_arg_int32(env, argv[1], &j->i1)) return abandon(env, j, ARG_THREW);
  return queue(env, j, "sockit:gethostbyaddr");
}

/* inetAton(text, out[4]) -> 1 | 0 */
static napi_value r_inet_aton(napi_env env, napi_callback_info info) {
  SOCKIT_ARGS(2, 2);
  void *out = NULL;
  size_t len = 0;
  if (sockit_arg_bytes(env, argv[1], &out, &len)) return NULL;
  if (len < 4) return sockit_throw_range(env, "inetAton");
  char *s;
  int rc = dup_string(env, argv[0], &s);
  if (rc == ARG_THREW) return NULL;
  if (rc == ARG_NOMEM) {
    /* No -errno channel here (the result is 1 or 0, and 0 means "not an
     * address"): an Error whose code is ENOMEM. */
    napi_throw_error(env, "ENOMEM", "inet_aton: out of memory");
    return NULL;
  }
  if (!s) return sockit_int(env, 0);
  struct in_addr a;
  int r = inet_aton(s, &a);
  free(s);
  if (r) memcpy(out, &a, 4);
  return sockit_int(env, r ? 1 : 0);
}

/* ifNameindex() -> [{ index, name }] | -errno */
static napi_value r_if_nameindex(napi_env env, napi_callback_info info) {
  (void)info;
  struct if_nameindex *list = if_nameindex();
  if (!list) return sockit_int(env, -errno);
  napi_value arr, item;
  napi_create_array(env, &arr);
  uint32_t n = 0;
  for (struct if_nameindex *p = list; p->if_index != 0 || p->if_name != NULL; p++) {
    napi_create_object(env, &item);
    set(env, item, "index", int_value(env, p->if_index));
    set(env, item, "name", str_or_null(env, p->if_name));
    napi_set_element(env, arr, n++, item);
  }
  if_freenameindex(list);
  return arr;
}

/* gaiStrerror(code) -> string */
static napi_value r_gai_strerror(napi_env env, napi_callback_info info) {
  SOCKIT_ARGS(1, 1);
  int32_t code;
  if (sockit_arg_int32(env, argv[0], &code)) return NULL;
  return str_or_null(env, gai_strerror(code));
}

#define C(name) {#name, name}
struct named {
  const char *name;
  int value;
};

static const struct named ai_consts[] = {
    C(AI_PASSIVE), C(AI_CANONNAME), C(AI_NUMERICHOST), C(AI_NUMERICSERV), C(AI_ADDRCONFIG),
    C(AI_V4MAPPED), C(AI_ALL),
#ifdef AI_IDN
    C(AI_IDN),
#endif
#ifdef AI_CANONIDN
    C(AI_CANONIDN),
#endif
};
static const struct named ni_consts[] = {
    C(NI_NUMERICHOST), C(NI_NUMERICSERV), C(NI_NOFQDN), C(NI_NAMEREQD), C(NI_DGRAM),
#ifdef NI_IDN
    C(NI_IDN),
#endif
    C(NI_MAXHOST), C(NI_MAXSERV),
};
static const struct named eai_consts[] = {
    C(EAI_AGAIN), C(EAI_BADFLAGS), C(EAI_FAIL), C(EAI_FAMILY), C(EAI_MEMORY), C(EAI_NONAME),
    C(EAI_SERVICE), C(EAI_SOCKTYPE), C(EAI_SYSTEM), C(EAI_OVERFLOW),
#ifdef EAI_NODATA
    C(EAI_NODATA),
#endif
#ifdef EAI_ADDRFAMILY
    C(EAI_ADDRFAMILY),
#endif
#ifdef EAI_CANCELED
    C(EAI_CANCELED),
#endif
#ifdef EAI_INTR
    C(EAI_INTR),
#endif
#ifdef EAI_IDN_ENCODE
    C(EAI_IDN_ENCODE),
#endif
};
#undef C

static napi_status group(napi_env env, napi_value parent, const char *name, const struct named *list,
                         size_t n) {
  napi_value obj, v;
  napi_status st = napi_create_object(env, &obj);
  if (st != napi_ok) return st;
  for (size_t i = 0; i < n; i++) {
    if ((st = napi_create_int32(env, list[i].value, &v)) != napi_ok) return st;
    if ((st = napi_set_named_property(env, obj, list[i].name, v)) != napi_ok) return st;
  }
  return napi_set_named_property(env, parent, name, obj);
}

napi_status sockit_init_resolver(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      SOCKIT_FN("getaddrinfo", r_getaddrinfo),
      SOCKIT_FN("getnameinfo", r_getnameinfo),
      SOCKIT_FN("getservbyname", r_getservbyname),
      SOCKIT_FN("getservbyport", r_getservbyport),
      SOCKIT_FN("getprotobyname", r_getprotobyname),
      SOCKIT_FN("getprotobynumber", r_getprotobynumber),
      SOCKIT_FN("gethostname", r_gethostname),
      SOCKIT_FN("gethostbyname2", r_gethostbyname),
      SOCKIT_FN("gethostbyaddr", r_gethostbyaddr),
      SOCKIT_FN("inetAton", r_inet_aton),
      SOCKIT_FN("ifNameindex", r_if_nameindex),
      SOCKIT_FN("gaiStrerror", r_gai_strerror),
  };
  napi_status st = napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  if (st != napi_ok) return st;
  napi_value consts;
  if ((st = napi_create_object(env, &consts)) != napi_ok) return st;
  if ((st = group(env, consts, "AI", ai_consts, sizeof ai_consts / sizeof ai_consts[0])) != napi_ok) return st;
  if ((st = group(env, consts, "NI", ni_consts, sizeof ni_consts / sizeof ni_consts[0])) != napi_ok) return st;
  if ((st = group(env, consts, "EAI", eai_consts, sizeof eai_consts / sizeof eai_consts[0])) != napi_ok)
    return st;
  return napi_set_named_property(env, exports, "resolverConstants", consts);
}
