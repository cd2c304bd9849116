#pragma once
// Hand-built configs, nodes and requests for the fault engine's unit tests.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/schema.h"
#include "faults/decide.h"
#include "faults/snapshot.h"

namespace faultline::faults::testing {

using config::Node;

inline Node str(std::string value, int line = 1, int column = 1) {
  Node node;
  node.kind = Node::Kind::kString;
  node.string = std::move(value);
  node.pos = {line, column};
  return node;
}
inline Node integer(int64_t value, int line = 1, int column = 1) {
  Node node;
  node.kind = Node::Kind::kInteger;
  node.integer = value;
  node.pos = {line, column};
  return node;
}
inline Node floating(double value, int line = 1, int column = 1) {
  Node node;
  node.kind = Node::Kind::kFloat;
  node.floating = value;
  node.pos = {line, column};
  return node;
}
inline Node table(std::vector<std::pair<std::string, Node>> fields, int line = 1, int column = 1) {
  Node node;
  node.kind = Node::Kind::kTable;
  node.fields = std::move(fields);
  node.pos = {line, column};
  return node;
}

inline config::FaultConfig fault(std::string type, std::vector<std::pair<std::string, Node>> fields,
                                 std::string path = "experiments[0].faults[0]") {
  config::FaultConfig out;
  out.type = type;
  fields.insert(fields.begin(), {"type", str(type)});
  out.params = table(std::move(fields), 10, 1);
  out.path = std::move(path);
  return out;
}

inline config::ExperimentConfig experiment(std::string name,
                                           std::vector<config::FaultConfig> faults,
                                           std::string path = "experiments[0]") {
  config::ExperimentConfig out;
  out.name = std::move(name);
  for (size_t i = 0; i < faults.size(); ++i)
    faults[i].path = (path.empty() ? "" : path + ".") + "faults[" + std::to_string(i) + "]";
  out.faults = std::move(faults);
  out.path = std::move(path);
  return out;
}

inline config::ListenerConfig listener(std::string name,
                                       config::Protocol protocol = config::Protocol::kHttp) {
  config::ListenerConfig out;
  out.name = std::move(name);
  out.protocol = protocol;
  return out;
}

inline std::shared_ptr<config::Config> make_config(
    std::vector<config::ExperimentConfig> experiments,
    std::vector<config::ListenerConfig> listeners = {listener("inbound")}) {
  auto out = std::make_shared<config::Config>();
  out->listeners = std::move(listeners);
  out->experiments = std::move(experiments);
  return out;
}

inline sockaddr_in ipv4(const char* address, uint16_t port = 40000) {
  sockaddr_in out{};
  out.sin_family = AF_INET;
  out.sin_port = htons(port);
  inet_pton(AF_INET, address, &out.sin_addr);
  return out;
}

inline TimePoint t0() {
  return TimePoint{} + std::chrono::hours(24 * 365 * 50);
}

// A snapshot builder that fails the test loudly on diagnostics.
struct Engine {
  std::shared_ptr<RunState> run = std::make_shared<RunState>(2);
  std::shared_ptr<const Snapshot> snapshot;
  config::Diagnostics diags;

  bool build(std::shared_ptr<const config::Config> config, std::vector<ApiExperiment> api = {},
             TimePoint now = t0()) {
    diags = config::Diagnostics();
    auto next = build_snapshot(std::move(config), std::move(api), snapshot.get(), run, now, diags);
    if (!next) return false;
    snapshot = std::move(next);
    return true;
  }
  std::string errors() const {
    std::string out;
    for (const auto& item : diags.items()) out += item.path + ": " + item.message + "\n";
    return out;
  }
};

struct Request {
  std::string method = "GET";
  std::string path = "/";
  std::vector<HeaderView> headers;
  sockaddr_in peer = ipv4("127.0.0.1");
  uint32_t listener = 0;

  RequestHead head() const {
    return RequestHead{method,   path, headers, reinterpret_cast<const sockaddr*>(&peer),
                       listener, {}};
  }
};

}  // namespace faultline::faults::testing
