#pragma once
// Error collection for untrusted documents: every error names the key path and, when the
// document came from a file, the position ("faultline.toml:12:9: listeners[0].listen: ...").
#include <string>
#include <vector>

#include "config/node.h"

namespace faultline::config {

struct Diagnostic {
  std::string file;  // empty for JSON bodies
  SourcePos pos;
  std::string path;  // "listeners[0].connect_timeout", "faults[0].delay"
  std::string message;
  // "FILE:LINE:COL: path: message", or "path: message" without a file.
  std::string format() const;
};

class Diagnostics {
 public:
  explicit Diagnostics(std::string file = {}) : file_(std::move(file)) {}
  void error(const SourcePos& pos, std::string path, std::string message) {
    items_.push_back({file_, pos, std::move(path), std::move(message)});
  }
  void error(const Node& at, std::string path, std::string message) {
    error(at.pos, std::move(path), std::move(message));
  }
  bool ok() const { return items_.empty(); }
  const std::vector<Diagnostic>& items() const { return items_; }
  const std::string& file() const { return file_; }
  // Names the file for errors added from now on (the loaders set it when it is empty).
  void set_file(std::string file) { file_ = std::move(file); }

 private:
  std::string file_;
  std::vector<Diagnostic> items_;
};

}  // namespace faultline::config
