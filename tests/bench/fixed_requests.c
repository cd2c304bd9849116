/* fixed_requests: sends exactly N keep-alive GET requests, one after another, over one
 * connection and reads each response fully. wrk is time-based; the callgrind mode of
 * tests/bench/run.sh needs a fixed request count so that instructions per request can be
 * computed from two runs of different length.
 *
 * usage: fixed_requests PORT PATH COUNT [close]   (host is always 127.0.0.1)
 * With "close", every request goes on a new connection with `Connection: close`, and the
 * response must end with the server closing it (a new connection per request).
 * exit 0 when every response was 2xx and complete, 1 otherwise (with a reason on stderr). */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "content_length.h"

enum { kBufSize = 64 * 1024 };

static int fail(const char *what, long index) {
  fprintf(stderr, "fixed_requests: %s (request %ld): %s\n", what, index,
          errno ? strerror(errno) : "protocol error");
  return 1;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 4 && !(argc == 5 && strcmp(argv[4], "close") == 0)) {
    fprintf(stderr, "usage: %s PORT PATH COUNT [close]\n", argv[0]);
    return 2;
  }
  int port = atoi(argv[1]);
  const char *path = argv[2];
  long count = atol(argv[3]);
  int per_request = argc == 5;

  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int fd = -1;

  char request[1024];
  int request_len = snprintf(request, sizeof request,
                             "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: fixed_requests\r\n%s\r\n",
                             path, port, per_request ? "Connection: close\r\n" : "");
  static char buf[kBufSize];
  size_t have = 0; /* bytes of the next response already read */

  for (long i = 0; i < count; i++) {
    if (fd < 0) {
      fd = socket(AF_INET, SOCK_STREAM, 0);
      if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) return fail("connect", i);
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    if (write_all(fd, request, (size_t)request_len) != 0) return fail("write", i);
    char *head_end = NULL;
    for (;;) {
      head_end = have >= 4 ? memmem(buf, have, "\r\n\r\n", 4) : NULL;
      if (head_end) break;
      if (have == sizeof buf) return fail("header block too large", i);
      ssize_t r = read(fd, buf + have, sizeof buf - have);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return fail("read head", i);
      have += (size_t)r;
    }
    size_t head_len = (size_t)(head_end - buf) + 4;
    if (have < 12 || memcmp(buf, "HTTP/1.", 7) != 0 || buf[9] != '2') return fail("non-2xx status", i);
    long body = content_length(buf, head_len);
    if (body < 0) return fail("response without Content-Length", i);
    size_t total = head_len + (size_t)body;
    /* Consume the body: whatever is buffered, then read and discard the rest. */
    while (have < total) {
      size_t room = sizeof buf;
      size_t need = total - have;
      ssize_t r = read(fd, buf, need < room ? need : room);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return fail("read body", i);
      total -= (size_t)r; /* discarded bytes no longer count against the buffer */
    }
    size_t extra = have - total;
    memmove(buf, buf + total, extra);
    have = extra;
    if (per_request) {
      /* The server ends the connection after the response: nothing more may come. */
      ssize_t r;
      while ((r = read(fd, buf, sizeof buf)) < 0 && errno == EINTR) {
      }
      if (extra != 0 || r != 0) {
        errno = r < 0 ? errno : 0;
        return fail("connection not closed after the response", i);
      }
      close(fd);
      fd = -1;
    }
  }
  if (fd >= 0) close(fd);
  return 0;
}
