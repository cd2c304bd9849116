#pragma once
// Where the proxy asks faults/ what a request or connection must suffer. The sessions carry
// out the returned faults::Plan at their hook points (accept, before forwarding, response
// head, body chunks, close). Until the fault engine is wired these return empty plans.
#include <sys/socket.h>

#include <cstdint>
#include <string_view>

#include "faults/plan.h"
#include "faults/request.h"
#include "proxy/active_config.h"

namespace faultline::proxy {

class Worker;

// Fills `plan` for one request; returns false when there is nothing to do (fast path).
bool decide_request(Worker& worker, const ActiveConfig& snapshot, const faults::RequestHead& head,
                    faults::Plan& plan);
// Whether any experiment acts per connection on `listener` (decide_connect() can fill a plan).
bool connection_faults_configured(const ActiveConfig& snapshot, uint32_t listener);
// Fills `plan` for a new connection (TCP listeners, and reset-at-connect on HTTP).
bool decide_connect(Worker& worker, const ActiveConfig& snapshot, uint32_t listener,
                    const sockaddr* peer, faults::Plan& plan);
// Fills `plan` for a TLS client's ClientHello (tls_handshake_delay, tls_abort); `sni` is the
// server name it asked for (empty: none).
bool decide_handshake(Worker& worker, const ActiveConfig& snapshot, uint32_t listener,
                      const sockaddr* peer, std::string_view sni, faults::Plan& plan);
// True when listener `listener`'s connection-level experiments differ between two snapshots
// (one added, removed or replaced): an open TCP connection then decides its faults again.
bool connection_experiments_changed(const ActiveConfig& before, const ActiveConfig& after,
                                    uint32_t listener);
// Gives back what the plan holds (max_active slots) once the request or connection ends.
void release_plan(Worker& worker, const ActiveConfig& snapshot, faults::Plan& plan);

}  // namespace faultline::proxy
