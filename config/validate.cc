// Experiment rules that need the whole config, shared by the file loader and the admin API.
#include <algorithm>

#include "config/field_reader.h"
#include "config/validate.h"

namespace faultline::config {
namespace {

SourcePos pos_of(const ExperimentConfig& experiment, const Node* source, std::string_view key,
                 size_t index = SIZE_MAX) {
  const Node* node = source != nullptr ? source->find(key) : nullptr;
  if (node == nullptr) return experiment.pos;
  if (index != SIZE_MAX && index < node->items.size()) return node->items[index].pos;
  return node->pos;
}

// What a TCP listener cannot see: there is no request line or header on a raw stream.
std::string http_only_features(const ExperimentConfig& experiment) {
  std::vector<std::string_view> used;
  const MatchConfig& match = experiment.match;
  if (!match.paths.empty()) used.push_back("match.paths");
  if (!match.methods.empty()) used.push_back("match.methods");
  if (!match.headers.empty()) used.push_back("match.headers");
  if (match.sample_by.kind != SampleBy::Kind::kRandom) used.push_back("match.sample_by");
  if (experiment.trigger == Trigger::kHeader) used.push_back("trigger = \"header\"");
  std::string out;
  for (auto feature : used) out += (out.empty() ? "" : ", ") + std::string(feature);
  return out;
}

void check_listeners(const ExperimentConfig& experiment, const Config& context, Diagnostics& diags,
                     const Node* source) {
  std::vector<std::string_view> known;
  for (const auto& listener : context.listeners) known.push_back(listener.name);
  const std::string http_only = http_only_features(experiment);
  for (size_t i = 0; i < experiment.listeners.size(); ++i) {
    const std::string& name = experiment.listeners[i];
    const std::string path = index_path(join_path(experiment.path, "listeners"), i);
    const SourcePos pos = pos_of(experiment, source, "listeners", i);
    auto listener = std::find_if(context.listeners.begin(), context.listeners.end(),
                                 [&](const ListenerConfig& l) { return l.name == name; });
    if (listener == context.listeners.end()) {
      std::string message = "no listener named \"" + name + "\"";
      if (auto suggestion = closest_match(name, known); !suggestion.empty())
        message += " (did you mean \"" + std::string(suggestion) + "\"?)";
      diags.error(pos, path, std::move(message));
    } else if (listener->protocol == Protocol::kTcp && !http_only.empty()) {
      diags.error(pos, path,
                  "listener \"" + name + "\" is tcp, but " + http_only + " need http requests");
    }
  }
}

}  // namespace

void validate_experiment(const ExperimentConfig& experiment, const Config& context,
                         Diagnostics& diags, const Node* source) {
  check_listeners(experiment, context, diags, source);
  if (experiment.duration && *experiment.duration > context.safety.max_duration) {
    diags.error(pos_of(experiment, source, "duration"), join_path(experiment.path, "duration"),
                format_duration(*experiment.duration) + " exceeds safety.max_duration (" +
                    format_duration(context.safety.max_duration) + ")");
  }
}

}  // namespace faultline::config
