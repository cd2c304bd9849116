#pragma once
// What the faultline subcommands do (SPEC §1); cli.cc parses the command line and calls these.
#include <string>

namespace faultline::proxy {

// `faultline run [--config FILE]`: FILE, else $FAULTLINE_CONFIG, else ./faultline.toml.
int run_command(const std::string& config_flag);
// `faultline check [--config] FILE`: the same validation as `run` (faults/config_check.h),
// every error on stderr as FILE:LINE:COL; 0 valid, 1 invalid. With `experiment_path`
// (`check --experiment FILE`): validates one experiment file (TOML or JSON) as `ctl apply`
// would send it, offline, against the config when one is given.
int check_command(const std::string& config_path, const std::string& experiment_path = {});
// `faultline demo`: embedded upstream + proxy on 127.0.0.1:15001 + admin on 127.0.0.1:9901.
int demo_command();

}  // namespace faultline::proxy
