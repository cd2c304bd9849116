// [runtime] watch_config: a changed config file is reloaded without SIGHUP — editor-style
// rewrites and Kubernetes ConfigMap symlink swaps — broken files are refused like any bad
// reload, and with the watch off (the default) nothing happens until asked.
#include "tests/integration/reload/reload_support.h"

namespace faultline::harness {
namespace {

// Upper bound for a watched change to take effect: a 200 ms debounce plus a reload, with a
// wide margin for a loaded 2-core box.
constexpr Millis kApplied = 4000ms;

std::string watched_config(const std::string& upstream, const std::string& experiments,
                           bool watch = true) {
  ConfigSpec spec;
  ListenerSpec listener;
  listener.upstream = upstream;
  spec.listeners.push_back(listener);
  if (watch) spec.runtime_extra = "watch_config = true\n";
  spec.tail = experiments;
  return config_toml(spec);
}

TEST(ConfigWatch, ARewrittenFileIsApplied) {
  HttpUpstream up;
  START_PROXY(proxy, watched_config(up.address(), abort_experiment("first")));
  ASSERT_EQ(experiment_state(proxy, "first"), "active");

  replace_file(
      proxy.dir().path(), "faultline.toml",
      watched_config(up.address(), abort_experiment("first") + abort_experiment("second")));
  EXPECT_TRUE(eventually([&] { return experiment_state(proxy, "second") == "active"; }, kApplied))
      << "the rewritten config was not applied";
  EXPECT_EQ(reloads(proxy, "ok"), 1);
  EXPECT_EQ(count_events(proxy, "reload"), 1u);

  // Rewritten in place (no rename), as some editors and `echo >` do.
  {
    FILE* f = std::fopen(proxy.config_path().c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::string text = watched_config(up.address(), abort_experiment("third"));
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
  }
  EXPECT_TRUE(eventually([&] { return experiment_state(proxy, "third") == "active"; }, kApplied));
  EXPECT_TRUE(eventually([&] { return experiment_state(proxy, "first").empty(); }, kApplied))
      << "a reload replaces the config experiments";
  EXPECT_EQ(one_request(proxy.listener("main"), get_request("/")).status(), 503);
}

TEST(ConfigWatch, TheSameBytesOrAnotherFileDoNotReload) {
  HttpUpstream up;
  const std::string config = watched_config(up.address(), abort_experiment("steady"));
  START_PROXY(proxy, config);
  replace_file(proxy.dir().path(), "faultline.toml", config);
  proxy.dir().write("other.toml", "not a config");
  replace_file(proxy.dir().path(), "faultline.toml.bak", "neither");
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(reloads(proxy, "ok"), 0);
  EXPECT_EQ(reloads(proxy, "error"), 0);

  // The watch is still live after those events.
  replace_file(proxy.dir().path(), "faultline.toml",
               watched_config(up.address(), abort_experiment("moved")));
  EXPECT_TRUE(eventually([&] { return experiment_state(proxy, "moved") == "active"; }, kApplied));
  EXPECT_EQ(reloads(proxy, "ok"), 1);
}

TEST(ConfigWatch, ABrokenFileIsNotAppliedAndIsCounted) {
  HttpUpstream up;
  START_PROXY(proxy, watched_config(up.address(), abort_experiment("keeps")));
  ASSERT_EQ(reloads(proxy, "error"), 0);

  replace_file(proxy.dir().path(), "faultline.toml",
               watched_config(up.address(), abort_experiment("Bad Name")));
  EXPECT_TRUE(eventually([&] { return reloads(proxy, "error") == 1; }, kApplied));
  EXPECT_EQ(experiment_state(proxy, "keeps"), "active");
  EXPECT_EQ(one_request(proxy.listener("main"), get_request("/")).status(), 503);
  nlohmann::json status = admin_json(proxy, "/v1/status");
  EXPECT_EQ(status["last_reload"].value("result", ""), "error") << status.dump();
  ASSERT_TRUE(proxy.running());

  // Fixing the file applies it.
  replace_file(proxy.dir().path(), "faultline.toml", watched_config(up.address(), ""));
  EXPECT_TRUE(eventually([&] { return experiment_state(proxy, "keeps").empty(); }, kApplied));
  EXPECT_EQ(reloads(proxy, "ok"), 1);
  EXPECT_EQ(reloads(proxy, "error"), 1);
  EXPECT_EQ(one_request(proxy.listener("main"), get_request("/")).status(), 200);
}

// A mounted ConfigMap: dir/faultline.toml -> ..data/faultline.toml, dir/..data -> ..<ts>/,
// and an update swaps ..data to a new directory: the file's own path never changes.
TEST(ConfigWatch, AConfigMapSymlinkSwapIsApplied) {
  HttpUpstream up;
  const std::string initial = watched_config(up.address(), abort_experiment("v1"));
  START_PROXY(proxy, initial);
  const std::string dir = proxy.dir().path();
  auto publish = [&](const std::string& version, const std::string& text) {
    std::filesystem::create_directory(dir + "/" + version);
    proxy.dir().write(version + "/faultline.toml", text);
    swap_symlink(dir, "..data", version);
  };
  // Turn the plain file into the ConfigMap layout with the same content: nothing to reload.
  publish("..2026_11_21_00_00_01.000000001", initial);
  swap_symlink(dir, "faultline.toml", "..data/faultline.toml");
  std::this_thread::sleep_for(1000ms);
  EXPECT_EQ(reloads(proxy, "ok"), 0);

  publish("..2026_11_21_00_00_02.000000002",
          watched_config(up.address(), abort_experiment("v1") + abort_experiment("v2")));
  std::filesystem::remove_all(dir + "/..2026_11_21_00_00_01.000000001");
  EXPECT_TRUE(eventually([&] { return experiment_state(proxy, "v2") == "active"; }, kApplied))
      << "the ..data swap was not applied";

  // The watch did not go stale with the first swap.
  publish("..2026_11_21_00_00_03.000000003", watched_config(up.address(), abort_experiment("v3")));
  std::filesystem::remove_all(dir + "/..2026_11_21_00_00_02.000000002");
  EXPECT_TRUE(eventually([&] { return experiment_state(proxy, "v3") == "active"; }, kApplied));
  EXPECT_EQ(experiment_state(proxy, "v2"), "");
  EXPECT_EQ(reloads(proxy, "ok"), 2);
  EXPECT_EQ(reloads(proxy, "error"), 0);
}

TEST(ConfigWatch, OffByDefault) {
  HttpUpstream up;
  START_PROXY(proxy, watched_config(up.address(), "", /*watch=*/false));
  replace_file(proxy.dir().path(), "faultline.toml",
               watched_config(up.address(), abort_experiment("unwatched"), false));
  std::this_thread::sleep_for(2000ms);
  EXPECT_EQ(experiment_state(proxy, "unwatched"), "") << "applied without watch_config";
  EXPECT_EQ(reloads(proxy, "ok"), 0);

  // The file was fine: SIGHUP applies it.
  proxy.signal(SIGHUP);
  EXPECT_TRUE(
      eventually([&] { return experiment_state(proxy, "unwatched") == "active"; }, kApplied));
  // The event is appended after the new snapshot is published: wait for it, then count.
  eventually([&] { return count_events(proxy, "reload") >= 1u; }, kApplied);
  EXPECT_EQ(count_events(proxy, "reload"), 1u);
}

}  // namespace
}  // namespace faultline::harness
