#include "proxy/cli/ctl_add.h"

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "faults/catalog.h"

namespace faultline::proxy {
namespace {

using nlohmann::json;

// How a flag's text goes into the experiment's JSON.
enum class Value : uint8_t { kText, kNumber, kBool };

// One fault key with its own flag.
struct KeyFlag {
  const char* key;
  const char* flag;  // nullptr: "--" + key with '-' for '_'
  Value value;
  const char* help;
};

constexpr KeyFlag kKeyFlags[] = {
    {"delay", nullptr, Value::kText,
     "latency, slow_close, slice, reset phase data: the delay (\"500ms\")"},
    {"jitter", nullptr, Value::kText, "latency: the spread around --delay (\"100ms\")"},
    {"distribution", nullptr, Value::kText, "latency: uniform | normal | lognormal"},
    {"phase", nullptr, Value::kText,
     "latency: request | response; reset: connect | request | response | data (tcp)"},
    {"direction", nullptr, Value::kText, "tcp faults, bandwidth: upstream | downstream | both"},
    {"status", nullptr, Value::kNumber, "abort: the HTTP status (200..599)"},
    {"body", nullptr, Value::kText, "abort: the response body"},
    {"after_bytes", nullptr, Value::kNumber, "reset: after this many bytes of the response"},
    {"duration", "--stall-for", Value::kText,
     "stall: how long to hold (\"5s\"; 0 = until the client leaves)"},
    {"rate", nullptr, Value::kText, "bandwidth: the rate (\"16KiB/s\")"},
    {"cores", nullptr, Value::kNumber, "cpu: cores to burn"},
    {"load", nullptr, Value::kNumber, "cpu: load per core, 1..100"},
    {"size", nullptr, Value::kText, "memory: how much (\"256MiB\")"},
    {"ramp", nullptr, Value::kText, "memory: time to reach --size (\"30s\")"},
    {"close_after", nullptr, Value::kText, "blackhole: close after this long (\"10s\"; 0 = never)"},
    {"bytes", nullptr, Value::kNumber, "limit_data: close after this many bytes"},
    {"average_size", nullptr, Value::kNumber, "slice: the average piece in bytes"},
    {"size_variation", nullptr, Value::kNumber, "slice: the piece size's variation in bytes"},
    {"grpc_status", nullptr, Value::kNumber, "abort: a gRPC status 0..16 for gRPC requests"},
    {"grpc_message", nullptr, Value::kText, "abort: the grpc-message with --grpc-status"},
    {"after_messages", nullptr, Value::kNumber,
     "abort: response messages of a gRPC stream let through first"},
    {"code", nullptr, Value::kText, "reset (HTTP/2 streams), goaway: the HTTP/2 error code"},
    {"graceful", nullptr, Value::kBool, "goaway: true (open streams finish) or false"},
};

std::string flag_of(const KeyFlag& k) {
  if (k.flag != nullptr) return k.flag;
  std::string flag = std::string("--") + k.key;
  for (char& c : flag)
    if (c == '_') c = '-';
  return flag;
}

// A whole-string finite number, as JSON (an integer when it is one).
bool parse_number(const std::string& text, json& out) {
  if (text.empty() || text.find_first_of(" \t\n") != std::string::npos) return false;
  errno = 0;
  char* end = nullptr;
  const long long integer = std::strtoll(text.c_str(), &end, 10);
  if (errno == 0 && end == text.c_str() + text.size()) {
    out = static_cast<int64_t>(integer);
    return true;
  }
  errno = 0;
  const double number = std::strtod(text.c_str(), &end);
  if (errno != 0 || end != text.c_str() + text.size() || !std::isfinite(number)) return false;
  out = number;
  return true;
}

// --set's value: true/false, a number, else a string.
json guess_value(const std::string& text) {
  if (text == "true") return true;
  if (text == "false") return false;
  json number;
  if (parse_number(text, number)) return number;
  return text;
}

// "NAME=VALUE" split at the first '='; false when there is none or NAME is empty.
bool split_pair(const std::string& text, std::string& name, std::string& value) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) return false;
  name = text.substr(0, eq);
  value = text.substr(eq + 1);
  return true;
}

// Declares a repeatable option taking one value per occurrence (--listener a --listener b), so
// that it never swallows NAME.
CLI::Option* repeatable(CLI::App& app, const std::string& flag, std::vector<std::string>& into,
                        const std::string& help, const std::string& type) {
  return app.add_option(flag, into, help)->allow_extra_args(false)->type_name(type);
}

}  // namespace

void AddFlags::declare(CLI::App& add) {
  add.add_option("--type", type_, "the fault type: " + faults::known_kinds())
      ->type_name("KIND")
      ->group("Fault");
  for (const KeyFlag& k : kKeyFlags) {
    const std::string flag = flag_of(k);
    const char* type = k.value == Value::kNumber ? "N" : k.value == Value::kBool ? "BOOL" : "VALUE";
    CLI::Option* option = add.add_option(flag, text_[flag], k.help)->type_name(type);
    option->group("Fault");
    keys_.push_back({k.key, flag, static_cast<uint8_t>(k.value), option});
  }
  repeatable(add, "--header", abort_headers_, "abort: a response header NAME=VALUE (repeatable)",
             "NAME=VALUE")
      ->group("Fault");
  repeatable(add, "--set", set_,
             "any fault key as KEY=VALUE (true/false and numbers as such, else text); "
             "repeatable",
             "KEY=VALUE")
      ->group("Fault");
  percentage_option_ =
      add.add_option("--percentage", percentage_, "the fault's share of matching requests, 0..100")
          ->type_name("P")
          ->group("Fault");

  repeatable(add, "--listener", listeners_, "a listener it applies to (repeatable; default all)",
             "L")
      ->group("Experiment");
  add.add_option("--duration,--ttl", duration_,
                 "how long it runs (\"10m\"; default: the server's safety.default_duration)")
      ->type_name("D")
      ->group("Experiment");
  add.add_option("--description", description_, "what it is for")->group("Experiment");
  add.add_option("--trigger", trigger_,
                 "always | header (only requests with x-chaos-experiment: NAME)")
      ->type_name("T")
      ->group("Experiment");
  max_active_option_ =
      add.add_option("--max-active", max_active_, "at most this many requests faulted at once")
          ->type_name("N")
          ->group("Experiment");
  add.add_flag("--dry-run", dry_run_, "match and count, inject nothing")->group("Experiment");
  add.add_flag("--paused", paused_, "create it paused (start = \"paused\")")->group("Experiment");
  add.add_flag("--replace", replace_, "replace an experiment of that name instead of failing")
      ->group("Experiment");

  repeatable(add, "--path", paths_, "match: a path glob (repeatable)", "GLOB")->group("Match");
  repeatable(add, "--method", methods_, "match: a method (repeatable)", "M")->group("Match");
  repeatable(add, "--match-header", match_headers_,
             "match: a request header NAME=VALUE, VALUE * for present (repeatable)", "NAME=VALUE")
      ->group("Match");
  repeatable(add, "--source", sources_, "match: a client CIDR (repeatable)", "CIDR")
      ->group("Match");
  match_percentage_option_ =
      add.add_option("--match-percentage", match_percentage_,
                     "match: the experiment's share of matching requests, 0..100")
          ->type_name("P")
          ->group("Match");
  add.add_option("--sample-by", sample_by_, "match: random | trace | header:NAME")
      ->type_name("S")
      ->group("Match");
}

bool AddFlags::build(const std::string& name, json& experiment, std::string& error) const {
  if (type_.empty()) {
    error = "add needs --type KIND (" + faults::known_kinds() + ")";
    return false;
  }
  if (faults::find_kind(type_) == nullptr) {
    error = "unknown fault type \"" + type_ + "\" for --type (" + faults::known_kinds() + ")";
    return false;
  }
  json fault = {{"type", type_}};
  for (const KeyOption& k : keys_) {
    if (k.option->count() == 0) continue;
    const std::string& text = text_.at(k.flag);
    if (k.value == static_cast<uint8_t>(Value::kText)) {
      fault[k.key] = text;
      continue;
    }
    if (k.value == static_cast<uint8_t>(Value::kBool)) {
      if (text != "true" && text != "false") {
        error = k.flag + " expects true or false, got \"" + text + "\"";
        return false;
      }
      fault[k.key] = text == "true";
      continue;
    }
    json number;
    if (!parse_number(text, number)) {
      error = k.flag + " expects a number, got \"" + text + "\"";
      return false;
    }
    fault[k.key] = number;
  }
  if (!abort_headers_.empty()) {
    json headers = json::object();
    for (const std::string& pair : abort_headers_) {
      std::string header, value;
      if (!split_pair(pair, header, value)) {
        error = "--header expects NAME=VALUE, got \"" + pair + "\"";
        return false;
      }
      headers[header] = value;
    }
    fault["headers"] = headers;
  }
  for (const std::string& pair : set_) {
    std::string key, value;
    if (!split_pair(pair, key, value)) {
      error = "--set expects KEY=VALUE, got \"" + pair + "\"";
      return false;
    }
    if (key == "type" || fault.contains(key)) {
      error = "--set " + key + " repeats a key given already";
      return false;
    }
    fault[key] = guess_value(value);
  }
  if (percentage_option_->count() > 0) {
    json number;
    if (!parse_number(percentage_, number)) {
      error = "--percentage expects a number 0..100, got \"" + percentage_ + "\"";
      return false;
    }
    fault["percentage"] = number;
  }

  experiment = {{"name", name}, {"faults", json::array({fault})}};
  if (!description_.empty()) experiment["description"] = description_;
  if (!listeners_.empty()) experiment["listeners"] = listeners_;
  if (!trigger_.empty()) experiment["trigger"] = trigger_;
  if (!duration_.empty()) experiment["duration"] = duration_;
  if (max_active_option_->count() > 0) {
    json number;
    if (!parse_number(max_active_, number)) {
      error = "--max-active expects a number, got \"" + max_active_ + "\"";
      return false;
    }
    experiment["max_active"] = number;
  }
  if (dry_run_) experiment["dry_run"] = true;
  if (paused_) experiment["start"] = "paused";

  json match = json::object();
  if (!paths_.empty()) match["paths"] = paths_;
  if (!methods_.empty()) match["methods"] = methods_;
  if (!match_headers_.empty()) {
    json headers = json::object();
    for (const std::string& pair : match_headers_) {
      std::string header, value;
      if (!split_pair(pair, header, value)) {
        error = "--match-header expects NAME=VALUE, got \"" + pair + "\"";
        return false;
      }
      headers[header] = value;
    }
    match["headers"] = headers;
  }
  if (!sources_.empty()) match["sources"] = sources_;
  if (match_percentage_option_->count() > 0) {
    json number;
    if (!parse_number(match_percentage_, number)) {
      error = "--match-percentage expects a number 0..100, got \"" + match_percentage_ + "\"";
      return false;
    }
    match["percentage"] = number;
  }
  if (!sample_by_.empty()) match["sample_by"] = sample_by_;
  if (!match.empty()) experiment["match"] = match;
  return true;
}

}  // namespace faultline::proxy
