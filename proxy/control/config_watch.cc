#include "proxy/control/config_watch.h"

#include <cassert>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "proxy/log.h"

namespace faultline::proxy {

namespace {
// Kubernetes' atomic-writer points this symlink at the current version of a mounted volume.
constexpr const char* kConfigMapDataLink = "..data";
}  // namespace

ConfigWatch::ConfigWatch(uv_loop_t* loop, std::string path, std::function<void()> on_change,
                         std::chrono::milliseconds debounce)
    : loop_(loop), path_(std::move(path)), on_change_(std::move(on_change)), debounce_(debounce) {
  std::filesystem::path p(path_);
  directory_ = p.parent_path().string();
  if (directory_.empty()) directory_ = ".";
  name_ = p.filename().string();
}

ConfigWatch::~ConfigWatch() {
  assert(open_handles_ == 0 && "ConfigWatch destroyed with open handles");
}

Status ConfigWatch::start() {
  assert(open_handles_ == 0 && !closing_);
  last_hash_ = content_hash();
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
  uv_fs_event_init(loop_, &event_);
  event_.data = this;
  open_handles_ = 2;
  if (int rc = uv_fs_event_start(&event_, on_fs_event, directory_.c_str(), 0); rc != 0) {
    close();
    return Status::failure("cannot watch " + directory_ + ": " + uv_strerror(rc));
  }
  return Ok{};
}

void ConfigWatch::close() {
  if (closing_ || open_handles_ == 0) return;
  closing_ = true;
  uv_timer_stop(&timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&event_), on_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_closed);
}

void ConfigWatch::on_closed(uv_handle_t* handle) {
  auto* self = static_cast<ConfigWatch*>(handle->data);
  if (--self->open_handles_ == 0) self->closing_ = false;
}

bool ConfigWatch::relevant(const char* filename) const {
  // Without a name (some platforms) any change in the directory may be ours.
  if (filename == nullptr) return true;
  return name_ == filename || std::strcmp(filename, kConfigMapDataLink) == 0;
}

void ConfigWatch::on_fs_event(uv_fs_event_t* handle, const char* filename, int /*events*/,
                              int status) {
  auto* self = static_cast<ConfigWatch*>(handle->data);
  if (self->closing_) return;
  if (status < 0) {
    log::main().warn("config watch on {}: {}", self->directory_, uv_strerror(status));
    return;
  }
  if (!self->relevant(filename)) return;
  // Restarting the timer on every event reloads once, after the writer has gone quiet.
  uv_timer_start(&self->timer_, on_debounce, static_cast<uint64_t>(self->debounce_.count()), 0);
}

void ConfigWatch::on_debounce(uv_timer_t* timer) {
  auto* self = static_cast<ConfigWatch*>(timer->data);
  uint64_t hash = self->content_hash();
  if (hash == self->last_hash_) return;  // touched, or rewritten with the same bytes
  self->last_hash_ = hash;
  log::main().info("config file {} changed", self->path_);
  // An unreadable file is still handed on: the reload fails and reports it, and the running
  // config stays in place.
  self->on_change_();
}

uint64_t ConfigWatch::content_hash() const {
  std::ifstream in(path_, std::ios::binary);
  if (!in) return kUnreadable;
  uint64_t hash = 14695981039346656037ull;
  char buffer[4096];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    for (std::streamsize i = 0; i < in.gcount(); ++i) {
      hash ^= static_cast<unsigned char>(buffer[i]);
      hash *= 1099511628211ull;
    }
  }
  return hash == kUnreadable ? 1 : hash;
}

}  // namespace faultline::proxy
