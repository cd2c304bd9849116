// Single experiments in and out: admin-API JSON bodies, `ctl apply` TOML files, and the JSON
// view of an experiment with the same keys as its TOML table.
#include <nlohmann/json.hpp>

#include "config/field_reader.h"
#include "config/loader.h"
#include "config/validate.h"

namespace faultline::config {
namespace {

using Json = nlohmann::ordered_json;

std::optional<ExperimentConfig> decode_checked(const Node& table, const std::string& path,
                                               Diagnostics& diags) {
  size_t errors_before = diags.items().size();
  ExperimentConfig experiment = decode_experiment(table, path, diags);
  if (diags.items().size() != errors_before) return std::nullopt;
  return experiment;
}

// A document holding either one experiment table or exactly one [[experiments]] entry.
std::optional<ExperimentConfig> decode_experiment_document(const Node& root, Diagnostics& diags) {
  const Node* experiments = root.find("experiments");
  if (experiments == nullptr) return decode_checked(root, "", diags);  // a bare table

  FieldReader fields(root, "", diags);
  fields.reject_unknown({"experiments"});
  if (experiments->kind != Node::Kind::kArray || experiments->items.size() != 1) {
    diags.error(*experiments, "experiments",
                "expected exactly one [[experiments]] table in an experiment file");
    return std::nullopt;
  }
  auto experiment = decode_checked(experiments->items[0], "experiments[0]", diags);
  if (!diags.ok()) return std::nullopt;  // also fails for unknown keys next to [[experiments]]
  return experiment;
}

Json node_to_json(const Node& node) {
  switch (node.kind) {
    case Node::Kind::kNull:
      return nullptr;
    case Node::Kind::kBool:
      return node.boolean;
    case Node::Kind::kInteger:
      return node.integer;
    case Node::Kind::kFloat:
      return node.floating;
    case Node::Kind::kString:
      return node.string;
    case Node::Kind::kArray: {
      Json out = Json::array();
      for (const auto& item : node.items) out.push_back(node_to_json(item));
      return out;
    }
    case Node::Kind::kTable: {
      Json out = Json::object();
      for (const auto& [key, value] : node.fields) out[key] = node_to_json(value);
      return out;
    }
  }
  return nullptr;
}

std::string sample_by_text(const SampleBy& s) {
  switch (s.kind) {
    case SampleBy::Kind::kRandom:
      return "random";
    case SampleBy::Kind::kTrace:
      return "trace";
    case SampleBy::Kind::kHeader:
      return "header:" + s.header;
  }
  return "random";
}

Json match_to_json(const MatchConfig& match) {
  Json out = Json::object();
  out["paths"] = match.paths;
  out["methods"] = match.methods;
  Json headers = Json::object();
  for (const auto& [name, value] : match.headers) headers[name] = value;
  out["headers"] = std::move(headers);
  Json sources = Json::array();
  for (const auto& cidr : match.sources) sources.push_back(format_cidr(cidr));
  out["sources"] = std::move(sources);
  if (!match.sni.empty()) out["sni"] = match.sni;  // TLS faults only: absent otherwise
  out["percentage"] = match.percentage;
  out["sample_by"] = sample_by_text(match.sample_by);
  return out;
}

}  // namespace

std::optional<ExperimentConfig> decode_experiment_json(std::string_view json_text,
                                                       Diagnostics& diags) {
  auto root = parse_json(json_text, diags);
  if (!root) return std::nullopt;
  if (!root->is_table()) {
    diags.error(*root, "", "expected a JSON object with the keys of one [[experiments]] table");
    return std::nullopt;
  }
  return decode_checked(*root, "", diags);
}

std::optional<ExperimentConfig> decode_experiment_toml(std::string_view toml_text,
                                                       const std::string& name,
                                                       Diagnostics& diags) {
  if (diags.file().empty()) diags.set_file(name);
  auto root = parse_toml(toml_text, name, diags);
  if (!root) return std::nullopt;
  Diagnostics found(diags.file());
  auto experiment = decode_experiment_document(*root, found);
  append_by_position(found, diags);
  return experiment;
}

bool looks_like_json(std::string_view text, const std::string& name) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  return name.ends_with(".json") || (first != std::string_view::npos && text[first] == '{');
}

std::optional<ExperimentConfig> decode_experiment_file(std::string_view text,
                                                       const std::string& name,
                                                       Diagnostics& diags) {
  if (diags.file().empty()) diags.set_file(name);
  if (!looks_like_json(text, name)) {
    auto root = parse_toml(text, name, diags);
    if (!root) return std::nullopt;
    Diagnostics found(diags.file());
    std::optional<ExperimentConfig> experiment;
    const Node* experiments = root->find("experiments");
    if (experiments == nullptr) {
      experiment = decode_experiment(*root, "", found);
    } else {
      FieldReader fields(*root, "", found);
      fields.reject_unknown({"experiments"});
      if (experiments->kind != Node::Kind::kArray || experiments->items.size() != 1)
        found.error(*experiments, "experiments",
                    "expected exactly one [[experiments]] table in an experiment file");
      else
        experiment = decode_experiment(experiments->items[0], "experiments[0]", found);
    }
    append_by_position(found, diags);
    return experiment;
  }
  auto root = parse_json(text, diags);
  if (!root) return std::nullopt;
  if (!root->is_table()) {
    diags.error(root->pos, "", "expected a JSON object with the keys of one [[experiments]] table");
    return std::nullopt;
  }
  return decode_experiment(*root, "", diags);
}

std::string experiment_to_json(const ExperimentConfig& experiment) {
  Json out = Json::object();
  out["name"] = experiment.name;
  out["description"] = experiment.description;
  out["listeners"] = experiment.listeners;
  out["trigger"] = experiment.trigger == Trigger::kHeader ? "header" : "always";
  if (experiment.duration) out["duration"] = format_duration(*experiment.duration);
  out["max_active"] = experiment.max_active;
  out["dry_run"] = experiment.dry_run;
  if (experiment.start_paused) out["start"] = "paused";  // "active" is the default
  out["match"] = match_to_json(experiment.match);
  Json faults = Json::array();
  for (const auto& fault : experiment.faults) faults.push_back(node_to_json(fault.params));
  out["faults"] = std::move(faults);
  return out.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace faultline::config
