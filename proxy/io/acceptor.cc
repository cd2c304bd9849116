#include "proxy/io/acceptor.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstring>

namespace faultline::proxy {

Acceptor::Acceptor(Owner& owner, spdlog::logger& (*log)(), std::string name)
    : owner_(owner), log_(log), name_(std::move(name)) {}

Acceptor::~Acceptor() {
  assert(!open_ && pending_closes_ == 0 && "Acceptor destroyed before its handles closed");
}

int Acceptor::start(uv_loop_t* loop, int listen_fd) {
  assert(!open_);
  if (int rc = uv_poll_init(loop, &poll_, listen_fd); rc != 0) return rc;
  uv_timer_init(loop, &retry_);
  poll_.data = retry_.data = this;
  fd_ = listen_fd;
  open_ = true;
  take_spare();
  poll();
  return 0;
}

void Acceptor::take_spare() {
  if (keep_spare_ && spare_fd_ < 0) spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

bool Acceptor::accept_with_spare() {
  if (spare_fd_ < 0) return false;
  ::close(spare_fd_);
  spare_fd_ = -1;
  sockaddr_storage peer{};
  socklen_t len = sizeof peer;
  int fd = ::accept4(fd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) {
    take_spare();
    return false;
  }
  owner_.accepted(fd, peer);
  return true;
}

void Acceptor::poll() {
  uv_timer_stop(&retry_);
  if (int rc = uv_poll_start(&poll_, UV_READABLE, on_readable); rc != 0) {
    log_().error("listener {}: cannot poll the listening socket: {}", name_, uv_strerror(rc));
    pause(kMaxBackoffMs);
    return;
  }
  polling_ = true;
}

void Acceptor::pause(uint64_t retry_ms) {
  if (polling_) uv_poll_stop(&poll_);
  polling_ = false;
  uv_timer_start(&retry_, on_retry, retry_ms, 0);
}

void Acceptor::resume() {
  if (!open_) return;
  take_spare();
  if (!polling_) poll();
}

void Acceptor::on_retry(uv_timer_t* timer) {
  static_cast<Acceptor*>(timer->data)->resume();
}

void Acceptor::on_readable(uv_poll_t* poll, int status, int /*events*/) {
  auto* self = static_cast<Acceptor*>(poll->data);
  if (status < 0) {
    if (auto dropped = self->exhausted_log_.admit())
      self->log_().error("listener {}: listening socket error: {}{}", self->name_,
                         uv_strerror(status), suppressed_note(*dropped));
    self->pause(kMaxBackoffMs);
    return;
  }
  self->accept_batch();
}

void Acceptor::accept_batch() {
  const int batch = std::clamp(owner_.accepts_per_turn(), 1, kBatch);
  for (int i = 0; i < batch && open_; ++i) {
    if (!owner_.reserve_slot()) {
      // At the limit: leave the rest in the backlog until a connection closes.
      pause(kLimitRecheckMs);
      return;
    }
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    int fd = ::accept4(fd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      backoff_ms_ = kFirstBackoffMs;
      owner_.accepted(fd, peer);
      continue;
    }
    int err = errno;
    owner_.release_slot();
    switch (err) {
      case EAGAIN:
#if EWOULDBLOCK != EAGAIN
      case EWOULDBLOCK:
#endif
        return;  // backlog empty (another loop may have taken the connection)
      case EINTR:
      case ECONNABORTED:  // the client gave up while queued
      case EPROTO:
      case EPERM:  // refused by a firewall rule
        continue;
      case EMFILE:
      case ENFILE:
        owner_.out_of_descriptors();
        if (owner_.reserve_slot()) {
          if (accept_with_spare()) continue;
          owner_.release_slot();
        }
        [[fallthrough]];
      default:
        // Out of descriptors or memory, or something unexpected: stop polling (the
        // connection stays queued) and try again later instead of spinning on the error.
        if (auto dropped = exhausted_log_.admit())
          log_().error("listener {}: accept failed: {}; pausing new connections for {} ms{}", name_,
                       std::strerror(err), backoff_ms_, suppressed_note(*dropped));
        pause(backoff_ms_);
        backoff_ms_ = std::min(backoff_ms_ * 2, kMaxBackoffMs);
        return;
    }
  }
}

void Acceptor::close(std::function<void()> done) {
  if (!open_) return;
  open_ = false;
  polling_ = false;
  on_closed_ = std::move(done);
  if (spare_fd_ >= 0) ::close(spare_fd_);
  spare_fd_ = -1;
  pending_closes_ = 2;
  // uv_close stops the poll (the socket leaves epoll) before returning; the descriptor itself
  // is closed in the callback, once libuv no longer refers to it.
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), on_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&retry_), on_closed);
}

void Acceptor::on_closed(uv_handle_t* handle) {
  auto* self = static_cast<Acceptor*>(handle->data);
  if (--self->pending_closes_ > 0) return;
  ::close(self->fd_);
  self->fd_ = -1;
  if (auto done = std::move(self->on_closed_)) done();
}

}  // namespace faultline::proxy
