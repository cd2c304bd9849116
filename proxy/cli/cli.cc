#include "proxy/cli/cli.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "proxy/cli/commands.h"
#include "proxy/cli/ctl.h"
#include "proxy/version.h"

namespace faultline::proxy {

int run_cli(int argc, char** argv) {
  const std::string version_text = std::string("faultline ") + version();
  CLI::App app{"faultline: a chaos-engineering fault-injection proxy", "faultline"};
  app.require_subcommand(1);
  // `faultline --version` and `-v` print what `faultline version` prints.
  app.set_version_flag("--version,-v", version_text, "print the version and exit");
  std::string run_config;
  auto* run = app.add_subcommand("run", "run the proxy");
  run->add_option("--config,-c", run_config,
                  "config file (default $FAULTLINE_CONFIG, then ./faultline.toml)");
  std::string check_config;
  std::string check_file;
  std::string check_experiment;
  auto* check = app.add_subcommand(
      "check", "validate a config file as `run` would, or one experiment file (--experiment)");
  auto* check_config_option =
      check->add_option("--config,-c", check_config,
                        "config file (default $FAULTLINE_CONFIG, then ./faultline.toml)");
  check->add_option("file", check_file, "config file (same as --config)")
      ->excludes(check_config_option);
  check->add_option("--experiment,-e", check_experiment,
                    "experiment file (TOML or JSON) to validate as `ctl apply` would send it; "
                    "checked against --config when given");
  auto* version_command = app.add_subcommand("version", "print the version");
  auto* demo = app.add_subcommand("demo", "run a self-contained demo on 127.0.0.1");
  auto* help = app.add_subcommand("help", "print this help");
  int ctl_exit = -1;  // set by the ctl subcommand's callback
  add_ctl_command(app, ctl_exit);
  // Rendered now: once `help` is parsed, CLI11 would render the help subcommand's own help.
  const std::string top_help = app.help();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (ctl_exit >= 0) return ctl_exit;
  if (*help) {
    std::printf("%s", top_help.c_str());
    return 0;
  }
  if (*version_command) {
    std::printf("%s\n", version_text.c_str());
    return 0;
  }
  if (*check)
    return check_command(check_file.empty() ? check_config : check_file, check_experiment);
  if (*run) return run_command(run_config);
  if (*demo) return demo_command();
  return 2;
}

}  // namespace faultline::proxy
