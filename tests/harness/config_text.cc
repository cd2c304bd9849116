#include "tests/harness/config_text.h"

namespace faultline::harness {

std::string config_toml(const ConfigSpec& spec) {
  std::string out;
  out += "[admin]\nlisten = \"127.0.0.1:0\"\n" + spec.admin_extra + "\n";
  out += "[log]\nlevel = \"warn\"\nformat = \"text\"\naccess_log = false\n\n";
  out += "[runtime]\nworkers = " + std::to_string(spec.workers) + "\ndrain_timeout = \"" +
         spec.drain_timeout + "\"\n" + spec.runtime_extra + "\n";
  for (const auto& l : spec.listeners) {
    out += "[[listeners]]\nname = \"" + l.name + "\"\nlisten = \"127.0.0.1:0\"\nupstream = \"" +
           l.upstream + "\"\nprotocol = \"" + l.protocol + "\"\n" + l.extra + "\n";
  }
  out += spec.tail;
  return out;
}

std::string http_config(const std::string& upstream, const std::string& listener_extra,
                        const std::string& tail) {
  ConfigSpec spec;
  spec.listeners.push_back({"main", upstream, "http", listener_extra});
  spec.tail = tail;
  return config_toml(spec);
}

}  // namespace faultline::harness
