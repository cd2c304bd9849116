#include "order_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <thread>

namespace example {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<long long>(0, left.count()));
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Parses "HTTP/1.1 200 OK\r\nName: value\r\n...\r\n\r\n"; false while incomplete.
bool parse_head(const std::string& data, Response& out, size_t& body_start) {
  const size_t end = data.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  body_start = end + 4;
  out.status = std::atoi(data.c_str() + data.find(' ') + 1);
  size_t line = data.find("\r\n") + 2;
  while (line < end) {
    const size_t next = data.find("\r\n", line);
    const size_t colon = data.find(':', line);
    if (colon != std::string::npos && colon < next) {
      size_t value = colon + 1;
      while (value < next && data[value] == ' ') ++value;
      out.headers.emplace_back(lower(data.substr(line, colon - line)),
                               data.substr(value, next - value));
    }
    line = next + 2;
  }
  return true;
}

bool transient(const Response& r) {
  return r.failure == Failure::kConnect || r.failure == Failure::kReset ||
         r.failure == Failure::kNoAnswer || r.status == 502 || r.status == 503 || r.status == 504;
}

}  // namespace

const char* to_string(Failure failure) {
  switch (failure) {
    case Failure::kNone:
      return "none";
    case Failure::kConnect:
      return "connect";
    case Failure::kTimeout:
      return "timeout";
    case Failure::kReset:
      return "reset";
    case Failure::kNoAnswer:
      return "no answer";
    case Failure::kTruncated:
      return "truncated";
  }
  return "?";
}

std::string Response::header(const std::string& name) const {
  for (const auto& [key, value] : headers)
    if (key == lower(name)) return value;
  return "";
}

Response OrderClient::get(
    const std::string& path,
    const std::vector<std::pair<std::string, std::string>>& extra_headers) const {
  std::string request =
      "GET " + path + " HTTP/1.1\r\nHost: " + options_.host + "\r\nConnection: close\r\n";
  for (const auto& [name, value] : extra_headers) request += name + ": " + value + "\r\n";
  request += "\r\n";
  Response response;
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    response = this->attempt(request);
    response.attempts = attempt;
    if (!transient(response)) break;
    if (attempt < options_.max_attempts) std::this_thread::sleep_for(options_.retry_backoff);
  }
  return response;
}

Response OrderClient::attempt(const std::string& request) const {
  Response out;
  const auto deadline = Clock::now() + options_.deadline;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(options_.port));
  ::inet_pton(AF_INET, options_.host.c_str(), &addr.sin_addr);
  auto finish = [&](Failure failure) {
    ::close(fd);
    out.failure = failure;
    return out;
  };
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS)
    return finish(Failure::kConnect);
  pollfd pfd{fd, POLLOUT, 0};
  if (::poll(&pfd, 1, remaining_ms(deadline)) <= 0) return finish(Failure::kTimeout);
  int error = 0;
  socklen_t len = sizeof error;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
  if (error != 0) return finish(Failure::kConnect);
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size()))
    return finish(Failure::kReset);

  std::string data;
  size_t body_start = 0;
  bool have_head = false;
  char buffer[16384];
  for (;;) {
    pfd = {fd, POLLIN, 0};
    if (::poll(&pfd, 1, remaining_ms(deadline)) <= 0) return finish(Failure::kTimeout);
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0 && have_head) return finish(Failure::kTruncated);  // cut after the head
    if (n < 0) return finish(errno == ECONNRESET ? Failure::kReset : Failure::kNoAnswer);
    if (n == 0) break;  // the server closed (Connection: close)
    data.append(buffer, static_cast<size_t>(n));
    if (!have_head) have_head = parse_head(data, out, body_start);
  }
  if (!have_head) return finish(data.empty() ? Failure::kNoAnswer : Failure::kTruncated);
  out.body = data.substr(body_start);
  const std::string length = out.header("content-length");
  if (!length.empty() && out.body.size() < std::stoul(length)) return finish(Failure::kTruncated);
  return finish(Failure::kNone);
}

}  // namespace example
