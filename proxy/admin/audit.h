#pragma once
// The admin audit trail (GET /v1/events): every change made through the admin API, a
// reload or an expiry, with time, client address and result. Bounded so a long game day
// cannot grow it without limit; each event is also logged through the "audit" logger.
#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>

// Declared only: the runtime records events without parsing the JSON library.
#include <nlohmann/json_fwd.hpp>

namespace faultline::proxy::admin {

class AuditLog {
 public:
  static constexpr size_t kDefaultCapacity = 1000;
  explicit AuditLog(size_t capacity = kDefaultCapacity);

  // Thread-safe; may be called from any thread (admin loop, reload, expiry timers).
  // `client` is the peer address ("127.0.0.1", or "config"/"signal" for non-API changes),
  // `result` is "ok" or "error: <message>".
  void record(std::string client, std::string action, std::string experiment, std::string result);

  // Oldest first: [{"time": RFC 3339 UTC, "client", "action", "experiment", "result"}].
  nlohmann::json to_json() const;
  // Events pushed out of the ring since start (so readers know the trail is partial).
  uint64_t dropped() const;

 private:
  struct Event {
    std::chrono::system_clock::time_point time;
    std::string client;
    std::string action;
    std::string experiment;
    std::string result;
  };
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<Event> events_;
  uint64_t dropped_ = 0;
};

}  // namespace faultline::proxy::admin
