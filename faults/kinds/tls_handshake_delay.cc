// tls_handshake_delay: hold a client's TLS handshake for `delay` after its ClientHello arrived,
// then let it go on (TLS listeners only; decided per handshake with match.sources/match.sni).
// Clients' connect and handshake timeouts are what it exercises.
#include "faults/kinds/common.h"

namespace faultline::faults {
namespace {

void compile_tls_handshake_delay(ParamReader& reader, const KindContext& context,
                                 CompiledFault& out) {
  kinds::require_tls(reader, context, "tls_handshake_delay");
  const auto delay = reader.duration("delay");
  if (!delay && reader.ok() && !reader.has("delay"))
    reader.error("delay", "tls_handshake_delay needs a delay, e.g. delay = \"2s\"");
  if (delay && !kinds::check_max_delay(reader, {"delay"}, *delay, context, "delay")) return;
  if (!reader.ok() || !delay) return;
  Primitive primitive;
  primitive.op = Op::kHandshakeDelay;
  primitive.amount = *delay;
  out.primitives.push_back(primitive);
  out.at_handshake = true;
  out.annotation =
      kinds::annotation("tls_handshake_delay", config::format_duration(*delay), context.source);
}

}  // namespace

extern const FaultKind kTlsHandshakeDelayKind{"tls_handshake_delay", true,
                                              compile_tls_handshake_delay};

}  // namespace faultline::faults
