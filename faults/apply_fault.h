#pragma once
// Folds one compiled fault into a plan: what an experiment's selected fault and a header
// trigger's fault both do once chosen.
#include <string_view>

#include "config/schema.h"
#include "faults/kind.h"
#include "faults/plan.h"
#include "faults/rng.h"

namespace faultline::faults {

// Applies `fault`'s primitives, records them in plan.applied as fault kind_name(fault.kind) of
// `experiment` (empty: header triggers) and, when `annotate`, appends fault.annotation to
// plan.injected ("latency=512ms@checkout": a jittered delay names the value drawn).
void apply_fault(const CompiledFault& fault, config::Protocol protocol, Rng& rng, Plan& plan,
                 std::string_view experiment, bool annotate);

}  // namespace faultline::faults
