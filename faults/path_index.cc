#include "faults/path_index.h"

#include <algorithm>
#include <cstring>

namespace faultline::faults {

PathIndex::PathIndex(const std::vector<std::vector<std::string>>& globs) {
  if (globs.empty() || globs.size() > kMaxExperiments) return;
  words_ = (globs.size() + 63) / 64;
  always_.assign(words_, 0);
  nodes_.emplace_back();  // root
  for (uint32_t i = 0; i < globs.size(); ++i) {
    bool anywhere = globs[i].empty();
    for (const std::string& glob : globs[i]) {
      const std::string_view prefix = std::string_view(glob).substr(0, glob.find('*'));
      if (prefix.empty()) {
        anywhere = true;
        break;
      }
      uint32_t node = 0;
      for (char c : prefix) node = add_child(node, c);
      nodes_[node].experiments.push_back(i);
    }
    if (anywhere) always_[i / 64] |= uint64_t{1} << (i % 64);
  }
}

uint32_t PathIndex::child(uint32_t node, char c) const {
  for (const auto& [ch, next] : nodes_[node].children) {
    if (ch == c) return next;
    if (ch > c) break;
  }
  return 0;
}

uint32_t PathIndex::add_child(uint32_t node, char c) {
  if (uint32_t existing = child(node, c)) return existing;
  const auto next = static_cast<uint32_t>(nodes_.size());
  nodes_.emplace_back();
  auto& children = nodes_[node].children;
  auto at = std::find_if(children.begin(), children.end(),
                         [c](const auto& entry) { return entry.first > c; });
  children.insert(at, {c, next});
  return next;
}

void PathIndex::candidates(std::string_view path, uint64_t* out) const {
  std::memcpy(out, always_.data(), words_ * sizeof(uint64_t));
  uint32_t node = 0;
  for (char c : path) {
    node = child(node, c);
    if (node == 0) return;
    for (uint32_t i : nodes_[node].experiments) out[i / 64] |= uint64_t{1} << (i % 64);
  }
}

}  // namespace faultline::faults
