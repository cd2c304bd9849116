// faultline: a chaos-engineering fault-injection sidecar proxy. See SPEC §1 for the commands.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "proxy/cli.h"
#include "proxy/ctl.h"
#include "proxy/version.h"

int main(int argc, char** argv) {
  CLI::App app{"faultline: a chaos-engineering fault-injection proxy"};
  app.require_subcommand(1);
  std::string run_config;
  auto* run = app.add_subcommand("run", "run the proxy");
  run->add_option("--config,-c", run_config,
                  "config file (default $FAULTLINE_CONFIG, then ./faultline.toml)");
  std::string check_config;
  auto* check = app.add_subcommand("check", "validate a config file");
  check->add_option("--config,-c", check_config, "config file")->required();
  auto* version = app.add_subcommand("version", "print the version");
  auto* demo = app.add_subcommand("demo", "run a self-contained demo on 127.0.0.1");
  int ctl_exit = -1;  // set by the ctl subcommand's callback
  faultline::proxy::add_ctl_command(app, ctl_exit);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (ctl_exit >= 0) return ctl_exit;
  if (*version) {
    std::printf("faultline %s\n", faultline::proxy::version());
    return 0;
  }
  if (*check) return faultline::proxy::check_command(check_config);
  if (*run) return faultline::proxy::run_command(run_config);
  if (*demo) return faultline::proxy::demo_command();
  return 2;
}
