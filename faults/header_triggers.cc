#include "faults/header_triggers.h"

#include <charconv>
#include <cmath>

#include "config/ascii.h"
#include "faults/catalog.h"
#include "faults/match.h"
#include "faults/snapshot.h"

namespace faultline::faults {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Echoes an untrusted value in an error message, bounded and printable.
std::string shown(std::string_view value) {
  std::string out = "\"";
  for (size_t i = 0; i < value.size() && i < 64; ++i) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    out += (c < 0x20 || c == 0x7f || c == '"') ? '?' : static_cast<char>(c);
  }
  if (value.size() > 64) out += "...";
  return out + "\"";
}

// A parser's message, which may quote the untrusted value: printable and bounded.
std::string printable(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size() && i < 160; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  }
  return out;
}

bool parse_duration_header(std::string_view header, std::string_view value, const char* example,
                           std::optional<config::Duration>& out, std::string& error) {
  auto parsed = config::parse_duration(trim(value), /*bare_number_unit_ms=*/true);
  if (!parsed || parsed->count() < 0) {
    error = std::string(header) + ": expected a duration like \"" + example +
            "\" or milliseconds, got " + shown(value);
    return false;
  }
  out = *parsed;
  return true;
}

std::string exceeds(std::string_view header, config::Duration value, config::Duration max) {
  return std::string(header) + ": " + config::format_duration(value) +
         " exceeds safety.max_delay (" + config::format_duration(max) + ")";
}

size_t kind(std::string_view name) {
  return kind_index(name);
}

void append_annotation(std::string& out, std::string_view kind_text, std::string_view value) {
  if (!out.empty()) out += ", ";
  out += kind_text;
  out += '=';
  out += value;
  out += "@header";
}

}  // namespace

ChaosHeaders scan_chaos_headers(std::span<const HeaderView> headers) {
  ChaosHeaders raw;
  for (const HeaderView& header : headers) {
    if (!is_chaos_header(header.name)) continue;
    const std::string_view suffix = header.name.substr(8);
    struct Entry {
      std::string_view name;
      ChaosHeaders::Bit bit;
      std::string_view ChaosHeaders::*field;
    };
    static constexpr Entry kEntries[] = {
        {"delay", ChaosHeaders::kDelay, &ChaosHeaders::delay},
        {"jitter", ChaosHeaders::kJitter, &ChaosHeaders::jitter},
        {"abort", ChaosHeaders::kAbort, &ChaosHeaders::abort},
        {"reset", ChaosHeaders::kReset, &ChaosHeaders::reset},
        {"stall", ChaosHeaders::kStall, &ChaosHeaders::stall},
        {"bandwidth", ChaosHeaders::kBandwidth, &ChaosHeaders::bandwidth},
        {"percentage", ChaosHeaders::kPercentage, &ChaosHeaders::percentage},
        {"experiment", ChaosHeaders::kExperiment, &ChaosHeaders::experiment},
        {"token", ChaosHeaders::kToken, &ChaosHeaders::token},
    };
    for (const Entry& entry : kEntries) {
      if (!config::ascii_iequals(suffix, entry.name)) continue;
      if (!raw.has(entry.bit)) {
        raw.present |= entry.bit;
        raw.*entry.field = header.value;
      }
      break;
    }
  }
  return raw;
}

bool parse_header_faults(const ChaosHeaders& raw, config::Duration max_delay, HeaderFaults& out,
                         std::string& error) {
  using H = ChaosHeaders;
  if (raw.has(H::kDelay) &&
      !parse_duration_header("x-chaos-delay", raw.delay, "250ms", out.delay, error))
    return false;
  if (raw.has(H::kJitter) &&
      !parse_duration_header("x-chaos-jitter", raw.jitter, "100ms", out.jitter, error))
    return false;
  if (raw.has(H::kStall) &&
      !parse_duration_header("x-chaos-stall", raw.stall, "5s", out.stall, error))
    return false;
  if (raw.has(H::kAbort)) {
    const std::string_view text = trim(raw.abort);
    int status = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), status);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || status < 200 ||
        status > 599) {
      error = "x-chaos-abort: expected an HTTP status 200..599, got " + shown(raw.abort);
      return false;
    }
    out.abort = status;
  }
  if (raw.has(H::kReset)) {
    const std::string_view text = trim(raw.reset);
    if (config::ascii_iequals(text, "request")) {
      out.reset = ResetPoint::kRequest;
    } else if (config::ascii_iequals(text, "response")) {
      out.reset = ResetPoint::kResponse;
    } else {
      error = "x-chaos-reset: expected \"request\" or \"response\", got " + shown(raw.reset);
      return false;
    }
  }
  if (raw.has(H::kBandwidth)) {
    const std::string_view text = trim(raw.bandwidth);
    auto rate = config::parse_rate(text);
    if (!rate || rate->bytes_per_second == 0) {
      error = "x-chaos-bandwidth: expected a rate above 0 like \"16KiB/s\", got " +
              shown(raw.bandwidth);
      // The parser's reason says what exactly is wrong (a unit's case, a missing "/s").
      const std::string prefix = "invalid rate \"" + std::string(text) + "\": ";
      if (!rate && rate.error().starts_with(prefix) &&
          !rate.error().ends_with("expected bytes per second like \"16KiB/s\""))
        error += " (" + printable(std::string_view(rate.error()).substr(prefix.size())) + ")";
      return false;
    }
    out.bandwidth = rate->bytes_per_second;
  }
  if (raw.has(H::kPercentage)) {
    const std::string_view text = trim(raw.percentage);
    double value = -1;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
        !std::isfinite(value) || value < 0 || value > 100) {
      error = "x-chaos-percentage: expected a number 0..100, got " + shown(raw.percentage);
      return false;
    }
    out.percentage = value;
  }
  // Bounds: headers may only narrow what safety allows. The sum saturates: two huge values
  // must not wrap around to a small one and slip under the cap.
  const config::Duration delay = out.delay.value_or(config::Duration{0});
  const config::Duration jitter = out.jitter.value_or(config::Duration{0});
  if (config::saturating_add(delay, jitter) > max_delay) {
    error = out.jitter
                ? "x-chaos-delay: " + config::format_duration(delay) + " plus x-chaos-jitter " +
                      config::format_duration(jitter) + " exceeds safety.max_delay (" +
                      config::format_duration(max_delay) + ")"
                : exceeds("x-chaos-delay", delay, max_delay);
    return false;
  }
  if (out.stall && *out.stall > max_delay) {
    error = exceeds("x-chaos-stall", *out.stall, max_delay);
    return false;
  }
  const int terminals =
      int{out.abort.has_value()} + int{out.reset.has_value()} + int{out.stall.has_value()};
  if (terminals > 1) {
    error = "x-chaos-abort, x-chaos-reset, x-chaos-stall: each ends the request; send only one";
    return false;
  }
  return true;
}

bool opted_in(std::span<const HeaderView> headers, std::string_view name) {
  for (const HeaderView& header : headers) {
    if (!config::ascii_iequals(header.name, "x-chaos-experiment")) continue;
    std::string_view list = header.value;
    while (!list.empty()) {
      const size_t comma = list.find(',');
      const std::string_view item = trim(list.substr(0, comma));
      if (item == name) return true;
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  return false;
}

bool token_equals(std::string_view given, std::string_view expected) {
  unsigned char difference = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i) {
    const char c = i < given.size() ? given[i] : '\0';
    difference |= static_cast<unsigned char>(c ^ expected[i]);
  }
  return difference == 0;
}

bool apply_header_triggers(const Snapshot& snapshot, const ChaosHeaders& raw, const sockaddr* peer,
                           Rng& rng, unsigned worker, Plan& plan) {
  if (raw.present == 0) return false;
  const HeaderTriggerSettings& settings = snapshot.triggers;
  HeaderCounterSlot& counters = snapshot.run->header_counters.slot(worker);
  auto reject = [&](RejectReason reason) {
    bump(counters.rejected[static_cast<size_t>(reason)]);
    plan.trigger_rejected = static_cast<int8_t>(reason);
    return false;
  };
  if (!settings.allow_from.empty()) {
    bool allowed = false;
    for (const config::Cidr& cidr : settings.allow_from)
      allowed = allowed || (peer && cidr.contains(peer));
    if (!allowed) return reject(RejectReason::kSource);
  }
  if (!settings.token.empty() &&
      (!raw.has(ChaosHeaders::kToken) || !token_equals(trim(raw.token), settings.token)))
    return reject(RejectReason::kToken);

  HeaderFaults faults;
  std::string error;
  if (!parse_header_faults(raw, snapshot.max_delay, faults, error)) {
    plan.bad_request = std::move(error);
    reject(RejectReason::kInvalid);
    return true;
  }
  if (!raw.any_fault() ||
      !(faults.percentage >= 100.0 || rng.uniform01() * 100.0 < faults.percentage))
    return true;

  std::string annotation;
  if (faults.delay || faults.jitter) {
    Primitive delay;
    delay.amount = faults.delay.value_or(config::Duration{0});
    delay.jitter = faults.jitter.value_or(config::Duration{0});
    const Duration applied = apply(delay, config::Protocol::kHttp, rng, plan, "latency", {});
    bump(counters.injected[kind("latency")]);
    append_annotation(annotation, "latency", config::format_duration(applied));
  }
  if (faults.bandwidth) {
    Primitive throttle;
    throttle.op = Op::kThrottle;
    throttle.rate = *faults.bandwidth;
    throttle.direction = Direction::kDownstream;
    apply(throttle, config::Protocol::kHttp, rng, plan, "bandwidth", {});
    bump(counters.injected[kind("bandwidth")]);
    append_annotation(annotation, "bandwidth",
                      config::format_rate(config::Rate{*faults.bandwidth}));
  }
  if (faults.abort) {
    plan.terminal = Terminal::kRespond;
    plan.respond.status = *faults.abort;
    plan.respond.body = "fault injected by faultline (x-chaos-abort)\n";
    plan.applied.push_back({.kind = "abort", .status = *faults.abort});
    bump(counters.injected[kind("abort")]);
    append_annotation(annotation, "abort", std::to_string(*faults.abort));
  } else if (faults.reset) {
    plan.terminal = Terminal::kReset;
    plan.reset_point = *faults.reset;
    plan.reset_after_bytes = 0;
    plan.applied.push_back(
        {.kind = "reset", .where = *faults.reset == ResetPoint::kRequest ? "request" : "response"});
    bump(counters.injected[kind("reset")]);
    append_annotation(annotation, "reset",
                      *faults.reset == ResetPoint::kRequest ? "request" : "response");
  } else if (faults.stall) {
    plan.terminal = Terminal::kStall;
    plan.stall_for = faults.stall->count() == 0 ? snapshot.max_delay : *faults.stall;
    plan.applied.push_back({.kind = "stall", .ms = plan.stall_for.count()});
    bump(counters.injected[kind("stall")]);
    append_annotation(annotation, "stall", config::format_duration(plan.stall_for));
  }
  if (settings.annotate) plan.injected = std::move(annotation);
  return true;
}

}  // namespace faultline::faults
