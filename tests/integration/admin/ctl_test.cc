// `faultline ctl` against a live proxy (SPEC §1, issue 4 point 7): a whole game day run
// with ctl alone — apply (TOML and JSON), watch counters, pause, resume, halt, unhalt, rm,
// events, reload, status — plus --json output and the exit codes scripts rely on.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <sstream>
#include <thread>

#include "tests/integration/admin/admin_support.h"

namespace faultline::harness::admin_test {
namespace {

constexpr const char* kToken = "game-day-token";

const char* kTomlExperiment = R"(
[[experiments]]
name = "gd-abort"
description = "checkout errors"
[experiments.match]
paths = ["/gd"]
[[experiments.faults]]
type = "abort"
status = 503
)";

const char* kJsonExperiment = R"({
  "name": "gd-latency",
  "match": {"paths": ["/slow"]},
  "faults": [{"type": "latency", "delay": "300ms"}],
  "duration": "20m"
})";

std::string describe(const CommandResult& r) {
  return "exit " + (r.status ? r.status->str() : std::string("(timeout)")) + "\nstdout:\n" + r.out +
         "stderr:\n" + r.err;
}

int exit_code(const CommandResult& r) {
  return r.status && r.status->exited ? r.status->code : -1;
}

// The "error" of what ctl --json printed, or "(not a JSON error object)".
std::string json_error(const std::string& out) {
  const nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
  if (!j.is_object() || !j.contains("error") || !j["error"].is_string())
    return "(not a JSON error object)";
  return j["error"].get<std::string>();
}

// The whitespace-separated cells of the table row whose first cell is `name`.
std::vector<std::string> row_of(const std::string& table, const std::string& name) {
  std::istringstream lines(table);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream cells(line);
    std::vector<std::string> row;
    for (std::string cell; cells >> cell;) row.push_back(cell);
    if (!row.empty() && row[0] == name) return row;
  }
  return {};
}

class CtlGameDay : public ::testing::Test {
 protected:
  void SetUp() override {
    proxy_ = std::make_unique<ProxyProcess>(
        proxy_config(up_.address(), "", std::string("token = \"") + kToken + "\"\n"));
    ASSERT_TRUE(proxy_->ready()) << proxy_->failure() << proxy_->stderr_text();
    admin_ = proxy_->admin();
    listener_ = proxy_->listener("main");
  }
  CommandResult ctl(const std::vector<std::string>& args) { return run_ctl(admin_, args, kToken); }
  // Runs ctl and expects exit 0.
  std::string ok(const std::vector<std::string>& args) {
    CommandResult r = ctl(args);
    EXPECT_EQ(exit_code(r), 0) << "ctl " << args[0] << ": " << describe(r);
    return r.out;
  }
  nlohmann::json ok_json(const std::vector<std::string>& args) {
    std::vector<std::string> with_flag{"--json"};
    with_flag.insert(with_flag.end(), args.begin(), args.end());
    const std::string out = ok(with_flag);
    nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "ctl --json " << args[0] << " is not JSON:\n" << out;
    return j;
  }
  int status_of(const std::string& path) { return proxy_get(listener_, path).status(); }

  HttpUpstream up_;
  std::unique_ptr<ProxyProcess> proxy_;
  Endpoint admin_;
  Endpoint listener_;
  TempDir files_;
};

TEST_F(CtlGameDay, AWholeGameDayWithCtlAlone) {
  // Before: a healthy proxy.
  const std::string status = ok({"status"});
  EXPECT_NE(status.find("version"), std::string::npos) << status;
  EXPECT_EQ(status.find("HALTED"), std::string::npos) << status;
  EXPECT_EQ(ok({"ls"}).find("gd-abort"), std::string::npos);

  // Apply one experiment from TOML and one from JSON.
  const std::string toml = files_.write("gd-abort.toml", kTomlExperiment);
  const std::string json = files_.write("gd-latency.json", kJsonExperiment);
  EXPECT_NE(ok({"apply", toml}).find("created"), std::string::npos);
  EXPECT_NE(ok({"apply", json}).find("created"), std::string::npos);
  EXPECT_NE(ok({"apply", toml}).find("updated"), std::string::npos) << "apply is idempotent";

  // Traffic, then watch the counters.
  for (int i = 0; i < 6; ++i) ASSERT_EQ(status_of("/gd"), 503);
  HttpResponse slow = proxy_get(listener_, "/slow");
  ASSERT_EQ(slow.status(), 200);
  EXPECT_GE(slow.elapsed.count(), 300);
  std::vector<std::string> row;
  EXPECT_TRUE(eventually(
      [&] {
        row = row_of(ok({"ls"}), "gd-abort");
        return row.size() >= 5 && row[3] == "6";
      },
      Millis(3000)))
      << ok({"ls"});
  ASSERT_GE(row.size(), 5u);
  EXPECT_EQ(row[1], "active");  // NAME STATE SOURCE MATCHED INJECTED EXPIRES
  EXPECT_EQ(row[2], "api");
  EXPECT_EQ(row[3], "6");
  EXPECT_EQ(row[4], "6");
  std::vector<std::string> latency_row = row_of(ok({"ls"}), "gd-latency");
  ASSERT_GE(latency_row.size(), 5u) << ok({"ls"});
  EXPECT_EQ(latency_row[3], "1");

  nlohmann::json list = ok_json({"ls"});
  ASSERT_TRUE(list.is_array()) << list.dump();
  bool found = false;
  for (const auto& e : list) {
    if (e.value("name", "") != "gd-abort") continue;
    found = true;
    EXPECT_EQ(e["counters"].value("matched", 0), 6) << e.dump();
    EXPECT_EQ(e["counters"]["injected"].value("abort", 0), 6) << e.dump();
  }
  EXPECT_TRUE(found) << list.dump();

  const std::string got = ok({"get", "gd-abort"});
  EXPECT_NE(got.find("active"), std::string::npos) << got;
  EXPECT_NE(got.find("checkout errors"), std::string::npos) << got;
  nlohmann::json view = ok_json({"get", "gd-latency"});
  EXPECT_EQ(view.value("name", ""), "gd-latency") << view.dump();
  EXPECT_EQ(view["faults"][0].value("delay", ""), "300ms") << view.dump();

  // Pause and resume.
  ok({"pause", "gd-abort"});
  EXPECT_EQ(status_of("/gd"), 200);
  EXPECT_EQ(row_of(ok({"ls"}), "gd-abort").at(1), "paused");
  ok({"resume", "gd-abort"});
  EXPECT_EQ(status_of("/gd"), 503);

  // The kill switch.
  const std::string halted = ok({"halt"});
  EXPECT_NE(halted.find("HALTED"), std::string::npos) << halted;
  EXPECT_EQ(status_of("/gd"), 200);
  EXPECT_EQ(ok({"status"}).rfind("HALTED", 0), 0u) << "status must lead with the halt";
  EXPECT_EQ(ok_json({"status"}).value("halted", false), true);
  ok({"unhalt"});
  EXPECT_EQ(status_of("/gd"), 503);
  EXPECT_EQ(ok_json({"status"}).value("halted", true), false);

  // Remove.
  ok({"rm", "gd-abort"});
  EXPECT_EQ(status_of("/gd"), 200);
  CommandResult gone = ctl({"get", "gd-abort"});
  EXPECT_EQ(exit_code(gone), 1) << describe(gone);
  EXPECT_NE(gone.err.find("404"), std::string::npos) << describe(gone);
  CommandResult rm_again = ctl({"rm", "gd-abort"});
  EXPECT_EQ(exit_code(rm_again), 1) << describe(rm_again);

  // Reload.
  EXPECT_NE(ok({"reload"}).find("reloaded"), std::string::npos);

  // The audit trail of the day.
  const std::string events = ok({"events"});
  for (const std::string action :
       {"create", "replace", "pause", "resume", "halt", "unhalt", "delete", "reload"})
    EXPECT_NE(events.find(action), std::string::npos) << action << " missing:\n" << events;
  nlohmann::json event_list = ok_json({"events"});
  ASSERT_TRUE(event_list.is_array()) << event_list.dump();
  EXPECT_GE(event_list.size(), 10u);
}

TEST_F(CtlGameDay, JsonOutputOfEveryVerbParses) {
  const std::string json = files_.write("gd-latency.json", kJsonExperiment);
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"status"},
                                             {"apply", json},
                                             {"ls"},
                                             {"get", "gd-latency"},
                                             {"pause", "gd-latency"},
                                             {"resume", "gd-latency"},
                                             {"halt"},
                                             {"unhalt"},
                                             {"events"},
                                             {"reload"},
                                             {"rm", "gd-latency"}}) {
    CommandResult r = ctl([&] {
      std::vector<std::string> a{"--json"};
      a.insert(a.end(), args.begin(), args.end());
      return a;
    }());
    EXPECT_EQ(exit_code(r), 0) << args[0] << ": " << describe(r);
    // rm answers 204 without a body: nothing to print is fine, anything printed is JSON.
    if (r.out.find_first_not_of(" \n") == std::string::npos && args[0] == "rm") continue;
    EXPECT_FALSE(nlohmann::json::parse(r.out, nullptr, false).is_discarded())
        << args[0] << " --json printed:\n"
        << r.out;
  }
}

TEST_F(CtlGameDay, ErrorsHaveTheirExitCodes) {
  CommandResult wrong = run_ctl(admin_, {"ls"}, "not-the-token");
  EXPECT_EQ(exit_code(wrong), 4) << describe(wrong);
  EXPECT_NE(wrong.err.find("token"), std::string::npos) << describe(wrong);
  CommandResult missing = run_ctl(admin_, {"status"});
  EXPECT_EQ(exit_code(missing), 4) << describe(missing);

  CommandResult unreachable = run_faultline(
      {"ctl", "--admin", "http://" + closed_port_address(), "--token", kToken, "status"},
      Millis(15000), {"FAULTLINE_TOKEN=", "FAULTLINE_ADMIN="});
  EXPECT_EQ(exit_code(unreachable), 3) << describe(unreachable);
  EXPECT_FALSE(unreachable.err.empty());

  CommandResult unknown = ctl({"explode"});
  EXPECT_EQ(exit_code(unknown), 2) << describe(unknown);
  CommandResult no_file = ctl({"apply", files_.path() + "/missing.toml"});
  EXPECT_EQ(exit_code(no_file), 2) << describe(no_file);

  // An experiment the API refuses: exit 1 with the field named.
  const std::string bad = files_.write(
      "bad.json", R"({"name": "bad", "faults": [{"type": "latency", "delay": "later"}]})");
  CommandResult refused = ctl({"apply", bad});
  EXPECT_EQ(exit_code(refused), 1) << describe(refused);
  EXPECT_NE(refused.err.find("faults[0].delay"), std::string::npos) << describe(refused);

  // A reload of a broken config fails visibly.
  replace_file(proxy_->config_path(), "[admin\n");
  CommandResult reload = ctl({"reload"});
  EXPECT_EQ(exit_code(reload), 1) << describe(reload);
  EXPECT_FALSE(reload.err.empty());

  // Environment variables stand in for the flags.
  CommandResult from_env = run_faultline(
      {"ctl", "status"}, Millis(15000),
      {"FAULTLINE_ADMIN=http://" + admin_.str(), std::string("FAULTLINE_TOKEN=") + kToken});
  EXPECT_EQ(exit_code(from_env), 0) << describe(from_env);
}

// Issue 8 item 19: a JSON syntax error names FILE:LINE:COL, not "not a JSON object".
TEST_F(CtlGameDay, JsonSyntaxErrorsNameTheirPosition) {
  const std::string broken = files_.write(
      "broken.json", "{\n  \"name\": \"x\",\n  \"faults\": [\n    {\"type\" \"abort\"}\n  ]\n}\n");
  CommandResult r = ctl({"apply", broken});
  EXPECT_EQ(exit_code(r), 2) << describe(r);
  EXPECT_NE(r.err.find(broken + ":4:"), std::string::npos) << describe(r);
  EXPECT_EQ(r.err.find("not a JSON object"), std::string::npos) << describe(r);
  const std::string array = files_.write("array.json", "[1, 2]");
  CommandResult not_object = ctl({"apply", array});
  EXPECT_EQ(exit_code(not_object), 2) << describe(not_object);
  EXPECT_NE(not_object.err.find("expected one experiment as a JSON object, got array"),
            std::string::npos)
      << describe(not_object);
}

// Issue 8 item 20: with --json every error is one JSON object on stdout, whatever the verb.
TEST_F(CtlGameDay, JsonErrorsAreJsonForEveryVerb) {
  const std::string missing_file = files_.path() + "/missing.toml";
  const std::vector<std::pair<std::vector<std::string>, int>> cases = {
      {{"--json", "get", "nope"}, 1},         {{"--json", "pause", "nope"}, 1},
      {{"--json", "rm", "nope"}, 1},          {{"--json", "explode"}, 2},
      {{"--json", "apply", missing_file}, 2}, {{"--json", "get"}, 2},
  };
  for (const auto& [args, code] : cases) {
    CommandResult r = ctl(args);
    EXPECT_EQ(exit_code(r), code) << describe(r);
    nlohmann::json error = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_TRUE(error.is_object()) << args[1] << ": " << describe(r);
    EXPECT_TRUE(error["error"].is_string()) << describe(r);
    EXPECT_EQ(error["exit_code"], code) << describe(r);
    EXPECT_TRUE(r.err.empty()) << describe(r);
  }
  CommandResult not_found = ctl({"--json", "get", "nope"});
  EXPECT_EQ(nlohmann::json::parse(not_found.out)["status"], 404) << describe(not_found);
  CommandResult wrong = run_ctl(admin_, {"--json", "ls"}, "not-the-token");
  EXPECT_EQ(exit_code(wrong), 4) << describe(wrong);
  EXPECT_EQ(nlohmann::json::parse(wrong.out, nullptr, false)["status"], 401) << describe(wrong);
}

// Issue 8 item 20: a token read from a file or a Secret ends with a newline.
TEST_F(CtlGameDay, TokenWithTrailingNewlineWorks) {
  CommandResult flag = run_ctl(admin_, {"status"}, std::string(kToken) + "\n");
  EXPECT_EQ(exit_code(flag), 0) << describe(flag);
  CommandResult env = run_faultline({"ctl", "status"}, Millis(15000),
                                    {"FAULTLINE_ADMIN=http://" + admin_.str(),
                                     std::string("FAULTLINE_TOKEN=") + kToken + "\r\n"});
  EXPECT_EQ(exit_code(env), 0) << describe(env);
}

// Issue 8 item 20: ls says HALTED, marks dry runs, and an expired experiment reads "expired".
TEST_F(CtlGameDay, LsTellsTheTruth) {
  const std::string dry = files_.write(
      "dry.json", R"({"name": "rehearsal", "dry_run": true, "faults": [{"type": "abort"}]})");
  ok({"apply", dry});
  const std::string brief = files_.write(
      "brief.json", R"({"name": "brief", "duration": "1s", "faults": [{"type": "abort"}]})");
  ok({"apply", brief});
  std::string ls = ok({"ls"});
  EXPECT_EQ(ls.find("HALTED"), std::string::npos) << ls;
  EXPECT_NE(ls.find("active (dry run)"), std::string::npos) << ls;

  ok({"halt"});
  ls = ok({"ls"});
  EXPECT_EQ(ls.rfind("HALTED", 0), 0u) << ls;
  ok({"unhalt"});

  ASSERT_TRUE(eventually(
      [&] { return api_get(admin_, "/v1/experiments/brief", kToken).str("state") == "expired"; },
      Millis(5000)));
  ls = ok({"ls"});
  const std::vector<std::string> row = row_of(ls, "brief");
  ASSERT_GE(row.size(), 6u) << ls;
  EXPECT_EQ(row[1], "expired") << ls;
  EXPECT_EQ(row[5], "expired") << ls;
  EXPECT_EQ(ls.find("in 0s"), std::string::npos) << ls;
}

// Issue 9: the flags win over $FAULTLINE_ADMIN and $FAULTLINE_TOKEN, before or after the verb;
// the environment fills in what the flags leave out.
TEST_F(CtlGameDay, FlagsWinOverTheEnvironment) {
  const std::string admin = "http://" + admin_.str();
  const std::vector<std::string> env = {"FAULTLINE_ADMIN=http://" + closed_port_address(),
                                        "FAULTLINE_TOKEN=not-the-token"};
  CommandResult before =
      run_faultline({"ctl", "--admin", admin, "--token", kToken, "status"}, Millis(15000), env);
  EXPECT_EQ(exit_code(before), 0) << describe(before);
  CommandResult after = run_faultline(
      {"ctl", "status", "--json", "--token", kToken, "--admin", admin}, Millis(15000), env);
  EXPECT_EQ(exit_code(after), 0) << describe(after);
  EXPECT_EQ(nlohmann::json::parse(after.out, nullptr, false).value("halted", true), false)
      << describe(after);
  CommandResult env_token = run_faultline({"ctl", "--admin", admin, "status"}, Millis(15000), env);
  EXPECT_EQ(exit_code(env_token), 4) << describe(env_token);
  CommandResult env_admin = run_faultline({"ctl", "--token", kToken, "status"}, Millis(15000), env);
  EXPECT_EQ(exit_code(env_admin), 3) << describe(env_admin);
}

// Issue 9: everything after `ctl` is ctl's: its help, the verbs' own help and argument checks,
// its errors (JSON with --json), and words that name faultline's other commands.
TEST(CtlCommandLine, HelpAndUsageErrorsOfTheBinary) {
  const std::vector<std::string> no_env = {"FAULTLINE_ADMIN=", "FAULTLINE_TOKEN="};
  CommandResult help = run_faultline({"ctl", "--help"}, Millis(15000), no_env);
  EXPECT_EQ(exit_code(help), 0) << describe(help);
  for (const char* verb : {"status", "ls", "get", "apply", "pause", "resume", "rm", "halt",
                           "unhalt", "events", "reload"})
    EXPECT_NE(help.out.find(std::string("\n  ") + verb + " "), std::string::npos) << verb << "\n"
                                                                                  << describe(help);
  EXPECT_NE(help.out.find("FAULTLINE_TOKEN"), std::string::npos) << describe(help);
  CommandResult verb_help = run_faultline({"ctl", "rm", "--help"}, Millis(15000), no_env);
  EXPECT_EQ(exit_code(verb_help), 0) << describe(verb_help);
  EXPECT_NE(verb_help.out.find("Usage: faultline ctl rm [OPTIONS] NAME"), std::string::npos)
      << describe(verb_help);

  CommandResult missing = run_faultline({"ctl", "pause"}, Millis(15000), no_env);
  EXPECT_EQ(exit_code(missing), 2) << describe(missing);
  EXPECT_NE(missing.err.find("faultline ctl: pause needs NAME"), std::string::npos)
      << describe(missing);
  CommandResult unknown = run_faultline({"ctl", "--json", "--bogus", "ls"}, Millis(15000), no_env);
  EXPECT_EQ(exit_code(unknown), 2) << describe(unknown);
  EXPECT_TRUE(unknown.err.empty()) << describe(unknown);
  EXPECT_EQ(json_error(unknown.out), "unknown option \"--bogus\"") << describe(unknown);
}

TEST(CtlCommandLine, OtherCommandNamesAreExperimentNames) {
  // Sent to the admin API (nobody listens: exit 3), not run as `faultline demo` and the like.
  for (const std::string name : {"demo", "run", "version", "help", "check"}) {
    CommandResult r =
        run_faultline({"ctl", "--admin", "http://" + closed_port_address(), "rm", name},
                      Millis(8000), {"FAULTLINE_TOKEN="});
    EXPECT_EQ(exit_code(r), 3) << name << ": " << describe(r);
  }
}

// A fake admin endpoint on 127.0.0.1: answers each of `connections` connections with `reply`
// (after reading the request head) and closes it. accept() and recv() time out, so a client
// that never comes cannot hang the test.
class CannedAdmin {
 public:
  CannedAdmin(std::string reply, int connections) : reply_(std::move(reply)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 4);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, connections] {
      for (int i = 0; i < connections; ++i) serve_one();
    });
  }
  ~CannedAdmin() {
    thread_.join();
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  void serve_one() {
    const int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    timeval tv{10, 0};
    ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string head;
    char buf[4096];
    while (head.find("\r\n\r\n") == std::string::npos) {
      const ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      head.append(buf, static_cast<size_t>(n));
    }
    for (size_t sent = 0; sent < reply_.size();) {
      const ssize_t n = ::send(c, reply_.data() + sent, reply_.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    ::close(c);
  }

  std::string reply_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

// Issue 8: a hostile or compromised admin endpoint must not crash ctl with deeply nested JSON
// (nlohmann's dump() recurses once per level): ctl refuses the reply with a clear error.
TEST(CtlHostileAdmin, DeeplyNestedReplyIsRefusedNotACrash) {
  for (size_t depth : {10'000u, 300'000u}) {
    const std::string body = std::string(depth, '[') + std::string(depth, ']');
    const std::string reply =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        "Content-Length: " +
        std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    CannedAdmin admin(reply, 2);
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"ctl", "--admin", admin.url(), "ls"},
          std::vector<std::string>{"ctl", "--admin", admin.url(), "--json", "ls"}}) {
      CommandResult r = run_faultline(args, Millis(15000), {"FAULTLINE_TOKEN="});
      ASSERT_TRUE(r.status && r.status->exited) << depth << " deep: " << describe(r);
      EXPECT_EQ(r.status->code, 1) << depth << " deep: " << describe(r);
      EXPECT_NE((r.out + r.err).find("nested deeper than 32"), std::string::npos)
          << depth << " deep: " << describe(r);
    }
  }
}

// A fake admin endpoint that answers one connection with a response head and then a body
// that does not end (up to `limit` bytes, so the test stays bounded even against a client
// that reads everything). send() times out, so a client that stops reading cannot hang it.
class EndlessAdmin {
 public:
  explicit EndlessAdmin(size_t limit) : limit_(limit) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 4);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve_one(); });
  }
  ~EndlessAdmin() {
    thread_.join();
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  size_t sent() const { return sent_; }

 private:
  void serve_one() {
    const int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    timeval tv{10, 0};
    ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    char buf[4096];
    std::string head;
    while (head.find("\r\n\r\n") == std::string::npos) {
      const ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      head.append(buf, static_cast<size_t>(n));
    }
    const std::string reply_head =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        "Content-Length: 1000000000000\r\n\r\n[";
    std::string chunk(64 * 1024, ' ');
    bool ok = ::send(c, reply_head.data(), reply_head.size(), MSG_NOSIGNAL) > 0;
    while (ok && sent_ < limit_) {
      const ssize_t n = ::send(c, chunk.data(), chunk.size(), MSG_NOSIGNAL);
      ok = n > 0;
      if (ok) sent_ += static_cast<size_t>(n);
    }
    ::close(c);
  }

  size_t limit_;
  std::atomic<size_t> sent_{0};
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

// Issue 8 leftover: ctl read an admin answer without a size cap, so a wrong --admin (or a
// hostile endpoint) sending an endless body grew ctl's memory without bound. ctl stops at
// 16 MiB with an error.
TEST(CtlHostileAdmin, EndlessReplyIsCutOffWithBoundedMemory) {
  constexpr size_t kMiB = 1024 * 1024;
  constexpr size_t kServed = 256 * kMiB;  // what an uncapped ctl would hold in memory
  EndlessAdmin admin(kServed);
  const auto start = Clock::now();
  CommandResult r =
      run_faultline({"ctl", "--admin", admin.url(), "ls"}, Millis(60000), {"FAULTLINE_TOKEN="});
  ASSERT_TRUE(r.status && r.status->exited) << describe(r);
  EXPECT_NE(r.status->code, 0) << describe(r);
  EXPECT_NE((r.out + r.err).find("larger than 16 MiB"), std::string::npos) << describe(r);
  EXPECT_LT(ms_between(start, Clock::now()), 45000) << describe(r);
  EXPECT_LT(admin.sent(), kServed) << "ctl read everything the server sent";
  // ctl's own peak resident set (wait4). RUSAGE_CHILDREN would take the largest of every
  // child this test binary reaped, earlier tests' proxies included.
  EXPECT_GT(r.status->max_rss_kib, 0);
  EXPECT_LT(static_cast<size_t>(r.status->max_rss_kib) * 1024, 128 * kMiB)
      << "ctl's ru_maxrss in KiB " << r.status->max_rss_kib;
}

}  // namespace
}  // namespace faultline::harness::admin_test
