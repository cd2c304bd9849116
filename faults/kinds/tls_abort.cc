// tls_abort: fail a client's TLS handshake right after its ClientHello, with a fatal alert
// (`alert`, default "handshake_failure") or, with `reset = true`, a TCP reset instead (TLS
// listeners only; decided per handshake with match.sources/match.sni).
#include "faults/kinds/common.h"
#include "faults/tls_alerts.h"

namespace faultline::faults {
namespace {

std::string alert_names() {
  std::string out;
  for (const TlsAlert& alert : kTlsAlerts) {
    if (!out.empty()) out += ", ";
    out += "\"" + std::string(alert.name) + "\"";
  }
  return out;
}

void compile_tls_abort(ParamReader& reader, const KindContext& context, CompiledFault& out) {
  kinds::require_tls(reader, context, "tls_abort");
  const auto alert = reader.string("alert");
  const auto reset = reader.boolean("reset");
  uint8_t code = 40;  // handshake_failure
  if (alert) {
    bool known = false;
    for (const TlsAlert& a : kTlsAlerts) {
      if (a.name != *alert) continue;
      code = a.code;
      known = true;
    }
    if (!known)
      reader.error("alert", "unknown TLS alert \"" + *alert + "\" (known: " + alert_names() + ")");
  }
  if (alert && reset.value_or(false))
    reader.error("reset",
                 "set either alert (a fatal alert) or reset = true (a TCP reset), not both");
  if (!reader.ok()) return;
  const bool tcp_reset = reset.value_or(false);
  Primitive primitive;
  primitive.op = Op::kHandshakeAbort;
  primitive.alert = tcp_reset ? 0 : code;
  out.primitives.push_back(primitive);
  out.at_handshake = true;
  out.terminal = true;
  out.annotation = kinds::annotation(
      "tls_abort", tcp_reset ? std::string_view("reset") : tls_alert_name(code), context.source);
}

}  // namespace

extern const FaultKind kTlsAbortKind{"tls_abort", true, compile_tls_abort};

}  // namespace faultline::faults
