#pragma once
// Experiment rules shared by the config file loader and the admin API, so that an
// experiment is accepted or refused the same way whichever door it comes through.
#include <string>

#include "config/diagnostics.h"
#include "config/node.h"
#include "config/schema.h"

namespace faultline::config {

// Decodes one experiment table (TOML or JSON) and checks every rule that needs no context:
// keys, types, name syntax, trigger, duration > 0, match fields, fault tables with a string
// `type`. `path` prefixes every error path: "experiments[0]" in a file, "" for an API body
// (giving "faults[0]", "match.percentage"). The result is best effort: use it only when no
// error was added to `diags`.
ExperimentConfig decode_experiment(const Node& table, const std::string& path, Diagnostics& diags);

// Rules that need the whole config: every listed listener exists (and, when it is a tcp
// listener, the experiment uses no HTTP-only matching or trigger), and the duration does not
// exceed context.safety.max_duration. `source` (the experiment's table, when it came from a
// file) lets errors point at the offending key; without it they point at experiment.pos.
// The caller applies safety.default_duration to API experiments without a duration.
void validate_experiment(const ExperimentConfig& experiment, const Config& context,
                         Diagnostics& diags, const Node* source = nullptr);

}  // namespace faultline::config
