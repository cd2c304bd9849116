#include "faults/experiment.h"

#include <algorithm>

#include "config/value.h"
#include "faults/catalog.h"

namespace faultline::faults {

std::string_view to_string(Source source) {
  return source == Source::kApi ? "api" : "config";
}

std::string_view to_string(ExperimentStatus status) {
  switch (status) {
    case ExperimentStatus::kActive:
      return "active";
    case ExperimentStatus::kPaused:
      return "paused";
    case ExperimentStatus::kExpired:
      return "expired";
  }
  return "unknown";
}

namespace {

// Which protocols the experiment's listeners speak. Unknown listener names are errors.
bool resolve_protocols(const config::ExperimentConfig& experiment, const config::Config& config,
                       bool& on_http, bool& on_tcp, config::Diagnostics& diags) {
  on_http = on_tcp = false;
  bool ok = true;
  if (experiment.listeners.empty()) {
    for (const auto& listener : config.listeners) {
      if (!listener.in_default_scope()) continue;
      on_http = on_http || listener.protocol == config::Protocol::kHttp;
      on_tcp = on_tcp || listener.protocol == config::Protocol::kTcp;
    }
    return true;
  }
  for (size_t i = 0; i < experiment.listeners.size(); ++i) {
    const std::string& name = experiment.listeners[i];
    const config::ListenerConfig* found = nullptr;
    for (const auto& listener : config.listeners)
      if (listener.name == name && !listener.retired) found = &listener;
    if (!found) {
      std::string known;
      for (const auto& listener : config.listeners)
        if (!listener.retired) known += (known.empty() ? "" : ", ") + listener.name;
      diags.error(experiment.pos,
                  join_path(experiment.path, "listeners[" + std::to_string(i) + "]"),
                  "unknown listener \"" + name + "\" (listeners: " + known + ")");
      ok = false;
      continue;
    }
    on_http = on_http || found->protocol == config::Protocol::kHttp;
    on_tcp = on_tcp || found->protocol == config::Protocol::kTcp;
  }
  return ok;
}

// An experiment without `listeners` runs on every listener; when the config mixes protocols
// that is rarely meant, and naming the http listeners is the fix.
std::string tcp_remedy(const config::ExperimentConfig& experiment, const config::Config& config) {
  if (!experiment.listeners.empty()) return {};
  std::string tcp, http;
  for (const auto& listener : config.listeners) {
    if (!listener.in_default_scope()) continue;
    std::string& list = listener.protocol == config::Protocol::kTcp ? tcp : http;
    list += (list.empty() ? "\"" : ", \"") + listener.name + "\"";
  }
  if (tcp.empty() || http.empty()) return {};
  return "the experiment has no `listeners`, so it also runs on tcp listener " + tcp +
         ": set listeners = [" + http + "]";
}

// The first listener the experiment runs on without [listeners.tls] (empty: none), which the
// TLS handshake kinds cannot apply to.
std::string plain_listener(const config::ExperimentConfig& experiment,
                           const config::Config& config) {
  for (const auto& listener : config.listeners) {
    const auto& names = experiment.listeners;
    if (!names.empty() && std::find(names.begin(), names.end(), listener.name) == names.end())
      continue;
    if (!listener.tls.enabled) return listener.name;
  }
  return {};
}

bool compile_fault(const config::FaultConfig& fault, const KindContext& context, CompiledFault& out,
                   config::Diagnostics& diags) {
  ParamReader reader(fault, diags);
  const size_t index = kind_index(fault.type);
  if (index >= catalog().size()) {
    reader.error("type",
                 "unknown fault type \"" + fault.type + "\" (known: " + known_kinds() + ")");
    return false;
  }
  const FaultKind& kind = *catalog()[index];
  out.kind = static_cast<uint8_t>(index);
  if (const auto percentage = reader.number("percentage")) {
    if (!kind.per_request)
      reader.error("percentage", std::string(kind.name) +
                                     " faults run while the experiment is active; percentage "
                                     "does not apply");
    else if (!(*percentage >= 0 && *percentage <= 100))
      reader.error("percentage",
                   "expected a percentage 0..100, got " + std::to_string(*percentage));
    else
      out.percentage = *percentage;
  }
  kind.compile(reader, context, out);
  out.per_request = !out.background.has_value();
  return reader.finish();
}

}  // namespace

bool compile_experiment(const config::ExperimentConfig& experiment, const config::Config& config,
                        Source source, CompiledExperiment& out, config::Diagnostics& diags) {
  const size_t errors_before = diags.items().size();
  out.name = experiment.name;
  out.source = source;
  out.definition = experiment;
  out.trigger = experiment.trigger;
  out.dry_run = experiment.dry_run;
  out.max_active = experiment.max_active;
  out.matcher = Matcher(experiment.match);
  out.percentage = experiment.match.percentage;
  out.sample_by = experiment.match.sample_by;

  bool on_http = false, on_tcp = false;
  resolve_protocols(experiment, config, on_http, on_tcp, diags);
  const std::string match_path = join_path(experiment.path, "match");
  const std::string remedy = tcp_remedy(experiment, config);
  const std::string why = remedy.empty() ? std::string() : " (" + remedy + ")";
  if (on_tcp) {
    // A TCP listener sees bytes, not requests: these would silently never match.
    const char* field = !experiment.match.paths.empty()     ? "paths"
                        : !experiment.match.methods.empty() ? "methods"
                        : !experiment.match.headers.empty() ? "headers"
                                                            : nullptr;
    if (field)
      diags.error(experiment.pos, join_path(match_path, field),
                  "matches HTTP requests, but the experiment runs on a tcp listener" + why);
    if (experiment.match.sample_by.kind != config::SampleBy::Kind::kRandom)
      diags.error(experiment.pos, join_path(match_path, "sample_by"),
                  "tcp listeners have no headers to sample by; use \"random\"" + why);
    if (experiment.trigger == config::Trigger::kHeader)
      diags.error(experiment.pos, join_path(experiment.path, "trigger"),
                  "trigger = \"header\" needs HTTP requests, but the experiment runs on a tcp "
                  "listener" +
                      why);
  }
  if (experiment.faults.size() > kMaxFaultsPerExperiment)
    diags.error(experiment.pos, join_path(experiment.path, "faults"),
                "at most " + std::to_string(kMaxFaultsPerExperiment) + " faults per experiment");

  const std::string plain = plain_listener(experiment, config);
  KindContext context{config.safety, on_http, on_tcp, experiment.name, remedy, plain};
  out.faults.clear();
  for (size_t i = 0; i < experiment.faults.size() && i < kMaxFaultsPerExperiment; ++i) {
    const config::FaultConfig& fault = experiment.faults[i];
    CompiledFault compiled;
    if (!compile_fault(fault, context, compiled, diags)) continue;
    if (compiled.at_connect && on_http &&
        (experiment.match.sample_by.kind != config::SampleBy::Kind::kRandom ||
         out.matcher.needs_request() || experiment.trigger == config::Trigger::kHeader)) {
      diags.error(fault.params.pos, join_path(fault.path, "phase"),
                  "phase = \"connect\" is decided at accept, before any request exists; it "
                  "cannot be combined with match paths/methods/headers, sample_by or "
                  "trigger = \"header\"");
      continue;
    }
    if (compiled.at_handshake &&
        (experiment.match.sample_by.kind != config::SampleBy::Kind::kRandom ||
         out.matcher.needs_request() || experiment.trigger == config::Trigger::kHeader)) {
      diags.error(fault.params.pos, join_path(fault.path, "type"),
                  std::string(kind_name(compiled.kind)) +
                      " is decided in the TLS handshake, before any request exists; it cannot "
                      "be combined with match paths/methods/headers, sample_by or "
                      "trigger = \"header\" (match.sources and match.sni apply)");
      continue;
    }
    if (!compiled.at_handshake && !experiment.match.sni.empty()) {
      // The server name comes from the TLS ClientHello: a request on a TLS listener has it; a
      // plain listener, a tcp connection or an accept-time fault (decided before the
      // handshake) never would, and the experiment would silently never match.
      std::string why;
      if (!compiled.per_request || compiled.at_connect || on_tcp)
        why = "; faults[" + std::to_string(i) + "] is " + fault.type +
              (compiled.at_connect ? " at phase = \"connect\""
               : on_tcp            ? " on a tcp listener"
                                   : "");
      else if (!plain.empty())
        why = "; this experiment runs on listener \"" + plain +
              "\", which has no [listeners.tls]: name the TLS listeners in `listeners`";
      if (!why.empty()) {
        diags.error(
            experiment.pos, join_path(match_path, "sni"),
            "match.sni is read from the TLS ClientHello and applies to tls_handshake_delay, "
            "tls_abort and requests on TLS http listeners" +
                why);
        continue;
      }
    }
    out.has_background = out.has_background || compiled.background.has_value();
    if (compiled.per_request && !compiled.at_handshake) {
      if (on_tcp || compiled.at_connect) out.has_connect_faults = true;
      if (on_http && !compiled.at_connect) out.has_request_faults = true;
    }
    out.faults.push_back(std::move(compiled));
  }
  return diags.items().size() == errors_before;
}

}  // namespace faultline::faults
