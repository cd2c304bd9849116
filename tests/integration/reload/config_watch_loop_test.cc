// ConfigWatch on a real libuv loop: which directory events lead to a change callback
// (the file, the ConfigMap ..data link), debouncing, the content-hash filter, and a clean
// close (uv_loop_close returns 0).
#include <gtest/gtest.h>
#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "proxy/control/config_watch.h"

namespace faultline::proxy {
namespace {

using namespace std::chrono_literals;

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc | std::ios::binary);
  out << text;
}

void rename_into(const std::string& dir, const std::string& name, const std::string& text) {
  write_text(dir + "/." + name + ".tmp", text);
  ASSERT_EQ(std::rename((dir + "/." + name + ".tmp").c_str(), (dir + "/" + name).c_str()), 0);
}

class ConfigWatchLoop : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/faultline-watch-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/faultline.toml";
    write_text(path_, "a = 1\n");
    ASSERT_EQ(uv_loop_init(&loop_), 0);
  }
  void TearDown() override {
    if (watch_) {
      watch_->close();
      uv_run(&loop_, UV_RUN_DEFAULT);
      EXPECT_TRUE(watch_->closed());
      watch_.reset();
    }
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "a handle was left open";
    std::filesystem::remove_all(dir_);
  }

  void start(std::chrono::milliseconds debounce = 100ms) {
    watch_ = std::make_unique<ConfigWatch>(
        &loop_, path_, [this] { ++changes_; }, debounce);
    ASSERT_TRUE(watch_->start().ok());
  }

  // Runs the loop for `duration` (the watch keeps it alive, so a timer stops it).
  void run_for(std::chrono::milliseconds duration) {
    uv_timer_t stop;
    uv_timer_init(&loop_, &stop);
    uv_timer_start(
        &stop, [](uv_timer_t* t) { uv_stop(t->loop); }, static_cast<uint64_t>(duration.count()), 0);
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_close(reinterpret_cast<uv_handle_t*>(&stop), nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);
  }

  uv_loop_t loop_{};
  std::string dir_;
  std::string path_;
  std::unique_ptr<ConfigWatch> watch_;
  int changes_ = 0;
};

TEST_F(ConfigWatchLoop, ARenamedInFileCallsBackOnce) {
  start();
  rename_into(dir_, "faultline.toml", "a = 2\n");
  run_for(400ms);
  EXPECT_EQ(changes_, 1);
}

TEST_F(ConfigWatchLoop, WritesCloseTogetherAreDebouncedIntoOne) {
  start(300ms);
  write_text(path_, "a = 2\n");
  run_for(40ms);
  write_text(path_, "a = 3\n");
  run_for(40ms);
  write_text(path_, "a = 4\n");
  EXPECT_EQ(changes_, 0) << "called back before the writer went quiet";
  run_for(900ms);
  EXPECT_EQ(changes_, 1);
}

TEST_F(ConfigWatchLoop, TheSameContentOrOtherFilesDoNotCallBack) {
  start();
  rename_into(dir_, "faultline.toml", "a = 1\n");  // same bytes as at start
  write_text(dir_ + "/other.toml", "b = 1\n");
  write_text(dir_ + "/faultline.toml~", "c = 1\n");
  run_for(400ms);
  EXPECT_EQ(changes_, 0);
  write_text(path_, "a = 5\n");
  run_for(400ms);
  EXPECT_EQ(changes_, 1);
  write_text(path_, "a = 5\n");  // touched again with the same bytes
  run_for(400ms);
  EXPECT_EQ(changes_, 1);
}

TEST_F(ConfigWatchLoop, FollowsConfigMapDataSwaps) {
  // dir/faultline.toml -> ..data/faultline.toml, dir/..data -> ..v1
  std::filesystem::create_directory(dir_ + "/..v1");
  write_text(dir_ + "/..v1/faultline.toml", "a = 1\n");
  ASSERT_EQ(::symlink("..v1", (dir_ + "/..data").c_str()), 0);
  std::filesystem::remove(path_);
  ASSERT_EQ(::symlink("..data/faultline.toml", path_.c_str()), 0);
  start();
  for (int version = 2; version <= 3; ++version) {
    const std::string next = "..v" + std::to_string(version);
    std::filesystem::create_directory(dir_ + "/" + next);
    write_text(dir_ + "/" + next + "/faultline.toml", "a = " + std::to_string(version) + "\n");
    ASSERT_EQ(::symlink(next.c_str(), (dir_ + "/..data_tmp").c_str()), 0);
    ASSERT_EQ(std::rename((dir_ + "/..data_tmp").c_str(), (dir_ + "/..data").c_str()), 0);
    std::filesystem::remove_all(dir_ + "/..v" + std::to_string(version - 1));
    run_for(400ms);
    EXPECT_EQ(changes_, version - 1) << "swap to " << next;
  }
}

TEST_F(ConfigWatchLoop, AnUnreadableFileIsReportedSoTheReloadCanFailLoudly) {
  start();
  std::filesystem::remove(path_);
  run_for(400ms);
  EXPECT_EQ(changes_, 1);
}

TEST_F(ConfigWatchLoop, AMissingDirectoryFailsToStartAndClosesCleanly) {
  watch_ = std::make_unique<ConfigWatch>(&loop_, dir_ + "/nope/faultline.toml", [] {});
  auto st = watch_->start();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().find("nope"), std::string::npos) << st.error();
}

TEST_F(ConfigWatchLoop, CloseIsIdempotentAndStopsCallbacks) {
  start();
  write_text(path_, "a = 9\n");
  watch_->close();
  watch_->close();
  run_for(300ms);
  EXPECT_EQ(changes_, 0);
  EXPECT_TRUE(watch_->closed());
}

}  // namespace
}  // namespace faultline::proxy
