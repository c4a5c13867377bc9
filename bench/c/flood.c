/*
 * W7's fast sender: N UDP datagrams of SIZE bytes to 127.0.0.1:PORT as fast
 * as one thread can send them, each numbered (a big-endian u32 at the start of
 * its payload) so a capture can count the distinct ones. ENOBUFS/EAGAIN are
 * retried: every datagram is offered once.
 *
 *   flood N [SIZE [PORT]]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 400000;
  int size = argc > 2 ? atoi(argv[2]) : 64;
  int port = argc > 3 ? atoi(argv[3]) : 9999;
  if (n < 0 || size < 4 || size > 65507) {
    fprintf(stderr, "usage: flood N [SIZE>=4 [PORT]]\n");
    return 2;
  }
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  if (s < 0) {
    perror("socket");
    return 1;
  }
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  static char buf[65536];
  for (long i = 0; i < n; i++) {
    uint32_t v = htonl((uint32_t)i);
    memcpy(buf, &v, 4);
    while (sendto(s, buf, (size_t)size, 0, (struct sockaddr *)&a, sizeof a) < 0) {
      if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
        perror("sendto");
        return 1;
      }
    }
  }
  return 0;
}
