#include "proxy/control/descriptor_budget.h"

#include <sys/resource.h>

#include <algorithm>

#include "proxy/admin/server.h"
#include "proxy/control/server.h"

namespace faultline::proxy {

namespace {

constexpr uint64_t kPerConnection = 2;  // the client's socket and the upstream's
// Every libuv loop holds an epoll fd, an eventfd and its signal pipe.
constexpr uint64_t kPerLoop = 4;
// stdio, log files, the main and admin loops, libuv's global signal pipe, the config watch,
// resolver sockets during a reload, the state and ready files: with room to spare (an idle
// faultline with two workers holds 27 descriptors).
constexpr uint64_t kProcessReserve = 32;

uint64_t as_count(rlim_t v) {
  return v == RLIM_INFINITY ? UINT64_MAX : static_cast<uint64_t>(v);
}

struct Split {
  uint64_t reserve = 0;
  uint64_t explicit_connections = 0;  // sum of max_connections written in the file
  size_t defaults = 0;                // listeners left at the default
};

Split split(const config::Config& config, unsigned workers) {
  Split s;
  s.reserve = reserved_descriptors(config, workers);
  for (const auto& l : config.listeners) {
    if (l.max_connections_set)
      s.explicit_connections += l.max_connections;
    else
      ++s.defaults;
  }
  return s;
}

std::string path_of(size_t i) {
  return "listeners[" + std::to_string(i) + "].max_connections";
}

}  // namespace

uint64_t reserved_descriptors(const config::Config& config, unsigned workers) {
  const uint64_t admin = admin::AdminServer::Limits{}.max_connections + 2;     // + its listener
  const uint64_t listening = config.listeners.size() * std::max(workers, 1u);  // socket + dups
  return kProcessReserve + admin + listening + uint64_t{workers} * kPerLoop;
}

uint64_t open_file_hard_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  return as_count(rl.rlim_max);
}

uint64_t raise_open_file_limit(uint64_t& before) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
    before = 1024;
    return before;
  }
  before = as_count(rl.rlim_cur);
  if (rl.rlim_cur == rl.rlim_max || rl.rlim_max == RLIM_INFINITY) return before;
  rlimit raised = rl;
  raised.rlim_cur = rl.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &raised) != 0) return before;
  return as_count(raised.rlim_cur);
}

std::vector<std::string> fit_default_max_connections(config::Config& config, unsigned workers,
                                                     uint64_t limit) {
  std::vector<std::string> changed;
  Split s = split(config, workers);
  if (s.defaults == 0) return changed;
  const uint64_t fixed = s.reserve + s.explicit_connections * kPerConnection;
  const uint64_t left = limit > fixed ? limit - fixed : 0;
  const uint64_t share = left / (kPerConnection * s.defaults);
  if (share == 0) return changed;  // check_descriptor_budget() reports it
  for (auto& l : config.listeners) {
    if (l.max_connections_set || l.max_connections <= share) continue;
    changed.push_back("listener " + l.name + ": max_connections lowered from " +
                      std::to_string(l.max_connections) + " to " + std::to_string(share) +
                      " to fit the open-file limit of " + std::to_string(limit) +
                      " (2 per connection, " + std::to_string(s.reserve) +
                      " reserved); set max_connections or raise the limit (ulimit -n, "
                      "LimitNOFILE) to change it");
    l.max_connections = static_cast<uint32_t>(share);
  }
  return changed;
}

void check_descriptor_budget(const config::Config& config, unsigned workers, uint64_t limit,
                             config::Diagnostics& diags) {
  Split s = split(config, workers);
  // A listener left at the default needs room for at least one connection.
  const uint64_t needed = s.reserve + (s.explicit_connections + s.defaults) * kPerConnection;
  if (needed <= limit) return;
  // Name the listener that crosses the limit, so the error points at a line of the file.
  uint64_t running = s.reserve;
  size_t culprit = 0;
  for (size_t i = 0; i < config.listeners.size(); ++i) {
    const auto& l = config.listeners[i];
    running += (l.max_connections_set ? l.max_connections : 1) * kPerConnection;
    culprit = i;
    if (running > limit) break;
  }
  const auto& l = config.listeners[culprit];
  std::string message = "the listeners' connections need " + std::to_string(needed) +
                        " open files (2 per connection, " + std::to_string(s.reserve) +
                        " reserved for the admin API, event loops and logs), but the open-file "
                        "limit is " +
                        std::to_string(limit) +
                        ": lower max_connections or raise the hard limit (ulimit -n, systemd "
                        "LimitNOFILE, the container runtime's nofile)";
  diags.error(l.pos, path_of(culprit), message);
}

void check_descriptor_budget(const config::Config& config, config::Diagnostics& diags) {
  check_descriptor_budget(config, worker_count(config), open_file_hard_limit(), diags);
}

}  // namespace faultline::proxy
