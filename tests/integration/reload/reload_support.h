#pragma once
// Helpers for the reload area's integration tests: the admin API read as JSON, metric
// values, and the ways config files get replaced in the field.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/integration/support.h"

namespace faultline::harness {

// GET `path` on the admin API, parsed; null when the call or the body fails.
inline nlohmann::json admin_json(const ProxyProcess& proxy, const std::string& path) {
  HttpResponse r = admin_get(proxy, path);
  if (!r.complete() || r.status() != 200) return nullptr;
  return nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
}

inline nlohmann::json admin_send(const ProxyProcess& proxy, const std::string& method,
                                 const std::string& path, const std::string& body, int* status) {
  HttpResponse r = one_request(
      proxy.admin(),
      make_request(method, path, {{"Content-Type", "application/json"}, {"Connection", "close"}},
                   body));
  *status = r.complete() ? r.status() : -1;
  return nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
}

// Audit events with this action (and experiment, when given).
inline size_t count_events(const ProxyProcess& proxy, const std::string& action,
                           const std::string& experiment = {}) {
  nlohmann::json events = admin_json(proxy, "/v1/events");
  size_t n = 0;
  if (!events.is_array()) return 0;
  for (const auto& e : events)
    if (e.value("action", "") == action &&
        (experiment.empty() || e.value("experiment", "") == experiment))
      ++n;
  return n;
}

// The experiment's state ("active", "paused", "expired"), or "" when it is not listed.
inline std::string experiment_state(const ProxyProcess& proxy, const std::string& name) {
  nlohmann::json list = admin_json(proxy, "/v1/experiments");
  if (!list.is_array()) return "";
  for (const auto& e : list)
    if (e.value("name", "") == name) return e.value("state", "");
  return "";
}

// The value of one sample line of /metrics, e.g. `faultline_config_reloads_total{result="ok"}`;
// -1 when the line is missing.
inline double metric_value(const ProxyProcess& proxy, const std::string& series) {
  HttpResponse r = admin_get(proxy, "/metrics");
  if (!r.complete()) return -1;
  size_t at = 0;
  while ((at = r.body.find(series + " ", at)) != std::string::npos) {
    if (at == 0 || r.body[at - 1] == '\n') return std::stod(r.body.substr(at + series.size() + 1));
    at += series.size();
  }
  return -1;
}

inline double reloads(const ProxyProcess& proxy, const std::string& result) {
  return metric_value(proxy, "faultline_config_reloads_total{result=\"" + result + "\"}");
}

// How editors save: write a temp file next to the target, then rename it over the target.
inline void replace_file(const std::string& dir, const std::string& name,
                         const std::string& content) {
  const std::string tmp = "." + name + ".swp";
  std::filesystem::remove(dir + "/" + tmp);
  {
    FILE* f = std::fopen((dir + "/" + tmp).c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fwrite(content.data(), 1, content.size(), f);
    std::fclose(f);
  }
  ASSERT_EQ(std::rename((dir + "/" + tmp).c_str(), (dir + "/" + name).c_str()), 0);
}

// Atomically points the symlink dir/link at `target`, as Kubernetes' atomic writer does:
// create link_tmp, then rename it over the link.
inline void swap_symlink(const std::string& dir, const std::string& link,
                         const std::string& target) {
  const std::string tmp = dir + "/" + link + "_tmp";
  std::filesystem::remove(tmp);
  ASSERT_EQ(::symlink(target.c_str(), tmp.c_str()), 0);
  ASSERT_EQ(std::rename(tmp.c_str(), (dir + "/" + link).c_str()), 0);
}

inline std::string abort_experiment(const std::string& name, const std::string& extra = "") {
  return "[[experiments]]\nname = \"" + name + "\"\n" + extra +
         "[[experiments.faults]]\ntype = \"abort\"\nstatus = 503\n";
}

}  // namespace faultline::harness
