/* timer_wakeup: how late this machine wakes a thread that sleeps in epoll_wait on a timerfd,
 * which is how faultline's latency faults wait (proxy/io/precise_timers). The latency mode
 * prints it beside its table: a delayed request can end no closer to its deadline than the
 * machine wakes a sleeping thread, so this is the floor under the latency rows' p99.
 *
 *   timer_wakeup WAITS MICROSECONDS
 *       WAITS sleeps of MICROSECONDS each, one after another, each to an absolute deadline
 *       (CLOCK_MONOTONIC); prints one line: waits=N p50=… p90=… p99=… p999=… max=…
 *       (microseconds after the deadline). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int by_value(const void* a, const void* b) {
  uint64_t x = *(const uint64_t*)a, y = *(const uint64_t*)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: timer_wakeup WAITS MICROSECONDS\n");
    return 2;
  }
  const int waits = atoi(argv[1]);
  const uint64_t sleep_ns = strtoull(argv[2], NULL, 10) * 1000u;
  if (waits < 10 || sleep_ns == 0) {
    fprintf(stderr, "timer_wakeup: at least 10 waits of at least 1 microsecond\n");
    return 2;
  }
  int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN};
  uint64_t* late = malloc(sizeof *late * (size_t)waits);
  if (tfd < 0 || ep < 0 || !late || epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev) != 0) {
    perror("timer_wakeup");
    return 1;
  }
  for (int i = 0; i < waits; ++i) {
    const uint64_t due = now_ns() + sleep_ns;
    struct itimerspec at = {0};
    at.it_value.tv_sec = (time_t)(due / 1000000000u);
    at.it_value.tv_nsec = (long)(due % 1000000000u);
    struct epoll_event out;
    uint64_t expirations;
    if (timerfd_settime(tfd, TFD_TIMER_ABSTIME, &at, NULL) != 0 ||
        epoll_wait(ep, &out, 1, -1) != 1 ||
        read(tfd, &expirations, sizeof expirations) != sizeof expirations) {
      perror("timer_wakeup");
      return 1;
    }
    late[i] = now_ns() - due;
  }
  qsort(late, (size_t)waits, sizeof *late, by_value);
#define AT(q) (late[(size_t)((waits - 1) * (q))] / 1e3)
  printf("waits=%d p50=%.0f p90=%.0f p99=%.0f p999=%.0f max=%.0f\n", waits, AT(0.5), AT(0.9),
         AT(0.99), AT(0.999), late[waits - 1] / 1e3);
  return 0;
}
