#include "proxy/admin/api.h"

#include <spdlog/spdlog.h>

#include "config/ascii.h"
#include "config/loader.h"
#include "config/validate.h"
#include "proxy/admin/auth.h"
#include "proxy/admin/experiment_view.h"
#include "proxy/admin/metrics_text.h"
#include "proxy/admin/status_view.h"
#include "proxy/admin/timeseries_view.h"
#include "proxy/admin/ui_assets.h"

namespace faultline::proxy::admin {

using config::ascii_iequals;

namespace {

constexpr std::string_view kExperimentsPrefix = "/v1/experiments/";

// Never throws on invalid UTF-8 from a backend string: replace it instead.
std::string dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

AdminResponse json_response(int status, const nlohmann::json& body) {
  AdminResponse r;
  r.status = status;
  if (status != 204) r.body = dump(body) + "\n";
  return r;
}

AdminResponse text_response(int status, std::string body) {
  AdminResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

// "application/json" with optional parameters ("; charset=utf-8"), case-insensitive.
bool is_json_content_type(std::string_view content_type) {
  const size_t semi = content_type.find(';');
  std::string_view media = content_type.substr(0, semi);
  return ascii_iequals(config::trim_ows(media), "application/json");
}

// "application/toml": an experiment body as a TOML table, or a file with one [[experiments]]
// (what `ctl apply` reads; the console's apply box sends it as typed).
bool is_toml_content_type(std::string_view content_type) {
  const size_t semi = content_type.find(';');
  std::string_view media = content_type.substr(0, semi);
  return ascii_iequals(config::trim_ows(media), "application/toml");
}

bool is_write(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

// The admin's own origin is the scheme and the Host the request was sent to.
bool same_origin(std::string_view origin, std::string_view host) {
  if (host.empty()) return false;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (origin.size() == scheme.size() + host.size() &&
        ascii_iequals(origin.substr(0, scheme.size()), scheme) &&
        ascii_iequals(origin.substr(scheme.size()), host))
      return true;
  }
  return false;
}

// True when the comma-separated list `values` holds `token` (case-insensitive).
bool contains_token(std::string_view values, std::string_view token) {
  while (!values.empty()) {
    const size_t comma = values.find(',');
    if (ascii_iequals(config::trim_ows(values.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    values.remove_prefix(comma + 1);
  }
  return false;
}

bool is_v1(std::string_view path) {
  return path == "/v1" || path.starts_with("/v1/");
}

std::string_view strip_query(std::string_view target) {
  return target.substr(0, target.find_first_of("?#"));
}

// The raw value of `key` in the target's query string; nullopt when absent. Values here
// (listener names, durations) never need percent-decoding.
std::optional<std::string_view> query_param(std::string_view target, std::string_view key) {
  const size_t question = target.find('?');
  if (question == std::string_view::npos) return std::nullopt;
  std::string_view query = target.substr(question + 1);
  query = query.substr(0, query.find('#'));
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key)
      return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

// The time series keeps at least this much (proxy/timeseries.h).
constexpr std::chrono::seconds kMaxTimeseriesWindow{600};

// The one place a Backend verdict becomes an HTTP status (SPEC §4).
int http_status(Verdict verdict) {
  switch (verdict) {
    case Verdict::kOk:
      return 200;
    case Verdict::kCreated:
      return 201;
    case Verdict::kRemoved:
      return 204;
    case Verdict::kInvalid:
      return 400;
    case Verdict::kNotFound:
      return 404;
    case Verdict::kConflict:
      return 409;
    case Verdict::kFailed:
      break;
  }
  return 500;
}

// Adds "line" (TOML bodies know where a key was) to a JSON error response.
AdminResponse with_line(AdminResponse r, int line) {
  nlohmann::json body = nlohmann::json::parse(r.body, nullptr, false);
  if (!body.is_object()) return r;
  body["line"] = line;
  r.body = dump(body) + "\n";
  return r;
}

nlohmann::json experiment_body(const ExperimentOutcome& outcome) {
  return outcome.experiment ? experiment_view(*outcome.experiment) : nlohmann::json(nullptr);
}

}  // namespace

std::optional<RouteMatch> match_route(std::string_view path) {
  if (path == "/healthz") return RouteMatch{Route::kHealthz, {}};
  if (path == "/readyz") return RouteMatch{Route::kReadyz, {}};
  if (path == "/metrics") return RouteMatch{Route::kMetrics, {}};
  if (path == "/v1/status") return RouteMatch{Route::kStatus, {}};
  if (path == "/v1/experiments") return RouteMatch{Route::kExperiments, {}};
  if (path == "/v1/halt") return RouteMatch{Route::kHalt, {}};
  if (path == "/v1/reload") return RouteMatch{Route::kReload, {}};
  if (path == "/v1/events") return RouteMatch{Route::kEvents, {}};
  if (path == "/v1/timeseries") return RouteMatch{Route::kTimeseries, {}};
  if (path == "/ui") return RouteMatch{Route::kUiRedirect, {}};
  if (path == "/favicon.ico") return RouteMatch{Route::kUi, "favicon.svg"};
  if (path.starts_with("/ui/")) {
    std::string_view file = path.substr(4);
    if (!find_ui_file(file)) return std::nullopt;
    return RouteMatch{Route::kUi, std::string(file)};
  }
  if (!path.starts_with(kExperimentsPrefix)) return std::nullopt;
  std::string_view rest = path.substr(kExperimentsPrefix.size());
  const size_t slash = rest.find('/');
  std::string_view name = rest.substr(0, slash);
  if (name.empty()) return std::nullopt;
  if (slash == std::string_view::npos) return RouteMatch{Route::kExperiment, std::string(name)};
  std::string_view action = rest.substr(slash + 1);
  if (action == "pause") return RouteMatch{Route::kPause, std::string(name)};
  if (action == "resume") return RouteMatch{Route::kResume, std::string(name)};
  return std::nullopt;
}

std::string_view allowed_methods(Route route) {
  switch (route) {
    case Route::kHealthz:
    case Route::kReadyz:
    case Route::kMetrics:
    case Route::kStatus:
    case Route::kEvents:
    case Route::kTimeseries:
    case Route::kUi:
    case Route::kUiRedirect:
      return "GET";
    case Route::kExperiments:
      return "GET, POST";
    case Route::kExperiment:
      return "GET, PUT, DELETE";
    case Route::kPause:
    case Route::kResume:
    case Route::kReload:
      return "POST";
    case Route::kHalt:
      return "POST, DELETE";
  }
  return "";
}

bool route_requires_token(Route route) {
  return !(route == Route::kHealthz || route == Route::kReadyz || route == Route::kMetrics ||
           route == Route::kUi || route == Route::kUiRedirect);
}

AdminResponse error_response(int status, std::string_view error, std::string_view field) {
  nlohmann::json body = {{"error", error}};
  if (!field.empty()) body["field"] = field;
  return json_response(status, body);
}

AdminApi::AdminApi(Backend& backend, AuditLog& audit, std::string token)
    : backend_(backend), audit_(audit), token_(std::move(token)) {}

void AdminApi::set_token(std::string token) {
  std::lock_guard lock(token_mutex_);
  token_ = std::move(token);
}

bool AdminApi::authorized(const AdminRequest& request) const {
  std::lock_guard lock(token_mutex_);
  if (token_.empty() || bearer_authorized(request.authorization, token_)) return true;
  // The Kubernetes API server's pod proxy drops Authorization (SPEC §7).
  return !request.faultline_token.empty() &&
         constant_time_equals(config::trim_ows(request.faultline_token), token_);
}

std::optional<AdminResponse> AdminApi::refuse_browser_request(const AdminRequest& request) {
  if (!hosts_.allowed(request.host)) {
    return error_response(421, "Host \"" + request.host +
                                   "\" is not a name or address of this machine; add the name to "
                                   "[admin] hosts to use it");
  }
  if (!is_write(request.method)) return std::nullopt;
  // A browser sends Origin with every POST, PUT and DELETE. A page from another origin must
  // not drive the admin API, token or not (a "simple" POST needs no CORS preflight).
  // Behind a reverse proxy that rewrites Host (the API server's pod proxy), the console's
  // own writes carry an Origin that is not Host; the browser then still says same-origin,
  // which no page from another origin can make it say (Sec-Fetch-* are browser-set).
  const bool browser_same_origin = config::trim_ows(request.sec_fetch_site) == "same-origin";
  if (!request.origin.empty() && !same_origin(request.origin, request.host) &&
      !browser_same_origin) {
    return error_response(403, "cross-origin request refused (Origin \"" + request.origin +
                                   "\" is not this admin API)");
  }
  if (contains_token(request.sec_fetch_site, "cross-site"))
    return error_response(403, "cross-site request refused (Sec-Fetch-Site: cross-site)");
  return std::nullopt;
}

AdminResponse AdminApi::handle(const AdminRequest& request) {
  const std::string_view path = strip_query(request.target);
  if (std::optional<AdminResponse> refused = refuse_browser_request(request)) {
    if (auto dropped = refused_log_.admit())
      spdlog::warn("admin: refused {} {} from {}: {}{}", request.method, path, request.client,
                   refused->status, suppressed_note(*dropped));
    return *refused;
  }
  // Auth comes before routing under /v1 so that an unauthenticated client learns nothing
  // about which paths or experiments exist.
  if (is_v1(path) && !authorized(request)) {
    if (auto dropped = unauthorized_log_.admit())
      spdlog::warn("admin: unauthorized {} {} from {}{}", request.method, path, request.client,
                   suppressed_note(*dropped));
    AdminResponse r = error_response(
        401, "missing or invalid token (Authorization: Bearer TOKEN or x-faultline-token: TOKEN)");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"faultline\"");
    return r;
  }
  const std::optional<RouteMatch> match = match_route(path);
  if (!match) return error_response(404, "no such endpoint: " + std::string(path));

  const std::string_view allow = allowed_methods(match->route);
  bool method_allowed = false;
  for (size_t start = 0; start < allow.size();) {
    size_t end = allow.find(", ", start);
    if (end == std::string_view::npos) end = allow.size();
    if (allow.substr(start, end - start) == request.method) method_allowed = true;
    start = end + 2;
  }
  if (!method_allowed) {
    AdminResponse r =
        error_response(405, "method " + request.method + " not allowed on " + std::string(path) +
                                "; allowed: " + std::string(allow));
    r.headers.emplace_back("Allow", std::string(allow));
    return r;
  }
  // Every write that carries a body or declares a type must declare JSON: HTML forms and
  // fetch() without a preflight can only send text/plain, form or multipart types. A bodiless
  // write with no Content-Type (`curl -X POST .../v1/halt`) stays valid.
  const bool experiment_body =
      match->route == Route::kExperiments || match->route == Route::kExperiment;
  if (is_write(request.method) && is_v1(path) &&
      (!request.body.empty() || !request.content_type.empty()) &&
      !is_json_content_type(request.content_type) &&
      !(experiment_body && is_toml_content_type(request.content_type))) {
    return error_response(
        415, "request body must be application/json, got \"" + request.content_type + "\"");
  }
  return dispatch(*match, request);
}

AdminResponse AdminApi::dispatch(const RouteMatch& match, const AdminRequest& request) {
  const std::string& m = request.method;
  const std::string& name = match.name;
  switch (match.route) {
    case Route::kHealthz:
      return text_response(200, "ok");
    case Route::kReadyz:
      return backend_.ready() ? text_response(200, "ready") : text_response(503, "not ready");
    case Route::kMetrics: {
      AdminResponse r = text_response(200, render_metrics(backend_.metrics()));
      r.content_type = std::string(kMetricsContentType);
      return r;
    }
    case Route::kStatus:
      return json_response(200, status_view(backend_.status()));
    case Route::kEvents:
      return json_response(200, audit_.to_json());
    case Route::kTimeseries:
      return timeseries(request);
    case Route::kUi: {
      const UiFile file = *find_ui_file(name);
      AdminResponse r;
      r.content_type = std::string(ui_content_type(file.name));
      r.body = std::string(file.body);
      r.headers = ui_headers();
      return r;
    }
    case Route::kUiRedirect: {
      // Relative, so it also works behind a path prefix (the API server's pod proxy).
      AdminResponse r = text_response(308, "the console is at ui/\n");
      r.headers.emplace_back("Location", "ui/");
      return r;
    }
    case Route::kExperiments:
      if (m == "GET") {
        nlohmann::json list = nlohmann::json::array();
        for (const ExperimentView& view : backend_.experiments())
          list.push_back(experiment_view(view));
        return json_response(200, list);
      }
      return put_or_post(request, {}, /*replace_allowed=*/false);
    case Route::kExperiment:
      if (m == "GET") {
        std::optional<ExperimentView> view = backend_.experiment(name);
        if (!view) return error_response(404, "experiment \"" + name + "\" not found");
        return json_response(200, experiment_view(*view));
      }
      if (m == "PUT") return put_or_post(request, name, /*replace_allowed=*/true);
      {
        Outcome outcome = backend_.remove(name);
        audit(request, "delete", name, outcome);
        return answer(outcome);
      }
    case Route::kPause:
    case Route::kResume: {
      const bool pause = match.route == Route::kPause;
      ExperimentOutcome outcome = backend_.pause(name, pause);
      audit(request, pause ? "pause" : "resume", name, outcome);
      return answer(outcome, experiment_body(outcome));
    }
    case Route::kHalt: {
      const bool halt = m == "POST";
      HaltOutcome outcome = backend_.halt(halt);
      audit(request, halt ? "halt" : "unhalt", {}, outcome);
      nlohmann::json body = {{"halted", outcome.halted}};
      if (!outcome.warning.empty()) body["warning"] = outcome.warning;
      return answer(outcome, body);
    }
    case Route::kReload: {
      Outcome outcome = backend_.reload();
      audit(request, "reload", {}, outcome);
      return answer(outcome, {{"result", "ok"}});
    }
  }
  return error_response(500, "unhandled route");
}

// GET /v1/timeseries?listener=NAME&window=10m; without a listener, every listener.
AdminResponse AdminApi::timeseries(const AdminRequest& request) {
  std::chrono::seconds window = kMaxTimeseriesWindow;
  if (std::optional<std::string_view> text = query_param(request.target, "window")) {
    Result<config::Duration> parsed = config::parse_duration(*text);
    if (!parsed) return error_response(400, "window: " + parsed.error(), "window");
    if (*parsed < std::chrono::seconds(1) || *parsed > kMaxTimeseriesWindow)
      return error_response(400, "window must be between 1s and 10m", "window");
    window = std::chrono::duration_cast<std::chrono::seconds>(*parsed);
  }
  std::vector<std::string> names;
  std::optional<std::string_view> listener = query_param(request.target, "listener");
  if (listener)
    names.emplace_back(*listener);
  else
    names = backend_.listener_names();
  nlohmann::json listeners = nlohmann::json::array();
  for (const std::string& name : names) {
    std::optional<std::vector<SecondBucket>> seconds = backend_.timeseries(name, window.count());
    if (!seconds) return error_response(404, "no listener named \"" + name + "\"", "listener");
    listeners.push_back(timeseries_view(name, *seconds));
  }
  nlohmann::json body;
  if (listener)
    body = std::move(listeners[0]);
  else
    body["listeners"] = std::move(listeners);
  body["window_seconds"] = window.count();
  body["interval_seconds"] = 1;
  return json_response(200, body);
}

// POST /v1/experiments (path_name empty) and PUT /v1/experiments/{name}.
AdminResponse AdminApi::put_or_post(const AdminRequest& request, const std::string& path_name,
                                    bool replace_allowed) {
  const char* action = replace_allowed ? "replace" : "create";
  auto reject = [&](int status, const std::string& error, const std::string& field,
                    const std::string& experiment) {
    audit(request, action, experiment, Outcome::failure(Verdict::kInvalid, error));
    return error_response(status, error, field);
  };
  if (request.body.empty())
    return reject(400, "request body must be one experiment as a JSON object", {}, path_name);

  // One strict parse of the untrusted body: nesting, size and duplicate keys are refused
  // while parsing, before anything recursive walks the document (parse_json).
  config::Diagnostics diags;
  const bool toml = is_toml_content_type(request.content_type);
  std::optional<config::Node> doc =
      toml ? config::parse_toml(request.body, "", diags) : config::parse_json(request.body, diags);
  if (!doc) {
    const config::Diagnostic& first = diags.items().front();
    AdminResponse r = reject(400, first.message, first.path, path_name);
    if (first.pos.line > 0) r = with_line(r, first.pos.line);
    return r;
  }
  if (toml && doc->is_table()) {
    // A file with exactly one [[experiments]] table is that experiment, as in `ctl apply`.
    const config::Node* experiments = doc->find("experiments");
    if (experiments != nullptr && doc->fields.size() == 1) {
      if (experiments->kind != config::Node::Kind::kArray || experiments->items.size() != 1)
        return reject(400, "expected exactly one [[experiments]] table", "experiments", path_name);
      config::Node only = experiments->items[0];
      doc = std::move(only);
    }
  }
  if (!doc->is_table())
    return reject(400, "expected one experiment as a JSON object", {}, path_name);

  std::string name = path_name;
  const config::Node* body_name = doc->find("name");
  if (!path_name.empty()) {
    // PUT: the path names the experiment; a body "name" must agree with it.
    if (body_name == nullptr) {
      config::Node named;
      named.kind = config::Node::Kind::kString;
      named.string = path_name;
      doc->fields.emplace_back("name", std::move(named));
    } else if (body_name->kind != config::Node::Kind::kString || body_name->string != path_name) {
      return reject(400, "name in the body does not match the path (\"" + path_name + "\")", "name",
                    path_name);
    }
  } else if (body_name != nullptr && body_name->kind == config::Node::Kind::kString) {
    name = body_name->string;
  }

  // Decode best effort, then the same rules as `faultline check --experiment`, so that an
  // experiment-level error does not hide the faults' errors.
  config::ExperimentConfig experiment = config::decode_experiment(*doc, "", diags);
  backend_.check(experiment, diags);
  if (!diags.ok()) {
    const config::Diagnostic& first = diags.items().front();
    Outcome failed;
    failed.verdict = Verdict::kInvalid;
    failed.error = first.message;
    failed.field = first.path;
    audit(request, action, name, failed);
    AdminResponse r = answer(failed);
    if (diags.items().size() > 1) {
      // Every problem at once, so an operator fixes the body in one round trip.
      nlohmann::json body = nlohmann::json::parse(r.body);
      nlohmann::json all = nlohmann::json::array();
      for (const auto& d : diags.items()) {
        nlohmann::json item = {{"error", d.message}, {"field", d.path}};
        if (d.pos.line > 0) item["line"] = d.pos.line;  // TOML bodies
        all.push_back(std::move(item));
      }
      body["errors"] = std::move(all);
      r.body = dump(body) + "\n";
    }
    if (first.pos.line > 0) r = with_line(r, first.pos.line);
    return r;
  }
  ExperimentOutcome outcome = backend_.create(std::move(experiment), replace_allowed);
  if (replace_allowed && outcome.verdict == Verdict::kCreated) action = "create";
  audit(request, action, name, outcome);
  return answer(outcome, experiment_body(outcome));
}

AdminResponse AdminApi::answer(const Outcome& outcome, const nlohmann::json& body) {
  const int status = http_status(outcome.verdict);
  if (!outcome.ok()) return error_response(status, outcome.error, outcome.field);
  if (status == 204) return json_response(204, nullptr);
  if (body.is_null()) return json_response(status, {{"ok", true}});
  return json_response(status, body);
}

void AdminApi::audit(const AdminRequest& request, std::string action, const std::string& experiment,
                     const Outcome& outcome) {
  audit_.record(request.client, std::move(action), experiment,
                outcome.ok() ? "ok" : "error: " + outcome.error);
}

}  // namespace faultline::proxy::admin
