// Fuzzes the config file path: TOML parsing, decoding of every section and the experiment
// rules. Any input must end in a Config or in diagnostics, never in a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  faultline::config::Diagnostics diags("fuzz.toml");
  auto config = faultline::config::load_string(text, "fuzz.toml", diags);
  // A config is returned exactly when there is no error, and every error formats.
  if (config.has_value() != diags.ok()) __builtin_trap();
  for (const auto& d : diags.items()) (void)d.format();
  if (config) {
    for (const auto& experiment : config->experiments)
      (void)faultline::config::experiment_to_json(experiment);
  }
  faultline::config::Diagnostics experiment_diags("fuzz.toml");
  (void)faultline::config::decode_experiment_toml(text, "fuzz.toml", experiment_diags);
  return 0;
}
