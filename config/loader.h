#pragma once
// Turns TOML files and JSON bodies into the schema, or a list of diagnostics.
// toml++ and nlohmann/json stay behind this interface.
#include <optional>
#include <string>
#include <string_view>

#include "config/diagnostics.h"
#include "config/schema.h"

namespace faultline::config {

// Parses and validates the config-level rules (types, unknown keys, ranges, unique names,
// listener references). Fault parameters are validated by faults::compile (faults/).
std::optional<Config> load_file(const std::string& path, Diagnostics& diags);
std::optional<Config> load_string(std::string_view toml_text, const std::string& name,
                                  Diagnostics& diags);

// Like load_file/load_string, but the config comes back decoded as far as it could be even
// when errors were found (nullopt only when the file cannot be read or parsed at all), so that
// the fault checks can report their errors in the same pass. Use the result only to validate.
std::optional<Config> decode_file(const std::string& path, Diagnostics& diags);
std::optional<Config> decode_string(std::string_view toml_text, const std::string& name,
                                    Diagnostics& diags);

// One experiment from an admin-API JSON body; error paths are relative ("faults[0].delay").
std::optional<ExperimentConfig> decode_experiment_json(std::string_view json_text,
                                                       Diagnostics& diags);
// One experiment from a TOML document holding either a single top-level experiment table
// or one [[experiments]] entry (used by `faultline ctl apply FILE`).
std::optional<ExperimentConfig> decode_experiment_toml(std::string_view toml_text,
                                                       const std::string& name, Diagnostics& diags);

// An experiment file as `ctl apply` and `check --experiment` read it: JSON when the name ends
// in .json or the text starts with '{', else TOML (a bare table or one [[experiments]]).
// Best effort like decode_file: the experiment comes back even with errors in `diags` (for
// further checks in the same pass); nullopt only when the text cannot be parsed. JSON syntax
// errors carry their line and column.
bool looks_like_json(std::string_view text, const std::string& name);
std::optional<ExperimentConfig> decode_experiment_file(std::string_view text,
                                                       const std::string& name, Diagnostics& diags);

// Converts a document to a Node tree (exposed for the fuzzers and the fault kinds' tests).
std::optional<Node> parse_toml(std::string_view text, const std::string& name, Diagnostics& diags);
std::optional<Node> parse_json(std::string_view text, Diagnostics& diags);

// Renders an experiment back to JSON text with the same keys as the TOML table
// (used by the admin API's experiment view and by `ctl apply` for TOML files).
std::string experiment_to_json(const ExperimentConfig& experiment);

}  // namespace faultline::config
