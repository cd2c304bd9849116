#include "proxy/http2/forwarded_fields.h"

#include "config/ascii.h"
#include "faults/envoy_headers.h"

namespace faultline::proxy {

bool connection_specific_field(std::string_view name, std::string_view value) {
  if (name == "te") return !config::ascii_iequals(value, "trailers");
  return name == "connection" || name == "keep-alive" || name == "proxy-connection" ||
         name == "transfer-encoding" || name == "upgrade" || name == "http2-settings";
}

bool stripped_trigger_field(std::string_view name, const ActiveConfig& snapshot) {
  if (snapshot.config->header_triggers.strip && config::ascii_istarts_with(name, "x-chaos-"))
    return true;
  // Envoy's fault headers are faultline's to read only while it reads them: disabled, they go
  // through untouched (to an Envoy upstream, say).
  const faults::Snapshot* faults = snapshot.faults.get();
  return faults && faults->envoy.enabled && faults->envoy.strip &&
         faults::is_envoy_fault_header(name, faults->envoy.fault_prefix);
}

}  // namespace faultline::proxy
