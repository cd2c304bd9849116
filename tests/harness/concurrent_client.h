#pragma once
// Many HTTP requests at once from one thread: non-blocking sockets and poll, one request
// per connection, each timed on the client's clock from its own connect to its last byte.
#include <string>
#include <vector>

#include "tests/harness/net.h"
#include "tests/harness/socket_stream.h"

namespace faultline::harness {

struct ConcurrentResult {
  IoStatus io = IoStatus::kTimeout;  // kOk = a complete response
  int status = 0;
  int err = 0;
  Millis latency{0};
};

// Sends requests[i] on connection i; at most `connect_burst` connects are started per poll
// round so the proxy's accept backlog is never overrun. Gives up at `timeout`.
std::vector<ConcurrentResult> run_concurrent(const Endpoint& to,
                                             const std::vector<std::string>& requests,
                                             Millis timeout, size_t connect_burst = 100);

// Opens every connection first and sends all the requests in one poll round once each is
// connected: the shape of a burst of held requests released at once. `elapsed` is from
// that round to the last response.
struct BurstResult {
  std::vector<ConcurrentResult> results;
  double elapsed_ms = 0;
};
BurstResult run_burst(const Endpoint& to, const std::vector<std::string>& requests, Millis timeout);

}  // namespace faultline::harness
