// ParamReader's header source: a kind's parameters read from x-chaos-* request headers.
// Header syntax is looser than the config's (bare numbers are milliseconds, values are
// trimmed, choices are any case); the values then meet the kind's own checks and caps.
#include <charconv>
#include <cmath>

#include "config/ascii.h"
#include "config/value.h"
#include "faults/match.h"
#include "faults/params.h"
#include "faults/untrusted_text.h"

namespace faultline::faults {

int ParamReader::header_index(std::string_view key) const {
  const auto params = headers_->trigger->params;
  for (size_t i = 0; i < params.size(); ++i)
    if (params[i].key == key) return static_cast<int>(i);
  return -1;
}

std::optional<std::string_view> ParamReader::header_text(int index) const {
  if (index < 0) return std::nullopt;
  if (headers_->present & (1u << index)) return config::trim_ows(headers_->values[index]);
  const std::string_view fallback = headers_->trigger->params[index].fallback;
  if (fallback.empty()) return std::nullopt;
  return fallback;
}

void ParamReader::header_error(std::string_view key, std::string_view message) {
  ++errors_;
  std::string reason = std::move(header_reason_);
  header_reason_.clear();
  if (!header_error_->empty()) return;  // the first error is the 400
  const int index = header_index(key);
  const auto params = headers_->trigger->params;
  if (index >= 0 && !params[index].header.empty() && (headers_->present & (1u << index))) {
    // Syntax or range alike: name the header, the form it takes and what it said.
    const HeaderParam& param = params[index];
    *header_error_ = std::string(param.header) + ": expected " + std::string(param.expected) +
                     ", got " + shown(headers_->values[index]) + reason;
    return;
  }
  // A check on no single header (none today): name the kind's first header.
  std::string_view header = "x-chaos-*";
  for (const HeaderParam& param : params)
    if (!param.header.empty()) {
      header = param.header;
      break;
    }
  *header_error_ = std::string(header) + ": " + std::string(message);
}

std::optional<config::Duration> ParamReader::header_duration(std::string_view key) {
  const int index = header_index(key);
  const auto text = header_text(index);
  if (!text) return std::nullopt;
  const auto parsed = config::parse_duration(*text, /*bare_number_unit_ms=*/true);
  if (parsed && parsed->count() >= 0) return *parsed;
  header_error(key, "invalid duration");
  return std::nullopt;
}

std::optional<config::Rate> ParamReader::header_rate(std::string_view key) {
  const int index = header_index(key);
  const auto text = header_text(index);
  if (!text) return std::nullopt;
  const auto parsed = config::parse_rate(*text);
  if (parsed) return *parsed;
  // The parser's reason says what exactly is wrong (a unit's case, a missing "/s").
  const std::string prefix = "invalid rate \"" + std::string(*text) + "\": ";
  if (parsed.error().starts_with(prefix) &&
      !parsed.error().ends_with("expected bytes per second like \"16KiB/s\""))
    header_reason_ = " (" + printable(std::string_view(parsed.error()).substr(prefix.size())) + ")";
  header_error(key, "invalid rate");
  return std::nullopt;
}

std::optional<int64_t> ParamReader::header_integer(std::string_view key) {
  const auto text = header_text(header_index(key));
  if (!text) return std::nullopt;
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (!text->empty() && ec == std::errc() && end == text->data() + text->size()) return value;
  header_error(key, "invalid integer");
  return std::nullopt;
}

std::optional<double> ParamReader::header_number(std::string_view key) {
  const auto text = header_text(header_index(key));
  if (!text) return std::nullopt;
  double value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (!text->empty() && ec == std::errc() && end == text->data() + text->size() &&
      std::isfinite(value))
    return value;
  header_error(key, "invalid number");
  return std::nullopt;
}

std::optional<std::string> ParamReader::header_choice(std::string_view key) {
  const int index = header_index(key);
  const auto text = header_text(index);
  if (!text) return std::nullopt;
  for (const std::string_view choice : headers_->trigger->params[index].choices)
    if (config::ascii_iequals(*text, choice)) return std::string(choice);
  header_error(key, "invalid choice");
  return std::nullopt;
}

void ParamReader::header_exceeds_max_delay(std::initializer_list<std::string_view> keys,
                                           config::Duration max) {
  ++errors_;
  if (!header_error_->empty()) return;
  // "x-chaos-delay: 25s plus x-chaos-jitter 10s exceeds ...": the first key (sent or its
  // fallback), then each further header that was sent.
  std::string message;
  for (const std::string_view key : keys) {
    const int index = header_index(key);
    if (index < 0 || (!message.empty() && !(headers_->present & (1u << index)))) continue;
    const auto value = header_duration(key);
    if (!value) continue;
    const bool first = message.empty();
    if (!first) message += " plus ";
    message += headers_->trigger->params[index].header;
    message += first ? ": " : " ";
    message += config::format_duration(*value);
  }
  *header_error_ = message + " exceeds safety.max_delay (" + config::format_duration(max) + ")";
}

}  // namespace faultline::faults
