#pragma once
// The immutable configuration a worker runs with. A reload or an admin change builds a new
// Snapshot off the workers and posts it to each worker's inbox; a request pins the snapshot
// it started with (a shared_ptr), so a swap never changes a request mid-flight.
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

struct Snapshot {
  std::shared_ptr<const config::Config> config;
  std::vector<UpstreamAddress> upstreams;          // by listener index
  std::shared_ptr<const faults::Snapshot> faults;  // compiled experiments; may be null in tests
};

using SnapshotPtr = std::shared_ptr<const Snapshot>;

}  // namespace faultline::proxy
