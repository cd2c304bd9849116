// [runtime] watch_config: an extension to SPEC §2 that is off unless asked for, and typed
// like every other switch (a quoted "true" is an error, not a silent false).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/loader.h"

namespace faultline::config {
namespace {

std::vector<std::string> errors_keeping_config(const std::string& toml,
                                               std::optional<Config>* out = nullptr) {
  Diagnostics diags("test.toml");
  auto config = load_string(toml, "test.toml", diags);
  std::vector<std::string> lines;
  for (const auto& d : diags.items()) lines.push_back(d.format());
  if (out) *out = std::move(config);
  return lines;
}

TEST(ConfigWatchKey, OffByDefault) {
  std::optional<Config> config;
  EXPECT_TRUE(errors_keeping_config("[runtime]\nworkers = 1\n", &config).empty());
  ASSERT_TRUE(config.has_value());
  EXPECT_FALSE(config->runtime.watch_config);
  EXPECT_FALSE(Config{}.runtime.watch_config);
}

TEST(ConfigWatchKey, TurnedOn) {
  std::optional<Config> config;
  EXPECT_TRUE(errors_keeping_config("[runtime]\nwatch_config = true\n", &config).empty());
  ASSERT_TRUE(config.has_value());
  EXPECT_TRUE(config->runtime.watch_config);
}

TEST(ConfigWatchKey, MustBeABoolean) {
  std::optional<Config> config;
  auto errors = errors_keeping_config("[runtime]\nwatch_config = \"true\"\n", &config);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("test.toml:2:", 0), 0u) << errors[0];
  EXPECT_NE(errors[0].find("runtime.watch_config"), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("expected true or false"), std::string::npos) << errors[0];
  EXPECT_FALSE(config.has_value());
}

TEST(ConfigWatchKey, MisspellingIsAnError) {
  auto errors = errors_keeping_config("[runtime]\nwatch_conifg = true\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("runtime.watch_conifg"), std::string::npos) << errors[0];
}

}  // namespace
}  // namespace faultline::config
