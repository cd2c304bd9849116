#pragma once
// The code under test in this example: a service's client for a dependency it calls over
// HTTP/1.1, with a per-attempt deadline and retries of transient failures. Small and
// dependency-free on purpose (POSIX sockets); a real service would use its own HTTP stack.
#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace example {

enum class Failure {
  kNone,       // a complete response arrived (any status)
  kConnect,    // could not connect
  kTimeout,    // the deadline passed before the response was complete
  kReset,      // the peer reset the connection
  kNoAnswer,   // the peer closed without sending a response
  kTruncated,  // the peer closed in the middle of the response
};
const char* to_string(Failure failure);

struct Response {
  Failure failure = Failure::kNone;
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  int attempts = 0;
  std::string header(const std::string& name) const;
};

struct ClientOptions {
  std::string host = "127.0.0.1";
  int port = 15001;
  std::chrono::milliseconds deadline{1000};  // per attempt
  int max_attempts = 1;
  std::chrono::milliseconds retry_backoff{20};
};

class OrderClient {
 public:
  explicit OrderClient(ClientOptions options) : options_(std::move(options)) {}

  // GET path; extra_headers go on every attempt (that is how the tests choose a fault).
  // Retries connect failures, resets, missing answers and 502/503/504.
  Response get(const std::string& path,
               const std::vector<std::pair<std::string, std::string>>& extra_headers = {}) const;

 private:
  Response attempt(const std::string& request) const;
  ClientOptions options_;
};

}  // namespace example
