// One rule for integer fields (config/number.h), whichever reader decodes the field and
// whichever format it is written in: an integral value written as 10.0 is that integer, a
// fraction or a non-finite value is refused. Before, "status": 503.0 was refused (faults'
// parameter reader) while "max_active": 10.0 was accepted (the config field reader).
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/loader.h"
#include "faults/config_check.h"
#include "faults/experiment.h"

namespace faultline {
namespace {

constexpr const char* kListener =
    "[[listeners]]\nname = \"web\"\nlisten = \"127.0.0.1:0\"\nupstream = \"127.0.0.1:1\"\n";

// What a document decoded to: the config (TOML) and its one experiment compiled.
struct Decoded {
  config::Config config;
  faults::CompiledExperiment experiment;
};

struct Outcome {
  std::optional<Decoded> decoded;  // set when there was no error
  std::string errors;              // every diagnostic, one a line
};

std::string format(const config::Diagnostics& diags) {
  std::string out;
  for (const auto& d : diags.items()) out += d.format() + "\n";
  return out;
}

// The experiment compiled as `faultline run` would (the config or an admin-API body).
bool compile(const config::ExperimentConfig& experiment, const config::Config& config,
             faults::CompiledExperiment& out, config::Diagnostics& diags) {
  return faults::compile_experiment(experiment, config, faults::Source::kConfig, out, diags);
}

Outcome load_toml(const std::string& toml) {
  Outcome outcome;
  config::Diagnostics diags("test.toml");
  auto config = faults::load_checked_config_string(toml, "test.toml", diags);
  if (config) {
    Decoded decoded{*config, {}};
    if (compile(config->experiments.at(0), *config, decoded.experiment, diags))
      outcome.decoded = std::move(decoded);
  }
  outcome.errors = format(diags);
  return outcome;
}

// The admin API's path: decode the body, check its faults against the running config,
// compile it.
Outcome load_json(const std::string& json) {
  Outcome outcome;
  config::Diagnostics base_diags("base.toml");
  auto config = faults::load_checked_config_string(kListener, "base.toml", base_diags);
  EXPECT_TRUE(config) << format(base_diags);
  if (!config) return outcome;
  config::Diagnostics diags("body");
  auto experiment = config::decode_experiment_json(json, diags);
  if (experiment && diags.ok()) {
    faults::check_experiment_faults(*experiment, *config, diags);
    Decoded decoded{*config, {}};
    if (diags.ok() && compile(*experiment, *config, decoded.experiment, diags))
      outcome.decoded = std::move(decoded);
  }
  outcome.errors = format(diags);
  return outcome;
}

std::string replace(std::string text, const std::string& literal) {
  return text.replace(text.find("{}"), 2, literal);
}

struct IntegerField {
  const char* name;
  int64_t value;        // a valid value for the field, written in several ways below
  const char* toml;     // a whole config with "{}" where the value goes
  const char* json;     // an admin-API experiment body, or nullptr (not in experiments)
  const char* refusal;  // what the error says for 1.5 and the like
  std::function<int64_t(const Decoded&)> read;
};

const std::string kExperiment = std::string(kListener) +
                                "[[experiments]]\nname = \"e\"\n"
                                "[[experiments.faults]]\ntype = \"abort\"\n";

std::vector<IntegerField> fields() {
  static const std::string runtime_workers = std::string("[runtime]\nworkers = {}\n") + kExperiment;
  static const std::string runtime_seed = std::string("[runtime]\nseed = {}\n") + kExperiment;
  static const std::string max_connections =
      std::string(kListener) + "max_connections = {}\n" + kExperiment.substr(strlen(kListener));
  static const std::string max_header_bytes =
      std::string(kListener) + "max_header_bytes = {}\n" + kExperiment.substr(strlen(kListener));
  static const std::string max_active =
      std::string(kListener) +
      "[[experiments]]\nname = \"e\"\nmax_active = {}\n[[experiments.faults]]\ntype = \"abort\"\n";
  static const std::string status = kExperiment + "status = {}\n";
  static const std::string after_bytes =
      std::string(kListener) +
      "[[experiments]]\nname = \"e\"\n[[experiments.faults]]\ntype = \"reset\"\nafter_bytes = {}\n";
  return {
      {"runtime.workers", 4, runtime_workers.c_str(), nullptr, "expected an integer",
       [](const Decoded& d) { return int64_t(d.config.runtime.workers); }},
      {"runtime.seed", 7, runtime_seed.c_str(), nullptr, "expected an integer",
       [](const Decoded& d) { return int64_t(d.config.runtime.seed); }},
      {"listeners.max_connections", 50, max_connections.c_str(), nullptr, "expected an integer",
       [](const Decoded& d) { return int64_t(d.config.listeners.at(0).max_connections); }},
      {"listeners.max_header_bytes", 4096, max_header_bytes.c_str(), nullptr,
       "expected a size string",
       [](const Decoded& d) { return int64_t(d.config.listeners.at(0).max_header_bytes.bytes); }},
      {"experiments.max_active", 3, max_active.c_str(),
       R"({"name": "e", "max_active": {}, "faults": [{"type": "abort"}]})", "expected an integer",
       [](const Decoded& d) { return int64_t(d.experiment.max_active); }},
      {"abort status", 503, status.c_str(),
       R"({"name": "e", "faults": [{"type": "abort", "status": {}}]})", "expected an integer",
       [](const Decoded& d) {
         return int64_t(d.experiment.faults.at(0).primitives.at(0).response->status);
       }},
      {"reset after_bytes", 100, after_bytes.c_str(),
       R"({"name": "e", "faults": [{"type": "reset", "after_bytes": {}}]})", "expected an integer",
       [](const Decoded& d) {
         return int64_t(d.experiment.faults.at(0).primitives.at(0).after_bytes);
       }},
  };
}

// The same value written as an integer, as N.0 and in exponent form is the same integer.
TEST(IntegerFields, AcceptAWholeNumberWrittenAsAFloatInTomlAndJson) {
  for (const IntegerField& field : fields()) {
    const std::string n = std::to_string(field.value);
    for (const std::string& literal : {n, n + ".0", n + "e0"}) {
      SCOPED_TRACE(std::string(field.name) + " = " + literal);
      const Outcome toml = load_toml(replace(field.toml, literal));
      ASSERT_TRUE(toml.decoded) << "TOML refused: " << toml.errors;
      EXPECT_EQ(field.read(*toml.decoded), field.value);
      if (field.json == nullptr) continue;
      const Outcome json = load_json(replace(field.json, literal));
      ASSERT_TRUE(json.decoded) << "JSON refused: " << json.errors;
      EXPECT_EQ(field.read(*json.decoded), field.value);
    }
  }
}

// The README's example: "status": 5.03e2 is an abort with status 503.
TEST(IntegerFields, ExponentFormOfTheReadme) {
  const IntegerField status = fields().at(5);
  ASSERT_STREQ(status.name, "abort status");
  const Outcome toml = load_toml(replace(status.toml, "5.03e2"));
  ASSERT_TRUE(toml.decoded) << toml.errors;
  EXPECT_EQ(status.read(*toml.decoded), 503);
  const Outcome json = load_json(replace(status.json, "5.03e2"));
  ASSERT_TRUE(json.decoded) << json.errors;
  EXPECT_EQ(status.read(*json.decoded), 503);
}

// A fraction is refused, never rounded; so are values no double holds exactly.
TEST(IntegerFields, RefuseFractionsAndInexactValuesInTomlAndJson) {
  for (const IntegerField& field : fields()) {
    const std::string n = std::to_string(field.value);
    for (const std::string& literal : {n + ".5", std::string("1e300"), std::string("1e16")}) {
      SCOPED_TRACE(std::string(field.name) + " = " + literal);
      const Outcome toml = load_toml(replace(field.toml, literal));
      EXPECT_FALSE(toml.decoded);
      EXPECT_NE(toml.errors.find(field.refusal), std::string::npos) << toml.errors;
      if (field.json == nullptr) continue;
      const Outcome json = load_json(replace(field.json, literal));
      EXPECT_FALSE(json.decoded);
      EXPECT_NE(json.errors.find(field.refusal), std::string::npos) << json.errors;
    }
  }
}

// TOML also has inf and nan; neither is an integer.
TEST(IntegerFields, RefuseNonFiniteTomlValues) {
  for (const IntegerField& field : fields()) {
    for (const std::string literal : {"inf", "-inf", "nan"}) {
      SCOPED_TRACE(std::string(field.name) + " = " + literal);
      const Outcome toml = load_toml(replace(field.toml, literal));
      EXPECT_FALSE(toml.decoded);
      EXPECT_NE(toml.errors.find(field.refusal), std::string::npos) << toml.errors;
    }
  }
}

// Number fields (integer or finite float) share the rule's other half: nan is not a number.
TEST(NumberFields, RefuseNanInTomlForConfigAndFaultFields) {
  const Outcome safety = load_toml("[safety]\nmax_cpu_cores = nan\n" + std::string(kExperiment));
  EXPECT_FALSE(safety.decoded);
  EXPECT_NE(safety.errors.find("safety.max_cpu_cores: expected a finite number"), std::string::npos)
      << safety.errors;
  const Outcome percentage = load_toml(std::string(kListener) +
                                       "[[experiments]]\nname = \"e\"\n[[experiments.faults]]\n"
                                       "type = \"latency\"\ndelay = \"1s\"\npercentage = nan\n");
  EXPECT_FALSE(percentage.decoded);
  EXPECT_NE(percentage.errors.find("percentage: expected a number"), std::string::npos)
      << percentage.errors;
}

}  // namespace
}  // namespace faultline
