#include "proxy/cli/commands.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "config/loader.h"
#include "config/validate.h"
#include "faults/config_check.h"
#include "faults/snapshot.h"
#include "proxy/control/descriptor_budget.h"
#include "proxy/control/server.h"
#include "proxy/control/tls_layers.h"

namespace faultline::proxy {

namespace {

std::string resolve_config_path(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("FAULTLINE_CONFIG"); env && *env) return env;
  return "faultline.toml";
}

void print_errors(const config::Diagnostics& diags) {
  for (const auto& d : diags.items()) std::fprintf(stderr, "%s\n", d.format().c_str());
}

// What an experiment is checked against when no config is given: the SPEC defaults, and an
// http listener for each name the experiment lists (or one, when it lists none).
config::Config stand_in_context(const config::ExperimentConfig& experiment) {
  config::Config context;
  std::vector<std::string> names = experiment.listeners;
  if (names.empty()) names.push_back("default");
  for (const std::string& name : names) {
    config::ListenerConfig listener;
    listener.name = name;
    context.listeners.push_back(listener);
  }
  return context;
}

int check_experiment(const std::string& file, const std::string& config_path) {
  std::optional<config::Config> context;
  if (!config_path.empty()) {
    config::Diagnostics config_diags(config_path);
    context = faults::load_checked_config(config_path, config_diags);
    if (!context) {
      print_errors(config_diags);
      std::fprintf(stderr, "%s: invalid config; the experiment was not checked\n",
                   config_path.c_str());
      return 1;
    }
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "%s: cannot read the experiment file\n", file.c_str());
    return 1;
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  config::Diagnostics diags(file);
  auto experiment = config::decode_experiment_file(text, file, diags);
  if (experiment) {
    // The admin API's rules: listeners and duration against the config, then the faults.
    const config::Config checked_against = context ? *context : stand_in_context(*experiment);
    faults::check_experiment(*experiment, checked_against, diags);
  }
  print_errors(diags);
  if (!experiment || !diags.ok()) return 1;
  if (context)
    std::printf("%s: ok (against %s)\n", file.c_str(), config_path.c_str());
  else
    std::printf("%s: ok (listener names and safety limits not checked: give --config)\n",
                file.c_str());
  return 0;
}

}  // namespace

int check_command(const std::string& config_path, const std::string& experiment_path) {
  if (!experiment_path.empty()) return check_experiment(experiment_path, config_path);
  const std::string path = resolve_config_path(config_path);
  config::Diagnostics diags(path);
  auto cfg = faults::load_checked_config(path, diags);
  if (cfg && diags.ok()) check_descriptor_budget(*cfg, diags);  // as `run` will (server.cc)
  if (cfg && diags.ok()) build_tls_layers(*cfg, diags);         // certificates, as `run` reads them
  print_errors(diags);
  if (!cfg || !diags.ok()) return 1;
  std::printf("%s: ok\n", path.c_str());
  return 0;
}

int run_command(const std::string& config_flag) {
  std::string path = resolve_config_path(config_flag);
  config::Diagnostics diags(path);
  auto cfg = faults::load_checked_config(path, diags);
  if (!cfg) {
    std::fprintf(stderr, "faultline: %s\n", faults::errors_summary(diags, path).c_str());
    return 2;
  }
  Server server(std::make_shared<const config::Config>(std::move(*cfg)), {});
  return server.run();
}

}  // namespace faultline::proxy
