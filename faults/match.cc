#include "faults/match.h"

#include "config/ascii.h"

namespace faultline::faults {

using config::ascii_iequals;

bool glob_match(std::string_view pattern, std::string_view text) {
  // Greedy with a single backtrack point: the last '*' seen absorbs one more character each
  // time the rest fails, which is enough because '*' is the only wildcard. O(n*m) worst case.
  size_t p = 0, t = 0;
  size_t star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string_view strip_query(std::string_view target) {
  for (size_t i = 0; i < target.size(); ++i)
    if (target[i] == '?' || target[i] == '#') return target.substr(0, i);
  return target;
}

const HeaderView* find_header(std::span<const HeaderView> headers, std::string_view name) {
  for (const HeaderView& header : headers)
    if (ascii_iequals(header.name, name)) return &header;
  return nullptr;
}

Matcher::Matcher(const config::MatchConfig& match)
    : paths_(match.paths), methods_(match.methods), sources_(match.sources) {
  for (const std::string& glob : match.sni) {
    std::string lowered;
    for (char c : glob) lowered += config::ascii_lower(c);
    sni_.push_back(std::move(lowered));
  }
  for (const auto& [name, value] : match.headers) {
    std::string lowered;
    for (char c : name) lowered += config::ascii_lower(c);
    headers_.emplace_back(std::move(lowered), value);
  }
}

bool Matcher::matches_source(const sockaddr* peer) const {
  if (sources_.empty()) return true;
  if (!peer) return false;
  for (const config::Cidr& cidr : sources_)
    if (cidr.contains(peer)) return true;
  return false;
}

bool Matcher::matches_sni(std::string_view sni) const {
  if (sni_.empty()) return true;
  if (sni.empty()) return false;
  std::string name;
  for (char c : sni) name += config::ascii_lower(c);
  for (const std::string& glob : sni_)
    if (glob_match(glob, name)) return true;
  return false;
}

bool Matcher::matches_handshake(const HandshakeHead& head) const {
  return matches_sni(head.sni) && matches_source(head.peer);
}

bool Matcher::matches(const RequestHead& head, std::string_view path) const {
  if (!methods_.empty()) {
    bool any = false;
    for (const std::string& method : methods_) any = any || ascii_iequals(method, head.method);
    if (!any) return false;
  }
  if (!paths_.empty()) {
    bool any = false;
    for (const std::string& pattern : paths_) {
      if (glob_match(pattern, path)) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  for (const auto& [name, value] : headers_) {
    // A repeated header matches when any of its values does.
    bool found = false;
    for (const HeaderView& header : head.headers) {
      if (ascii_iequals(header.name, name) && (value == "*" || header.value == value)) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return matches_sni(head.sni) && matches_source(head.peer);
}

}  // namespace faultline::faults
