#pragma once
// Watches the config file for `[runtime] watch_config = true` and asks for a reload when its
// content changes. It watches the file's DIRECTORY, not the file: editors save by writing a
// temp file and renaming it over the original, and Kubernetes updates a mounted ConfigMap by
// swapping the `..data` symlink to a new timestamped directory, so the file's inode changes
// and a watch on the file itself would go stale after the first update. Events are filtered
// to the file's name and `..data`, debounced (an editor's save is several events), and a
// reload is only requested when the content hash differs from the last one seen, so touching
// the file or unrelated events cost nothing. Runs on one loop; not thread-safe.
#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "config/result.h"

namespace faultline::proxy {

class ConfigWatch {
 public:
  static constexpr std::chrono::milliseconds kDefaultDebounce{200};

  // `on_change` runs on `loop`'s thread, at most once per debounce period.
  ConfigWatch(uv_loop_t* loop, std::string path, std::function<void()> on_change,
              std::chrono::milliseconds debounce = kDefaultDebounce);
  ~ConfigWatch();  // the watch must be closed (close() and the loop run) or never started
  ConfigWatch(const ConfigWatch&) = delete;
  ConfigWatch& operator=(const ConfigWatch&) = delete;

  // Remembers the current content and starts watching the directory.
  Status start();
  // Stops watching; idempotent. The handles are released on the loop's next iteration.
  void close();
  bool closed() const { return open_handles_ == 0; }

  const std::string& directory() const { return directory_; }
  const std::string& path() const { return path_; }

 private:
  static void on_fs_event(uv_fs_event_t* handle, const char* filename, int events, int status);
  static void on_debounce(uv_timer_t* timer);
  static void on_closed(uv_handle_t* handle);
  bool relevant(const char* filename) const;
  // FNV-1a of the file's bytes; kUnreadable when it cannot be read (missing, mid-swap).
  uint64_t content_hash() const;

  static constexpr uint64_t kUnreadable = 0;

  uv_loop_t* loop_;
  std::string path_;
  std::string directory_;
  std::string name_;
  std::function<void()> on_change_;
  std::chrono::milliseconds debounce_;
  uv_fs_event_t event_{};
  uv_timer_t timer_{};
  int open_handles_ = 0;
  bool closing_ = false;
  uint64_t last_hash_ = kUnreadable;
};

}  // namespace faultline::proxy
