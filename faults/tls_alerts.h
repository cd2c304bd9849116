#pragma once
// The TLS alerts tls_abort may end a handshake with (RFC 8446 §6: AlertDescription values),
// by the names users write (`alert = "handshake_failure"`). Fatal alerts only: close_notify
// and user_canceled do not fail a handshake.
#include <cstdint>
#include <string_view>

namespace faultline::faults {

struct TlsAlert {
  std::string_view name;
  uint8_t code;
};

inline constexpr TlsAlert kTlsAlerts[] = {
    {"handshake_failure", 40},
    {"internal_error", 80},
    {"access_denied", 49},
    {"protocol_version", 70},
    {"insufficient_security", 71},
    {"unrecognized_name", 112},
    {"illegal_parameter", 47},
    {"decode_error", 50},
    {"unexpected_message", 10},
    {"bad_certificate", 42},
    {"unknown_ca", 48},
    {"certificate_required", 116},
    {"no_application_protocol", 120},
};

// The alert's name for a code in kTlsAlerts; empty otherwise.
constexpr std::string_view tls_alert_name(uint8_t code) {
  for (const TlsAlert& alert : kTlsAlerts)
    if (alert.code == code) return alert.name;
  return {};
}

}  // namespace faultline::faults
