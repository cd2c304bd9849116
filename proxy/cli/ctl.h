#pragma once
// `faultline ctl`: the admin API client's command line (SPEC §1). One CLI11 subcommand per
// verb with its own argument and --help; --admin and --token fall back to $FAULTLINE_ADMIN
// and $FAULTLINE_TOKEN (a flag wins). Readable tables by default, the raw JSON answer with
// --json, and exit codes a script can rely on. The verbs themselves are ctl_client.h's.
#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace faultline::proxy {

// Exit codes of `faultline ctl`.
inline constexpr int kCtlOk = 0;
inline constexpr int kCtlApiError = 1;  // the admin API answered with an error (404, 409, 400...)
inline constexpr int kCtlUsage = 2;     // unknown verb, missing argument, unreadable/invalid FILE
inline constexpr int kCtlUnreachable = 3;   // no HTTP answer from the admin address
inline constexpr int kCtlUnauthorized = 4;  // 401: missing or wrong token
inline constexpr int kCtlFleetFailed = 5;   // --k8s: some pod failed, or no pod matched

// Runs `faultline ctl ARGS...` (`args`: what follows `ctl`): [--admin URL] [--token T] [--json]
// VERB [NAME|FILE], the flags before or after the verb; --help alone or after a verb prints
// help. Output goes to `out`, messages and errors to `err` (with --json, errors too go to
// `out`, as JSON).
int run_ctl(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// The same with the flags given as a struct (tests, embedding): each one set is passed as its
// flag, so it wins over the environment exactly as the flag would.
struct CtlOptions {
  std::string admin_url;  // empty: $FAULTLINE_ADMIN, then http://127.0.0.1:9901
  std::string token;      // empty: $FAULTLINE_TOKEN
  bool json = false;      // print the answer's JSON instead of a table
};
int run_ctl(const CtlOptions& options, const std::vector<std::string>& args, std::ostream& out,
            std::ostream& err);

// Adds `ctl` to faultline's command line (cli.cc). Everything after `ctl` is run_ctl's to
// parse, --help included; after app.parse(), `exit_code` holds run_ctl's result if `ctl`
// was given.
void add_ctl_command(CLI::App& app, int& exit_code);

}  // namespace faultline::proxy
