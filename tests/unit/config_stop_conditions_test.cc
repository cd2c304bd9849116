// [[safety.stop_conditions]] (SPEC §11): defaults, both kinds of `above`, and every error a
// user can make, with its key path.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/loader.h"

namespace faultline::config {
namespace {

using namespace std::chrono_literals;

constexpr const char* kListeners = R"toml(
[[listeners]]
name = "web"
listen = "127.0.0.1:0"
upstream = "127.0.0.1:1"
)toml";

std::vector<std::string> errors_with_listeners(const std::string& toml) {
  Diagnostics diags("test.toml");
  auto config = load_string(std::string(kListeners) + toml, "test.toml", diags);
  std::vector<std::string> messages;
  for (const auto& d : diags.items()) messages.push_back(d.path + ": " + d.message);
  return messages;
}

Config load_with_listeners_ok(const std::string& toml) {
  Diagnostics diags("test.toml");
  auto config = load_string(std::string(kListeners) + toml, "test.toml", diags);
  for (const auto& d : diags.items()) ADD_FAILURE() << d.format();
  return config.value_or(Config{});
}

TEST(StopConditions, DefaultsAndBothKindsOfAbove) {
  Config c = load_with_listeners_ok(R"toml(
[[safety.stop_conditions]]
name = "user-errors"
metric = "error_rate"
above = 0.05

[[safety.stop_conditions]]
name = "slow-users"
listener = "web"
metric = "p99"
above = "750ms"
window = "1m"
min_requests = 100
)toml");
  ASSERT_EQ(c.safety.stop_conditions.size(), 2u);
  const StopCondition& errors = c.safety.stop_conditions[0];
  EXPECT_EQ(errors.name, "user-errors");
  EXPECT_EQ(errors.listener, "");
  EXPECT_EQ(errors.metric, StopMetric::kErrorRate);
  EXPECT_DOUBLE_EQ(errors.above_fraction, 0.05);
  EXPECT_EQ(errors.window, 30s);
  EXPECT_EQ(errors.min_requests, 20u);
  const StopCondition& slow = c.safety.stop_conditions[1];
  EXPECT_EQ(slow.listener, "web");
  EXPECT_EQ(slow.metric, StopMetric::kP99);
  EXPECT_EQ(slow.above_latency, 750ms);
  EXPECT_EQ(slow.window, 1min);
  EXPECT_EQ(slow.min_requests, 100u);
}

TEST(StopConditions, NoneByDefault) {
  EXPECT_TRUE(load_with_listeners_ok("").safety.stop_conditions.empty());
}

struct Bad {
  const char* toml;
  const char* error;  // "path: message" prefix expected among the errors
};

class BadStopCondition : public testing::TestWithParam<Bad> {};

TEST_P(BadStopCondition, NamesTheField) {
  const std::vector<std::string> errors = errors_with_listeners(GetParam().toml);
  bool found = false;
  for (const auto& e : errors) found = found || e.starts_with(GetParam().error);
  std::string all;
  for (const auto& e : errors) all += e + "\n";
  EXPECT_TRUE(found) << "expected " << GetParam().error << " among:\n" << all;
}

const Bad kBad[] = {
    {"[[safety.stop_conditions]]\nmetric = \"p99\"\nabove = \"1s\"\n",
     "safety.stop_conditions[0].name: missing required key"},
    {"[[safety.stop_conditions]]\nname = \"a\"\nabove = 0.1\n",
     "safety.stop_conditions[0].metric: missing required key"},
    {"[[safety.stop_conditions]]\nname = \"a\"\nmetric = \"p95\"\nabove = \"1s\"\n",
     "safety.stop_conditions[0].metric: expected one of error_rate|p99|p50"},
    {"[[safety.stop_conditions]]\nname = \"a\"\nmetric = \"error_rate\"\n",
     "safety.stop_conditions[0].above: missing required key"},
    {"[[safety.stop_conditions]]\nname = \"a\"\nmetric = \"error_rate\"\nabove = 1.5\n",
     "safety.stop_conditions[0].above: must be between 0 and 1"},
    {"[[safety.stop_conditions]]\nname = \"a\"\nmetric = \"error_rate\"\nabove = \"10%\"\n",
     "safety.stop_conditions[0].above:"},
    {"[[safety.stop_conditions]]\nname = \"a\"\nmetric = \"p50\"\nabove = 0.5\n",
     "safety.stop_conditions[0].above:"},
    {"[[safety.stop_conditions]]\nname = \"a\"\nmetric = \"p50\"\nabove = \"0s\"\n",
     "safety.stop_conditions[0].above: must be greater than 0"},
    {"[[safety.stop_conditions]]\nname = \"a\"\nmetric = \"p50\"\nabove = \"1s\"\nwindow = "
     "\"11m\"\n",
     "safety.stop_conditions[0].window: at most 10m"},
    {"[[safety.stop_conditions]]\nname = \"a\"\nmetric = \"p50\"\nabove = \"1s\"\nwindow = "
     "\"500ms\"\n",
     "safety.stop_conditions[0].window: must be at least 1s"},
    {"[[safety.stop_conditions]]\nname = \"a\"\nmetric = \"p50\"\nabove = \"1s\"\nmin_requests = "
     "0\n",
     "safety.stop_conditions[0].min_requests:"},
    {"[[safety.stop_conditions]]\nname = \"a\"\nlistener = \"api\"\nmetric = \"p50\"\nabove = "
     "\"1s\"\n",
     "safety.stop_conditions[0].listener: no listener named \"api\""},
    {"[[safety.stop_conditions]]\nname = \"a\"\nmetric = \"p50\"\nabove = \"1s\"\nabvoe = 1\n",
     "safety.stop_conditions[0].abvoe: unknown key"},
    {"[[safety.stop_conditions]]\nname = \"a\"\nmetric = \"p50\"\nabove = \"1s\"\n"
     "[[safety.stop_conditions]]\nname = \"a\"\nmetric = \"p99\"\nabove = \"2s\"\n",
     "safety.stop_conditions[1].name: duplicate stop condition name \"a\""},
    {"[safety]\nstop_conditions = 3\n", "safety.stop_conditions: expected an array of tables"},
};

INSTANTIATE_TEST_SUITE_P(Table, BadStopCondition, testing::ValuesIn(kBad));

}  // namespace
}  // namespace faultline::config
