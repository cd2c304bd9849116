// One experiment table -> ExperimentConfig, for config files and admin-API bodies alike.
#include <algorithm>

#include "config/ascii.h"
#include "config/field_reader.h"
#include "config/validate.h"

namespace faultline::config {
namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

// RFC 9110 token characters, used for methods and header names.
bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

std::string lower(std::string text) {
  for (char& c : text) c = ascii_lower(c);
  return text;
}

std::string upper(std::string text) {
  for (char& c : text)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return text;
}

void decode_name(FieldReader& fields, ExperimentConfig& out) {
  if (!fields.require("name") || !fields.read("name", out.name)) return;
  if (out.name.empty() || !std::all_of(out.name.begin(), out.name.end(), is_name_char)) {
    fields.error("name", "must be non-empty and use only a-z, 0-9 and '-'");
  } else if (out.name == "header" || out.name == "envoy-header") {
    // Metrics and x-chaos-injected name the source of header-triggered faults "header", and
    // of Envoy fault headers "envoy-header" (SPEC §10.1).
    fields.error("name", "\"" + out.name + "\" is reserved for per-request header triggers");
  }
}

void decode_paths(FieldReader& match, MatchConfig& out) {
  if (!match.read_strings("paths", out.paths)) return;
  for (size_t i = 0; i < out.paths.size(); ++i) {
    const std::string& glob = out.paths[i];
    if (glob.empty() || (glob.front() != '/' && glob.front() != '*'))
      match.diags().error(match.get("paths")->items[i], index_path(match.path("paths"), i),
                          "must start with \"/\" (a path glob like \"/api/*\")");
  }
}

void decode_methods(FieldReader& match, MatchConfig& out) {
  if (!match.read_strings("methods", out.methods)) return;
  for (size_t i = 0; i < out.methods.size(); ++i) {
    if (!is_token(out.methods[i]))
      match.diags().error(match.get("methods")->items[i], index_path(match.path("methods"), i),
                          "not an HTTP method");
    out.methods[i] = upper(out.methods[i]);
  }
}

void decode_headers(FieldReader& match, MatchConfig& out) {
  const Node* headers = match.get("headers");
  const std::string path = match.path("headers");
  if (headers == nullptr || !expect_table(*headers, path, match.diags())) return;
  for (const auto& [name, value] : headers->fields) {
    const std::string header_path = join_path(path, name);
    if (!is_token(name)) match.diags().error(value, header_path, "not a valid header name");
    std::string text;
    if (!to_string(value, header_path, match.diags(), text)) continue;
    out.headers.emplace_back(lower(name), std::move(text));
  }
}

// match.sni: globs over the server name of a TLS ClientHello ("api.example.com", "*.example.com").
void decode_sni(FieldReader& match, MatchConfig& out) {
  if (!match.read_strings("sni", out.sni)) return;
  for (size_t i = 0; i < out.sni.size(); ++i) {
    const std::string& glob = out.sni[i];
    const bool ok = !glob.empty() && std::all_of(glob.begin(), glob.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '-' || c == '.' || c == '*' || c == '_';
    });
    if (!ok)
      match.diags().error(match.get("sni")->items[i], index_path(match.path("sni"), i),
                          "expected a server name glob like \"*.example.com\"");
    out.sni[i] = lower(glob);
  }
}

void decode_sample_by(FieldReader& match, SampleBy& out) {
  std::string text;
  if (!match.read("sample_by", text)) return;
  constexpr std::string_view kHeaderPrefix = "header:";
  if (text == "random") {
    out.kind = SampleBy::Kind::kRandom;
  } else if (text == "trace") {
    out.kind = SampleBy::Kind::kTrace;
  } else if (text.starts_with(kHeaderPrefix) && is_token(text.substr(kHeaderPrefix.size()))) {
    out.kind = SampleBy::Kind::kHeader;
    out.header = lower(text.substr(kHeaderPrefix.size()));
  } else {
    match.error("sample_by", "expected one of random|trace|header:NAME, got \"" + text + "\"");
  }
}

void decode_match(const FieldReader& experiment, MatchConfig& out) {
  const Node* node = experiment.get("match");
  const std::string path = experiment.path("match");
  if (node == nullptr || !expect_table(*node, path, experiment.diags())) return;
  FieldReader match(*node, path, experiment.diags());
  match.reject_unknown(
      {"paths", "methods", "headers", "sources", "sni", "percentage", "sample_by"});
  decode_paths(match, out);
  decode_methods(match, out);
  decode_headers(match, out);
  match.read_cidrs("sources", out.sources);
  decode_sni(match, out);
  match.read_number("percentage", 0, 100, out.percentage);
  decode_sample_by(match, out.sample_by);
}

// Fault parameters belong to the fault kinds (faults/); here only the table's shape and its
// `type` are checked, and the table is kept whole for faults::compile.
void decode_faults(FieldReader& experiment, std::vector<FaultConfig>& out) {
  if (!experiment.require("faults")) return;
  const Node& faults = *experiment.get("faults");
  const std::string path = experiment.path("faults");
  Diagnostics& diags = experiment.diags();
  if (faults.kind != Node::Kind::kArray) {
    diags.error(
        faults, path,
        "expected an array of fault tables, got " + std::string(Node::kind_name(faults.kind)));
    return;
  }
  if (faults.items.empty()) diags.error(faults, path, "an experiment needs at least one fault");
  for (size_t i = 0; i < faults.items.size(); ++i) {
    const Node& fault = faults.items[i];
    const std::string fault_path = index_path(path, i);
    if (!expect_table(fault, fault_path, diags)) continue;
    FieldReader fields(fault, fault_path, diags);
    std::string type;
    if (!fields.require("type") || !fields.read("type", type)) continue;
    if (type.empty()) {
      fields.error("type", "must not be empty");
      continue;
    }
    out.push_back(FaultConfig{type, fault, fault_path});
  }
}

}  // namespace

ExperimentConfig decode_experiment(const Node& table, const std::string& path, Diagnostics& diags) {
  ExperimentConfig out;
  out.path = path;
  out.pos = table.pos;
  if (!expect_table(table, path, diags)) return out;
  FieldReader fields(table, path, diags);
  fields.reject_unknown({"name", "description", "listeners", "trigger", "duration", "max_active",
                         "dry_run", "start", "match", "faults"});
  decode_name(fields, out);
  fields.read("description", out.description);
  fields.read_strings("listeners", out.listeners);
  fields.read_enum<Trigger>("trigger", {{"always", Trigger::kAlways}, {"header", Trigger::kHeader}},
                            out.trigger);
  Duration duration{};
  if (fields.read("duration", duration)) {
    if (duration.count() <= 0)
      fields.error("duration", "must be greater than 0");
    else
      out.duration = duration;
  }
  int64_t max_active = 0;
  if (fields.read_integer("max_active", 0, UINT32_MAX, max_active))
    out.max_active = static_cast<uint32_t>(max_active);
  fields.read("dry_run", out.dry_run);
  fields.read_enum<bool>("start", {{"active", false}, {"paused", true}}, out.start_paused);
  decode_match(fields, out.match);
  decode_faults(fields, out.faults);
  return out;
}

}  // namespace faultline::config
