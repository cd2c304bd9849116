// Fuzzes the reader `faultline ctl apply FILE` and `faultline check --experiment FILE` use on
// JSON files (config::parse_json, config::decode_experiment_file): any bytes must parse or
// fail with an error naming the file, a syntax error's position must lie inside the text, and
// a failure must never come without a message.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace faultline::config;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string file = "fuzz.json";
  const int lines = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;

  Diagnostics syntax(file);
  const auto root = parse_json(text, syntax);
  if (root.has_value() == !syntax.ok()) __builtin_trap();
  for (const auto& d : syntax.items()) {
    if (d.format().rfind(file + ":", 0) != 0) __builtin_trap();
    if (d.pos.line < 0 || d.pos.line > lines || d.pos.column < 0) __builtin_trap();
  }

  Diagnostics diags(file);
  const auto experiment = decode_experiment_file(text, file, diags);
  if (!experiment && diags.ok()) __builtin_trap();
  for (const auto& d : diags.items())
    if (d.format().rfind(file + ":", 0) != 0) __builtin_trap();
  if (experiment && diags.ok()) (void)experiment_to_json(*experiment);
  return 0;
}
