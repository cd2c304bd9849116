#include "config/diagnostics.h"

namespace faultline::config {

std::string Diagnostic::format() const {
  std::string out;
  if (!file.empty()) {
    out = file;
    if (pos.line > 0) out += ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column);
    out += ": ";
  }
  if (!path.empty()) out += path + ": ";
  out += message;
  return out;
}

}  // namespace faultline::config
