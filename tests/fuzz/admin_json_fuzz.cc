// Fuzzes the admin API's experiment bodies: JSON parsing, decoding, the context rules
// against a default config, and rendering back to JSON, which must decode to the same view.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/loader.h"
#include "config/validate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace faultline::config;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Diagnostics diags;
  auto experiment = decode_experiment_json(text, diags);
  if (experiment.has_value() != diags.ok()) __builtin_trap();
  for (const auto& d : diags.items()) (void)d.format();
  if (!experiment) return 0;

  Config context;
  context.listeners.push_back(ListenerConfig{.name = "inbound"});
  Diagnostics context_diags;
  validate_experiment(*experiment, context, context_diags);

  // The JSON view is what `ctl get` prints and `ctl apply` may send back: it must decode
  // again, to the same rendering.
  std::string rendered = experiment_to_json(*experiment);
  Diagnostics again;
  auto reparsed = decode_experiment_json(rendered, again);
  if (!reparsed || experiment_to_json(*reparsed) != rendered) __builtin_trap();
  return 0;
}
