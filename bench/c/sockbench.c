/*
 * sockbench.c — the C baseline of the sockit benchmark (bench/run.mjs).
 *
 * One process is one side of one workload: a server or a client. It runs the
 * same workload as every other implementation in bench/workers/, written the
 * way a careful C programmer would: non-blocking sockets, one epoll set, try
 * the syscall first and wait for readiness only on EAGAIN. It is the physical
 * limit of this machine, the row every other implementation is divided by.
 *
 *   sockbench server|client W1..W5 TRANSPORT PARAMS_JSON
 *
 * TRANSPORT is tcp, tcp6 (TCP over ::1), udp, unix-stream, unix-dgram,
 * unix-seqpacket or icmp (W1 only: ICMP echo to 127.0.0.1 over a raw socket,
 * answered by the kernel; the "server" only says READY). PARAMS_JSON
 * is the flat JSON object the orchestrator passes to every worker; this file
 * reads only the keys it needs ("path", "cpath", "n", "window", "backlog").
 *
 * The line protocol on stdin/stdout (the same for every worker, see
 * bench/README.md):
 *   server: prints "READY <address>", then answers "STAT" and "RESET" on stdin;
 *           exits on EOF.
 *   client: reads "ADDR <address>" and answers "OK"; then each "RUN <seconds>"
 *           runs the workload once and prints one JSON line; exits on EOF.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MSG_SIZE 64
#define CHUNK (64 * 1024)
/* Stream reads take up to 256 KiB: a receiver that drains several queued
 * 64 KiB writes per syscall is what the physical limit looks like (asyncio
 * reads 256 KiB too; Node's libuv reads 64 KiB). */
#define RBUF (256 * 1024)
#define MAX_EVENTS 256

/* ---------- small helpers ------------------------------------------------ */

static void die(const char *what) {
  printf("ERROR %s: %s\n", what, strerror(errno));
  fflush(stdout);
  exit(2);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Resident set size in bytes, from /proc/self/statm (pages). */
static long rss_bytes(void) {
  long size = 0, resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f) return -1;
  if (fscanf(f, "%ld %ld", &size, &resident) != 2) resident = -1;
  fclose(f);
  return resident * sysconf(_SC_PAGESIZE);
}

/* Minimal lookups in the flat params object: "key":"string" and "key":number. */
static int json_str(const char *json, const char *key, char *out, size_t cap) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\":\"", key);
  const char *p = strstr(json, pat);
  if (!p) return 0;
  p += strlen(pat);
  size_t i = 0;
  while (*p && *p != '"' && i + 1 < cap) out[i++] = *p++;
  out[i] = 0;
  return 1;
}

static long json_num(const char *json, const char *key, long dflt) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\":", key);
  const char *p = strstr(json, pat);
  return p ? strtol(p + strlen(pat), NULL, 10) : dflt;
}

static void set_nonblock(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) die("fcntl");
}

static void ep_add(int ep, int fd, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.fd = fd};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
}

/* wait_fd's epoll set and the one fd registered in it. */
static int wait_ep = -1, cur_fd = -1;
static uint32_t cur_ev;

/* Waits until fd is ready for `events` (used only after EAGAIN). */
static void wait_fd(int fd, uint32_t events) {
  int ep = wait_ep;
  if (ep < 0 && (ep = wait_ep = epoll_create1(EPOLL_CLOEXEC)) < 0) die("epoll_create1");
  struct epoll_event ev = {.events = events, .data.fd = fd};
  if (cur_fd != fd || cur_ev != events) {
    /* The cached registration may be stale (fd closed and its number reused,
     * which drops it from the set): fall back between ADD and MOD. */
    if (cur_fd >= 0 && cur_fd != fd) epoll_ctl(ep, EPOLL_CTL_DEL, cur_fd, NULL);
    if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) < 0 &&
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
      die("epoll_ctl");
    cur_fd = fd;
    cur_ev = events;
  }
  struct epoll_event out;
  while (epoll_wait(ep, &out, 1, -1) < 0)
    if (errno != EINTR) die("epoll_wait");
}

/* Closes fd, first dropping wait_fd's cached registration of it: the next
 * socket may get the same number, which would look registered but is not. */
static void close_fd(int fd) {
  if (fd == cur_fd) {
    epoll_ctl(wait_ep, EPOLL_CTL_DEL, fd, NULL);
    cur_fd = -1;
  }
  close(fd);
}

/* ---------- transports and addresses ------------------------------------ */

struct transport {
  const char *name;
  int family, type, protocol;
  const char *loopback; /* the address an IP server binds */
};

static const struct transport TRANSPORTS[] = {
    {"tcp", AF_INET, SOCK_STREAM, 0, "127.0.0.1"},
    {"tcp6", AF_INET6, SOCK_STREAM, 0, "::1"},
    {"udp", AF_INET, SOCK_DGRAM, 0, "127.0.0.1"},
    {"unix-stream", AF_UNIX, SOCK_STREAM, 0, NULL},
    {"unix-dgram", AF_UNIX, SOCK_DGRAM, 0, NULL},
    {"unix-seqpacket", AF_UNIX, SOCK_SEQPACKET, 0, NULL},
    {"icmp", AF_INET, SOCK_RAW, IPPROTO_ICMP, "127.0.0.1"},
};

static const struct transport *T;

union addr {
  struct sockaddr sa;
  struct sockaddr_in in;
  struct sockaddr_in6 in6;
  struct sockaddr_un un;
};

/* "127.0.0.1:port" or "[::1]:port" for IP (a bare host for icmp), a path
 * for unix. */
static socklen_t make_addr(union addr *a, const char *text) {
  memset(a, 0, sizeof *a);
  if (T->family != AF_UNIX) {
    char host[64];
    const char *colon = T->type == SOCK_RAW ? NULL : strrchr(text, ':');
    size_t len = colon ? (size_t)(colon - text) : strlen(text);
    if (len >= 2 && text[0] == '[' && text[len - 1] == ']') {
      text++;
      len -= 2;
    }
    if ((!colon && T->type != SOCK_RAW) || len >= sizeof host) {
      errno = EINVAL;
      die("address");
    }
    memcpy(host, text, len);
    host[len] = 0;
    uint16_t port = htons(colon ? (uint16_t)atoi(colon + 1) : 0);
    int ok;
    if (T->family == AF_INET6) {
      a->in6.sin6_family = AF_INET6;
      a->in6.sin6_port = port;
      ok = inet_pton(AF_INET6, host, &a->in6.sin6_addr);
    } else {
      a->in.sin_family = AF_INET;
      a->in.sin_port = port;
      ok = inet_pton(AF_INET, host, &a->in.sin_addr);
    }
    if (ok != 1) {
      errno = EINVAL;
      die("address");
    }
    return T->family == AF_INET6 ? sizeof a->in6 : sizeof a->in;
  }
  a->un.sun_family = AF_UNIX;
  if (strlen(text) >= sizeof a->un.sun_path) {
    errno = ENAMETOOLONG;
    die("address");
  }
  strcpy(a->un.sun_path, text);
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(text) + 1);
}

static int new_socket(void) {
  int fd = socket(T->family, T->type | SOCK_NONBLOCK | SOCK_CLOEXEC, T->protocol);
  if (fd < 0) die("socket");
  return fd;
}

static void nodelay(int fd) {
  int one = 1;
  if (T->family != AF_UNIX && T->type == SOCK_STREAM)
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* Sends all of buf, waiting for writability on EAGAIN. */
static void send_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
    if (n >= 0) {
      buf += n;
      len -= (size_t)n;
    } else if (errno == EAGAIN) {
      wait_fd(fd, EPOLLOUT);
    } else if (errno != EINTR) {
      return; /* peer gone: the orchestrator notices */
    }
  }
}

/* ---------- stdin command lines ----------------------------------------- */

static char linebuf[4096];
static size_t linelen;

/* Returns the next complete line from fd 0 (blocking), or NULL on EOF. */
static char *read_line(int block) {
  for (;;) {
    char *nl = memchr(linebuf, '\n', linelen);
    if (nl) {
      static char line[4096];
      size_t n = (size_t)(nl - linebuf);
      memcpy(line, linebuf, n);
      line[n] = 0;
      memmove(linebuf, nl + 1, linelen - n - 1);
      linelen -= n + 1;
      return line;
    }
    ssize_t r = read(0, linebuf + linelen, sizeof linebuf - linelen - 1);
    if (r == 0) return NULL;
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN && !block) return "";
      return NULL;
    }
    linelen += (size_t)r;
  }
}

static void reply(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
  fflush(stdout);
}

/* ---------- server ------------------------------------------------------- */

static const char *W;                   /* workload */
static long msgs, bytes_in, accepted;   /* counters since RESET */
static double t_first, t_last;          /* first/last receive since RESET */
static long rss_base;

static void count(ssize_t n) {
  double t = now_s();
  if (msgs == 0) t_first = t;
  t_last = t;
  msgs++;
  bytes_in += n;
}

/* Handles one readable connected or datagram socket; returns 0 on EOF/error. */
static int serve_fd(int fd) {
  static char buf[RBUF];
  for (;;) {
    if (T->type == SOCK_DGRAM && strcmp(W, "W1") == 0) {
      union addr from;
      socklen_t flen = sizeof from;
      ssize_t n = recvfrom(fd, buf, sizeof buf, 0, &from.sa, &flen);
      if (n < 0) return errno == EAGAIN || errno == EINTR;
      while (sendto(fd, buf, (size_t)n, 0, &from.sa, flen) < 0 && errno == EAGAIN)
        wait_fd(fd, EPOLLOUT);
      continue;
    }
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    if (n == 0 && T->type != SOCK_DGRAM) return 0;
    if (strcmp(W, "W1") == 0)
      send_all(fd, buf, (size_t)n); /* echo */
    else if (strcmp(W, "W2") == 0 || strcmp(W, "W3") == 0)
      count(n);
  }
}

/* icmp: the kernel is the server; answer the protocol until stdin closes. */
static void run_null_server(void) {
  reply("READY %s", T->loopback);
  char *line;
  while ((line = read_line(1))) {
    if (strcmp(line, "RESET") == 0) reply("OK");
    else if (strcmp(line, "STAT") == 0)
      reply("{\"msgs\":0,\"bytes\":0,\"span\":0,\"accepted\":0,\"rss\":%ld,\"base\":%ld}", rss_bytes(),
            rss_bytes());
    else reply("ERROR unknown command %s", line);
  }
  exit(0);
}

static void run_server(const char *params) {
  if (T->type == SOCK_RAW) run_null_server();
  char path[256] = "";
  json_str(params, "path", path, sizeof path);
  int backlog = (int)json_num(params, "backlog", 4096);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");

  int lfd = new_socket();
  union addr a;
  char any[80];
  if (T->family == AF_INET6) snprintf(any, sizeof any, "[%s]:0", T->loopback);
  else snprintf(any, sizeof any, "%s:0", T->loopback ? T->loopback : "");
  socklen_t alen = make_addr(&a, T->family == AF_UNIX ? path : any);
  if (T->family == AF_UNIX) unlink(path);
  if (bind(lfd, &a.sa, alen) < 0) die("bind");
  int listening = T->type != SOCK_DGRAM;
  if (listening && listen(lfd, backlog) < 0) die("listen");
  ep_add(ep, lfd, EPOLLIN);
  set_nonblock(0);
  ep_add(ep, 0, EPOLLIN);

  if (T->family == AF_INET) {
    alen = sizeof a;
    getsockname(lfd, &a.sa, &alen);
    reply("READY %s:%d", T->loopback, ntohs(a.in.sin_port));
  } else if (T->family == AF_INET6) {
    alen = sizeof a;
    getsockname(lfd, &a.sa, &alen);
    reply("READY [%s]:%d", T->loopback, ntohs(a.in6.sin6_port));
  } else {
    reply("READY %s", path);
  }
  rss_base = rss_bytes();

  struct epoll_event evs[MAX_EVENTS];
  for (;;) {
    int n = epoll_wait(ep, evs, MAX_EVENTS, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == 0) {
        char *line;
        while ((line = read_line(0)) && *line) {
          if (strcmp(line, "RESET") == 0) {
            msgs = bytes_in = 0;
            t_first = t_last = 0;
            reply("OK");
          } else if (strcmp(line, "STAT") == 0) {
            reply("{\"msgs\":%ld,\"bytes\":%ld,\"span\":%.9f,\"accepted\":%ld,"
                  "\"rss\":%ld,\"base\":%ld}",
                  msgs, bytes_in, t_last - t_first, accepted, rss_bytes(), rss_base);
          } else {
            reply("ERROR unknown command %s", line);
          }
        }
        if (!line) {
          if (T->family == AF_UNIX) unlink(path);
          exit(0);
        }
      } else if (fd == lfd && listening) {
        for (;;) {
          int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (c < 0) break; /* EAGAIN (or EMFILE: W5 reports the count) */
          accepted++;
          if (strcmp(W, "W4") == 0) {
            close(c);
            continue;
          }
          nodelay(c);
          ep_add(ep, c, EPOLLIN);
        }
      } else if (!serve_fd(fd)) {
        close(fd); /* close() removes it from the epoll set */
      }
    }
  }
}

/* ---------- client ------------------------------------------------------- */

static union addr peer;
static socklen_t peer_len;

/* A connected socket to the server (and, for unix-dgram, bound to cpath). */
static int connect_one(const char *cpath, int *pending) {
  int fd = new_socket();
  if (T->family == AF_UNIX && T->type == SOCK_DGRAM && cpath) {
    union addr me;
    socklen_t mlen = make_addr(&me, cpath);
    unlink(cpath);
    if (bind(fd, &me.sa, mlen) < 0) die("bind");
  }
  nodelay(fd);
  *pending = 0;
  if (connect(fd, &peer.sa, peer_len) < 0) {
    if (errno == EINPROGRESS || errno == EAGAIN) {
      *pending = errno;
    } else {
      die("connect");
    }
  }
  return fd;
}

static int connect_blocking(const char *cpath) {
  int pending;
  int fd = connect_one(cpath, &pending);
  if (pending == EAGAIN) { /* unix: backlog full, retry */
    do {
      usleep(1000);
    } while (connect(fd, &peer.sa, peer_len) < 0 && errno == EAGAIN);
  } else if (pending) {
    wait_fd(fd, EPOLLOUT);
    int err = 0;
    socklen_t el = sizeof err;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
    if (err) {
      errno = err;
      die("connect");
    }
  }
  return fd;
}

static void client_w1(int fd, double secs) {
  char msg[MSG_SIZE], buf[CHUNK];
  memset(msg, 'p', sizeof msg);
  long ops = 0;
  double t0 = now_s(), end = t0 + secs, t = t0;
  while (t < end) {
    send_all(fd, msg, sizeof msg);
    size_t got = 0;
    while (got < MSG_SIZE) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n > 0) {
        got += (size_t)n;
      } else if (n < 0 && errno == EAGAIN) {
        wait_fd(fd, EPOLLIN);
      } else if (n == 0 || errno != EINTR) {
        die("recv");
      }
    }
    ops++;
    t = now_s();
  }
  reply("{\"ops\":%ld,\"secs\":%.9f}", ops, t - t0);
}

/* The Internet checksum (RFC 1071) of len bytes (len even). */
static uint16_t checksum(const unsigned char *p, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i < len; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

/* W1 over icmp: sendto() one 64-byte echo request (8-byte header, 56 bytes of
 * payload), read until its reply comes, repeat. A raw ICMP socket on loopback
 * also reads our own request and anyone else's ICMP: skip all but the echo
 * reply with our identifier and sequence (after the IPv4 header, IHL * 4).
 * A fresh raw socket per run: one left open while the other implementations
 * measure would fill with their ICMP and drop our first reply. */
static void client_icmp(double secs) {
  static uint16_t seq;
  int fd = new_socket();
  unsigned char req[MSG_SIZE], buf[2048];
  memset(req, 'p', sizeof req);
  uint16_t id = (uint16_t)(getpid() & 0xffff);
  long ops = 0;
  double t0 = now_s(), end = t0 + secs, t = t0;
  while (t < end) {
    seq++;
    req[0] = ICMP_ECHO;
    req[1] = 0;
    req[2] = req[3] = 0;
    req[4] = (unsigned char)(id >> 8);
    req[5] = (unsigned char)id;
    req[6] = (unsigned char)(seq >> 8);
    req[7] = (unsigned char)seq;
    uint16_t sum = checksum(req, sizeof req);
    req[2] = (unsigned char)(sum >> 8);
    req[3] = (unsigned char)sum;
    while (sendto(fd, req, sizeof req, 0, &peer.sa, peer_len) < 0) {
      if (errno == EAGAIN) wait_fd(fd, EPOLLOUT);
      else if (errno != EINTR) die("sendto");
    }
    for (;;) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n < 0) {
        if (errno == EAGAIN) wait_fd(fd, EPOLLIN);
        else if (errno != EINTR) die("recv");
        continue;
      }
      size_t ihl = (size_t)(buf[0] & 0x0f) * 4;
      if ((size_t)n >= ihl + 8 && buf[ihl] == ICMP_ECHOREPLY && (buf[ihl + 4] << 8 | buf[ihl + 5]) == id &&
          (buf[ihl + 6] << 8 | buf[ihl + 7]) == seq)
        break;
    }
    ops++;
    t = now_s();
  }
  close_fd(fd);
  reply("{\"ops\":%ld,\"secs\":%.9f}", ops, t - t0);
}

/* W2 (64 B messages) and W3 (64 KiB writes): send as fast as the peer takes. */
static void client_oneway(int fd, double secs, size_t size) {
  static char buf[CHUNK];
  memset(buf, 'w', size);
  long sent = 0, bytes = 0;
  double t0 = now_s(), end = t0 + secs, t = t0;
  size_t off = 0;
  while (t < end) {
    for (int i = 0; i < 64; i++) {
      ssize_t n = send(fd, buf + off, size - off, MSG_NOSIGNAL);
      if (n >= 0) {
        bytes += n;
        off += (size_t)n;
        if (off == size) {
          off = 0;
          sent++;
        }
      } else if (errno == EAGAIN || errno == ENOBUFS) {
        wait_fd(fd, EPOLLOUT);
      } else if (errno == ECONNREFUSED) {
        /* udp: an ICMP error from an earlier datagram; keep sending */
      } else if (errno != EINTR) {
        die("send");
      }
    }
    t = now_s();
  }
  reply("{\"sent\":%ld,\"bytes\":%ld,\"secs\":%.9f}", sent, bytes, t - t0);
}

/* W4: `window` connections in flight; each waits for the server's close. */
static void client_w4(double secs, int window) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  long ops = 0, failed = 0;
  int inflight = 0;
  double t0 = now_s(), end = t0 + secs, t = t0;
  struct epoll_event evs[MAX_EVENTS];
  char buf[16];
  for (;;) {
    while (t < end && inflight < window) {
      int pending;
      int fd = connect_one(NULL, &pending);
      if (pending == EAGAIN) { /* unix backlog full: try again later */
        close(fd);
        break;
      }
      ep_add(ep, fd, EPOLLIN | EPOLLRDHUP);
      inflight++;
    }
    if (inflight == 0) break;
    int n = epoll_wait(ep, evs, MAX_EVENTS, 100);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      ssize_t r = recv(fd, buf, sizeof buf, 0);
      if (r < 0 && errno == EAGAIN) continue;
      if (r == 0) ops++;
      else failed++;
      close(fd);
      inflight--;
    }
    t = now_s();
  }
  reply("{\"ops\":%ld,\"failed\":%ld,\"secs\":%.9f}", ops, failed, t - t0);
}

/* W5: open n connections, keep them, report memory. */
static void client_w5(long n) {
  long base = rss_bytes();
  long ok = 0;
  for (long i = 0; i < n; i++) {
    connect_blocking(NULL); /* deliberately kept open until exit */
    ok++;
  }
  reply("{\"ops\":%ld,\"rss\":%ld,\"base\":%ld,\"secs\":0}", ok, rss_bytes(), base);
}

static void run_client(const char *params) {
  char cpath[256] = "";
  int have_cpath = json_str(params, "cpath", cpath, sizeof cpath);
  int window = (int)json_num(params, "window", 16);
  long n = json_num(params, "n", 1000);

  char *line = read_line(1);
  if (!line || strncmp(line, "ADDR ", 5) != 0) return;
  peer_len = make_addr(&peer, line + 5);

  int fd = -1;
  if (T->type == SOCK_RAW)
    close(new_socket()); /* fails now if raw sockets are not allowed */
  else if (strcmp(W, "W4") != 0 && strcmp(W, "W5") != 0)
    fd = connect_blocking(have_cpath ? cpath : NULL);
  reply("OK");

  while ((line = read_line(1))) {
    if (strncmp(line, "RUN ", 4) != 0) {
      reply("ERROR unknown command %s", line);
      continue;
    }
    double secs = atof(line + 4);
    if (T->type == SOCK_RAW) client_icmp(secs);
    else if (strcmp(W, "W1") == 0) client_w1(fd, secs);
    else if (strcmp(W, "W2") == 0) client_oneway(fd, secs, MSG_SIZE);
    else if (strcmp(W, "W3") == 0) client_oneway(fd, secs, CHUNK);
    else if (strcmp(W, "W4") == 0) client_w4(secs, window);
    else if (strcmp(W, "W5") == 0) client_w5(n);
  }
  if (have_cpath) unlink(cpath);
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s server|client W1..W5 TRANSPORT PARAMS_JSON\n", argv[0]);
    return 64;
  }
  W = argv[2];
  for (size_t i = 0; i < sizeof TRANSPORTS / sizeof *TRANSPORTS; i++)
    if (strcmp(TRANSPORTS[i].name, argv[3]) == 0) T = &TRANSPORTS[i];
  if (!T) {
    printf("ERROR unknown transport %s\n", argv[3]);
    return 64;
  }
  /* W5 holds thousands of fds: lift the soft limit to the hard one. */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (strcmp(argv[1], "server") == 0) run_server(argv[4]);
  else run_client(argv[4]);
  return 0;
}
