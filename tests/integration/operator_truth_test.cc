// Issue 8 items 4, 18, 21 with the real binary: huge header delays are refused at once,
// `check` refuses what `run` refuses in one pass, start = "paused" holds an experiment's clock,
// and [runtime] state_dir keeps a halt across a restart.
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include "tests/integration/admin/admin_support.h"

namespace faultline::harness::admin_test {
namespace {

std::string describe(const CommandResult& r) {
  return "exit " + (r.status ? r.status->str() : std::string("(timeout)")) + "\nstdout:\n" + r.out +
         "stderr:\n" + r.err;
}

int exit_code(const CommandResult& r) {
  return r.status && r.status->exited ? r.status->code : -1;
}

constexpr const char* kHeaderTriggers = "[triggers.headers]\nenabled = true\n";

// Item 4: the fuzzer's input held requests for safety.max_delay; now a 400 naming the header.
TEST(HeaderOverflow, HugeDelayPlusJitterIsA400AtOnce) {
  HttpUpstream up;
  ADMIN_START_PROXY(proxy, proxy_config(up.address(), kHeaderTriggers));
  const Endpoint listener = proxy.listener("main");
  const std::vector<std::vector<Header>> cases = {
      {{"x-chaos-delay", "9223372036854775807"}, {"x-chaos-jitter", "9223372036854775807"}},
      {{"x-chaos-delay", "876600h"}, {"x-chaos-jitter", "876600h"}},
  };
  for (const auto& headers : cases) {
    const auto start = Clock::now();
    HttpResponse r = proxy_get(listener, "/held", headers, Millis(20000));
    EXPECT_EQ(r.status(), 400) << headers[0].value;
    EXPECT_NE(r.body.find("x-chaos-delay"), std::string::npos) << r.body;
    EXPECT_LT(ms_between(start, Clock::now()), 5000) << "the request was held";
  }
  // The admin API refuses the same values in a latency fault instead of answering 201.
  ApiReply created = api_send(proxy.admin(), "POST", "/v1/experiments",
                              R"({"name": "huge", "faults": [{"type": "latency",
                                  "delay": "876600h", "jitter": "876600h"}]})");
  EXPECT_EQ(created.status(), 400) << created;
  EXPECT_EQ(created.str("field"), "faults[0].delay") << created;
}

// Item 18: `check` passed a config without listeners that `run` refused.
TEST(Check, RefusesWhatRunRefusesAndReportsEverythingAtOnce) {
  TempDir dir;
  const std::string no_listeners = dir.write("empty.toml", "[log]\nlevel = \"info\"\n");
  CommandResult check = run_faultline({"check", "--config", no_listeners});
  EXPECT_EQ(exit_code(check), 1) << describe(check);
  EXPECT_NE(check.err.find("no [[listeners]] configured"), std::string::npos) << describe(check);
  CommandResult run = run_faultline({"run", "--config", no_listeners});
  EXPECT_EQ(exit_code(run), 2) << describe(run);

  // An experiment-level error and two fault errors: all three in one run of check.
  const std::string staged = dir.write(
      "staged.toml",
      "[[listeners]]\nname = \"web\"\nlisten = \"127.0.0.1:0\"\nupstream = \"127.0.0.1:1\"\n"
      "[[experiments]]\nname = \"e1\"\nduraton = \"5m\"\n"
      "[[experiments.faults]]\ntype = \"latency\"\ndelay = \"soon\"\n"
      "[[experiments.faults]]\ntype = \"abort\"\nstatus = 99\n");
  CommandResult all = run_faultline({"check", staged});  // positional FILE works like --config
  EXPECT_EQ(exit_code(all), 1) << describe(all);
  for (const char* expected : {"staged.toml:7:1: experiments[0].duraton",
                               "staged.toml:10:1: experiments[0].faults[0].delay",
                               "staged.toml:13:1: experiments[0].faults[1].status"})
    EXPECT_NE(all.err.find(expected), std::string::npos) << expected << "\n" << describe(all);
}

TEST(Check, ExperimentFilesOfflineAndAgainstAConfig) {
  TempDir dir;
  const std::string good = dir.write("good.toml",
                                     "name = \"g\"\nlisteners = [\"web\"]\n[[faults]]\n"
                                     "type = \"latency\"\ndelay = \"200ms\"\n");
  CommandResult offline = run_faultline({"check", "--experiment", good});
  EXPECT_EQ(exit_code(offline), 0) << describe(offline);
  const std::string config = dir.write(
      "c.toml",
      "[[listeners]]\nname = \"cache\"\nlisten = \"127.0.0.1:0\"\nupstream = \"127.0.0.1:1\"\n"
      "protocol = \"tcp\"\n");
  CommandResult against = run_faultline({"check", "--config", config, "--experiment", good});
  EXPECT_EQ(exit_code(against), 1) << describe(against);
  EXPECT_NE(against.err.find("no listener named \"web\""), std::string::npos) << describe(against);

  const std::string broken = dir.write("broken.json", "{\n  \"name\": \"b\",\n  \"faults\": [}\n");
  CommandResult json = run_faultline({"check", "--experiment", broken});
  EXPECT_EQ(exit_code(json), 1) << describe(json);
  EXPECT_NE(json.err.find(broken + ":3:"), std::string::npos) << describe(json);
  const std::string bad_fault = dir.write(
      "bad.json", R"({"name": "b", "bogus": 1, "faults": [{"type": "abort", "status": 9}]})");
  CommandResult both = run_faultline({"check", "--experiment", bad_fault});
  EXPECT_EQ(exit_code(both), 1) << describe(both);
  EXPECT_NE(both.err.find("bogus: unknown key"), std::string::npos) << describe(both);
  EXPECT_NE(both.err.find("faults[0].status"), std::string::npos) << describe(both);
}

// The error paths `check` prints ("FILE:L:C: PATH: message" on stderr).
std::set<std::string> check_error_paths(const CommandResult& r, const std::string& file) {
  std::set<std::string> paths;
  std::istringstream lines(r.err);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with(file + ":")) continue;
    std::string rest = line.substr(file.size() + 1);
    // Skip "L:C: " when the error has a position.
    while (!rest.empty() && (std::isdigit(static_cast<unsigned char>(rest[0])) || rest[0] == ':'))
      rest.erase(0, 1);
    if (rest.starts_with(" ")) rest.erase(0, 1);
    paths.insert(rest.substr(0, rest.find(": ")));
  }
  return paths;
}

// The field paths of a 400 from the admin API: "errors" when there are several, else "field".
std::set<std::string> api_error_paths(const ApiReply& r) {
  std::set<std::string> paths;
  if (r.json.is_discarded()) return paths;
  if (r.json.contains("errors")) {
    for (const auto& e : r.json["errors"]) paths.insert(e.value("field", std::string()));
  } else {
    paths.insert(r.str("field"));
  }
  return paths;
}

// Issue 8 leftover of item 18: POST /v1/experiments validated in stages, so a bad experiment
// key hid every fault error. The API now applies `check --experiment`'s rules in one pass.
TEST(Check, AdminApiReportsEveryErrorAtOnceLikeCheck) {
  HttpUpstream up;
  ADMIN_START_PROXY(proxy, proxy_config(up.address()));
  // Experiment level: a bad duration and an unknown listener; fault level: status 999.
  const std::string body = R"({"name": "staged", "duration": "soon", "listeners": ["nope"],
      "faults": [{"type": "abort", "status": 999}]})";
  ApiReply created = api_send(proxy.admin(), "POST", "/v1/experiments", body);
  ASSERT_EQ(created.status(), 400) << created;
  const std::set<std::string> api_paths = api_error_paths(created);
  const std::set<std::string> expected = {"duration", "listeners[0]", "faults[0].status"};
  EXPECT_EQ(api_paths, expected) << created;
  ApiReply replaced = api_send(proxy.admin(), "PUT", "/v1/experiments/staged", body);
  EXPECT_EQ(replaced.status(), 400) << replaced;
  EXPECT_EQ(api_error_paths(replaced), expected) << replaced;

  // `check --experiment` against the running config refuses the same file for the same paths.
  TempDir dir;
  const std::string file = dir.write("staged.json", body);
  CommandResult check =
      run_faultline({"check", "--config", proxy.config_path(), "--experiment", file});
  EXPECT_EQ(exit_code(check), 1) << describe(check);
  EXPECT_EQ(check_error_paths(check, file), api_paths) << describe(check);
}

// Issue 8 leftover of item 6: upstream_idle_timeout (SPEC §7: "once the upstream has started
// a response") was silently ignored on tcp listeners. Written there it is now an error with
// its position; the default stays silent, and idle_timeout still bounds a tcp connection.
TEST(Check, UpstreamIdleTimeoutOnATcpListenerIsAnError) {
  TempDir dir;
  const std::string tcp =
      "[[listeners]]\nname = \"db\"\nlisten = \"127.0.0.1:0\"\n"
      "upstream = \"127.0.0.1:1\"\nprotocol = \"tcp\"\nidle_timeout = \"5m\"\n";
  const std::string plain = dir.write("plain.toml", tcp);
  CommandResult ok = run_faultline({"check", plain});
  EXPECT_EQ(exit_code(ok), 0) << describe(ok);
  const std::string set = dir.write("set.toml", tcp + "upstream_idle_timeout = \"5s\"\n");
  CommandResult refused = run_faultline({"check", set});
  EXPECT_EQ(exit_code(refused), 1) << describe(refused);
  EXPECT_NE(refused.err.find(set + ":7:1: listeners[0].upstream_idle_timeout: applies to http "
                                   "listeners only"),
            std::string::npos)
      << describe(refused);
  CommandResult run = run_faultline({"run", "--config", set});
  EXPECT_EQ(exit_code(run), 2) << describe(run);
  EXPECT_NE(run.err.find("upstream_idle_timeout"), std::string::npos) << describe(run);
}

TEST(Cli, VersionHelpAndShortFlags) {
  CommandResult version = run_faultline({"version"});
  ASSERT_EQ(exit_code(version), 0) << describe(version);
  for (const char* flag : {"--version", "-v"}) {
    CommandResult r = run_faultline({flag});
    EXPECT_EQ(exit_code(r), 0) << flag << describe(r);
    EXPECT_EQ(r.out, version.out) << flag;
  }
  CommandResult help = run_faultline({"help"});
  EXPECT_EQ(exit_code(help), 0) << describe(help);
  EXPECT_NE(help.out.find("check"), std::string::npos) << describe(help);
  EXPECT_NE(help.out.find("ctl"), std::string::npos) << describe(help);
}

// Item 21: a halt survives a restart with [runtime] state_dir, and an unhalt too.
TEST(PersistentHalt, RestartKeepsTheKillSwitch) {
  HttpUpstream up;
  TempDir state;
  ConfigSpec spec;
  ListenerSpec listener;
  listener.upstream = up.address();
  spec.listeners.push_back(listener);
  spec.runtime_extra = "state_dir = \"" + state.path() + "\"";
  spec.tail = "[[experiments]]\nname = \"errors\"\n[[experiments.faults]]\ntype = \"abort\"\n";
  const std::string config = config_toml(spec);
  {
    ADMIN_START_PROXY(first, config);
    EXPECT_EQ(proxy_get(first.listener("main"), "/x").status(), 503);
    ASSERT_EQ(api_send(first.admin(), "POST", "/v1/halt").status(), 200);
    EXPECT_EQ(proxy_get(first.listener("main"), "/x").status(), 200);
  }
  {
    ADMIN_START_PROXY(second, config);
    EXPECT_EQ(api_get(second.admin(), "/v1/status").json["halted"], true);
    EXPECT_EQ(proxy_get(second.listener("main"), "/x").status(), 200) << "faults came back";
    ASSERT_EQ(api_send(second.admin(), "DELETE", "/v1/halt").status(), 200);
    EXPECT_EQ(proxy_get(second.listener("main"), "/x").status(), 503);
  }
  {
    ADMIN_START_PROXY(third, config);
    EXPECT_EQ(api_get(third.admin(), "/v1/status").json["halted"], false);
    EXPECT_EQ(proxy_get(third.listener("main"), "/x").status(), 503);
  }
  // A bad state_dir is a config error.
  spec.runtime_extra = "state_dir = \"" + state.path() + "/missing\"";
  TempDir dir;
  CommandResult check = run_faultline({"check", dir.write("bad.toml", config_toml(spec))});
  EXPECT_EQ(exit_code(check), 1) << describe(check);
  EXPECT_NE(check.err.find("runtime.state_dir"), std::string::npos) << describe(check);
}

// Item 21: start = "paused" injects nothing and its clock waits for the first resume.
TEST(StartPaused, ClockStartsOnResume) {
  HttpUpstream up;
  ADMIN_START_PROXY(proxy, proxy_config(up.address(),
                                        "[[experiments]]\nname = \"gameday\"\nstart = \"paused\"\n"
                                        "duration = \"3s\"\n[[experiments.faults]]\n"
                                        "type = \"abort\"\n"));
  const Endpoint listener = proxy.listener("main");
  ApiReply before = api_get(proxy.admin(), "/v1/experiments/gameday");
  EXPECT_EQ(before.str("state"), "paused") << before;
  EXPECT_TRUE(before.json["expires_at"].is_null()) << before;
  EXPECT_EQ(proxy_get(listener, "/x").status(), 200);
  // Longer than its duration: a running clock would have expired it by now.
  std::this_thread::sleep_for(3500ms);
  EXPECT_EQ(api_get(proxy.admin(), "/v1/experiments/gameday").str("state"), "paused");

  ASSERT_EQ(api_send(proxy.admin(), "POST", "/v1/experiments/gameday/resume").status(), 200);
  const auto resumed = std::chrono::system_clock::now();
  EXPECT_EQ(proxy_get(listener, "/x").status(), 503);
  ApiReply after = api_get(proxy.admin(), "/v1/experiments/gameday");
  EXPECT_EQ(after.str("state"), "active") << after;
  auto expires = parse_utc(after.str("expires_at"));
  ASSERT_TRUE(expires.has_value()) << after;
  EXPECT_GT(*expires, resumed + 1500ms) << after;  // the 3s started at the resume
  EXPECT_TRUE(eventually(
      [&] { return api_get(proxy.admin(), "/v1/experiments/gameday").str("state") == "expired"; },
      Millis(8000)));
  EXPECT_EQ(proxy_get(listener, "/x").status(), 200);
}

}  // namespace
}  // namespace faultline::harness::admin_test
