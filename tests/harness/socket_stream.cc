#include "tests/harness/socket_stream.h"

#include <sys/socket.h>

#include <cerrno>
#include <charconv>
#include <thread>

namespace faultline::harness {

const char* to_string(IoStatus status) {
  switch (status) {
    case IoStatus::kOk:
      return "ok";
    case IoStatus::kTimeout:
      return "timeout";
    case IoStatus::kEof:
      return "eof";
    case IoStatus::kReset:
      return "ECONNRESET";
    case IoStatus::kError:
      return "error";
    case IoStatus::kMalformed:
      return "malformed";
    case IoStatus::kTooLarge:
      return "too-large";
  }
  return "?";
}

IoStatus send_all(int fd, std::string_view bytes, Clock::time_point deadline, int* err) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_writable(fd, deadline)) return IoStatus::kTimeout;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (err) *err = errno;
    return (errno == ECONNRESET || errno == EPIPE) ? IoStatus::kReset : IoStatus::kError;
  }
  return IoStatus::kOk;
}

IoStatus SocketStream::fill(Clock::time_point deadline) {
  if (pause_.count() > 0) std::this_thread::sleep_for(pause_);
  char tmp[64 * 1024];
  size_t want = recv_limit_ ? std::min(recv_limit_, sizeof tmp) : sizeof tmp;
  for (;;) {
    ssize_t n = ::recv(fd_, tmp, want, MSG_DONTWAIT);
    if (n > 0) {
      buf_.append(tmp, static_cast<size_t>(n));
      received_ += static_cast<uint64_t>(n);
      return IoStatus::kOk;
    }
    if (n == 0) return IoStatus::kEof;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!wait_readable(fd_, deadline)) return IoStatus::kTimeout;
      continue;
    }
    errno_ = errno;
    return errno == ECONNRESET ? IoStatus::kReset : IoStatus::kError;
  }
}

IoStatus SocketStream::read_head(HttpHead* head, bool is_request, Clock::time_point deadline,
                                 size_t max_bytes) {
  size_t scanned = 0;
  for (;;) {
    auto end = buf_.find("\r\n\r\n", scanned > 3 ? scanned - 3 : 0);
    if (end != std::string::npos) {
      auto parsed = parse_head(std::string_view(buf_).substr(0, end + 2), is_request);
      buf_.erase(0, end + 4);
      if (!parsed) return IoStatus::kMalformed;
      *head = std::move(*parsed);
      return IoStatus::kOk;
    }
    scanned = buf_.size();
    if (buf_.size() > max_bytes) return IoStatus::kTooLarge;
    if (auto s = fill(deadline); s != IoStatus::kOk) return s;
  }
}

IoStatus SocketStream::read_exact(uint64_t n, const BodySink& sink, Clock::time_point deadline) {
  while (n > 0) {
    if (buf_.empty()) {
      if (auto s = fill(deadline); s != IoStatus::kOk) return s;
    }
    size_t take = static_cast<size_t>(std::min<uint64_t>(n, buf_.size()));
    if (sink) sink(std::string_view(buf_).substr(0, take));
    buf_.erase(0, take);
    n -= take;
  }
  return IoStatus::kOk;
}

IoStatus SocketStream::read_until_close(const BodySink& sink, Clock::time_point deadline) {
  for (;;) {
    if (!buf_.empty()) {
      if (sink) sink(buf_);
      buf_.clear();
    }
    auto s = fill(deadline);
    if (s == IoStatus::kEof) return IoStatus::kOk;
    if (s != IoStatus::kOk) return s;
  }
}

IoStatus SocketStream::read_line(std::string* line, Clock::time_point deadline) {
  for (;;) {
    auto eol = buf_.find("\r\n");
    if (eol != std::string::npos) {
      *line = buf_.substr(0, eol);
      buf_.erase(0, eol + 2);
      return IoStatus::kOk;
    }
    if (buf_.size() > 64 * 1024) return IoStatus::kTooLarge;
    if (auto s = fill(deadline); s != IoStatus::kOk) return s;
  }
}

IoStatus SocketStream::read_chunked(const BodySink& sink, Clock::time_point deadline) {
  std::string line;
  for (;;) {
    if (auto s = read_line(&line, deadline); s != IoStatus::kOk) return s;
    auto semi = line.find(';');
    std::string_view hex = std::string_view(line).substr(0, semi);
    while (!hex.empty() && (hex.back() == ' ' || hex.back() == '\t')) hex.remove_suffix(1);
    uint64_t size = 0;
    auto [p, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), size, 16);
    if (hex.empty() || ec != std::errc() || p != hex.data() + hex.size())
      return IoStatus::kMalformed;
    if (size == 0) break;
    if (auto s = read_exact(size, sink, deadline); s != IoStatus::kOk) return s;
    if (auto s = read_line(&line, deadline); s != IoStatus::kOk) return s;
    if (!line.empty()) return IoStatus::kMalformed;
  }
  for (;;) {  // trailers up to the blank line
    if (auto s = read_line(&line, deadline); s != IoStatus::kOk) return s;
    if (line.empty()) return IoStatus::kOk;
  }
}

IoStatus SocketStream::read_body(const Framing& framing, const BodySink& sink,
                                 Clock::time_point deadline) {
  switch (framing.kind) {
    case Framing::kNone:
      return IoStatus::kOk;
    case Framing::kLength:
      return read_exact(framing.length, sink, deadline);
    case Framing::kChunked:
      return read_chunked(sink, deadline);
    case Framing::kUntilClose:
      return read_until_close(sink, deadline);
  }
  return IoStatus::kOk;
}

}  // namespace faultline::harness
