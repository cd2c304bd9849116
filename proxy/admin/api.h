#pragma once
// The admin API as a pure request -> response function (SPEC §4): routing, bearer auth,
// content-type and JSON checks, experiment decoding, Backend calls and the audit trail.
// It knows nothing about sockets; proxy/admin/server.cc carries requests to it over HTTP/1.1.
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "proxy/admin/audit.h"
#include "proxy/admin/backend.h"
#include "proxy/admin/host_check.h"
#include "proxy/io/log_limiter.h"

namespace faultline::proxy::admin {

struct AdminRequest {
  std::string method;  // "GET", as parsed
  std::string target;  // request target, may carry a query string
  std::string authorization;
  std::string faultline_token;  // x-faultline-token: the token without a scheme (SPEC §7)
  std::string content_type;
  std::string host;            // empty when the request had no Host header
  std::string origin;          // browsers send it on every POST, PUT and DELETE
  std::string sec_fetch_site;  // "cross-site", "same-origin", ... (browsers only)
  std::string body;
  std::string client;  // peer IP address, for the audit trail
};

struct AdminResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // Allow, WWW-Authenticate, ...
};

enum class Route {
  kHealthz,
  kReadyz,
  kMetrics,
  kStatus,
  kExperiments,  // /v1/experiments
  kExperiment,   // /v1/experiments/{name}
  kPause,        // /v1/experiments/{name}/pause
  kResume,       // /v1/experiments/{name}/resume
  kHalt,
  kReload,
  kEvents,
  kTimeseries,  // /v1/timeseries
  kUi,          // /ui/{file}: the web console (name = the file; "" = index.html)
  kUiRedirect,  // /ui -> ui/
};

struct RouteMatch {
  Route route;
  std::string name;  // experiment name for the {name} routes
};

// Path (without query) -> route; nullopt means 404.
std::optional<RouteMatch> match_route(std::string_view path);
// The Allow header value of a route, e.g. "GET, POST".
std::string_view allowed_methods(Route route);
// /v1/* needs the bearer token when one is configured; /healthz, /readyz, /metrics and the
// console's files never (the console asks for the token and sends it to /v1).
bool route_requires_token(Route route);

// Builds the JSON error body {"error": ..., "field": ...}; `field` is left out when empty.
AdminResponse error_response(int status, std::string_view error, std::string_view field = {});

class AdminApi {
 public:
  AdminApi(Backend& backend, AuditLog& audit, std::string token);
  AdminApi(const AdminApi&) = delete;
  AdminApi& operator=(const AdminApi&) = delete;

  // Thread-safe: a reload may change the token from another thread.
  void set_token(std::string token);
  // Names accepted in Host besides loopback and this machine's addresses ([admin] hosts).
  // Thread-safe.
  void set_allowed_hosts(std::vector<std::string> names) { hosts_.set_names(std::move(names)); }
  AdminResponse handle(const AdminRequest& request);

 private:
  bool authorized(const AdminRequest& request) const;
  // 421 for a Host that is not this machine, 403 for a write a browser sent from another
  // origin; nullopt when neither applies.
  std::optional<AdminResponse> refuse_browser_request(const AdminRequest& request);
  AdminResponse dispatch(const RouteMatch& match, const AdminRequest& request);
  AdminResponse timeseries(const AdminRequest& request);
  AdminResponse put_or_post(const AdminRequest& request, const std::string& path_name,
                            bool replace_allowed);
  // The HTTP answer to a Backend outcome: its verdict's status, the error, or `body` on
  // success (null: {"ok": true}).
  AdminResponse answer(const Outcome& outcome, const nlohmann::json& body = nullptr);
  void audit(const AdminRequest& request, std::string action, const std::string& experiment,
             const Outcome& outcome);

  Backend& backend_;
  AuditLog& audit_;
  mutable std::mutex token_mutex_;
  std::string token_;
  HostCheck hosts_;
  // Refusals (401, 403, 421) are logged at most once per 10 s each, with the count of those
  // dropped since: anyone who can reach the port can send them as fast as they like.
  LogLimiter refused_log_;
  LogLimiter unauthorized_log_;
};

}  // namespace faultline::proxy::admin
