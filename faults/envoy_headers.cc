#include "faults/envoy_headers.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <memory>

#include "config/ascii.h"
#include "config/value.h"
#include "faults/catalog.h"
#include "faults/counters.h"
#include "faults/primitive.h"
#include "faults/snapshot.h"

namespace faultline::faults {
namespace {

constexpr std::string_view kSuffixes[EnvoyHeaders::kFields] = {
    "delay-request",
    "delay-request-percentage",
    "abort-request",
    "abort-request-percentage",
    "abort-grpc-request",
    "throughput-response",
    "throughput-response-percentage",
};

// Envoy reads these values with absl::SimpleAtoi: surrounding whitespace and a leading '+'
// are allowed, anything else (a unit, a fraction, a sign '-', overflow) is invalid.
std::optional<uint64_t> envoy_integer(std::string_view text) {
  auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
  };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// A -percentage header: its numerator (out of 100) capped by the configured percentage; the
// configured one when absent or invalid (Envoy's HeaderPercentageProvider).
double percentage(const EnvoyHeaders& raw, EnvoyHeaders::Field field, double configured,
                  unsigned& invalid) {
  if (!raw.has(field)) return configured;
  const auto numerator = envoy_integer(raw.values[field]);
  if (!numerator || *numerator > std::numeric_limits<uint32_t>::max()) {
    ++invalid;
    return configured;
  }
  return std::min(static_cast<double>(*numerator), configured);
}

bool drawn(double percent, Rng& rng) {
  return percent >= 100.0 || (percent > 0 && rng.uniform01() * 100.0 < percent);
}

// Folds one primitive into the plan as a fault of `kind` from the Envoy headers.
void inject(const Primitive& primitive, std::string_view kind, std::string_view value, Rng& rng,
            bool annotate, HeaderCounterSlot& counters, Plan& plan) {
  apply(primitive, config::Protocol::kHttp, rng, plan, kind, kEnvoyHeaderSource);
  const size_t index = kind_index(kind);
  if (index < kMaxKinds) bump(counters.injected[index]);
  if (!annotate) return;
  if (!plan.injected.empty()) plan.injected += ", ";
  plan.injected.append(kind).append("=").append(value).append("@").append(kEnvoyHeaderSource);
}

}  // namespace

EnvoyHeaderSettings envoy_header_settings(const config::EnvoyHeadersConfig& config) {
  EnvoyHeaderSettings out;
  out.enabled = config.enabled;
  out.fault_prefix = config.prefix + "-fault-";
  for (char& c : out.fault_prefix) c = config::ascii_lower(c);
  out.strip = config.strip;
  out.abort_percentage = config.abort_percentage;
  out.delay_percentage = config.delay_percentage;
  out.throughput_percentage = config.throughput_percentage;
  return out;
}

bool is_envoy_fault_header(std::string_view name, std::string_view fault_prefix) {
  return !fault_prefix.empty() && config::ascii_istarts_with(name, fault_prefix);
}

EnvoyHeaders scan_envoy_headers(std::span<const HeaderView> headers,
                                std::string_view fault_prefix) {
  EnvoyHeaders raw;
  for (const HeaderView& header : headers) {
    if (!is_envoy_fault_header(header.name, fault_prefix)) continue;
    const std::string_view suffix = header.name.substr(fault_prefix.size());
    for (uint8_t field = 0; field < EnvoyHeaders::kFields; ++field) {
      if (!config::ascii_iequals(suffix, kSuffixes[field])) continue;
      // Only the first value counts (an untrusted header, as Envoy reads it).
      if (!raw.has(static_cast<EnvoyHeaders::Field>(field))) {
        raw.present |= static_cast<uint8_t>(1u << field);
        raw.values[field] = header.value;
      }
      break;
    }
  }
  return raw;
}

EnvoyFaultRequest parse_envoy_headers(const EnvoyHeaders& raw,
                                      const EnvoyHeaderSettings& settings) {
  EnvoyFaultRequest out;
  out.delay_percentage = settings.delay_percentage;
  out.abort_percentage = settings.abort_percentage;
  out.throughput_percentage = settings.throughput_percentage;
  if (raw.has(EnvoyHeaders::kDelay)) {
    const auto ms = envoy_integer(raw.values[EnvoyHeaders::kDelay]);
    if (!ms)
      ++out.invalid;
    else if (*ms > 0)
      out.delay_ms = *ms;
    out.delay_percentage =
        percentage(raw, EnvoyHeaders::kDelayPercentage, settings.delay_percentage, out.invalid);
  }
  if (raw.has(EnvoyHeaders::kAbort)) {
    const auto status = envoy_integer(raw.values[EnvoyHeaders::kAbort]);
    if (status && *status >= 200 && *status <= 599)
      out.http_status = static_cast<int>(*status);
    else
      ++out.invalid;
  }
  if (raw.has(EnvoyHeaders::kGrpcAbort)) {
    const auto status = envoy_integer(raw.values[EnvoyHeaders::kGrpcAbort]);
    if (status && *status <= 16)
      out.grpc_status = static_cast<int>(*status);
    else
      ++out.invalid;
  }
  if (raw.has(EnvoyHeaders::kAbort) || raw.has(EnvoyHeaders::kGrpcAbort))
    out.abort_percentage =
        percentage(raw, EnvoyHeaders::kAbortPercentage, settings.abort_percentage, out.invalid);
  if (raw.has(EnvoyHeaders::kThroughput)) {
    const auto kib = envoy_integer(raw.values[EnvoyHeaders::kThroughput]);
    if (kib && *kib > 0)
      out.kib_per_second = *kib;
    else
      ++out.invalid;
    out.throughput_percentage = percentage(raw, EnvoyHeaders::kThroughputPercentage,
                                           settings.throughput_percentage, out.invalid);
  }
  return out;
}

void apply_envoy_headers(const Snapshot& snapshot, const EnvoyHeaders& raw, Rng& rng,
                         unsigned worker, Plan& plan) {
  if (!raw.any_fault()) return;
  const EnvoyFaultRequest request = parse_envoy_headers(raw, snapshot.envoy);
  HeaderCounterSlot& counters = snapshot.run->envoy_counters.slot(worker);
  for (unsigned i = 0; i < request.invalid; ++i)
    bump(snapshot.run->header_counters.slot(worker)
             .rejected[static_cast<size_t>(RejectReason::kEnvoyInvalid)]);
  const bool annotate = snapshot.triggers.annotate;

  // Three independent draws, in the order Envoy's filter makes them: the response's
  // throughput, the delay, then the abort, which the executor carries out after the delay.
  if (request.kib_per_second && drawn(request.throughput_percentage, rng)) {
    Primitive throttle;
    throttle.op = Op::kThrottle;
    throttle.direction = Direction::kDownstream;
    constexpr uint64_t kMaxKib = std::numeric_limits<uint64_t>::max() / 1024;
    const config::Rate rate{std::min(*request.kib_per_second, kMaxKib) * 1024};
    throttle.rate = rate.bytes_per_second;
    inject(throttle, "bandwidth", config::format_rate(rate), rng, annotate, counters, plan);
  }
  if (request.delay_ms && drawn(request.delay_percentage, rng)) {
    // safety.max_delay bounds it, as every delay (decide() caps the total); capped here too so
    // that the annotation names the delay applied.
    Primitive delay;
    delay.op = Op::kDelay;
    delay.phase = Phase::kRequest;
    const uint64_t max_ms = static_cast<uint64_t>(std::max<int64_t>(snapshot.max_delay.count(), 0));
    delay.amount = config::Duration(static_cast<int64_t>(std::min(*request.delay_ms, max_ms)));
    inject(delay, "latency", config::format_duration(delay.amount), rng, annotate, counters, plan);
  }
  const bool abort_asked = request.http_status || request.grpc_status;
  if (abort_asked && plan.terminal == Terminal::kNone && drawn(request.abort_percentage, rng)) {
    auto response = std::make_shared<Response>();
    response->body = "fault filter abort";
    std::string value;
    if (request.http_status) {
      // Both abort headers valid: the HTTP status wins, as in Envoy.
      response->status = *request.http_status;
      value = std::to_string(*request.http_status);
    } else {
      // A gRPC request gets a trailers-only 200 with this grpc-status (the executor's
      // business); any other request a 200 with the body, as Envoy answers both.
      response->status = 200;
      response->grpc_status = *request.grpc_status;
      response->grpc_message = "fault filter abort";
      value = "grpc-" + std::to_string(*request.grpc_status);
    }
    Primitive respond;
    respond.op = Op::kRespond;
    respond.response = std::move(response);
    inject(respond, "abort", value, rng, annotate, counters, plan);
  }
}

}  // namespace faultline::faults
