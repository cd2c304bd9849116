#pragma once
// The admin API client behind `faultline ctl` (SPEC §1): one method per verb, each sending its
// request and printing a readable table, or the answer's JSON with --json; each returns the
// verb's exit code (ctl.h). ctl.cc parses the command line and calls these.
#include <iosfwd>
#include <string>

#include <nlohmann/json.hpp>

#include "proxy/cli/ctl_http.h"

namespace faultline::proxy {

class CtlClient {
 public:
  // Output goes to `out`; messages and errors to `err`, or with `json` to `out` as JSON.
  CtlClient(std::ostream& out, std::ostream& err, bool json);

  // The one error path of every verb and of the command line: "faultline ctl: MESSAGE" on
  // stderr, or with --json one JSON object on stdout ({"error", "exit_code", and
  // "status"/"field"/"errors" from the admin API when it answered), so a script reads errors
  // where it reads answers. Returns `code`.
  int fail(int code, const std::string& message,
           const nlohmann::json& details = nlohmann::json::object());

  // Where the requests go. A token read from a file or a Secret often ends with a newline:
  // surrounding whitespace is dropped. kCtlUsage (reported) for a URL ctl_http cannot use or a
  // token with a control character; kCtlOk otherwise.
  int connect(const std::string& admin_url, const std::string& token);

  int status();
  int ls();
  int get(const std::string& name);
  int apply(const std::string& file);  // "-" reads standard input
  // Creates `experiment` (POST; 409 when `name` exists), or with `replace` creates or
  // replaces it (PUT).
  int add(const std::string& name, const nlohmann::json& experiment, bool replace);
  int pause(const std::string& name);
  int resume(const std::string& name);
  int rm(const std::string& name);
  int halt();
  int unhalt();
  int events();
  int reload();

 private:
  struct Answer {
    int code = 0;  // exit code; kCtlOk when the API succeeded
    int status = 0;
    nlohmann::json body;
  };

  Answer call(const std::string& method, const std::string& path, const std::string& body = {});
  bool print_json(const Answer& a);
  int simple(const std::string& method, const std::string& path, const std::string& done);

  std::ostream& out_;
  std::ostream& err_;
  bool json_;
  AdminUrl url_;
  std::string token_;
};

}  // namespace faultline::proxy
