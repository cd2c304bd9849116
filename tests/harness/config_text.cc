#include "tests/harness/config_text.h"

namespace faultline::harness {

std::string config_toml(const ConfigSpec& spec) {
  std::string out;
  out += "[admin]\nlisten = \"" + spec.admin_listen + "\"\n" + spec.admin_extra + "\n";
  out += "[log]\nlevel = \"warn\"\nformat = \"text\"\naccess_log = false\n\n";
  out += "[runtime]\nworkers = " + std::to_string(spec.workers) + "\ndrain_timeout = \"" +
         spec.drain_timeout + "\"\n" + spec.runtime_extra + "\n";
  for (const auto& l : spec.listeners) {
    out += "[[listeners]]\nname = \"" + l.name + "\"\nlisten = \"" + l.listen +
           "\"\nupstream = \"" + l.upstream + "\"\nprotocol = \"" + l.protocol + "\"\n" + l.extra +
           "\n";
  }
  out += spec.tail;
  return out;
}

std::string http_config(const std::string& upstream, const std::string& listener_extra,
                        const std::string& tail) {
  ConfigSpec spec;
  ListenerSpec listener;
  listener.upstream = upstream;
  listener.extra = listener_extra;
  spec.listeners.push_back(listener);
  spec.tail = tail;
  return config_toml(spec);
}

ConfigSpec tcp_spec(const std::string& upstream) {
  ConfigSpec spec;
  ListenerSpec listener;
  listener.name = "tcp";
  listener.protocol = "tcp";
  listener.upstream = upstream;
  spec.listeners.push_back(listener);
  return spec;
}

}  // namespace faultline::harness
