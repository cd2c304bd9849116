/* tls_handshakes: a full TLS handshake per request, for the tls-handshake scenario of
 * tests/bench/run.sh. wrk resumes the previous session when it reconnects (an abbreviated
 * handshake, no key exchange and no signature), so it cannot measure the handshake rate.
 * Each of THREADS threads loops for SECONDS: connect to 127.0.0.1:PORT, handshake with a fresh
 * SSL object (no session to resume, TLS 1.3 where the server has it), GET PATH with
 * "Connection: close", read until the server closes. Certificates are not verified (the
 * bench's certificate is self-signed); the server's handshake signature still is.
 *
 * usage: tls_handshakes PORT PATH SECONDS THREADS
 * prints the BENCH line of wrk_report.lua: requests, bytes, duration, p50/p99 of the time from
 * connect to the server's close, socket errors and non-2xx responses. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

enum { kMaxSamples = 1 << 21, kMaxThreads = 256 };

static SSL_CTX* ctx;
static int port;
static char request[512];
static double deadline;

struct worker {
  pthread_t thread;
  long requests, bytes, socket_errors, status_errors;
  long samples;
  unsigned* latency_us; /* kMaxSamples at most */
};

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int connect_once(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct timeval timeout = {5, 0}; /* a stuck server costs an error, not a hang */
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr*)&addr, sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* One connection, one request. Returns 0 when a complete 2xx response came back, 1 for another
 * status, -1 for a socket or TLS error; adds the bytes read to *bytes. */
static int request_once(long* bytes) {
  int fd = connect_once();
  if (fd < 0) return -1;
  SSL* ssl = SSL_new(ctx);
  int result = -1;
  char buf[16384], status[16] = "";
  size_t status_len = 0;
  if (ssl && SSL_set_fd(ssl, fd) == 1 && SSL_connect(ssl) == 1 &&
      SSL_write(ssl, request, (int)strlen(request)) > 0) {
    for (;;) {
      int n = SSL_read(ssl, buf, sizeof buf);
      if (n <= 0) {
        int err = SSL_get_error(ssl, n);
        /* A close with or without close_notify ends a Connection: close response. */
        if (err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0))
          result = (status_len >= 12 && status[9] == '2') ? 0 : 1;
        break;
      }
      *bytes += n;
      if (status_len < 12) { /* "HTTP/1.1 200" */
        size_t take = (size_t)n < 12 - status_len ? (size_t)n : 12 - status_len;
        memcpy(status + status_len, buf, take);
        status_len += take;
      }
    }
  }
  ERR_clear_error();
  if (ssl) SSL_free(ssl);
  close(fd);
  return result;
}

static void* run(void* arg) {
  struct worker* w = arg;
  while (now() < deadline) {
    double start = now();
    int r = request_once(&w->bytes);
    if (r < 0) {
      w->socket_errors++;
      continue;
    }
    w->requests++;
    if (r > 0) w->status_errors++;
    if (w->samples < kMaxSamples) w->latency_us[w->samples++] = (unsigned)((now() - start) * 1e6);
  }
  return NULL;
}

static int by_value(const void* a, const void* b) {
  unsigned x = *(const unsigned*)a, y = *(const unsigned*)b;
  return (x > y) - (x < y);
}

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: tls_handshakes PORT PATH SECONDS THREADS\n");
    return 2;
  }
  port = atoi(argv[1]);
  double seconds = atof(argv[3]);
  int threads = atoi(argv[4]);
  if (port <= 0 || seconds <= 0 || threads <= 0 || threads > kMaxThreads) {
    fprintf(stderr, "tls_handshakes: bad PORT, SECONDS or THREADS (1..%d)\n", kMaxThreads);
    return 2;
  }
  snprintf(request, sizeof request,
           "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", argv[2]);
  ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) return 1;
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);

  static struct worker workers[kMaxThreads];
  double start = now();
  deadline = start + seconds;
  for (int i = 0; i < threads; i++) {
    workers[i].latency_us = malloc(sizeof(unsigned) * kMaxSamples);
    if (!workers[i].latency_us || pthread_create(&workers[i].thread, NULL, run, &workers[i]))
      return 1;
  }
  long requests = 0, bytes = 0, socket_errors = 0, status_errors = 0, samples = 0;
  for (int i = 0; i < threads; i++) {
    pthread_join(workers[i].thread, NULL);
    requests += workers[i].requests;
    bytes += workers[i].bytes;
    socket_errors += workers[i].socket_errors;
    status_errors += workers[i].status_errors;
    samples += workers[i].samples;
  }
  double duration = now() - start;
  unsigned* all = malloc(sizeof(unsigned) * (samples ? samples : 1));
  if (!all) return 1;
  long k = 0;
  for (int i = 0; i < threads; i++) {
    memcpy(all + k, workers[i].latency_us, sizeof(unsigned) * workers[i].samples);
    k += workers[i].samples;
  }
  qsort(all, samples, sizeof(unsigned), by_value);
  unsigned p50 = samples ? all[(samples - 1) / 2] : 0,
           p99 = samples ? all[(samples - 1) * 99 / 100] : 0;
  printf(
      "BENCH requests=%ld bytes=%ld duration_us=%.0f p50_us=%u p99_us=%u socket_errors=%ld "
      "status_errors=%ld\n",
      requests, bytes, duration * 1e6, p50, p99, socket_errors, status_errors);
  return 0;
}
