#include "tests/harness/tcp_upstream.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "tests/harness/byte_pattern.h"
#include "tests/harness/socket_stream.h"

namespace faultline::harness {

TcpUpstream::TcpUpstream(TcpHandler handler) : handler_(std::move(handler)) {
  listener_ = listen_tcp(0, 1024, &port_);
  if (::pipe2(wake_pipe_, O_CLOEXEC) != 0) {
    std::perror("harness: pipe2");
    std::abort();
  }
  acceptor_ = std::thread([this] { accept_loop(); });
}

TcpUpstream::~TcpUpstream() {
  stop();
}

void TcpUpstream::stop() {
  if (stopping_.exchange(true)) return;
  char c = 'x';
  (void)!::write(wake_pipe_[1], &c, 1);
  acceptor_.join();
  std::unique_lock lock(mu_);
  for (int fd : conn_fds_) ::shutdown(fd, SHUT_RDWR);
  cv_.notify_all();
  cv_.wait(lock, [this] { return live_threads_ == 0; });
  lock.unlock();
  ::close(wake_pipe_[0]);
  ::close(wake_pipe_[1]);
  listener_.reset();
}

std::string TcpUpstream::received_bytes() const {
  std::lock_guard lock(mu_);
  return recorded_;
}

void TcpUpstream::record(std::string_view bytes) {
  std::lock_guard lock(mu_);
  if (recorded_.size() < (1u << 20)) recorded_.append(bytes);
}

bool TcpUpstream::sleep(Millis d) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, d, [this] { return stopping_.load(); });
}

void TcpUpstream::accept_loop() {
  for (;;) {
    pollfd fds[2] = {{listener_.get(), POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) break;
    if (fds[1].revents) break;
    if (!(fds[0].revents & POLLIN)) continue;
    int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    set_nodelay(fd);
    ++accepted_;
    {
      std::lock_guard lock(mu_);
      conn_fds_.push_back(fd);
      ++live_threads_;
    }
    std::thread([this, fd] {
      handler_(fd, *this);
      std::lock_guard lock(mu_);
      conn_fds_.erase(std::find(conn_fds_.begin(), conn_fds_.end(), fd));
      ::close(fd);
      if (--live_threads_ == 0) cv_.notify_all();
    }).detach();
  }
}

namespace tcp_handlers {

constexpr auto kForever = std::chrono::hours(1);

TcpHandler echo(std::string farewell) {
  return [=](int fd, TcpUpstream& server) {
    char buf[64 * 1024];
    for (;;) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      server.count_received(static_cast<uint64_t>(n));
      server.record(std::string_view(buf, static_cast<size_t>(n)));
      if (send_all(fd, std::string_view(buf, static_cast<size_t>(n)), Clock::now() + kForever) !=
          IoStatus::kOk)
        return;
      server.count_sent(static_cast<uint64_t>(n));
    }
    if (!farewell.empty() && send_all(fd, farewell, Clock::now() + kForever) == IoStatus::kOk)
      server.count_sent(farewell.size());
  };
}

TcpHandler sink() {
  return [](int fd, TcpUpstream& server) {
    char buf[64 * 1024];
    for (;;) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      server.count_received(static_cast<uint64_t>(n));
      server.record(std::string_view(buf, static_cast<size_t>(n)));
    }
  };
}

TcpHandler source(uint64_t total, bool after_first_byte) {
  return [=](int fd, TcpUpstream& server) {
    char first;
    if (after_first_byte && ::recv(fd, &first, 1, 0) != 1) return;
    std::string buf(64 * 1024, '\0');
    for (uint64_t off = 0; off < total && !server.stopping();) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), total - off));
      fill_pattern(off, buf.data(), n);
      if (send_all(fd, std::string_view(buf.data(), n), Clock::now() + kForever) != IoStatus::kOk)
        return;
      off += n;
      server.count_sent(n);
    }
    ::shutdown(fd, SHUT_WR);
    // Wait for the peer to close so the close is not a reset over unread data.
    char c;
    while (::recv(fd, &c, 1, 0) > 0) {
    }
  };
}

TcpHandler close_immediately() {
  return [](int, TcpUpstream&) {};
}

}  // namespace tcp_handlers
}  // namespace faultline::harness
