// `faultline ctl` against a live AdminServer (fake backend, real loop, real sockets):
// tables and --json, every verb, and the exit codes for unreachable admin, bad token,
// unknown experiment, API errors and usage errors.
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "proxy/cli/ctl.h"
#include "tests/loop/admin_live_server.h"

namespace faultline::proxy::admin::testing {
namespace {

struct CtlRun {
  int code;
  std::string out;
  std::string err;
};

CtlRun ctl(const std::string& url, std::vector<std::string> args, bool json = false,
           std::string token = {}) {
  CtlOptions options;
  options.admin_url = url;
  options.json = json;
  options.token = std::move(token);
  std::ostringstream out, err;
  const int code = run_ctl(options, args, out, err);
  return {code, out.str(), err.str()};
}

// The "error" of what ctl --json printed, or "(not a JSON error object)".
std::string json_error(const std::string& out) {
  const nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
  if (!j.is_object() || !j.contains("error") || !j["error"].is_string())
    return "(not a JSON error object)";
  return j["error"].get<std::string>();
}

// `faultline ctl ARGS...` exactly as typed after `ctl`: flags, verb and argument in any order.
CtlRun ctl_line(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int code = run_ctl(args, out, err);
  return {code, out.str(), err.str()};
}

// Sets an environment variable for one scope and removes it after, even when a test fails.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

const std::vector<std::string> kVerbsWithName = {"get", "pause", "resume", "rm"};
const std::vector<std::string> kVerbsWithoutArgument = {"status", "ls",     "halt",
                                                        "unhalt", "events", "reload"};

std::string write_temp(const std::string& suffix, const std::string& text) {
  static int counter = 0;
  const std::string path = ::testing::TempDir() + "faultline_ctl_" + std::to_string(getpid()) +
                           "_" + std::to_string(counter++) + suffix;
  std::ofstream(path) << text;
  return path;
}

// A port with nothing listening: bind one, then let it go.
uint16_t dead_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

const char* kJsonExperiment = R"({"name": "e1", "faults": [{"type": "latency", "delay": "10ms"}]})";
const char* kTomlExperiment = R"(name = "t1"
description = "from toml"
duration = "10m"
[[faults]]
type = "abort"
status = 503
)";

TEST(AdminCtl, GameDayWithCtlAlone) {
  LiveAdmin admin;
  const std::string url = admin.url();

  CtlRun r = ctl(url, {"ls"});
  EXPECT_EQ(r.code, kCtlOk) << r.err;
  EXPECT_EQ(r.out, "no experiments\n");

  r = ctl(url, {"apply", write_temp(".json", kJsonExperiment)});
  EXPECT_EQ(r.code, kCtlOk) << r.err;
  EXPECT_EQ(r.out, "experiment e1 created\n");
  r = ctl(url, {"apply", write_temp(".toml", kTomlExperiment)});
  EXPECT_EQ(r.code, kCtlOk) << r.err;
  EXPECT_EQ(r.out, "experiment t1 created\n");
  ASSERT_TRUE(admin.backend.has("t1"));
  r = ctl(url, {"apply", write_temp(".toml", kTomlExperiment)});
  EXPECT_EQ(r.out, "experiment t1 updated\n");

  r = ctl(url, {"ls"});
  ASSERT_EQ(r.code, kCtlOk) << r.err;
  std::istringstream lines(r.out);
  std::string header, row1, row2;
  std::getline(lines, header);
  std::getline(lines, row1);
  std::getline(lines, row2);
  EXPECT_EQ(header.rfind("NAME  STATE   SOURCE  MATCHED  INJECTED  EXPIRES", 0), 0u) << r.out;
  EXPECT_EQ(row1.rfind("e1    active  api     0        7         in ", 0), 0u) << r.out;
  EXPECT_EQ(row2.rfind("t1    active  api", 0), 0u) << r.out;

  r = ctl(url, {"ls"}, /*json=*/true);
  ASSERT_EQ(r.code, kCtlOk);
  const nlohmann::json list = nlohmann::json::parse(r.out);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1]["description"], "from toml");

  r = ctl(url, {"get", "t1"});
  EXPECT_EQ(r.code, kCtlOk);
  EXPECT_NE(r.out.find("state:     active\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("injected:  latency=7\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"description\": \"from toml\""), std::string::npos) << r.out;
  r = ctl(url, {"get", "t1"}, /*json=*/true);
  EXPECT_EQ(nlohmann::json::parse(r.out)["state"], "active");

  r = ctl(url, {"pause", "e1"});
  EXPECT_EQ(r.code, kCtlOk);
  EXPECT_EQ(r.out, "experiment e1 paused\n");
  EXPECT_TRUE(admin.backend.paused("e1"));
  EXPECT_EQ(ctl(url, {"resume", "e1"}).code, kCtlOk);
  EXPECT_FALSE(admin.backend.paused("e1"));

  r = ctl(url, {"halt"});
  EXPECT_EQ(r.code, kCtlOk);
  EXPECT_NE(r.out.find("HALTED"), std::string::npos);
  EXPECT_TRUE(admin.backend.halted());
  r = ctl(url, {"status"});
  EXPECT_EQ(r.code, kCtlOk);
  EXPECT_EQ(r.out.rfind("HALTED", 0), 0u) << r.out;  // the first line, impossible to miss
  EXPECT_NE(r.out.find("\nversion:       0.1.0-test\nuptime:        42s\nhalted:        yes\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("listeners:\nNAME     CONNECTIONS_ACTIVE  ENABLED  LISTEN"),
            std::string::npos)
      << r.out;  // listeners table, name first
  EXPECT_NE(r.out.find("inbound"), std::string::npos) << r.out;
  EXPECT_EQ(ctl(url, {"unhalt"}).code, kCtlOk);
  EXPECT_FALSE(admin.backend.halted());
  r = ctl(url, {"status"});
  EXPECT_EQ(r.out.find("HALTED"), std::string::npos) << r.out;
  EXPECT_EQ(ctl(url, {"status"}, true).code, kCtlOk);

  EXPECT_EQ(ctl(url, {"reload"}).out, "config reloaded\n");
  admin.backend.fail_next_reload("listeners[0].listen: invalid address");
  r = ctl(url, {"reload"});
  EXPECT_EQ(r.code, kCtlApiError);
  EXPECT_NE(r.err.find("listeners[0].listen: invalid address"), std::string::npos) << r.err;

  r = ctl(url, {"rm", "e1"});
  EXPECT_EQ(r.code, kCtlOk);
  EXPECT_EQ(r.out, "experiment e1 removed\n");
  EXPECT_FALSE(admin.backend.has("e1"));

  r = ctl(url, {"events"});
  EXPECT_EQ(r.code, kCtlOk);
  EXPECT_EQ(r.out.rfind("TIME", 0), 0u);
  for (const char* action :
       {"create", "replace", "pause", "resume", "halt", "unhalt", "reload", "delete"})
    EXPECT_NE(r.out.find(std::string("  ") + action + " "), std::string::npos) << action;
  EXPECT_NE(r.out.find("127.0.0.1"), std::string::npos);
  r = ctl(url, {"events"}, true);
  EXPECT_TRUE(nlohmann::json::parse(r.out).is_array());
  EXPECT_EQ(admin.stop(), 0);
}

TEST(AdminCtl, ErrorsAndExitCodes) {
  LiveAdmin admin;
  const std::string url = admin.url();
  admin.backend.add_config_experiment("from-file");

  CtlRun r = ctl(url, {"get", "nope"});
  EXPECT_EQ(r.code, kCtlApiError);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("HTTP 404"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("\"nope\" not found"), std::string::npos) << r.err;
  EXPECT_EQ(ctl(url, {"rm", "nope"}).code, kCtlApiError);
  r = ctl(url, {"rm", "from-file"});
  EXPECT_EQ(r.code, kCtlApiError);
  EXPECT_NE(r.err.find("HTTP 409"), std::string::npos) << r.err;

  r = ctl(url, {"apply", write_temp(".json", R"({"name": "bad", "duration": "soon"})")});
  EXPECT_EQ(r.code, kCtlApiError);
  EXPECT_NE(r.err.find("(field: duration)"), std::string::npos) << r.err;

  r = ctl(url, {"apply", write_temp(".toml", "name = \"t\"\nduration = \"soon\"\n")});
  EXPECT_EQ(r.code, kCtlUsage);  // rejected locally, with the file position
  EXPECT_NE(r.err.find(".toml:2:"), std::string::npos) << r.err;
  r = ctl(url, {"apply", "/nonexistent/exp.toml"});
  EXPECT_EQ(r.code, kCtlUsage);
  EXPECT_NE(r.err.find("cannot read /nonexistent/exp.toml"), std::string::npos);
  EXPECT_EQ(ctl(url, {"apply", write_temp(".json", R"({"faults": []})")}).code, kCtlUsage);

  EXPECT_EQ(ctl(url, {}).code, kCtlUsage);
  r = ctl(url, {"explode"});
  EXPECT_EQ(r.code, kCtlUsage);
  EXPECT_NE(r.err.find("unknown verb \"explode\""), std::string::npos);
  EXPECT_EQ(ctl(url, {"get"}).code, kCtlUsage);
  EXPECT_EQ(ctl(url, {"halt", "now"}).code, kCtlUsage);
  EXPECT_EQ(ctl("https://127.0.0.1:1", {"ls"}).code, kCtlUsage);
  EXPECT_EQ(admin.stop(), 0);
}

TEST(AdminCtl, ApplyReadsStandardInput) {
  LiveAdmin admin;
  std::istringstream input(kTomlExperiment);
  std::streambuf* saved = std::cin.rdbuf(input.rdbuf());
  CtlRun r = ctl(admin.url(), {"apply", "-"});
  std::cin.rdbuf(saved);
  EXPECT_EQ(r.code, kCtlOk) << r.err;
  EXPECT_TRUE(admin.backend.has("t1"));
  EXPECT_EQ(admin.stop(), 0);
}

TEST(AdminCtl, UnreachableAdmin) {
  const std::string url = "http://127.0.0.1:" + std::to_string(dead_port());
  CtlRun r = ctl(url, {"status"});
  EXPECT_EQ(r.code, kCtlUnreachable);
  EXPECT_NE(r.err.find("cannot reach the admin API at " + url), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("refused"), std::string::npos) << r.err;
  EXPECT_EQ(ctl(url, {"halt"}).code, kCtlUnreachable);
}

TEST(AdminCtl, TokenFromFlagAndEnvironment) {
  LiveAdmin admin("s3cret");
  const std::string url = admin.url();
  CtlRun r = ctl(url, {"ls"});
  EXPECT_EQ(r.code, kCtlUnauthorized);
  EXPECT_NE(r.err.find("HTTP 401"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--token"), std::string::npos) << r.err;
  EXPECT_EQ(ctl(url, {"halt"}, false, "wrong").code, kCtlUnauthorized);
  EXPECT_FALSE(admin.backend.halted());
  EXPECT_EQ(ctl(url, {"halt"}, false, "s3cret").code, kCtlOk);
  EXPECT_TRUE(admin.backend.halted());

  ::setenv("FAULTLINE_TOKEN", "s3cret", 1);
  ::setenv("FAULTLINE_ADMIN", url.c_str(), 1);
  r = ctl("", {"ls"});
  EXPECT_EQ(r.code, kCtlOk) << r.err;
  ::unsetenv("FAULTLINE_TOKEN");
  ::unsetenv("FAULTLINE_ADMIN");
  EXPECT_EQ(admin.stop(), 0);
}

TEST(AdminCtl, CommandLineWiring) {
  LiveAdmin admin;
  CLI::App app("faultline");
  int exit_code = -1;
  add_ctl_command(app, exit_code);
  std::vector<std::string> argv = {"ls", "--json", admin.url(), "--admin", "ctl"};  // reversed
  app.parse(argv);
  EXPECT_EQ(exit_code, kCtlOk);
  EXPECT_EQ(admin.stop(), 0);
}

// Issue 9: every verb is its own subcommand of `faultline ctl`, which checks its argument
// before any request is sent and names what is missing or extra.
TEST(AdminCtlCommandLine, EveryVerbChecksItsArgument) {
  LiveAdmin admin;
  const std::string url = admin.url();
  for (const std::string& verb : kVerbsWithName) {
    CtlRun r = ctl(url, {verb});
    EXPECT_EQ(r.code, kCtlUsage) << verb;
    EXPECT_NE(r.err.find("faultline ctl: " + verb + " needs NAME ("), std::string::npos) << r.err;
    EXPECT_NE(
        r.err.find("usage: faultline ctl [--admin URL] [--token T] [--json] " + verb + " NAME\n"),
        std::string::npos)
        << r.err;
    r = ctl(url, {verb, "a", "b"});
    EXPECT_EQ(r.code, kCtlUsage) << verb;
    EXPECT_NE(r.err.find(verb + " takes one NAME, got also \"b\""), std::string::npos) << r.err;
  }
  CtlRun r = ctl(url, {"apply"});
  EXPECT_EQ(r.code, kCtlUsage);
  EXPECT_NE(r.err.find("faultline ctl: apply needs FILE ("), std::string::npos) << r.err;
  for (const std::string& verb : kVerbsWithoutArgument) {
    r = ctl(url, {verb, "now"});
    EXPECT_EQ(r.code, kCtlUsage) << verb;
    EXPECT_NE(r.err.find("faultline ctl: " + verb + " takes no argument, got \"now\""),
              std::string::npos)
        << r.err;
  }
  EXPECT_FALSE(admin.backend.halted()) << "`halt now` must not halt";
  r = ctl(url, {"pause"}, /*json=*/true);
  EXPECT_EQ(r.code, kCtlUsage);
  EXPECT_TRUE(r.err.empty()) << r.err;
  const nlohmann::json error = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(error.is_object()) << r.out;
  EXPECT_EQ(error.value("error", ""), "pause needs NAME (the experiment to pause)") << r.out;
  EXPECT_EQ(error.value("exit_code", 0), kCtlUsage) << r.out;
  EXPECT_TRUE(admin.audit.to_json().empty()) << "no change may reach the admin API";
  EXPECT_EQ(admin.stop(), 0);
}

TEST(AdminCtlCommandLine, UnknownVerbsAndOptionsAreNamed) {
  CtlRun r = ctl_line({"explode"});
  EXPECT_EQ(r.code, kCtlUsage);
  EXPECT_NE(r.err.find("faultline ctl: unknown verb \"explode\"\n"), std::string::npos) << r.err;
  for (const std::string& verb : kVerbsWithName)
    EXPECT_NE(r.err.find(" " + verb + " NAME "), std::string::npos) << "usage lists " << verb;
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--bogus", "ls"}, {"ls", "--bogus"}, {"--admin=http://127.0.0.1:1", "--bogus"}}) {
    r = ctl_line(args);
    EXPECT_EQ(r.code, kCtlUsage) << args[0];
    EXPECT_NE(r.err.find("faultline ctl: unknown option \"--bogus\""), std::string::npos) << r.err;
  }
  r = ctl_line({"--json", "ls", "--bogus"});  // a usage error is JSON too with --json
  EXPECT_EQ(r.code, kCtlUsage);
  EXPECT_TRUE(r.err.empty()) << r.err;
  EXPECT_EQ(json_error(r.out), "unknown option \"--bogus\"") << r.out;
  r = ctl_line({"--json", "--admin"});
  EXPECT_EQ(r.code, kCtlUsage);
  EXPECT_NE(json_error(r.out).find("--admin"), std::string::npos) << r.out << r.err;
  r = ctl_line({});
  EXPECT_EQ(r.code, kCtlUsage);
  EXPECT_NE(r.err.find("faultline ctl: no verb given"), std::string::npos) << r.err;
}

TEST(AdminCtlCommandLine, HelpListsTheVerbsAndTheirOptions) {
  CtlRun r = ctl_line({"--help"});
  EXPECT_EQ(r.code, kCtlOk) << r.err;
  EXPECT_NE(r.out.find("Usage: faultline ctl [OPTIONS] VERB"), std::string::npos) << r.out;
  for (const auto* verbs : {&kVerbsWithName, &kVerbsWithoutArgument})
    for (const std::string& verb : *verbs)
      EXPECT_NE(r.out.find("\n  " + verb + " "), std::string::npos) << verb << "\n" << r.out;
  EXPECT_NE(r.out.find("\n  apply "), std::string::npos) << r.out;
  for (const char* text : {"--admin", "(Env:FAULTLINE_ADMIN)", "--token", "(Env:FAULTLINE_TOKEN)",
                           "--json", "http://127.0.0.1:9901", "exit codes:"})
    EXPECT_NE(r.out.find(text), std::string::npos) << text << "\n" << r.out;

  r = ctl_line({"pause", "--help"});
  EXPECT_EQ(r.code, kCtlOk) << r.err;
  EXPECT_NE(r.out.find("Usage: faultline ctl pause [OPTIONS] NAME"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("the experiment to pause"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--admin"), std::string::npos) << "the verb's help says where they go";
  r = ctl_line({"--json", "apply", "--help"});
  EXPECT_EQ(r.code, kCtlOk) << r.err;
  EXPECT_NE(r.out.find("Usage: faultline ctl apply [OPTIONS] FILE"), std::string::npos) << r.out;
}

// The flags win over $FAULTLINE_ADMIN / $FAULTLINE_TOKEN, wherever they stand; the
// environment fills in what the flags leave out.
TEST(AdminCtlCommandLine, FlagsWinOverTheEnvironment) {
  LiveAdmin admin("s3cret");
  const std::string url = admin.url();
  const std::string dead = "http://127.0.0.1:" + std::to_string(dead_port());
  ScopedEnv admin_env("FAULTLINE_ADMIN", dead);
  ScopedEnv token_env("FAULTLINE_TOKEN", "wrong");

  CtlRun r = ctl_line({"--admin", url, "--token", "s3cret", "halt"});
  EXPECT_EQ(r.code, kCtlOk) << r.err;
  EXPECT_TRUE(admin.backend.halted());
  r = ctl_line({"unhalt", "--token=s3cret", "--admin=" + url});  // after the verb too
  EXPECT_EQ(r.code, kCtlOk) << r.err;
  EXPECT_FALSE(admin.backend.halted());
  EXPECT_EQ(ctl(url, {"ls"}, false, "s3cret").code, kCtlOk) << "CtlOptions act as flags";

  r = ctl_line({"--admin", url, "ls"});  // the token from the environment: the wrong one
  EXPECT_EQ(r.code, kCtlUnauthorized) << r.err;
  r = ctl_line({"--token", "s3cret", "ls"});  // the address from the environment: nobody there
  EXPECT_EQ(r.code, kCtlUnreachable) << r.err;
  EXPECT_NE(r.err.find("cannot reach the admin API at " + dead), std::string::npos) << r.err;
  EXPECT_EQ(admin.stop(), 0);
}

// A verb's argument is never taken for a verb: an experiment may be called "ls" or "halt".
TEST(AdminCtlCommandLine, ExperimentsMayBeNamedLikeVerbs) {
  LiveAdmin admin;
  const std::string url = admin.url();
  for (const std::string name : {"ls", "halt", "get"}) {
    CtlRun r = ctl(url, {"apply", write_temp(".json", R"({"name": ")" + name +
                                                          R"(", "faults": [{"type": "abort"}]})")});
    EXPECT_EQ(r.code, kCtlOk) << r.err;
    r = ctl(url, {"get", name});
    EXPECT_EQ(r.code, kCtlOk) << r.err;
    EXPECT_NE(r.out.find("name:      " + name + "\n"), std::string::npos) << r.out;
    EXPECT_EQ(ctl(url, {"pause", name}).out, "experiment " + name + " paused\n");
    EXPECT_TRUE(admin.backend.paused(name));
    EXPECT_EQ(ctl(url, {"rm", name}).out, "experiment " + name + " removed\n");
  }
  EXPECT_FALSE(admin.backend.halted());
  EXPECT_EQ(admin.stop(), 0);
}

}  // namespace
}  // namespace faultline::proxy::admin::testing
