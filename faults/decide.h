#pragma once
// The pure decision: which primitives one request (or one connection) must suffer.
// No locks, no logging; allocates only when something is injected (annotation, held slots).
#include "faults/plan.h"
#include "faults/request.h"
#include "faults/rng.h"
#include "faults/snapshot.h"
#include "faults/time.h"

namespace faultline::faults {

// HTTP: called once per request after the head is parsed. Composition (SPEC §2): header
// triggers first, then experiments in order; faults apply in written order, each with its own
// percentage; at most one terminal (the first); latencies add; the lowest bandwidth wins; the
// total delay is capped at safety.max_delay. Empty when halted, for excluded paths, and when
// nothing matches. `worker` < RunState::workers() selects the counter slot.
Plan decide(const Snapshot& snapshot, const RequestHead& head, Rng& rng, TimePoint now,
            unsigned worker);
// The same into `plan`, which must be as a Plan() is: the session's plan for the request, filled
// in place (a Plan is large; moving one in cost about 180 instructions per request).
void decide_into(const Snapshot& snapshot, const RequestHead& head, Rng& rng, TimePoint now,
                 unsigned worker, Plan& plan);

// At accept: for TCP listeners every fault of their experiments (latency per chunk, reset at
// connect or after bytes, stall, bandwidth, slow_close); for HTTP listeners only reset
// phase = "connect". Header triggers do not apply (no request yet).
Plan decide_connect(const Snapshot& snapshot, const ConnectionHead& head, Rng& rng, TimePoint now,
                    unsigned worker);

// In a TLS listener's ClientHello: tls_handshake_delay and tls_abort of the experiments whose
// match.sources and match.sni accept the client. Empty when halted.
Plan decide_handshake(const Snapshot& snapshot, const HandshakeHead& head, Rng& rng, TimePoint now,
                      unsigned worker);

// Gives back the max_active slots a plan holds; call once when the request (or connection)
// ends, with the snapshot that produced the plan. Idempotent (clears plan.held_slots).
void release(const Snapshot& snapshot, Plan& plan);

}  // namespace faultline::faults
