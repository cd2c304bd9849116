#pragma once
// A fault kind decodes and validates its own keys and compiles into primitives. Adding a kind
// is one file in faults/kinds/, one line in catalog.cc and its tests; proxy/ is not touched
// unless the kind needs a genuinely new primitive (or, for a background load, a new
// proxy/stress/ class). A kind may also declare an x-chaos-* header trigger: the headers are
// read as its parameters and compiled by the same compile function (header_triggers.h).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/schema.h"
#include "faults/background.h"
#include "faults/params.h"
#include "faults/primitive.h"

namespace faultline::faults {

// What a kind may know while compiling.
struct KindContext {
  const config::SafetyConfig& safety;
  bool on_http = true;      // the fault runs on at least one HTTP listener
  bool on_tcp = false;      // ... on at least one TCP listener
  std::string_view source;  // experiment name, for the annotation ("@checkout-errors")
  // Set when the experiment has no `listeners` and so also runs on a tcp listener: the fix to
  // suggest when an HTTP-only fault meets it ("set listeners = [...]"). Empty otherwise.
  std::string_view tcp_remedy;
  // A listener the experiment runs on that has no [listeners.tls] (empty: none), for the TLS
  // handshake kinds' error.
  std::string_view plain_listener;
};

// One compiled fault of an experiment.
struct CompiledFault {
  uint8_t kind = 0;           // catalogue index; counters are indexed by it
  double percentage = 100.0;  // of the experiment's sampled requests
  bool per_request = true;    // false when `background` is set
  bool at_connect = false;    // decided at accept (reset phase=connect)
  bool at_handshake = false;  // decided in a TLS ClientHello (tls_handshake_delay, tls_abort)
  bool terminal = false;      // ends the request (abort, reset, stall)
  std::vector<Primitive> primitives;
  std::string annotation;  // "latency=500ms@checkout-latency"
  // Set by kinds that run while the experiment is active rather than per request (cpu).
  std::optional<BackgroundLoad> background;
};

struct FaultKind {
  std::string_view name;
  // false for kinds that act while the experiment is active rather than per request (cpu):
  // their compile sets CompiledFault::background, and `percentage` is rejected.
  bool per_request;
  // Decodes the kind's own keys ("type" and "percentage" are handled by the caller), checks
  // protocol applicability and safety caps, and fills `out` (primitives, annotation, flags).
  // Errors go to reader.error(); the caller checks reader.finish().
  void (*compile)(ParamReader& reader, const KindContext& context, CompiledFault& out);
  // Its x-chaos-* headers, if it has any. The header values are read through the same
  // ParamReader getters (header syntax: bare numbers are milliseconds, values are trimmed).
  const HeaderTrigger* header = nullptr;
};

}  // namespace faultline::faults
