#pragma once
// What the kernel says about the proxy process: resident memory and CPU time.
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace faultline::harness {

// VmRSS from /proc/PID/status in KiB; -1 if unreadable.
long rss_kib(pid_t pid);
// utime + stime from /proc/PID/stat, in seconds; -1 if unreadable.
double cpu_seconds(pid_t pid);

// Samples a process's RSS every few milliseconds on its own thread and keeps the peak,
// so a transient spike during a transfer is not missed.
class RssSampler {
 public:
  explicit RssSampler(pid_t pid);
  ~RssSampler();
  RssSampler(const RssSampler&) = delete;
  RssSampler& operator=(const RssSampler&) = delete;
  long peak_kib() const { return peak_.load(); }
  long samples() const { return samples_.load(); }

 private:
  pid_t pid_;
  std::atomic<bool> stop_{false};
  std::atomic<long> peak_{0};
  std::atomic<long> samples_{0};
  std::thread thread_;
};

}  // namespace faultline::harness

namespace faultline::harness {

// Spins one thread of this process for `window` and returns the share of one core it got
// (thread CPU time / wall time, 0..1). On an idle machine this is about 1; on a loaded one
// it says how much CPU any busy thread — the proxy's CPU burner included — can get now.
double busy_thread_share(std::chrono::milliseconds window);

}  // namespace faultline::harness
