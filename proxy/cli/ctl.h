#pragma once
// `faultline ctl`: the admin API client (SPEC §1). Readable tables by default, the raw JSON
// answer with --json, and exit codes a script can rely on.
#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace faultline::proxy {

struct CtlOptions {
  std::string admin_url;  // empty: $FAULTLINE_ADMIN, then http://127.0.0.1:9901
  std::string token;      // empty: $FAULTLINE_TOKEN
  bool json = false;      // print the answer's JSON instead of a table
};

// Exit codes of `faultline ctl`.
inline constexpr int kCtlOk = 0;
inline constexpr int kCtlApiError = 1;  // the admin API answered with an error (404, 409, 400...)
inline constexpr int kCtlUsage = 2;     // unknown verb, missing argument, unreadable/invalid FILE
inline constexpr int kCtlUnreachable = 3;   // no HTTP answer from the admin address
inline constexpr int kCtlUnauthorized = 4;  // 401: missing or wrong token

// Runs one verb: status | ls | get NAME | apply FILE (or - for stdin) | pause NAME | resume NAME |
// rm NAME | halt | unhalt | events | reload. Output goes to `out`, messages and errors to `err`.
int run_ctl(const CtlOptions& options, const std::vector<std::string>& args, std::ostream& out,
            std::ostream& err);
int run_ctl(const CtlOptions& options, const std::vector<std::string>& args);  // stdout/stderr

// Adds the `ctl` subcommand ([--admin URL] [--token T] [--json] VERB ARGS...) to the CLI;
// after app.parse(), `exit_code` holds run_ctl's result if `ctl` was given.
void add_ctl_command(CLI::App& app, int& exit_code);

}  // namespace faultline::proxy
