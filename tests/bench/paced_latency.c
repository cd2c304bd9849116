/* paced_latency: the latency distribution of small HTTP/1.1 GETs at a fixed request rate, or
 * of one burst of concurrent requests. wrk keeps every connection busy, so its latencies
 * include the proxy's queue at saturation; a latency fault is judged at a moderate rate
 * (issue 14: +10 ms gives p50 <= 10.8 ms, p99 <= 12 ms) and under a burst (1,000 concurrent
 * delayed requests each within delay + 5 ms at p99).
 *
 *   paced_latency PORT PATH rate RATE SECONDS CONNS
 *       open loop: request i is due at start + i/RATE and goes out on a free keep-alive
 *       connection (of CONNS); its latency runs from when it was due, so a late send counts
 *       (no coordinated omission). A timerfd paces the sends: no busy waiting.
 *   paced_latency PORT PATH burst N
 *       N connections are opened first, then one request is sent on each at once; each
 *       latency runs from its send.
 *
 * Prints one line: requests=N errors=E p50=… p90=… p99=… p999=… max=… (milliseconds).
 * Exit 0 when every response was a complete 2xx, 1 otherwise. Host is always 127.0.0.1. */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "content_length.h"

enum { kBufSize = 16 * 1024, kTimerTag = -1 };

struct conn {
  int fd;
  int busy;        /* a request is outstanding */
  int64_t due_ns;  /* when that request was due (rate) or sent (burst) */
  size_t have;
  char buf[kBufSize];
};

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static char request[512];
static size_t request_len;
static double *latencies_ms;
static long completed, errors, capacity;

static int connect_one(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    perror("paced_latency: connect");
    exit(1);
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static void send_request(struct conn *c, int64_t due_ns) {
  c->busy = 1;
  c->due_ns = due_ns;
  if (write(c->fd, request, request_len) != (ssize_t)request_len) {
    perror("paced_latency: write");
    exit(1);
  }
}

/* Reads what is there; records the response once it is complete. 0 = still open. */
static int on_readable(struct conn *c) {
  ssize_t r = read(c->fd, c->buf + c->have, sizeof c->buf - c->have);
  if (r < 0 && errno == EINTR) return 0;
  if (r <= 0) {
    fprintf(stderr, "paced_latency: connection closed by the proxy\n");
    exit(1);
  }
  c->have += (size_t)r;
  char *head_end = memmem(c->buf, c->have, "\r\n\r\n", 4);
  if (!head_end) return 0;
  size_t head_len = (size_t)(head_end - c->buf) + 4;
  long body = content_length(c->buf, head_len);
  if (body < 0 || head_len + (size_t)body > sizeof c->buf) {
    fprintf(stderr, "paced_latency: response without a small Content-Length body\n");
    exit(1);
  }
  size_t total = head_len + (size_t)body;
  if (c->have < total) return 0;
  if (memcmp(c->buf, "HTTP/1.", 7) != 0 || c->buf[9] != '2') ++errors;
  if (completed < capacity) latencies_ms[completed] = (double)(now_ns() - c->due_ns) / 1e6;
  ++completed;
  memmove(c->buf, c->buf + total, c->have - total);
  c->have -= total;
  c->busy = 0;
  return 1;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double percentile(long n, double p) {
  long i = (long)(p * (double)(n - 1) + 0.5);
  return latencies_ms[i < n ? i : n - 1];
}

int main(int argc, char **argv) {
  int rate_mode = argc == 7 && strcmp(argv[3], "rate") == 0;
  int burst_mode = argc == 5 && strcmp(argv[3], "burst") == 0;
  if (!rate_mode && !burst_mode) {
    fprintf(stderr, "usage: %s PORT PATH rate RATE SECONDS CONNS | %s PORT PATH burst N\n",
            argv[0], argv[0]);
    return 2;
  }
  int port = atoi(argv[1]);
  request_len = (size_t)snprintf(request, sizeof request,
                                 "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                                 "User-Agent: paced_latency\r\n\r\n",
                                 argv[2], port);
  double rate = rate_mode ? atof(argv[4]) : 0;
  long total = rate_mode ? (long)(rate * atof(argv[5])) : atol(argv[4]);
  long nconns = rate_mode ? atol(argv[6]) : total;
  if (total <= 0 || nconns <= 0 || (rate_mode && rate <= 0)) return 2;

  capacity = total;
  latencies_ms = calloc((size_t)total, sizeof *latencies_ms);
  struct conn *conns = calloc((size_t)nconns, sizeof *conns);
  int ep = epoll_create1(0);
  for (long i = 0; i < nconns; i++) {
    conns[i].fd = connect_one(port);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
  }

  long sent = 0;
  int64_t start = now_ns();
  int64_t interval_ns = rate_mode ? (int64_t)(1e9 / rate) : 0;
  int tfd = -1;
  if (burst_mode) {
    for (long i = 0; i < nconns; i++) send_request(&conns[i], now_ns());
    sent = total;
  } else {
    tfd = timerfd_create(CLOCK_MONOTONIC, 0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = UINT64_MAX};
    epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
  }
  long free_hint = 0;
  long late_sends = 0; /* due requests that found every connection busy */
  struct epoll_event events[256];
  int64_t deadline = start + (rate_mode ? (int64_t)(atof(argv[5]) * 1e9) : 0) + 30000000000LL;
  while (completed < total) {
    /* Send every request that is due, on free connections. */
    while (rate_mode && sent < total && start + sent * interval_ns <= now_ns()) {
      long k = -1;
      for (long j = 0; j < nconns; j++) {
        long i = (free_hint + j) % nconns;
        if (!conns[i].busy) {
          k = i;
          break;
        }
      }
      if (k < 0) {
        ++late_sends;
        break; /* sent when a response frees a connection; its latency keeps counting */
      }
      free_hint = k + 1;
      send_request(&conns[k], start + sent * interval_ns);
      ++sent;
    }
    if (rate_mode && sent < total) {
      int64_t next = start + sent * interval_ns;
      struct itimerspec its = {.it_value = {.tv_sec = next / 1000000000, .tv_nsec = next % 1000000000}};
      timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
    }
    if (now_ns() > deadline) {
      fprintf(stderr, "paced_latency: %ld of %ld answered before the deadline\n", completed, total);
      return 1;
    }
    int n = epoll_wait(ep, events, 256, 1000);
    for (int e = 0; e < n; e++) {
      if (events[e].data.u64 == UINT64_MAX) {
        uint64_t expirations;
        (void)!read(tfd, &expirations, sizeof expirations);
        continue;
      }
      struct conn *c = &conns[events[e].data.u64];
      on_readable(c);
    }
  }
  qsort(latencies_ms, (size_t)completed, sizeof *latencies_ms, by_value);
  double elapsed = (double)(now_ns() - start) / 1e9;
  printf("requests=%ld errors=%ld rate=%.0f/s p50=%.2f p90=%.2f p99=%.2f p999=%.2f max=%.2f late_sends=%ld\n",
         completed, errors, (double)completed / elapsed, percentile(completed, 0.50),
         percentile(completed, 0.90), percentile(completed, 0.99), percentile(completed, 0.999),
         latencies_ms[completed - 1], late_sends);
  return errors == 0 ? 0 : 1;
}
