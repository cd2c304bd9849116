#pragma once
// The faultline command line (SPEC §1): run, check, version, help, demo and ctl, parsed with
// CLI11. What each command does lives in commands.h (run, check, demo) and ctl.h (ctl).

namespace faultline::proxy {

// Parses argv, runs the command it names and returns the process's exit code: the command's
// own, or 2 for a command line CLI11 refuses (0 for --help and --version).
int run_cli(int argc, char** argv);

}  // namespace faultline::proxy
