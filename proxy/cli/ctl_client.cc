#include "proxy/cli/ctl_client.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include "config/loader.h"
#include "proxy/cli/ctl.h"

namespace faultline::proxy {
namespace {

using nlohmann::json;

std::string trim_whitespace(const std::string& text) {
  const char* space = " \t\r\n\v\f";
  const size_t begin = text.find_first_not_of(space);
  if (begin == std::string::npos) return {};
  return text.substr(begin, text.find_last_not_of(space) - begin + 1);
}

// The same bound as config::parse_json's: no admin API reply is nested more than a few levels.
constexpr int kMaxReplyDepth = 32;

// A reply parsed into a DOM at most kMaxReplyDepth deep, so that dump() and the other
// recursive walks cannot overflow the stack on what a hostile or broken endpoint sends.
// nlohmann's parser is iterative; the callback drops every container deeper than the bound
// before it is built and `too_deep` reports it. Not JSON: discarded.
json parse_reply(const std::string& text, bool& too_deep) {
  too_deep = false;
  auto bound = [&too_deep](int depth, json::parse_event_t event, json&) {
    const bool opens =
        event == json::parse_event_t::object_start || event == json::parse_event_t::array_start;
    if (opens && depth >= kMaxReplyDepth) too_deep = true;
    return !too_deep;
  };
  return json::parse(text, bound, /*allow_exceptions=*/false);
}

std::string dump(const json& j, int indent = -1) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

std::string scalar_text(const json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_object()) {  // {"a": 1, "b": 2} -> "a=1 b=2"
    std::string s;
    for (const auto& [k, x] : v.items()) {
      if (!s.empty()) s += ' ';
      s += k + "=" + scalar_text(x);
    }
    return s.empty() ? "-" : s;
  }
  if (v.is_array()) {
    std::string s;
    for (const auto& x : v) {
      if (!s.empty()) s += ",";
      s += scalar_text(x);
    }
    return s.empty() ? "-" : s;
  }
  return dump(v);
}

// Left-aligned columns separated by two spaces; the header row is the first row.
void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  if (rows.empty()) return;
  std::vector<size_t> width(rows.front().size(), 0);
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size() && i < width.size(); ++i)
      width[i] = std::max(width[i], row[i].size());
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    out << line << '\n';
  }
}

std::string format_seconds(int64_t s) {
  if (s < 60) return std::to_string(s) + "s";
  std::string out;
  if (s >= 86400) out += std::to_string(s / 86400) + "d";
  if (s >= 3600) out += std::to_string(s / 3600 % 24) + "h";
  out += std::to_string(s / 60 % 60) + "m";
  if (s < 3600) out += std::to_string(s % 60) + "s";
  return out;
}

// "2026-11-21T22:31:05.123Z" -> seconds since the epoch.
std::optional<int64_t> parse_rfc3339_utc(const std::string& text) {
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6)
    return std::nullopt;
  if (text.find('Z', static_cast<size_t>(consumed)) == std::string::npos) return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm));
}

// The EXPIRES column of one experiment view: "in 14m32s", "expired 3m ago", "expired",
// "on resume" (start = "paused", clock not started), "never". The server's state decides
// whether it expired: an expiry a second away must not read "in 0s".
std::string expires_text(const json& view) {
  const json state = view.value("state", json());
  const json expires_at = view.value("expires_at", json());
  const bool expired = state == "expired";
  if (!expires_at.is_string()) {
    if (expired) return "expired";
    return state == "paused" && view.value("started_at", json()).is_null() ? "on resume" : "never";
  }
  const auto at = parse_rfc3339_utc(expires_at.get<std::string>());
  if (!at) return expired ? "expired" : expires_at.get<std::string>();
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  if (expired || *at <= now)
    return *at < now ? "expired " + format_seconds(now - *at) + " ago" : "expired";
  return "in " + format_seconds(*at - now);
}

// The STATE column: a dry run injects nothing and must not look live.
std::string state_text(const json& view) {
  std::string state = scalar_text(view.value("state", json()));
  if (view.value("dry_run", false)) state += " (dry run)";
  return state;
}

uint64_t injected_total(const json& view) {
  uint64_t total = 0;
  const json* counters = view.contains("counters") ? &view["counters"] : nullptr;
  if (counters && counters->contains("injected") && (*counters)["injected"].is_object())
    for (const auto& [k, v] : (*counters)["injected"].items())
      if (v.is_number_unsigned() || v.is_number_integer()) total += v.get<uint64_t>();
  return total;
}

const json& array_of(const json& body, const char* key) {
  if (body.is_object() && body.contains(key) && body[key].is_array()) return body[key];
  return body;
}

}  // namespace

CtlClient::CtlClient(std::ostream& out, std::ostream& err, bool json)
    : out_(out), err_(err), json_(json) {}

int CtlClient::fail(int code, const std::string& message, const json& details) {
  if (json_) {
    json error = {{"error", message}, {"exit_code", code}};
    for (const auto& [key, value] : details.items()) error[key] = value;
    out_ << dump(error, 2) << '\n';
  } else {
    err_ << "faultline ctl: " << message << '\n';
  }
  return code;
}

bool CtlClient::print_json(const Answer& a) {
  if (!json_) return false;
  if (!a.body.is_null()) out_ << dump(a.body, 2) << '\n';
  return true;
}

int CtlClient::connect(const std::string& admin_url, const std::string& token) {
  // No token contains whitespace; one from $(cat token) ends with a newline, which would
  // break the Authorization header.
  token_ = trim_whitespace(token);
  for (char c : token_)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return fail(kCtlUsage,
                  "the token contains a control character (check --token / $FAULTLINE_TOKEN)");
  Result<AdminUrl> parsed = parse_admin_url(admin_url);
  if (!parsed) return fail(kCtlUsage, parsed.error());
  url_ = parsed.value();
  return kCtlOk;
}

CtlClient::Answer CtlClient::call(const std::string& method, const std::string& path,
                                  const std::string& body) {
  Answer a;
  Result<HttpReply> reply = http_request(url_, method, path, token_, body);
  if (!reply) {
    a.code = fail(kCtlUnreachable, "cannot reach the admin API at " + url_.text + ": " +
                                       reply.error() + " (set --admin or $FAULTLINE_ADMIN)");
    return a;
  }
  a.status = reply->status;
  bool too_deep = false;
  a.body = parse_reply(reply->body, too_deep);
  if (too_deep) {
    a.body = json();
    a.code = fail(kCtlApiError, "the admin API at " + url_.text +
                                    " answered with JSON nested deeper than " +
                                    std::to_string(kMaxReplyDepth) + " levels; refusing it");
    return a;
  }
  if (a.body.is_discarded()) a.body = reply->body.empty() ? json(nullptr) : json(reply->body);
  if (a.status < 400) return a;

  json details = {{"status", a.status}};
  std::string message;
  if (a.body.is_object() && a.body.contains("error")) {
    message = scalar_text(a.body["error"]);
    std::string text = "HTTP " + std::to_string(a.status) + ": " + message;
    if (a.body.contains("field") && a.body["field"].is_string()) {
      details["field"] = a.body["field"];
      text += " (field: " + a.body["field"].get<std::string>() + ")";
    }
    if (a.body.contains("errors") && a.body["errors"].is_array()) {
      details["errors"] = a.body["errors"];
      if (a.body["errors"].size() > 1)
        for (const auto& e : a.body["errors"])
          text += "\n  " + scalar_text(e.value("field", json("-"))) + ": " +
                  scalar_text(e.value("error", json("")));
    }
    if (!json_) message = text;
  } else {
    message = "HTTP " + std::to_string(a.status) + ": " + scalar_text(a.body);
  }
  if (a.status == 401) {
    a.code = fail(kCtlUnauthorized,
                  message + " — the admin API needs a valid token (--token or $FAULTLINE_TOKEN)",
                  details);
  } else {
    a.code = fail(kCtlApiError, message, details);
  }
  return a;
}

int CtlClient::pause(const std::string& name) {
  return simple("POST", "/v1/experiments/" + name + "/pause", "experiment " + name + " paused");
}

int CtlClient::resume(const std::string& name) {
  return simple("POST", "/v1/experiments/" + name + "/resume", "experiment " + name + " resumed");
}

int CtlClient::rm(const std::string& name) {
  return simple("DELETE", "/v1/experiments/" + name, "experiment " + name + " removed");
}

int CtlClient::halt() {
  return simple("POST", "/v1/halt",
                "HALTED: every fault is stopped and header triggers are ignored "
                "(`faultline ctl unhalt` to resume)");
}

int CtlClient::unhalt() {
  return simple("DELETE", "/v1/halt", "unhalted: faults apply again");
}

int CtlClient::reload() {
  return simple("POST", "/v1/reload", "config reloaded");
}

int CtlClient::simple(const std::string& method, const std::string& path, const std::string& done) {
  Answer a = call(method, path);
  if (a.code != kCtlOk) return a.code;
  if (print_json(a)) return kCtlOk;
  out_ << done << '\n';
  // A reload can succeed with something to say (e.g. listener changes need a restart).
  if (a.body.is_object())
    for (const char* key : {"message", "warning", "warnings"})
      if (a.body.contains(key)) out_ << "  " << key << ": " << scalar_text(a.body[key]) << '\n';
  return kCtlOk;
}

int CtlClient::status() {
  Answer a = call("GET", "/v1/status");
  if (a.code != kCtlOk) return a.code;
  if (print_json(a)) return kCtlOk;
  const json& s = a.body;
  if (!s.is_object()) {
    out_ << scalar_text(s) << '\n';
    return kCtlOk;
  }
  // The kill switch first: it is the one line nobody may miss during a game day.
  if (s.value("halted", false)) {
    out_ << "HALTED: every fault is stopped (`faultline ctl unhalt` to resume)\n";
    if (s.contains("halt_reason")) out_ << "  why: " << scalar_text(s["halt_reason"]) << '\n';
  }
  // Scalars and small objects as "key: value" lines, the important ones first; arrays of
  // objects (listeners) as tables below.
  std::vector<std::string> keys = {"version",  "uptime_seconds", "halted",
                                   "draining", "experiments",    "last_reload"};
  std::erase_if(keys, [&](const std::string& k) { return !s.contains(k); });
  for (const auto& [key, value] : s.items())
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  for (const std::string& key : keys) {
    const json& value = s[key];
    if (value.is_array() && !value.empty() && value.front().is_object()) continue;
    std::string label = key;
    std::string text = scalar_text(value);
    if (key == "uptime_seconds" && value.is_number()) {
      label = "uptime";
      text = format_seconds(value.get<int64_t>());
    }
    out_ << label << ":" << std::string(14 - std::min<size_t>(13, label.size()), ' ') << text
         << '\n';
  }
  for (const auto& [key, value] : s.items()) {
    if (!(value.is_array() && !value.empty() && value.front().is_object())) continue;
    out_ << '\n' << key << ":\n";
    std::vector<std::string> columns;
    for (const auto& row : value)
      for (const auto& [k, v] : row.items())
        if (std::find(columns.begin(), columns.end(), k) == columns.end()) columns.push_back(k);
    if (auto name = std::find(columns.begin(), columns.end(), "name"); name != columns.end())
      std::rotate(columns.begin(), name, name + 1);
    std::vector<std::vector<std::string>> rows;
    rows.emplace_back();
    for (const auto& c : columns) {
      std::string upper = c;
      for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      rows.back().push_back(upper);
    }
    for (const auto& row : value) {
      rows.emplace_back();
      for (const auto& c : columns)
        rows.back().push_back(row.contains(c) ? scalar_text(row[c]) : "-");
    }
    print_table(out_, rows);
  }
  return kCtlOk;
}

int CtlClient::ls() {
  Answer a = call("GET", "/v1/experiments");
  if (a.code != kCtlOk) return a.code;
  if (print_json(a)) return kCtlOk;
  // The kill switch overrides every state below; nobody may read "active" and miss it.
  Answer status = call("GET", "/v1/status");
  if (status.code != kCtlOk) return status.code;
  if (status.body.is_object() && status.body.value("halted", false))
    out_ << "HALTED: no experiment injects anything (`faultline ctl unhalt` to resume)\n";
  const json& list = array_of(a.body, "experiments");
  if (!list.is_array() || list.empty()) {
    out_ << "no experiments\n";
    return kCtlOk;
  }
  std::vector<std::vector<std::string>> rows{
      {"NAME", "STATE", "SOURCE", "MATCHED", "INJECTED", "EXPIRES"}};
  for (const auto& e : list) {
    const json matched = e.contains("counters") ? e["counters"].value("matched", json(0)) : json(0);
    rows.push_back({scalar_text(e.value("name", json("?"))), state_text(e),
                    scalar_text(e.value("source", json())), scalar_text(matched),
                    std::to_string(injected_total(e)), expires_text(e)});
  }
  print_table(out_, rows);
  return kCtlOk;
}

int CtlClient::get(const std::string& name) {
  Answer a = call("GET", "/v1/experiments/" + name);
  if (a.code != kCtlOk) return a.code;
  if (print_json(a)) return kCtlOk;
  json view = a.body;
  if (!view.is_object()) {
    out_ << scalar_text(view) << '\n';
    return kCtlOk;
  }
  const json counters = view.value("counters", json::object());
  std::vector<std::pair<std::string, std::string>> summary{
      {"name", scalar_text(view.value("name", json(name)))},
      {"state", state_text(view)},
      {"source", scalar_text(view.value("source", json()))},
      {"started", scalar_text(view.value("started_at", json()))},
      {"expires", view.value("expires_at", json()).is_string()
                      ? view["expires_at"].get<std::string>() + " (" + expires_text(view) + ")"
                      : expires_text(view)},
      {"matched", scalar_text(counters.value("matched", json(0)))},
      {"injected", scalar_text(counters.value("injected", json::object()))},
  };
  for (const auto& [k, v] : summary)
    out_ << k << ":" << std::string(10 - k.size(), ' ') << v << '\n';
  for (const char* k : {"name", "state", "source", "started_at", "expires_at", "counters"})
    view.erase(k);
  out_ << "definition:\n" << dump(view, 2) << '\n';
  return kCtlOk;
}

int CtlClient::apply(const std::string& file) {
  // "-" reads the experiment from standard input (for pipes and heredocs).
  std::stringstream buffer;
  if (file == "-") {
    buffer << std::cin.rdbuf();
  } else {
    std::ifstream in(file, std::ios::binary);
    if (!in) return fail(kCtlUsage, "cannot read " + file + ": " + std::strerror(errno));
    buffer << in.rdbuf();
  }
  const std::string text = buffer.str();

  std::string body;
  std::string name;
  if (config::looks_like_json(text, file)) {
    // The server validates the experiment; here only what is needed to send it: a JSON
    // object (syntax errors at FILE:LINE:COL) with a name.
    config::Diagnostics diags(file);
    std::optional<config::Node> root = config::parse_json(text, diags);
    if (!root) return fail(kCtlUsage, diags.items().front().format());
    if (!root->is_table())
      return fail(kCtlUsage, file + ": expected one experiment as a JSON object, got " +
                                 std::string(config::Node::kind_name(root->kind)));
    const config::Node* name_node = root->find("name");
    if (name_node == nullptr || name_node->kind != config::Node::Kind::kString)
      return fail(kCtlUsage, file + ": the experiment has no \"name\"");
    name = name_node->string;
    body = text;
  } else {
    config::Diagnostics diags(file);
    std::optional<config::ExperimentConfig> experiment =
        config::decode_experiment_toml(text, file, diags);
    if (!experiment || !diags.ok()) {
      std::string message = file + ": invalid experiment";
      json errors = json::array();
      for (const auto& d : diags.items()) {
        message += "\n  " + d.format();
        errors.push_back({{"error", d.message}, {"field", d.path}, {"at", d.format()}});
      }
      return fail(kCtlUsage, message, {{"errors", errors}});
    }
    name = experiment->name;
    body = config::experiment_to_json(*experiment);
  }
  Answer a = call("PUT", "/v1/experiments/" + name, body);
  if (a.code != kCtlOk) return a.code;
  if (print_json(a)) return kCtlOk;
  out_ << "experiment " << name << (a.status == 201 ? " created" : " updated") << '\n';
  return kCtlOk;
}

int CtlClient::add(const std::string& name, const json& experiment, bool replace) {
  Answer a = replace ? call("PUT", "/v1/experiments/" + name, dump(experiment))
                     : call("POST", "/v1/experiments", dump(experiment));
  if (a.code != kCtlOk) return a.code;
  if (print_json(a)) return kCtlOk;
  out_ << "experiment " << name << (a.status == 201 ? " created" : " replaced") << '\n';
  return kCtlOk;
}

int CtlClient::events() {
  Answer a = call("GET", "/v1/events");
  if (a.code != kCtlOk) return a.code;
  if (print_json(a)) return kCtlOk;
  const json& list = array_of(a.body, "events");
  if (!list.is_array() || list.empty()) {
    out_ << "no events\n";
    return kCtlOk;
  }
  std::vector<std::vector<std::string>> rows{{"TIME", "CLIENT", "ACTION", "EXPERIMENT", "RESULT"}};
  for (const auto& e : list) {
    std::string experiment = scalar_text(e.value("experiment", json()));
    rows.push_back({scalar_text(e.value("time", json())), scalar_text(e.value("client", json())),
                    scalar_text(e.value("action", json())), experiment.empty() ? "-" : experiment,
                    scalar_text(e.value("result", json()))});
  }
  print_table(out_, rows);
  return kCtlOk;
}

}  // namespace faultline::proxy
