#include "proxy/cli.h"

#include <cstdio>
#include <cstdlib>

#include "config/loader.h"
#include "faults/snapshot.h"
#include "proxy/descriptor_budget.h"
#include "proxy/server.h"

namespace faultline::proxy {

namespace {

std::string resolve_config_path(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("FAULTLINE_CONFIG"); env && *env) return env;
  return "faultline.toml";
}

}  // namespace

int check_command(const std::string& path) {
  config::Diagnostics diags(path);
  auto cfg = config::load_file(path, diags);
  // Fault parameters are validated by faults/ (only once the config itself parsed).
  if (cfg && diags.ok()) faults::validate_config(*cfg, diags);
  if (cfg && diags.ok()) check_descriptor_budget(*cfg, diags);  // as `run` will (server.cc)
  for (const auto& d : diags.items()) std::fprintf(stderr, "%s\n", d.format().c_str());
  if (!cfg || !diags.ok()) return 1;
  std::printf("%s: ok\n", path.c_str());
  return 0;
}

int run_command(const std::string& config_flag) {
  std::string path = resolve_config_path(config_flag);
  config::Diagnostics diags(path);
  auto cfg = config::load_file(path, diags);
  if (cfg && diags.ok()) faults::validate_config(*cfg, diags);
  if (!cfg || !diags.ok()) {
    std::string reason =
        diags.items().empty() ? path + ": invalid config" : diags.items().front().format();
    if (diags.items().size() > 1)
      reason += " (and " + std::to_string(diags.items().size() - 1) + " more)";
    std::fprintf(stderr, "faultline: %s\n", reason.c_str());
    return 2;
  }
  if (cfg->listeners.empty()) {
    std::fprintf(stderr, "faultline: %s: no [[listeners]] configured\n", path.c_str());
    return 2;
  }
  Server server(std::make_shared<const config::Config>(std::move(*cfg)), {});
  return server.run();
}

}  // namespace faultline::proxy
