#include "tests/harness/concurrent_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include "tests/harness/http_message.h"

namespace faultline::harness {

namespace {

struct Conn {
  Fd fd;
  Clock::time_point start;
  size_t sent = 0;
  std::string in;
  bool head_done = false;
  size_t body_start = 0;
  uint64_t need = 0;  // body bytes expected (Content-Length)
  bool until_close = false;
  bool done = false;
};

// Returns true once `c` holds a complete response.
bool complete(Conn& c, ConcurrentResult& r) {
  if (!c.head_done) {
    auto end = c.in.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    auto head = parse_head(std::string_view(c.in).substr(0, end + 2), false);
    if (!head) {
      r.io = IoStatus::kMalformed;
      return true;
    }
    r.status = head->status;
    c.head_done = true;
    c.body_start = end + 4;
    auto framing = response_framing(*head, "GET");
    c.need = framing.kind == Framing::kLength ? framing.length : 0;
    c.until_close = framing.kind == Framing::kUntilClose || framing.kind == Framing::kChunked;
  }
  if (c.until_close) return false;
  if (c.in.size() - c.body_start >= c.need) {
    r.io = IoStatus::kOk;
    return true;
  }
  return false;
}

// The poll loop behind both entry points. With `burst`, nothing is sent until every
// connection is writable; `*released` is then when the sending round began.
std::vector<ConcurrentResult> run(const Endpoint& to, const std::vector<std::string>& requests,
                                  Millis timeout, size_t connect_burst, bool burst,
                                  Clock::time_point* released) {
  std::vector<ConcurrentResult> results(requests.size());
  std::vector<Conn> conns(requests.size());
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(to.port);
  ::inet_pton(AF_INET, to.host.c_str(), &addr.sin_addr);
  auto deadline = Clock::now() + timeout;
  size_t started = 0, finished = 0, connected = 0;
  bool sending = !burst;
  std::vector<bool> writable(requests.size(), false);
  std::vector<pollfd> fds;
  std::vector<size_t> index;
  auto finish = [&](size_t i, Clock::time_point now) {
    results[i].latency = std::chrono::duration_cast<Millis>(now - conns[i].start);
    conns[i].done = true;
    conns[i].fd.reset();
    ++finished;
  };
  while (finished < requests.size() && Clock::now() < deadline) {
    for (size_t n = 0; n < connect_burst && started < requests.size(); ++n, ++started) {
      Conn& c = conns[started];
      c.start = Clock::now();
      c.fd.reset(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
      if (::connect(c.fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 &&
          errno != EINPROGRESS) {
        results[started].io = IoStatus::kError;
        results[started].err = errno;
        finish(started, Clock::now());
      }
    }
    fds.clear();
    index.clear();
    for (size_t i = 0; i < started; ++i) {
      if (conns[i].done) continue;
      short events = POLLIN;
      if (conns[i].sent < requests[i].size() && (sending || !writable[i])) events |= POLLOUT;
      fds.push_back({conns[i].fd.get(), events, 0});
      index.push_back(i);
    }
    int wait_ms = started < requests.size() ? 1 : 50;
    if (::poll(fds.data(), fds.size(), wait_ms) < 0 && errno != EINTR) break;
    auto now = Clock::now();
    if (!sending) {
      for (size_t k = 0; k < fds.size(); ++k) {
        if (!(fds[k].revents & POLLOUT) || writable[index[k]]) continue;
        writable[index[k]] = true;
        ++connected;
      }
      if (connected + finished < requests.size() || started < requests.size()) continue;
      sending = true;
      if (released) *released = Clock::now();
      continue;  // the next round sends on every connection
    }
    for (size_t k = 0; k < fds.size(); ++k) {
      size_t i = index[k];
      Conn& c = conns[i];
      if (fds[k].revents & POLLOUT) {
        ssize_t n = ::send(c.fd.get(), requests[i].data() + c.sent, requests[i].size() - c.sent,
                           MSG_NOSIGNAL);
        if (n > 0) c.sent += static_cast<size_t>(n);
      }
      if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[16 * 1024];
      ssize_t n = ::recv(c.fd.get(), buf, sizeof buf, 0);
      if (n > 0) {
        c.in.append(buf, static_cast<size_t>(n));
        if (complete(c, results[i])) finish(i, now);
      } else if (n == 0) {
        results[i].io = c.head_done && c.until_close ? IoStatus::kOk : IoStatus::kEof;
        finish(i, now);
      } else if (errno != EAGAIN && errno != EINTR) {
        results[i].err = errno;
        results[i].io = errno == ECONNRESET ? IoStatus::kReset : IoStatus::kError;
        finish(i, now);
      }
    }
  }
  for (size_t i = 0; i < requests.size(); ++i) {
    if (!conns[i].done) results[i].latency = timeout;  // io stays kTimeout
  }
  return results;
}

}  // namespace

std::vector<ConcurrentResult> run_concurrent(const Endpoint& to,
                                             const std::vector<std::string>& requests,
                                             Millis timeout, size_t connect_burst) {
  return run(to, requests, timeout, connect_burst, false, nullptr);
}

BurstResult run_burst(const Endpoint& to, const std::vector<std::string>& requests,
                      Millis timeout) {
  Clock::time_point released{};
  BurstResult out;
  out.results = run(to, requests, timeout, 100, true, &released);
  if (released != Clock::time_point{})
    out.elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - released).count();
  return out;
}

}  // namespace faultline::harness
