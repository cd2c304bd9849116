#include "faults/snapshot.h"

#include <algorithm>
#include <unordered_set>

#include "config/value.h"
#include "faults/match.h"

namespace faultline::faults {

const CompiledExperiment* Snapshot::find(std::string_view name) const {
  for (const CompiledExperiment& experiment : experiments)
    if (experiment.name == name) return &experiment;
  return nullptr;
}

bool Snapshot::excluded(std::string_view path) const {
  for (const std::string& pattern : exclude_paths) {
    const bool exact = pattern.find('*') == std::string::npos;
    if (exact ? pattern == path : glob_match(pattern, path)) return true;
  }
  return false;
}

namespace {

// Validates the duration and returns how long the experiment may run.
config::Duration run_length(const config::ExperimentConfig& experiment, Source source,
                            const config::SafetyConfig& safety, config::Diagnostics& diags) {
  const config::Duration fallback =
      source == Source::kApi ? safety.default_duration : safety.max_duration;
  if (!experiment.duration) return std::min(fallback, safety.max_duration);
  if (*experiment.duration > safety.max_duration) {
    diags.error(experiment.pos, join_path(experiment.path, "duration"),
                "duration " + config::format_duration(*experiment.duration) +
                    " exceeds safety.max_duration (" +
                    config::format_duration(safety.max_duration) + ")");
  }
  if (experiment.duration->count() <= 0)
    diags.error(experiment.pos, join_path(experiment.path, "duration"), "duration must be above 0");
  return *experiment.duration;
}

bool compile_one(const config::ExperimentConfig& definition, const config::Config& config,
                 Source source, CompiledExperiment& out, config::Diagnostics& diags) {
  const size_t before = diags.items().size();
  compile_experiment(definition, config, source, out, diags);
  run_length(definition, source, config.safety, diags);
  return diags.items().size() == before;
}

void index_listeners(Snapshot& snapshot) {
  const config::Config& config = *snapshot.config;
  snapshot.listeners.resize(config.listeners.size());
  for (size_t l = 0; l < config.listeners.size(); ++l) {
    ListenerExperiments& slot = snapshot.listeners[l];
    slot.protocol = config.listeners[l].protocol;
    if (config.listeners[l].retired) continue;  // a removed listener's slot: nothing runs there
    for (uint32_t e = 0; e < snapshot.experiments.size(); ++e) {
      const CompiledExperiment& experiment = snapshot.experiments[e];
      const auto& names = experiment.definition.listeners;
      if (names.empty()
              ? !config.listeners[l].in_default_scope()
              : std::find(names.begin(), names.end(), config.listeners[l].name) == names.end())
        continue;
      bool request = false, connection = false, handshake = false;
      for (const CompiledFault& fault : experiment.faults) {
        if (!fault.per_request) continue;
        if (fault.at_handshake)
          handshake = true;
        else if (slot.protocol == config::Protocol::kTcp || fault.at_connect)
          connection = true;
        else
          request = true;
      }
      if (request) slot.per_request.push_back(e);
      if (connection) slot.per_connection.push_back(e);
      if (handshake) slot.per_handshake.push_back(e);
    }
    // Below a handful of experiments a straight walk is cheaper than the trie.
    constexpr size_t kPathIndexFrom = 8;
    if (slot.per_request.size() >= kPathIndexFrom &&
        slot.per_request.size() <= PathIndex::kMaxExperiments) {
      std::vector<std::vector<std::string>> globs;
      for (uint32_t e : slot.per_request) globs.push_back(snapshot.experiments[e].matcher.paths());
      slot.path_index = PathIndex(globs);
    }
  }
}

}  // namespace

std::shared_ptr<const Snapshot> build_snapshot(std::shared_ptr<const config::Config> config,
                                               std::vector<ApiExperiment> api,
                                               const Snapshot* previous,
                                               std::shared_ptr<RunState> run, TimePoint now,
                                               config::Diagnostics& diags) {
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->config = config;
  snapshot->run = run;
  const size_t before = diags.items().size();
  const bool reloaded = !previous || previous->config != config;

  std::unordered_set<std::string> names;
  auto add = [&](const config::ExperimentConfig& definition, Source source, uint64_t revision) {
    if (!names.insert(definition.name).second) {
      diags.error(definition.pos, join_path(definition.path, "name"),
                  "experiment \"" + definition.name + "\" already exists");
      return;
    }
    CompiledExperiment compiled;
    if (!compile_one(definition, *config, source, compiled, diags)) return;
    compiled.revision = revision;
    const CompiledExperiment* before_this = previous ? previous->find(definition.name) : nullptr;
    compiled.run = before_this ? before_this->run : std::make_shared<ExperimentRun>(run->workers());
    if (!before_this && definition.start_paused) {
      compiled.run->set_paused(true);
      compiled.run->set_held(true);
    }
    const bool keep_clock =
        before_this && before_this->source == source && !before_this->run->held() &&
        (source == Source::kConfig ? !reloaded : before_this->revision == revision);
    if (compiled.run->held() && compiled.run->paused()) {
      // Deployed paused: the clock has not started, so it cannot run out.
      compiled.started_at = now;
      compiled.expires_at = TimePoint::max();
    } else if (keep_clock) {
      compiled.started_at = before_this->started_at;
      compiled.expires_at = before_this->expires_at;
    } else {
      // New, reloaded, replaced, or resumed for the first time after start = "paused" (the
      // caller clears held() once this snapshot is published).
      config::Diagnostics ignored;
      compiled.started_at = now;
      compiled.expires_at = now + run_length(definition, source, config->safety, ignored);
    }
    snapshot->any_background = snapshot->any_background || compiled.has_background;
    snapshot->experiments.push_back(std::move(compiled));
  };
  for (const auto& definition : config->experiments) add(definition, Source::kConfig, 0);
  for (const auto& entry : api) add(entry.experiment, Source::kApi, entry.revision);
  if (diags.items().size() != before) return nullptr;

  index_listeners(*snapshot);
  snapshot->exclude_paths = config->safety.exclude_paths;
  snapshot->max_delay = config->safety.max_delay;
  const auto& triggers = config->header_triggers;
  snapshot->triggers = {triggers.enabled, triggers.annotate, triggers.token, triggers.allow_from};
  snapshot->envoy = envoy_header_settings(config->envoy_headers);
  return snapshot;
}

bool validate_config(const config::Config& config, config::Diagnostics& diags) {
  const size_t before = diags.items().size();
  for (const auto& definition : config.experiments) {
    CompiledExperiment compiled;
    compile_one(definition, config, Source::kConfig, compiled, diags);
  }
  return diags.items().size() == before;
}

bool validate_api_experiment(const config::Config& config,
                             const config::ExperimentConfig& experiment,
                             config::Diagnostics& diags) {
  CompiledExperiment compiled;
  return compile_one(experiment, config, Source::kApi, compiled, diags);
}

bool set_paused(const Snapshot& snapshot, std::string_view name, bool paused) {
  const CompiledExperiment* experiment = snapshot.find(name);
  if (!experiment) return false;
  experiment->run->set_paused(paused);
  return true;
}

}  // namespace faultline::faults
