// The SPEC §4 experiment view built from plain inputs.
#include <gtest/gtest.h>

#include "config/loader.h"
#include "proxy/admin/experiment_view.h"
#include "proxy/admin/time_format.h"

namespace faultline::proxy::admin {
namespace {

config::ExperimentConfig sample_experiment() {
  config::Diagnostics diags;
  auto e = config::decode_experiment_json(
      R"({"name": "checkout-latency", "description": "p99", "duration": "30m",
          "match": {"paths": ["/api/checkout"], "percentage": 25.0},
          "faults": [{"type": "latency", "delay": "500ms"}]})",
      diags);
  EXPECT_TRUE(diags.ok()) << (diags.ok() ? "" : diags.items().front().format());
  return e.value_or(config::ExperimentConfig{});
}

TEST(AdminTimeFormat, Rfc3339Utc) {
  using namespace std::chrono;
  const system_clock::time_point t(seconds(1'800'000'000) + milliseconds(42));
  EXPECT_EQ(format_rfc3339_utc(t), "2027-01-15T08:00:00.042Z");
  EXPECT_EQ(format_rfc3339_utc(system_clock::time_point{}), "1970-01-01T00:00:00.000Z");
}

TEST(AdminExperimentView, AddsStateSourceTimesAndCounters) {
  using namespace std::chrono;
  ExperimentViewInput in;
  in.state = ExperimentState::kPaused;
  in.source = ExperimentSource::kConfig;
  const system_clock::time_point started(seconds(1'800'000'000));
  in.started_at = started;
  in.expires_at = started + minutes(30);
  in.counters.matched = 12;
  in.counters.injected = {{"latency", 10}, {"abort", 2}, {"latency", 1}};
  const nlohmann::json v = experiment_view(sample_experiment(), in);

  // The keys of the TOML table come through unchanged.
  const nlohmann::json table =
      nlohmann::json::parse(config::experiment_to_json(sample_experiment()));
  for (const auto& [key, value] : table.items()) EXPECT_EQ(v[key], value) << key;
  EXPECT_EQ(v["name"], "checkout-latency");
  EXPECT_EQ(v["state"], "paused");
  EXPECT_EQ(v["source"], "config");
  EXPECT_EQ(v["started_at"], "2027-01-15T08:00:00.000Z");
  EXPECT_EQ(v["expires_at"], "2027-01-15T08:30:00.000Z");
  EXPECT_EQ(v["counters"]["matched"], 12);
  EXPECT_EQ(v["counters"]["injected"]["latency"], 11);
  EXPECT_EQ(v["counters"]["injected"]["abort"], 2);
}

TEST(AdminExperimentView, UnboundedExperimentHasNullExpiry) {
  ExperimentViewInput in;
  in.state = ExperimentState::kExpired;
  in.source = ExperimentSource::kApi;
  const nlohmann::json v = experiment_view(sample_experiment(), in);
  EXPECT_EQ(v["state"], "expired");
  EXPECT_EQ(v["source"], "api");
  EXPECT_TRUE(v["expires_at"].is_null());
  EXPECT_TRUE(v["counters"]["injected"].is_object());
  EXPECT_TRUE(v["counters"]["injected"].empty());
  EXPECT_EQ(faults::to_string(ExperimentState::kActive), "active");
}

// start = "paused" and never resumed: the clock has not started, so neither time exists yet.
TEST(AdminExperimentView, ClockNotStartedHasNullTimes) {
  ExperimentView view;
  view.definition = sample_experiment();
  view.run.state = ExperimentState::kPaused;
  view.run.source = ExperimentSource::kConfig;
  const nlohmann::json v = experiment_view(view);
  ASSERT_TRUE(v.contains("started_at"));
  ASSERT_TRUE(v.contains("expires_at"));
  EXPECT_TRUE(v["started_at"].is_null());
  EXPECT_TRUE(v["expires_at"].is_null());
  EXPECT_EQ(v, experiment_view(view.definition, view.run));
}

}  // namespace
}  // namespace faultline::proxy::admin
