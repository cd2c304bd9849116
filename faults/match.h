#pragma once
// Request matchers: path globs, methods, headers, client CIDRs.
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/schema.h"
#include "faults/request.h"

namespace faultline::faults {

// `*` matches any run of characters (including '/'); everything else matches itself.
bool glob_match(std::string_view pattern, std::string_view text);
// The request target without "?query" (and "#fragment").
std::string_view strip_query(std::string_view target);
// First header named `name` (case-insensitive), or nullptr.
const HeaderView* find_header(std::span<const HeaderView> headers, std::string_view name);

// A compiled [experiments.match] table. Empty lists match everything.
class Matcher {
 public:
  Matcher() = default;
  explicit Matcher(const config::MatchConfig& match);

  // Everything but sampling (match.sni included); `path` is already stripped of its query.
  bool matches(const RequestHead& head, std::string_view path) const;
  bool matches_source(const sockaddr* peer) const;
  // A TLS handshake: match.sources and match.sni (globs, case-insensitive; a client without
  // SNI matches no glob).
  bool matches_handshake(const HandshakeHead& head) const;
  bool matches_sni(std::string_view sni) const;
  // True when the matcher looks at the request (paths, methods, headers), which does not
  // exist on TCP listeners or at accept time.
  bool needs_request() const { return !paths_.empty() || !methods_.empty() || !headers_.empty(); }
  const std::vector<std::string>& paths() const { return paths_; }

 private:
  std::vector<std::string> paths_;
  std::vector<std::string> methods_;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::vector<config::Cidr> sources_;
  std::vector<std::string> sni_;  // lower-cased
};

}  // namespace faultline::faults
