// Single experiments as the admin API and `ctl apply` see them: JSON bodies with relative
// field paths, TOML experiment files, the shared context rules, and the JSON view.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/loader.h"
#include "config/validate.h"

namespace faultline::config {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> json_errors(const std::string& json) {
  Diagnostics diags;
  auto experiment = decode_experiment_json(json, diags);
  EXPECT_EQ(experiment.has_value(), diags.ok());
  std::vector<std::string> lines;
  for (const auto& d : diags.items()) lines.push_back(d.format());
  return lines;
}

ExperimentConfig json_ok(const std::string& json) {
  Diagnostics diags;
  auto experiment = decode_experiment_json(json, diags);
  for (const auto& d : diags.items()) ADD_FAILURE() << d.format();
  return experiment.value_or(ExperimentConfig{});
}

Config context_with(std::vector<std::string> listener_names) {
  Config config;
  for (auto& name : listener_names) {
    ListenerConfig listener;
    listener.name = name;
    config.listeners.push_back(listener);
  }
  return config;
}

constexpr const char* kFullJson = R"({
  "name": "checkout-errors",
  "description": "errors for beta users",
  "listeners": ["inbound"],
  "trigger": "header",
  "duration": "10m",
  "max_active": 5,
  "dry_run": true,
  "match": {
    "paths": ["/api/checkout"],
    "methods": ["post"],
    "headers": {"X-User-Tier": "beta"},
    "sources": ["10.0.0.0/8"],
    "percentage": 50,
    "sample_by": "trace"
  },
  "faults": [
    {"type": "latency", "delay": "500ms", "jitter": "100ms"},
    {"type": "abort", "status": 503, "headers": {"retry-after": "1"}}
  ]
})";

TEST(DecodeExperimentJson, DecodesEveryField) {
  ExperimentConfig e = json_ok(kFullJson);
  EXPECT_EQ(e.name, "checkout-errors");
  EXPECT_EQ(e.description, "errors for beta users");
  EXPECT_EQ(e.listeners, std::vector<std::string>{"inbound"});
  EXPECT_EQ(e.trigger, Trigger::kHeader);
  EXPECT_EQ(e.duration, std::optional<Duration>(10min));
  EXPECT_EQ(e.max_active, 5u);
  EXPECT_TRUE(e.dry_run);
  EXPECT_EQ(e.path, "");
  EXPECT_EQ(e.match.methods, std::vector<std::string>{"POST"});
  ASSERT_EQ(e.match.headers.size(), 1u);
  EXPECT_EQ(e.match.headers[0].first, "x-user-tier");
  EXPECT_EQ(e.match.percentage, 50.0);
  EXPECT_EQ(e.match.sample_by.kind, SampleBy::Kind::kTrace);
  ASSERT_EQ(e.faults.size(), 2u);
  EXPECT_EQ(e.faults[0].type, "latency");
  EXPECT_EQ(e.faults[0].path, "faults[0]");
  EXPECT_EQ(e.faults[0].params.find("delay")->string, "500ms");
  EXPECT_EQ(e.faults[1].path, "faults[1]");
  EXPECT_EQ(e.faults[1].params.find("status")->integer, 503);
  // JSON has no positions: a client gets field paths only.
  EXPECT_EQ(e.faults[1].params.find("status")->pos.line, 0);
}

TEST(DecodeExperimentJson, MinimalBodyGetsDefaults) {
  ExperimentConfig e = json_ok(R"({"name": "x", "faults": [{"type": "reset"}]})");
  EXPECT_TRUE(e.listeners.empty());
  EXPECT_EQ(e.trigger, Trigger::kAlways);
  EXPECT_FALSE(e.duration.has_value());
  EXPECT_EQ(e.match.percentage, 100.0);
}

TEST(DecodeExperimentJson, IntegralFloatsAreIntegers) {
  EXPECT_EQ(
      json_ok(R"({"name": "x", "max_active": 3.0, "faults": [{"type": "reset"}]})").max_active, 3u);
}

TEST(DecodeExperimentJson, ErrorsCarryRelativeFieldPaths) {
  EXPECT_EQ(json_errors(R"({"name": "x", "faults": [{"type": "latency"}], "duraton": "1m"})"),
            std::vector<std::string>{"duraton: unknown key (did you mean \"duration\"?)"});
  EXPECT_EQ(json_errors(R"({"name": "x", "faults": [{"type": "latency"}],
                      "match": {"percentage": 150, "sources": ["10.0.0.0/40"]}})"),
            (std::vector<std::string>{
                "match.sources[0]: invalid CIDR \"10.0.0.0/40\": prefix length must be 0..32",
                "match.percentage: must be between 0 and 100"}));
  EXPECT_EQ(json_errors(R"({"name": "x", "faults": [{"type": "latency"}, {"delay": "1s"}, 7]})"),
            (std::vector<std::string>{"faults[1].type: missing required key",
                                      "faults[2]: expected a table, got integer"}));
  EXPECT_EQ(json_errors(R"({"faults": [{"type": "latency"}], "duration": 30})"),
            (std::vector<std::string>{
                "name: missing required key",
                "duration: expected a duration string like \"250ms\", got integer"}));
  EXPECT_EQ(json_errors(R"({"name": "UPPER", "faults": [], "trigger": null})"),
            (std::vector<std::string>{"name: must be non-empty and use only a-z, 0-9 and '-'",
                                      "trigger: expected a string, got null",
                                      "faults: an experiment needs at least one fault"}));
  EXPECT_EQ(
      json_errors(R"({"name": "header", "faults": [{"type": "abort"}]})"),
      std::vector<std::string>{"name: \"header\" is reserved for per-request header triggers"});
  EXPECT_EQ(json_errors(R"({"name": "envoy-header", "faults": [{"type": "abort"}]})"),
            std::vector<std::string>{
                "name: \"envoy-header\" is reserved for per-request header triggers"});
  EXPECT_EQ(json_errors(R"({"name": "x", "faults": [{"type": "abort"}], "max_active": 1.5})"),
            std::vector<std::string>{"max_active: expected an integer, got float"});
  EXPECT_EQ(json_errors(R"({"name": "x", "faults": [{"type": "abort"}], "max_active": 1e300})"),
            std::vector<std::string>{"max_active: expected an integer, got float"});
  EXPECT_EQ(
      json_errors(
          R"({"name": "x", "faults": [{"type": "abort"}], "max_active": 18446744073709551615})"),
      std::vector<std::string>{"max_active: expected an integer, got float"});
}

TEST(DecodeExperimentJson, RejectsNonObjectsAndBadSyntax) {
  EXPECT_EQ(json_errors("[1, 2]"),
            std::vector<std::string>{
                "expected a JSON object with the keys of one [[experiments]] table"});
  auto syntax = json_errors(R"({"name": )");
  ASSERT_EQ(syntax.size(), 1u);
  EXPECT_EQ(syntax[0].rfind("invalid JSON: parse error at line 1, column 10", 0), 0u) << syntax[0];
  EXPECT_EQ(
      json_errors(R"({"name": "a", "faults": [{"type": "abort"}], "name": "b"})"),
      std::vector<std::string>{"name: invalid JSON: duplicate key \"name\" at line 1, column 46"});
  EXPECT_EQ(json_errors(R"({"name": "a", "faults": [{"type": "abort", "status": 1,
                                                    "status": 2}]})"),
            std::vector<std::string>{
                "faults[0].status: invalid JSON: duplicate key \"status\" at line 2, column 53"});
  // Equal keys in different objects are fine.
  json_ok(R"({"name": "a", "faults": [{"type": "abort"}, {"type": "abort"}]})");
  std::string deep(100, '[');
  EXPECT_EQ(
      json_errors("{\"name\": " + deep + std::string(100, ']') + "}"),
      std::vector<std::string>{"invalid JSON: nested deeper than 32 levels at line 1, column 41"});
}

TEST(ValidateExperiment, ChecksListenersAndMaxDuration) {
  Config context = context_with({"inbound", "outbound"});
  context.safety.max_duration = 1h;
  ExperimentConfig e = json_ok(
      R"({"name": "x", "listeners": ["inbound", "inbund", "nope"], "duration": "2h",
          "faults": [{"type": "abort"}]})");
  Diagnostics diags;
  validate_experiment(e, context, diags);
  std::vector<std::string> lines;
  for (const auto& d : diags.items()) lines.push_back(d.format());
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "listeners[1]: no listener named \"inbund\" (did you mean \"inbound\"?)",
                       "listeners[2]: no listener named \"nope\"",
                       "duration: 2h exceeds safety.max_duration (1h)"}));

  Diagnostics ok_diags;
  ExperimentConfig fine = json_ok(R"({"name": "y", "listeners": ["outbound"], "duration": "1h",
                                      "faults": [{"type": "abort"}]})");
  validate_experiment(fine, context, ok_diags);
  EXPECT_TRUE(ok_diags.ok());
}

TEST(ValidateExperiment, TcpListenersRejectHttpOnlyMatching) {
  Config context = context_with({"web", "raw"});
  context.listeners[1].protocol = Protocol::kTcp;
  ExperimentConfig http_only = json_ok(
      R"({"name": "x", "listeners": ["web", "raw"], "trigger": "header",
          "match": {"paths": ["/a"], "sample_by": "trace"}, "faults": [{"type": "latency"}]})");
  Diagnostics diags;
  validate_experiment(http_only, context, diags);
  ASSERT_EQ(diags.items().size(), 1u);
  EXPECT_EQ(diags.items()[0].format(),
            "listeners[1]: listener \"raw\" is tcp, but match.paths, match.sample_by, "
            "trigger = \"header\" need http requests");

  // Sources and percentages work on raw streams.
  ExperimentConfig stream = json_ok(
      R"({"name": "y", "listeners": ["raw"], "match": {"sources": ["10.0.0.0/8"],
          "percentage": 5}, "faults": [{"type": "latency"}]})");
  Diagnostics stream_diags;
  validate_experiment(stream, context, stream_diags);
  EXPECT_TRUE(stream_diags.ok());
}

TEST(DecodeExperimentToml, AcceptsBareTable) {
  Diagnostics diags;
  auto e = decode_experiment_toml(R"(name = "slow"
duration = "5m"
[match]
paths = ["/a"]
[[faults]]
type = "latency"
delay = "1s"
)",
                                  "slow.toml", diags);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->name, "slow");
  EXPECT_EQ(e->match.paths, std::vector<std::string>{"/a"});
  ASSERT_EQ(e->faults.size(), 1u);
  EXPECT_EQ(e->faults[0].path, "faults[0]");
  EXPECT_EQ(e->faults[0].params.find("delay")->pos.line, 7);
}

TEST(DecodeExperimentToml, AcceptsOneExperimentsEntry) {
  Diagnostics diags;
  auto e = decode_experiment_toml(R"([[experiments]]
name = "slow"
[[experiments.faults]]
type = "latency"
)",
                                  "slow.toml", diags);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->path, "experiments[0]");
  EXPECT_EQ(e->faults[0].path, "experiments[0].faults[0]");
}

TEST(DecodeExperimentToml, ErrorsNameFileAndPosition) {
  Diagnostics diags;
  auto e = decode_experiment_toml(R"([[experiments]]
name = "a"
faults = [{type = "abort"}]
[[experiments]]
name = "b"
faults = [{type = "abort"}]
)",
                                  "two.toml", diags);
  EXPECT_FALSE(e.has_value());
  ASSERT_EQ(diags.items().size(), 1u);
  EXPECT_EQ(diags.items()[0].format(),
            "two.toml:1:3: experiments: expected exactly one [[experiments]] table in an "
            "experiment file");

  Diagnostics bad;
  EXPECT_FALSE(decode_experiment_toml("name = \"a\"\nfaults = [{type = \"abort\"}]\n"
                                      "listeners = \"web\"\n",
                                      "one.toml", bad)
                   .has_value());
  ASSERT_EQ(bad.items().size(), 1u);
  EXPECT_EQ(bad.items()[0].format(),
            "one.toml:3:1: listeners: expected an array of strings, got string");

  Diagnostics sorted;  // decoding finds the unknown key first; the file order wins
  EXPECT_FALSE(
      decode_experiment_toml("name = \"a\"\nfaults = 3\ntypo = 1\n", "s.toml", sorted).has_value());
  ASSERT_EQ(sorted.items().size(), 2u);
  EXPECT_EQ(sorted.items()[0].format(),
            "s.toml:2:1: faults: expected an array of fault tables, got integer");
  EXPECT_EQ(sorted.items()[1].format(), "s.toml:3:1: typo: unknown key");

  Diagnostics extra;
  EXPECT_FALSE(decode_experiment_toml("[[experiments]]\nname = \"a\"\nfaults = [{type = "
                                      "\"abort\"}]\n[admin]\nlisten = \"x:1\"\n",
                                      "extra.toml", extra)
                   .has_value());
  ASSERT_EQ(extra.items().size(), 1u);
  EXPECT_EQ(extra.items()[0].format(), "extra.toml:4:2: admin: unknown key");
}

TEST(ExperimentToJson, RendersTomlKeysAndRoundTrips) {
  ExperimentConfig e = json_ok(kFullJson);
  std::string json = experiment_to_json(e);
  EXPECT_EQ(json,
            R"({"name":"checkout-errors","description":"errors for beta users",)"
            R"("listeners":["inbound"],"trigger":"header","duration":"10m","max_active":5,)"
            R"("dry_run":true,"match":{"paths":["/api/checkout"],"methods":["POST"],)"
            R"("headers":{"x-user-tier":"beta"},"sources":["10.0.0.0/8"],"percentage":50.0,)"
            R"("sample_by":"trace"},"faults":[{"type":"latency","delay":"500ms","jitter":"100ms"},)"
            R"({"type":"abort","status":503,"headers":{"retry-after":"1"}}]})");
  ExperimentConfig again = json_ok(json);
  EXPECT_EQ(experiment_to_json(again), json);
}

TEST(ExperimentToJson, TomlExperimentRendersLikeJson) {
  Diagnostics diags;
  auto e = decode_experiment_toml(R"(name = "s"
[match]
sample_by = "header:X-User"
[[faults]]
type = "bandwidth"
rate = "16KiB/s"
)",
                                  "s.toml", diags);
  ASSERT_TRUE(e.has_value());
  std::string json = experiment_to_json(*e);
  EXPECT_NE(json.find(R"("sample_by":"header:x-user")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("faults":[{"type":"bandwidth","rate":"16KiB/s"}])"), std::string::npos)
      << json;
  EXPECT_EQ(json.find("duration"), std::string::npos) << json;  // unset stays unset
  EXPECT_EQ(experiment_to_json(json_ok(json)), json);
}

TEST(ParseToml, KeepsWrittenOrderAndKeyPositions) {
  Diagnostics diags("o.toml");
  auto root = parse_toml("zeta = 1\nalpha = 2\n[mid]\n  b = true\n  a = 1.5\n", "o.toml", diags);
  ASSERT_TRUE(root.has_value());
  ASSERT_EQ(root->fields.size(), 3u);
  EXPECT_EQ(root->fields[0].first, "zeta");
  EXPECT_EQ(root->fields[1].first, "alpha");
  EXPECT_EQ(root->fields[2].first, "mid");
  const Node& mid = root->fields[2].second;
  EXPECT_EQ(mid.fields[0].first, "b");
  EXPECT_EQ(mid.fields[0].second.pos.line, 4);
  EXPECT_EQ(mid.fields[0].second.pos.column, 3);
  EXPECT_EQ(mid.fields[1].second.kind, Node::Kind::kFloat);
}

}  // namespace
}  // namespace faultline::config
