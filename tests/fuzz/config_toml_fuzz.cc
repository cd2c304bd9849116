// Fuzzes the config file path: TOML parsing, decoding of every section and the experiment
// rules, and the one-pass validation `run` and `check` share, which compiles the faults of
// partly decoded experiments too. Any input must end in a Config or in diagnostics, never in
// a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/loader.h"
#include "faults/config_check.h"

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

  // check == run: a config comes back exactly when no error was found, and a config the
  // plain loader refused is refused here too.
  faultline::config::Diagnostics checked_diags("fuzz.toml");
  auto checked = faultline::faults::load_checked_config_string(text, "fuzz.toml", checked_diags);
  if (checked.has_value() != checked_diags.ok()) __builtin_trap();
  if (checked && !config) __builtin_trap();
  for (const auto& d : checked_diags.items()) (void)d.format();
  faultline::config::Diagnostics file_diags("fuzz.toml");
  (void)faultline::config::decode_experiment_file(text, "fuzz.toml", file_diags);
  return 0;
}
