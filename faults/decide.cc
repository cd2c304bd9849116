#include "faults/decide.h"

#include <algorithm>
#include <bit>

#include "faults/apply_fault.h"
#include "faults/envoy_headers.h"
#include "faults/header_triggers.h"
#include "faults/match.h"
#include "faults/sampling.h"

namespace faultline::faults {
namespace {

// Picks the faults of one matched experiment, in written order, each with its percentage;
// stops at its first terminal; skips terminals when an earlier source already ended the
// request. Returns a bit mask over experiment.faults.
enum class Moment : uint8_t {
  kRequest,      // HTTP request: everything but reset phase=connect
  kHttpConnect,  // HTTP accept: only reset phase=connect
  kTcpConnect,   // TCP accept: every per-connection fault
  kHandshake,    // TLS ClientHello: only the handshake faults
};

uint32_t select_faults(const CompiledExperiment& experiment, Moment moment, bool terminal_taken,
                       const SampleKey& key, Rng& rng) {
  uint32_t chosen = 0;
  for (size_t i = 0; i < experiment.faults.size(); ++i) {
    const CompiledFault& fault = experiment.faults[i];
    if (!fault.per_request) continue;
    if (fault.at_handshake != (moment == Moment::kHandshake)) continue;
    if (moment == Moment::kRequest && fault.at_connect) continue;
    if (moment == Moment::kHttpConnect && !fault.at_connect) continue;
    if (fault.terminal && terminal_taken) continue;
    if (!sampled(key, fault.percentage, i + 1, rng)) continue;
    chosen |= 1u << i;
    if (fault.terminal) break;
  }
  return chosen;
}

void inject(const Snapshot& snapshot, uint32_t index, uint32_t chosen, config::Protocol protocol,
            Rng& rng, unsigned worker, Plan& plan) {
  const CompiledExperiment& experiment = snapshot.experiments[index];
  ExperimentCounterSlot& counters = experiment.run->counters.slot(worker);
  if (experiment.dry_run) {
    for (size_t i = 0; i < experiment.faults.size(); ++i)
      if (chosen & (1u << i)) bump(counters.dry_run[experiment.faults[i].kind]);
    return;
  }
  if (experiment.max_active > 0) {
    if (!experiment.run->try_acquire(experiment.max_active)) return;
    plan.held_slots.push_back(index);
  }
  const bool annotate = snapshot.triggers.annotate && protocol == config::Protocol::kHttp;
  for (size_t i = 0; i < experiment.faults.size(); ++i) {
    if (!(chosen & (1u << i))) continue;
    const CompiledFault& fault = experiment.faults[i];
    apply_fault(fault, protocol, rng, plan, experiment.name, annotate);
    bump(counters.injected[fault.kind]);
  }
}

// safety.max_delay bounds the whole request, whoever asked for the delays.
void cap_delays(const Snapshot& snapshot, Plan& plan) {
  faults::cap_delays(plan, snapshot.max_delay);
}

// x-chaos-experiment names that no experiment has: counted and reported (the request goes on
// with the names that exist), so a typo in a test suite does not go unnoticed.
void check_opt_ins(const Snapshot& snapshot, std::string_view list, unsigned worker, Plan& plan) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string_view name = list.substr(0, comma);
    while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.remove_prefix(1);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    if (!name.empty() && !snapshot.find(name)) {
      bump(snapshot.run->header_counters.slot(worker)
               .rejected[static_cast<size_t>(RejectReason::kUnknownExperiment)]);
      if (plan.unknown_experiment.empty()) plan.unknown_experiment = name;
      if (plan.trigger_rejected == kNoRejection)
        plan.trigger_rejected = static_cast<int8_t>(RejectReason::kUnknownExperiment);
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

bool live(const CompiledExperiment& experiment, TimePoint now) {
  return !experiment.run->paused() && !experiment.expired(now);
}

}  // namespace

void decide_into(const Snapshot& snapshot, const RequestHead& head, Rng& rng, TimePoint now,
                 unsigned worker, Plan& plan) {
  if (head.listener_index >= snapshot.listeners.size()) return;
  const ListenerExperiments& listener = snapshot.listeners[head.listener_index];
  if (listener.per_request.empty() && !snapshot.triggers.enabled && !snapshot.envoy.enabled)
    return;  // fast path
  if (listener.protocol != config::Protocol::kHttp || snapshot.run->halted()) return;
  const std::string_view path = strip_query(head.path);
  // Exclusion is checked lazily: most requests match nothing and carry no x-chaos-* header.
  int excluded = -1;
  auto is_excluded = [&] {
    if (excluded < 0) excluded = snapshot.excluded(path) ? 1 : 0;
    return excluded == 1;
  };

  // Header triggers first: x-chaos-*, then Envoy's fault headers, both behind the gates of
  // [triggers.headers] (whose x-chaos-token the Envoy headers need too when a token is set).
  bool triggers_accepted = false;
  if (snapshot.triggers.enabled || snapshot.envoy.enabled) {
    const ChaosHeaders raw = scan_chaos_headers(head.headers);
    const EnvoyHeaders envoy = snapshot.envoy.enabled
                                   ? scan_envoy_headers(head.headers, snapshot.envoy.fault_prefix)
                                   : EnvoyHeaders{};
    const bool chaos = snapshot.triggers.enabled && raw.any();
    if (chaos || envoy.any_fault()) {
      if (is_excluded()) return;
      triggers_accepted = pass_header_gates(snapshot, raw, head.peer, worker, plan);
      if (triggers_accepted && chaos) {
        apply_header_triggers(snapshot, raw, rng, worker, plan);
        if (!plan.bad_request.empty()) return;
        if (raw.has(ChaosHeaders::kExperiment))
          check_opt_ins(snapshot, raw.experiment, worker, plan);
      }
      if (triggers_accepted && envoy.any_fault())
        apply_envoy_headers(snapshot, envoy, rng, worker, plan);
      triggers_accepted = triggers_accepted && chaos;
    }
  }
  // Returns false when the request turns out to be excluded: nothing applies then.
  auto consider = [&](uint32_t index) {
    const CompiledExperiment& experiment = snapshot.experiments[index];
    if (!live(experiment, now)) return true;
    if (experiment.trigger == config::Trigger::kHeader &&
        !(triggers_accepted && opted_in(head.headers, experiment.name)))
      return true;
    if (!experiment.matcher.matches(head, path)) return true;
    if (is_excluded()) return false;  // nothing was added yet: header faults imply !excluded
    const SampleKey key = sample_key(experiment.sample_by, head.headers);
    if (!sampled(key, experiment.percentage, 0, rng)) return true;
    bump(experiment.run->counters.slot(worker).matched);
    const uint32_t chosen =
        select_faults(experiment, Moment::kRequest, plan.terminal != Terminal::kNone, key, rng);
    if (chosen != 0) inject(snapshot, index, chosen, config::Protocol::kHttp, rng, worker, plan);
    return true;
  };
  if (listener.path_index.built()) {
    // Only experiments whose path globs can match this path, still in experiment order.
    uint64_t candidates[PathIndex::kWords];
    listener.path_index.candidates(path, candidates);
    for (size_t w = 0; w < listener.path_index.words(); ++w) {
      for (uint64_t bits = candidates[w]; bits != 0; bits &= bits - 1) {
        const size_t position = w * 64 + static_cast<size_t>(std::countr_zero(bits));
        if (!consider(listener.per_request[position])) return;
      }
    }
  } else {
    for (const uint32_t index : listener.per_request)
      if (!consider(index)) return;
  }
  cap_delays(snapshot, plan);
}

Plan decide(const Snapshot& snapshot, const RequestHead& head, Rng& rng, TimePoint now,
            unsigned worker) {
  Plan plan;
  decide_into(snapshot, head, rng, now, worker, plan);
  return plan;
}

Plan decide_connect(const Snapshot& snapshot, const ConnectionHead& head, Rng& rng, TimePoint now,
                    unsigned worker) {
  Plan plan;
  if (head.listener_index >= snapshot.listeners.size()) return plan;
  const ListenerExperiments& listener = snapshot.listeners[head.listener_index];
  if (listener.per_connection.empty() || snapshot.run->halted()) return plan;
  const bool http = listener.protocol == config::Protocol::kHttp;
  const SampleKey random_key;
  for (const uint32_t index : listener.per_connection) {
    const CompiledExperiment& experiment = snapshot.experiments[index];
    if (!live(experiment, now) || !experiment.matcher.matches_source(head.peer)) continue;
    if (!sampled(random_key, experiment.percentage, 0, rng)) continue;
    bump(experiment.run->counters.slot(worker).matched);
    const uint32_t chosen =
        select_faults(experiment, http ? Moment::kHttpConnect : Moment::kTcpConnect,
                      plan.terminal != Terminal::kNone, random_key, rng);
    if (chosen != 0) inject(snapshot, index, chosen, listener.protocol, rng, worker, plan);
  }
  cap_delays(snapshot, plan);
  return plan;
}

Plan decide_handshake(const Snapshot& snapshot, const HandshakeHead& head, Rng& rng, TimePoint now,
                      unsigned worker) {
  Plan plan;
  if (head.listener_index >= snapshot.listeners.size()) return plan;
  const ListenerExperiments& listener = snapshot.listeners[head.listener_index];
  if (listener.per_handshake.empty() || snapshot.run->halted()) return plan;
  const SampleKey random_key;
  for (const uint32_t index : listener.per_handshake) {
    const CompiledExperiment& experiment = snapshot.experiments[index];
    if (!live(experiment, now) || !experiment.matcher.matches_handshake(head)) continue;
    if (!sampled(random_key, experiment.percentage, 0, rng)) continue;
    bump(experiment.run->counters.slot(worker).matched);
    const uint32_t chosen =
        select_faults(experiment, Moment::kHandshake, plan.handshake_abort, random_key, rng);
    if (chosen != 0) inject(snapshot, index, chosen, listener.protocol, rng, worker, plan);
  }
  cap_delays(snapshot, plan);
  return plan;
}

void release(const Snapshot& snapshot, Plan& plan) {
  for (const uint32_t index : plan.held_slots)
    if (index < snapshot.experiments.size()) snapshot.experiments[index].run->release();
  plan.held_slots.clear();
}

}  // namespace faultline::faults
