#pragma once
// Helpers shared by the admin API integration tests: one admin call with every knob a test
// needs (method, token, content type, raw body), the Prometheus text as numbers, config
// rewrites for reloads, and `faultline ctl` runs. Built once as a small library.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/harness/config_text.h"
#include "tests/harness/http_upstream.h"
#include "tests/harness/proxy_process.h"
#include "tests/harness/raw_client.h"

namespace faultline::harness::admin_test {

using namespace std::chrono_literals;

// Starts the proxy or fails the current test with its stderr.
#define ADMIN_START_PROXY(var, ...)                    \
  ::faultline::harness::ProxyProcess var(__VA_ARGS__); \
  ASSERT_TRUE(var.ready()) << var.failure() << "\n" << var.stderr_text()

struct ApiCall {
  std::string method = "GET";
  std::string path;
  std::string body;
  std::string token;  // sent as "Authorization: Bearer TOKEN" when not empty
  std::string content_type = "application/json";  // sent only with a body
  std::vector<Header> extra_headers;
};

struct ApiReply {
  HttpResponse http;
  nlohmann::json json;  // discarded (is_discarded()) when the body is not JSON
  Clock::time_point received_at;

  int status() const { return http.status(); }
  const std::string& body() const { return http.body; }
  // json[key] as a string, or "" when absent or not a string.
  std::string str(const std::string& key) const;
};

std::ostream& operator<<(std::ostream& os, const ApiReply& r);

// One request on a fresh connection (Connection: close).
ApiReply api(const Endpoint& admin, const ApiCall& call);
ApiReply api_get(const Endpoint& admin, const std::string& path, const std::string& token = {});
ApiReply api_send(const Endpoint& admin, const std::string& method, const std::string& path,
                  const std::string& body = {}, const std::string& token = {});

// GET /metrics as text ("" on failure).
std::string scrape(const Endpoint& admin);

// The value of the sample `name{labels}` whose label set equals `labels` exactly; nullopt
// when the exposition has no such sample.
std::optional<double> metric(const std::string& exposition, const std::string& name,
                             const std::map<std::string, std::string>& labels = {});

// One request through the proxy on a fresh connection.
HttpResponse proxy_get(const Endpoint& listener, const std::string& path,
                       const std::vector<Header>& headers = {}, Millis timeout = Millis(10000));

// Replaces the file at `path` atomically (write + rename), as a config manager would.
void replace_file(const std::string& path, const std::string& content);

// A 127.0.0.1 address with nothing listening (bound, then closed).
std::string closed_port_address();

// `faultline ctl --admin http://ADMIN [--token T] ARGS...`.
CommandResult run_ctl(const Endpoint& admin, const std::vector<std::string>& args,
                      const std::string& token = {}, Millis timeout = Millis(15000));

// Milliseconds between two points of the steady clock (b - a).
inline double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// Polls `predicate` every 10 ms until it holds or `timeout` passes.
template <typename Predicate>
bool eventually(Predicate predicate, Millis timeout = Millis(5000)) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(Millis(10));
  }
  return predicate();
}

// "2026-11-21T22:31:05.123Z" -> system_clock time; nullopt when not RFC 3339 UTC.
std::optional<std::chrono::system_clock::time_point> parse_utc(const std::string& text);

// A config with one HTTP listener "main" in front of `upstream`, `workers` event loops and
// `tail` appended (experiments, [safety], [triggers.headers] ...).
std::string proxy_config(const std::string& upstream, const std::string& tail = {},
                         const std::string& admin_extra = {}, int workers = 1);

}  // namespace faultline::harness::admin_test
