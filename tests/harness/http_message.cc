#include "tests/harness/http_message.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace faultline::harness {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

static std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

const std::string* HttpHead::find(std::string_view name) const {
  for (const auto& h : headers)
    if (iequals(h.name, name)) return &h.value;
  return nullptr;
}

std::vector<std::string> HttpHead::all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& h : headers)
    if (iequals(h.name, name)) out.push_back(h.value);
  return out;
}

bool HttpHead::has_token(std::string_view name, std::string_view token) const {
  for (const auto& value : all(name)) {
    std::string_view rest = value;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      auto item = trim(rest.substr(0, comma));
      if (iequals(item, token)) return true;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return false;
}

std::optional<HttpHead> parse_head(std::string_view block, bool is_request) {
  HttpHead head;
  auto eol = block.find("\r\n");
  std::string_view start = block.substr(0, eol);
  block = eol == std::string_view::npos ? std::string_view() : block.substr(eol + 2);
  auto sp1 = start.find(' ');
  if (sp1 == std::string_view::npos) return std::nullopt;
  if (is_request) {
    auto sp2 = start.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos) return std::nullopt;
    head.method = std::string(start.substr(0, sp1));
    head.target = std::string(start.substr(sp1 + 1, sp2 - sp1 - 1));
    head.version = std::string(start.substr(sp2 + 1));
  } else {
    head.version = std::string(start.substr(0, sp1));
    auto rest = start.substr(sp1 + 1);
    auto sp2 = rest.find(' ');
    auto code = rest.substr(0, sp2);
    auto [p, ec] = std::from_chars(code.data(), code.data() + code.size(), head.status);
    if (ec != std::errc() || code.size() != 3) return std::nullopt;
    if (sp2 != std::string_view::npos) head.reason = std::string(rest.substr(sp2 + 1));
  }
  if (head.version.rfind("HTTP/", 0) != 0) return std::nullopt;
  while (!block.empty()) {
    eol = block.find("\r\n");
    auto line = block.substr(0, eol);
    block = eol == std::string_view::npos ? std::string_view() : block.substr(eol + 2);
    if (line.empty()) break;
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    head.headers.push_back(
        {std::string(line.substr(0, colon)), std::string(trim(line.substr(colon + 1)))});
  }
  return head;
}

static bool parse_length(const std::string& text, uint64_t* out) {
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && p == text.data() + text.size();
}

Framing request_framing(const HttpHead& head) {
  Framing f;
  if (head.has_token("transfer-encoding", "chunked")) {
    f.kind = Framing::kChunked;
  } else if (auto* cl = head.find("content-length"); cl && parse_length(*cl, &f.length)) {
    f.kind = Framing::kLength;
  }
  return f;
}

Framing response_framing(const HttpHead& head, std::string_view request_method) {
  Framing f;
  if (request_method == "HEAD" || (head.status >= 100 && head.status < 200) || head.status == 204 ||
      head.status == 304)
    return f;
  if (head.has_token("transfer-encoding", "chunked")) {
    f.kind = Framing::kChunked;
  } else if (auto* cl = head.find("content-length"); cl && parse_length(*cl, &f.length)) {
    f.kind = Framing::kLength;
  } else {
    f.kind = Framing::kUntilClose;
  }
  return f;
}

}  // namespace faultline::harness
