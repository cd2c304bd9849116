#pragma once
// The faultline subcommands (SPEC §1). main.cc parses the command line and calls these.
#include <string>

namespace faultline::proxy {

// `faultline run [--config FILE]`: FILE, else $FAULTLINE_CONFIG, else ./faultline.toml.
int run_command(const std::string& config_flag);
// `faultline check --config FILE`: diagnostics on stderr; 0 valid, 1 invalid.
int check_command(const std::string& path);
// `faultline demo`: embedded upstream + proxy on 127.0.0.1:15001 + admin on 127.0.0.1:9901.
int demo_command();

}  // namespace faultline::proxy
