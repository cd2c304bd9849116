// faults::load_checked_config, the validation `run` and `check` share (issue 8 items 18, 21),
// and start = "paused" in the snapshot builder.
#include <gtest/gtest.h>

#include "faults/config_check.h"
#include "faults_fixtures.h"

namespace faultline::faults {
namespace {

using namespace testing;
using namespace std::chrono_literals;

constexpr const char* kListener =
    "[[listeners]]\nname = \"web\"\nlisten = \"127.0.0.1:0\"\nupstream = \"127.0.0.1:1\"\n";

std::vector<std::string> errors_of(const std::string& toml) {
  config::Diagnostics diags("test.toml");
  auto config = load_checked_config_string(toml, "test.toml", diags);
  std::vector<std::string> out;
  for (const auto& d : diags.items()) out.push_back(d.format());
  EXPECT_EQ(config.has_value(), out.empty());
  return out;
}

// Item 18: `check` passed a config `run` refused.
// The Toxiproxy API's clients create listeners at runtime (SPEC §10.2).
TEST(LoadCheckedConfig, NoListenersIsFineWithTheToxiproxyApiOn) {
  EXPECT_EQ(errors_of("[compat.toxiproxy]\nenabled = true\n"), std::vector<std::string>{});
  EXPECT_EQ(errors_of("[compat.toxiproxy]\nenabled = true\ntoxic_ttl = \"5h\"\n"),
            std::vector<std::string>{"test.toml:3:1: compat.toxiproxy.toxic_ttl: exceeds "
                                     "safety.max_duration (4h)"});
}

TEST(LoadCheckedConfig, NoListenersIsAnError) {
  EXPECT_EQ(errors_of(""), std::vector<std::string>{"test.toml: listeners: no [[listeners]] "
                                                    "configured: faultline has nothing to proxy"});
  EXPECT_TRUE(errors_of(kListener).empty());
}

// Item 18: one experiment-level error hid every fault error; all come out in one pass, in
// file order.
TEST(LoadCheckedConfig, ReportsConfigAndFaultErrorsInOnePass) {
  const std::string toml = std::string(kListener) +
                           "[log]\n"
                           "level = \"loud\"\n"
                           "[[experiments]]\n"
                           "name = \"e1\"\n"
                           "duraton = \"5m\"\n"
                           "[[experiments.faults]]\n"
                           "type = \"latency\"\n"
                           "delay = \"soon\"\n"
                           "[[experiments.faults]]\n"
                           "type = \"abort\"\n"
                           "status = 99\n";
  EXPECT_EQ(errors_of(toml),
            (std::vector<std::string>{
                "test.toml:6:1: log.level: expected one of trace|debug|info|warn|error, got "
                "\"loud\"",
                "test.toml:9:1: experiments[0].duraton: unknown key (did you mean \"duration\"?)",
                "test.toml:12:1: experiments[0].faults[0].delay: expected a duration like "
                "\"250ms\" or \"2s\", got \"soon\" (expected a number followed by a unit (ms, s, "
                "m, h), e.g. \"1m30s\")",
                "test.toml:15:1: experiments[0].faults[1].status: expected an HTTP status "
                "200..599, got 99"}));
}

// Item 21: an experiment without `listeners` also runs on the tcp listener; the hint says so.
TEST(LoadCheckedConfig, ImplicitListenersOnAMixedConfigSayToSetListeners) {
  const std::string toml = std::string(kListener) +
                           "[[listeners]]\nname = \"cache\"\nlisten = \"127.0.0.1:0\"\n"
                           "upstream = \"127.0.0.1:2\"\nprotocol = \"tcp\"\n"
                           "[[experiments]]\nname = \"e1\"\n[experiments.match]\n"
                           "paths = [\"/api/*\"]\n[[experiments.faults]]\ntype = \"abort\"\n";
  const auto errors = errors_of(toml);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_NE(errors[0].find("experiments[0].match.paths: matches HTTP requests, but the "
                           "experiment runs on a tcp listener (the experiment has no "
                           "`listeners`, so it also runs on tcp listener \"cache\": set "
                           "listeners = [\"web\"])"),
            std::string::npos)
      << errors[0];
  EXPECT_NE(errors[1].find("abort applies to http listeners only; this experiment runs on a "
                           "tcp listener (the experiment has no `listeners`, so it also runs "
                           "on tcp listener \"cache\": set listeners = [\"web\"])"),
            std::string::npos)
      << errors[1];
  EXPECT_EQ(errors[1].find("use reset or stall"), std::string::npos);
}

// With explicit listeners the config decoder reports the listener problem once.
TEST(LoadCheckedConfig, ExplicitListenerErrorsAreNotRepeated) {
  const std::string toml = std::string(kListener) +
                           "[[experiments]]\nname = \"e1\"\nlisteners = [\"wbe\"]\n"
                           "[[experiments.faults]]\ntype = \"abort\"\n";
  EXPECT_EQ(errors_of(toml),
            std::vector<std::string>{"test.toml:7:14: experiments[0].listeners[0]: no listener "
                                     "named \"wbe\" (did you mean \"web\"?)"});
}

// Item 21: start = "paused" injects nothing and its clock starts on the first resume.
TEST(StartPaused, ClockStartsOnFirstResume) {
  auto e = experiment("held", {fault("abort", {})});
  e.duration = 10min;
  e.start_paused = true;
  auto config = make_config({e});
  Engine engine;
  ASSERT_TRUE(engine.build(config)) << engine.errors();
  const CompiledExperiment* held = engine.snapshot->find("held");
  ASSERT_NE(held, nullptr);
  EXPECT_TRUE(held->run->held());
  EXPECT_EQ(held->status(t0() + 24h), ExperimentStatus::kPaused);  // a day later: not expired
  Rng rng(1);
  EXPECT_TRUE(decide(*engine.snapshot, Request{}.head(), rng, t0(), 0).empty());

  // A rebuild while still paused (a reload, an API change) keeps it held.
  ASSERT_TRUE(engine.build(config, {}, t0() + 1h));
  EXPECT_TRUE(engine.snapshot->find("held")->run->held());

  // Resume two days later, then the rebuild the server does: the 10 minutes start now.
  const TimePoint resumed = t0() + 48h;
  ASSERT_TRUE(set_paused(*engine.snapshot, "held", false));
  ASSERT_TRUE(engine.build(config, {}, resumed));
  engine.snapshot->find("held")->run->set_held(false);  // the server does this after publishing
  const CompiledExperiment* running = engine.snapshot->find("held");
  EXPECT_EQ(running->started_at, resumed);
  EXPECT_EQ(running->expires_at, resumed + 10min);
  EXPECT_EQ(running->status(resumed + 5min), ExperimentStatus::kActive);
  EXPECT_EQ(decide(*engine.snapshot, Request{}.head(), rng, resumed, 0).terminal,
            Terminal::kRespond);
  // Later rebuilds keep that clock; pausing again does not hold it again.
  ASSERT_TRUE(set_paused(*engine.snapshot, "held", true));
  ASSERT_TRUE(engine.build(make_config({e}), {}, resumed + 1min));
  EXPECT_FALSE(engine.snapshot->find("held")->run->held());
}

}  // namespace
}  // namespace faultline::faults
