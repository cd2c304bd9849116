#pragma once
// The one validation of a config file. `faultline run`, `faultline check` and the demo call
// it, so `check` passes exactly the files `run` accepts, and it reports every error it can
// find in one pass: a bad experiment key does not hide the errors of that experiment's faults.
#include <optional>
#include <string>
#include <string_view>

#include "config/diagnostics.h"
#include "config/schema.h"

namespace faultline::faults {

// Reads, decodes and validates `path` (config rules, fault parameters, and what `run` needs
// to start: at least one listener). Returns the config only when `diags` got no error.
std::optional<config::Config> load_checked_config(const std::string& path,
                                                  config::Diagnostics& diags);
// The same for TOML text (the demo's built-in config, tests); `name` names it in errors.
std::optional<config::Config> load_checked_config_string(std::string_view toml_text,
                                                         const std::string& name,
                                                         config::Diagnostics& diags);

// One line for a refused config: its first error (by position), and how many more there are
// with the command that lists them all. `run` and a failed reload say this.
std::string errors_summary(const config::Diagnostics& diags, const std::string& path);

// The fault-level checks of one experiment that the config decoder cannot make (fault
// parameters and caps, protocol applicability of an experiment that runs on every listener),
// without repeating the errors config::validate_experiment already reports.
void check_experiment_faults(const config::ExperimentConfig& experiment,
                             const config::Config& config, config::Diagnostics& diags);

// Every rule one decoded experiment must pass against `config` beyond decoding: listeners and
// duration (config::validate_experiment), then the faults. `faultline check --experiment`,
// POST /v1/experiments and PUT /v1/experiments/NAME all call this after decoding best effort,
// so a decode error never hides a fault error and the three agree on what is refused.
void check_experiment(const config::ExperimentConfig& experiment, const config::Config& config,
                      config::Diagnostics& diags);

}  // namespace faultline::faults
