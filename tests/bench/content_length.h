/* The Content-Length of a response head, for the benchmark's small C clients
 * (fixed_requests.c, paced_latency.c). */
#ifndef FAULTLINE_BENCH_CONTENT_LENGTH_H
#define FAULTLINE_BENCH_CONTENT_LENGTH_H

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Returns the Content-Length of the header block in buf[0..len), or -1 if absent. */
static inline long content_length(const char* buf, size_t len) {
  static const char name[] = "content-length:";
  for (const char *p = buf, *end = buf + len; p < end;) {
    const char* eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol) break;
    if ((size_t)(eol - p) > sizeof name - 1 && strncasecmp(p, name, sizeof name - 1) == 0)
      return strtol(p + sizeof name - 1, NULL, 10);
    p = eol + 1;
  }
  return -1;
}

#endif
