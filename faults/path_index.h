#pragma once
// Narrows a listener's per-request experiments to those whose path globs can match a request
// path, so that matching cost does not grow with every configured experiment. A glob can only
// match paths that start with its literal prefix (the text before its first '*'); a trie of
// those prefixes, walked once along the request path, yields the candidates. The full Matcher
// still decides for each candidate. Experiments without path globs, or with one that starts
// with '*', are candidates for every path.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::faults {

class PathIndex {
 public:
  // Enough for any realistic listener; above it decide() simply walks every experiment.
  static constexpr size_t kMaxExperiments = 1024;
  static constexpr size_t kWords = kMaxExperiments / 64;

  PathIndex() = default;
  // `globs[i]` are the path globs of the listener's i-th per-request experiment (empty: any
  // path). Requires globs.size() <= kMaxExperiments.
  explicit PathIndex(const std::vector<std::vector<std::string>>& globs);

  bool built() const { return words_ > 0; }
  size_t words() const { return words_; }
  // Sets bit i of out[0..words()) for every candidate i; clears the others.
  void candidates(std::string_view path, uint64_t* out) const;

 private:
  struct Node {
    std::vector<std::pair<char, uint32_t>> children;  // sorted by character
    std::vector<uint32_t> experiments;                // whose prefix ends here
  };
  uint32_t child(uint32_t node, char c) const;  // 0 when absent (the root is never a child)
  uint32_t add_child(uint32_t node, char c);

  std::vector<Node> nodes_;
  std::vector<uint64_t> always_;  // bitmap of experiments that match any path
  size_t words_ = 0;
};

}  // namespace faultline::faults
