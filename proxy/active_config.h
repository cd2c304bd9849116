#pragma once
// The immutable configuration a worker runs with (it holds faults::Snapshot, the compiled
// experiments). A reload or an admin change builds a new ActiveConfig off the workers and posts
// it to each worker's inbox; a request pins the one it started with (a shared_ptr), so a swap
// never changes a request mid-flight.
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "config/schema.h"
#include "faults/snapshot.h"

namespace faultline::proxy {

struct UpstreamAddress {
  sockaddr_storage addr{};
  socklen_t len = 0;
};

struct ActiveConfig {
  std::shared_ptr<const config::Config> config;
  std::vector<UpstreamAddress> upstreams;          // by listener index
  std::shared_ptr<const faults::Snapshot> faults;  // compiled experiments; may be null in tests
};

using ActiveConfigPtr = std::shared_ptr<const ActiveConfig>;

}  // namespace faultline::proxy
