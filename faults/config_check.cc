#include "faults/config_check.h"

#include "config/field_reader.h"
#include "config/loader.h"
#include "config/validate.h"
#include "faults/experiment.h"

namespace faultline::faults {
namespace {

std::optional<config::Config> check_decoded(std::optional<config::Config> decoded,
                                            config::Diagnostics& diags, size_t errors_before) {
  if (!decoded) return std::nullopt;
  // Every error of the file, the decoder's and the fault engine's, top to bottom.
  config::Diagnostics found(diags.file());
  for (size_t i = errors_before; i < diags.items().size(); ++i) {
    const config::Diagnostic& d = diags.items()[i];
    found.error(d.pos, d.path, d.message);
  }
  for (const config::ExperimentConfig& experiment : decoded->experiments)
    check_experiment_faults(experiment, *decoded, found);
  // With the Toxiproxy API on, its clients create the listeners.
  if (decoded->listeners.empty() && !decoded->compat.toxiproxy.enabled)
    found.error(config::SourcePos{}, "listeners",
                "no [[listeners]] configured: faultline has nothing to proxy");
  config::Diagnostics merged(diags.file());
  for (size_t i = 0; i < errors_before; ++i) {
    const config::Diagnostic& d = diags.items()[i];
    merged.error(d.pos, d.path, d.message);
  }
  config::append_by_position(found, merged);
  diags = std::move(merged);
  if (diags.items().size() != errors_before) return std::nullopt;
  return decoded;
}

}  // namespace

void check_experiment_faults(const config::ExperimentConfig& experiment,
                             const config::Config& config, config::Diagnostics& diags) {
  config::Diagnostics scratch(diags.file());
  CompiledExperiment compiled;
  compile_experiment(experiment, config, Source::kConfig, compiled, scratch);
  // With explicit `listeners`, config::validate_experiment has already reported unknown
  // listeners and HTTP-only matching on tcp listeners; only the faults' own errors are new.
  // Without `listeners` the experiment runs on every listener, and only the fault engine
  // knows which protocols that means.
  const std::string faults_path = join_path(experiment.path, "faults");
  for (const config::Diagnostic& d : scratch.items()) {
    const bool about_faults = d.path == faults_path || d.path.starts_with(faults_path + "[") ||
                              d.path.starts_with(faults_path + ".");
    if (about_faults || experiment.listeners.empty()) diags.error(d.pos, d.path, d.message);
  }
}

std::string errors_summary(const config::Diagnostics& diags, const std::string& path) {
  if (diags.items().empty()) return path + ": invalid config";
  std::string summary = diags.items().front().format();
  if (diags.items().size() > 1)
    summary += " (and " + std::to_string(diags.items().size() - 1) + " more; `faultline check " +
               path + "` lists them)";
  return summary;
}

void check_experiment(const config::ExperimentConfig& experiment, const config::Config& config,
                      config::Diagnostics& diags) {
  config::validate_experiment(experiment, config, diags);
  check_experiment_faults(experiment, config, diags);
}

std::optional<config::Config> load_checked_config(const std::string& path,
                                                  config::Diagnostics& diags) {
  const size_t before = diags.items().size();
  return check_decoded(config::decode_file(path, diags), diags, before);
}

std::optional<config::Config> load_checked_config_string(std::string_view toml_text,
                                                         const std::string& name,
                                                         config::Diagnostics& diags) {
  const size_t before = diags.items().size();
  return check_decoded(config::decode_string(toml_text, name, diags), diags, before);
}

}  // namespace faultline::faults
