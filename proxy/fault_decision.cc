#include "proxy/fault_decision.h"

#include "faults/decide.h"
#include "proxy/request_record.h"
#include "proxy/worker.h"

namespace faultline::proxy {

bool decide_request(Worker& worker, const ActiveConfig& snapshot, const faults::RequestHead& head,
                    faults::Plan& plan) {
  const faults::Snapshot* f = snapshot.faults.get();
  if (!f) return false;
  // Fast path: nothing can apply to this listener.
  if (!f->triggers.enabled && !f->envoy.enabled &&
      f->listeners[head.listener_index].per_request.empty())
    return false;
  faults::decide_into(*f, head, worker.rng(), faults::Clock::now(), worker.index(), plan);
  log_ignored_triggers(plan, head.peer);
  return !plan.empty() || !plan.held_slots.empty() || !plan.injected.empty() ||
         !plan.applied.empty();
}

bool connection_faults_configured(const ActiveConfig& snapshot, uint32_t listener) {
  const faults::Snapshot* f = snapshot.faults.get();
  return f && !f->listeners[listener].per_connection.empty();
}

bool decide_connect(Worker& worker, const ActiveConfig& snapshot, uint32_t listener,
                    const sockaddr* peer, faults::Plan& plan) {
  if (!connection_faults_configured(snapshot, listener)) return false;
  const faults::Snapshot* f = snapshot.faults.get();
  faults::ConnectionHead head;
  head.peer = peer;
  head.listener_index = listener;
  plan = faults::decide_connect(*f, head, worker.rng(), faults::Clock::now(), worker.index());
  return !plan.empty() || !plan.held_slots.empty() || !plan.applied.empty();
}

bool decide_handshake(Worker& worker, const ActiveConfig& snapshot, uint32_t listener,
                      const sockaddr* peer, std::string_view sni, faults::Plan& plan) {
  const faults::Snapshot* f = snapshot.faults.get();
  if (!f || listener >= f->listeners.size() || f->listeners[listener].per_handshake.empty())
    return false;
  faults::HandshakeHead head;
  head.peer = peer;
  head.listener_index = listener;
  head.sni = sni;
  plan = faults::decide_handshake(*f, head, worker.rng(), faults::Clock::now(), worker.index());
  return !plan.empty() || !plan.held_slots.empty() || !plan.applied.empty();
}

bool connection_experiments_changed(const ActiveConfig& before, const ActiveConfig& after,
                                    uint32_t listener) {
  const faults::Snapshot* a = before.faults.get();
  const faults::Snapshot* b = after.faults.get();
  if (a == b) return false;
  auto list = [listener](const faults::Snapshot* f) {
    return f && listener < f->listeners.size() ? &f->listeners[listener].per_connection : nullptr;
  };
  const std::vector<uint32_t>* x = list(a);
  const std::vector<uint32_t>* y = list(b);
  const size_t nx = x ? x->size() : 0;
  const size_t ny = y ? y->size() : 0;
  if (nx != ny) return true;
  // A rebuild keeps an unchanged experiment's name, revision and start.
  for (size_t i = 0; i < nx; ++i) {
    const faults::CompiledExperiment& e = a->experiments[(*x)[i]];
    const faults::CompiledExperiment& f = b->experiments[(*y)[i]];
    if (e.name != f.name || e.revision != f.revision || e.started_at != f.started_at) return true;
  }
  return false;
}

void release_plan(Worker&, const ActiveConfig& snapshot, faults::Plan& plan) {
  if (plan.held_slots.empty()) return;
  if (snapshot.faults) faults::release(*snapshot.faults, plan);
  plan.held_slots.clear();
}

}  // namespace faultline::proxy
