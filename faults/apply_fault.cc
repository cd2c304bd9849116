#include "faults/apply_fault.h"

#include "config/value.h"
#include "faults/catalog.h"
#include "faults/primitive.h"

namespace faultline::faults {

void apply_fault(const CompiledFault& fault, config::Protocol protocol, Rng& rng, Plan& plan,
                 std::string_view experiment, bool annotate) {
  Duration drawn{0};
  bool jittered = false;
  for (const Primitive& primitive : fault.primitives) {
    drawn += apply(primitive, protocol, rng, plan, kind_name(fault.kind), experiment);
    jittered = jittered || (primitive.op == Op::kDelay && primitive.jitter.count() > 0);
  }
  if (!annotate) return;
  if (!plan.injected.empty()) plan.injected += ", ";
  if (jittered) {
    // "latency=500ms@name" names the delay drawn for this request, not the nominal one.
    const size_t eq = fault.annotation.find('=');
    const size_t at = fault.annotation.find('@');
    plan.injected.append(fault.annotation, 0, eq + 1);
    plan.injected += config::format_duration(drawn);
    if (at != std::string::npos) plan.injected.append(fault.annotation, at);
  } else {
    plan.injected += fault.annotation;
  }
}

}  // namespace faultline::faults
