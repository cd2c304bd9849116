// CPU stress seen in /proc: the proxy's CPU time rises by about cores x load while the
// experiment runs and stops when it expires. A busy probe thread in the test measures how
// much of a core any busy thread can get right now, so a loaded CI box lowers the expected
// figure instead of failing the test; on an idle box the probe reads about 1.
#include <future>

#include "tests/integration/support.h"

namespace faultline::harness {
namespace {

struct CpuWindow {
  double proxy_seconds;  // CPU the proxy used in the window
  double share;          // share of a core a busy thread got meanwhile (0..1)
};

CpuWindow measure(pid_t pid, Millis window) {
  auto probe = std::async(std::launch::async, [window] { return busy_thread_share(window); });
  double before = cpu_seconds(pid);
  std::this_thread::sleep_for(window);
  double used = cpu_seconds(pid) - before;
  return {used, probe.get()};
}

std::string cpu_experiment(const std::string& listeners, const std::string& duration, int cores,
                           int load) {
  return "\n[safety]\nmax_cpu_cores = 1\n\n[[experiments]]\nname = \"burn\"\n" + listeners +
         "duration = \"" + duration +
         "\"\n[[experiments.faults]]\ntype = \"cpu\"\ncores = " + std::to_string(cores) +
         "\nload = " + std::to_string(load) + "\n";
}

// Runs the shared scenario: a `cores` x `load` % burn for `duration_ms` from start-up.
void expect_burn_then_stop(ProxyProcess& proxy, Clock::time_point started, int cores, int load,
                           long duration_ms) {
  std::this_thread::sleep_for(300ms);
  const Millis window(duration_ms - 800);
  auto during = measure(proxy.pid(), window);
  const double seconds = static_cast<double>(window.count()) / 1000.0;
  const double full = cores * (load / 100.0) * seconds;
  EXPECT_GE(during.proxy_seconds, 0.6 * full * during.share)
      << "CPU stress not visible in /proc (probe share " << during.share << ")";
  EXPECT_LE(during.proxy_seconds, 1.5 * full) << "burned more than cores x load";
  auto until_end =
      Millis(duration_ms + 400) - std::chrono::duration_cast<Millis>(Clock::now() - started);
  if (until_end.count() > 0) std::this_thread::sleep_for(until_end);
  double before = cpu_seconds(proxy.pid());
  std::this_thread::sleep_for(1000ms);
  EXPECT_LT(cpu_seconds(proxy.pid()) - before, 0.1) << "still burning after the experiment expired";
}

TEST(FaultCpu, StressOnAnHttpListenerBurnsAboutCoresTimesLoadThenStops) {
  HttpUpstream up;
  auto started = Clock::now();
  START_PROXY(proxy, http_config(up.address(), "", cpu_experiment("", "3s", 1, 50)));
  expect_burn_then_stop(proxy, started, 1, 50, 3000);
}

TEST(FaultCpu, StressOnATcpListenerBurnsAboutCoresTimesLoadThenStops) {
  TcpUpstream up(tcp_handlers::echo());
  ConfigSpec spec;
  ListenerSpec l;
  l.name = "tcp";
  l.protocol = "tcp";
  l.upstream = up.address();
  spec.listeners.push_back(l);
  spec.tail = cpu_experiment("listeners = [\"tcp\"]\n", "3s", 1, 40);
  auto started = Clock::now();
  START_PROXY(proxy, config_toml(spec));
  expect_burn_then_stop(proxy, started, 1, 40, 3000);
}

}  // namespace
}  // namespace faultline::harness
