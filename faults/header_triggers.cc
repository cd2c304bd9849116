#include "faults/header_triggers.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "config/ascii.h"
#include "faults/apply_fault.h"
#include "faults/catalog.h"
#include "faults/match.h"
#include "faults/snapshot.h"
#include "faults/untrusted_text.h"

namespace faultline::faults {
namespace {

// Every fault header of the catalogue: which kind's which parameter it sets.
struct FaultHeader {
  std::string_view suffix;  // after "x-chaos-"
  uint8_t kind = 0;
  uint8_t param = 0;
};
struct FaultHeaders {
  std::array<FaultHeader, kMaxFaultHeaders> headers{};
  size_t size = 0;
};

// Built once from the catalogue, without allocating (decide() may be the first caller).
const FaultHeaders& fault_headers() {
  static const FaultHeaders table = [] {
    FaultHeaders out;
    const auto kinds = catalog();
    for (size_t k = 0; k < kinds.size(); ++k) {
      if (!kinds[k]->header) continue;
      const auto params = kinds[k]->header->params;
      if (params.size() > kMaxHeaderParams) std::abort();  // raise kMaxHeaderParams
      for (size_t p = 0; p < params.size(); ++p) {
        if (params[p].header.empty()) continue;
        if (out.size == out.headers.size()) std::abort();  // raise kMaxFaultHeaders
        out.headers[out.size++] = {params[p].header.substr(8), static_cast<uint8_t>(k),
                                   static_cast<uint8_t>(p)};
      }
    }
    return out;
  }();
  return table;
}

// "x-chaos-abort, x-chaos-reset, x-chaos-stall": the headers that end a request.
std::string terminal_headers() {
  std::string out;
  for (const FaultKind* kind : catalog()) {
    if (!kind->header || !kind->header->terminal) continue;
    for (const HeaderParam& param : kind->header->params) {
      if (param.header.empty()) continue;
      if (!out.empty()) out += ", ";
      out += param.header;
      break;
    }
  }
  return out;
}

bool parse_percentage(std::string_view raw, double& out, std::string& error) {
  const std::string_view text = config::trim_ows(raw);
  double value = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(value) || value < 0 || value > 100) {
    error = "x-chaos-percentage: expected a number 0..100, got " + shown(raw);
    return false;
  }
  out = value;
  return true;
}

}  // namespace

ChaosHeaders scan_chaos_headers(std::span<const HeaderView> headers) {
  ChaosHeaders raw;
  for (const HeaderView& header : headers) {
    if (!is_chaos_header(header.name)) continue;
    const std::string_view suffix = header.name.substr(8);
    struct Generic {
      std::string_view name;
      ChaosHeaders::Bit bit;
      std::string_view ChaosHeaders::*field;
    };
    static constexpr Generic kGeneric[] = {
        {"percentage", ChaosHeaders::kPercentage, &ChaosHeaders::percentage},
        {"experiment", ChaosHeaders::kExperiment, &ChaosHeaders::experiment},
        {"token", ChaosHeaders::kToken, &ChaosHeaders::token},
    };
    bool generic = false;
    for (const Generic& entry : kGeneric) {
      if (!config::ascii_iequals(suffix, entry.name)) continue;
      generic = true;
      if (!raw.has(entry.bit)) {
        raw.present |= entry.bit;
        raw.*entry.field = header.value;
      }
      break;
    }
    if (generic) continue;
    const FaultHeaders& table = fault_headers();
    for (size_t i = 0; i < table.size; ++i) {
      if (!config::ascii_iequals(suffix, table.headers[i].suffix)) continue;
      if (!(raw.faults_present & (1u << i))) {
        raw.faults_present |= 1u << i;
        raw.faults[i] = header.value;
      }
      break;
    }
  }
  return raw;
}

bool compile_header_faults(const ChaosHeaders& raw, const config::SafetyConfig& safety,
                           HeaderFaults& out, std::string& error) {
  const auto kinds = catalog();
  const FaultHeaders& table = fault_headers();
  for (size_t k = 0; k < kinds.size() && raw.faults_present != 0; ++k) {
    const FaultKind& kind = *kinds[k];
    if (!kind.header) continue;
    HeaderArgs args;
    args.trigger = kind.header;
    for (size_t i = 0; i < table.size; ++i) {
      if (table.headers[i].kind != k || !(raw.faults_present & (1u << i))) continue;
      args.values[table.headers[i].param] = raw.faults[i];
      args.present |= 1u << table.headers[i].param;
    }
    if (args.present == 0) continue;
    ParamReader reader(args, error);
    CompiledFault fault;
    fault.kind = static_cast<uint8_t>(k);
    const KindContext context{safety, /*on_http=*/true, /*on_tcp=*/false, "header", {}, {}};
    kind.compile(reader, context, fault);
    if (!reader.finish()) {
      if (error.empty()) error = "x-chaos-*: invalid " + std::string(kind.name) + " headers";
      return false;
    }
    out.faults.push_back(std::move(fault));
  }
  if (raw.has(ChaosHeaders::kPercentage) &&
      !parse_percentage(raw.percentage, out.percentage, error))
    return false;
  const auto terminals = std::count_if(out.faults.begin(), out.faults.end(),
                                       [](const CompiledFault& f) { return f.terminal; });
  if (terminals > 1) {
    error = terminal_headers() + ": each ends the request; send only one";
    return false;
  }
  // The terminal comes last, as in an experiment: whatever else was asked applies first.
  std::stable_partition(out.faults.begin(), out.faults.end(),
                        [](const CompiledFault& f) { return !f.terminal; });
  return true;
}

bool opted_in(std::span<const HeaderView> headers, std::string_view name) {
  for (const HeaderView& header : headers) {
    if (!config::ascii_iequals(header.name, "x-chaos-experiment")) continue;
    std::string_view list = header.value;
    while (!list.empty()) {
      const size_t comma = list.find(',');
      const std::string_view item = config::trim_ows(list.substr(0, comma));
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

bool pass_header_gates(const Snapshot& snapshot, const ChaosHeaders& raw, const sockaddr* peer,
                       unsigned worker, Plan& plan) {
  const HeaderTriggerSettings& settings = snapshot.triggers;
  auto reject = [&](RejectReason reason) {
    bump(snapshot.run->header_counters.slot(worker).rejected[static_cast<size_t>(reason)]);
    plan.trigger_rejected = static_cast<int8_t>(reason);
    return false;
  };
  if (!settings.allow_from.empty()) {
    bool allowed = false;
    for (const config::Cidr& cidr : settings.allow_from)
      allowed = allowed || (peer && cidr.contains(peer));
    if (!allowed) return reject(RejectReason::kSource);
  }
  if (!settings.token.empty() && (!raw.has(ChaosHeaders::kToken) ||
                                  !token_equals(config::trim_ows(raw.token), settings.token)))
    return reject(RejectReason::kToken);
  return true;
}

void apply_header_triggers(const Snapshot& snapshot, const ChaosHeaders& raw, Rng& rng,
                           unsigned worker, Plan& plan) {
  if (!raw.any()) return;
  const HeaderTriggerSettings& settings = snapshot.triggers;
  HeaderCounterSlot& counters = snapshot.run->header_counters.slot(worker);
  HeaderFaults faults;
  std::string error;
  if (!compile_header_faults(raw, snapshot.config->safety, faults, error)) {
    plan.bad_request = std::move(error);
    bump(counters.rejected[static_cast<size_t>(RejectReason::kInvalid)]);
    plan.trigger_rejected = static_cast<int8_t>(RejectReason::kInvalid);
    return;
  }
  if (!raw.any_fault() ||
      !(faults.percentage >= 100.0 || rng.uniform01() * 100.0 < faults.percentage))
    return;
  for (const CompiledFault& fault : faults.faults) {
    apply_fault(fault, config::Protocol::kHttp, rng, plan, /*experiment=*/{}, settings.annotate);
    bump(counters.injected[fault.kind]);
  }
}

}  // namespace faultline::faults
