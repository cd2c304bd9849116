#include "proxy/cli/ctl_http.h"

#include <fcntl.h>
#include <llhttp.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "config/ascii.h"

namespace faultline::proxy {
namespace {

// Closes the socket on every path out of http_request.
struct FdGuard {
  int fd = -1;
  ~FdGuard() {
    if (fd >= 0) ::close(fd);
  }
};

int wait_for(int fd, short events, std::chrono::milliseconds timeout) {
  pollfd p{fd, events, 0};
  int rc;
  do {
    rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
  } while (rc < 0 && errno == EINTR);
  return rc;  // 0 = timed out
}

// Connects to the first address that answers; returns the fd or an error message.
Result<int> connect_to(const AdminUrl& url, std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* list = nullptr;
  const std::string port = std::to_string(url.port);
  if (int rc = ::getaddrinfo(url.host.c_str(), port.c_str(), &hints, &list); rc != 0)
    return Result<int>::failure("cannot resolve " + url.host + ": " + gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(list, freeaddrinfo);
  std::string last_error = "no address";
  for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    int fd =
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      if (wait_for(fd, POLLOUT, timeout) <= 0) {
        last_error = "connection timed out";
        ::close(fd);
        continue;
      }
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err == 0 ? 0 : -1;
      errno = err;
    }
    if (rc != 0) {
      last_error = std::strerror(errno);
      ::close(fd);
      continue;
    }
    return fd;
  }
  return Result<int>::failure(last_error);
}

Status send_all(int fd, std::string_view data, std::chrono::milliseconds timeout) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (wait_for(fd, POLLOUT, timeout) <= 0) return Status::failure("timed out sending");
    } else if (n < 0 && errno != EINTR) {
      return Status::failure(std::string("send failed: ") + std::strerror(errno));
    }
  }
  return Ok{};
}

struct ReplyParser {
  llhttp_t parser{};
  llhttp_settings_t settings{};
  HttpReply reply;
  std::string field;
  std::string value;
  bool complete = false;
  uint64_t max_body = 0;  // a Content-Length above it is refused before any body byte is read
  bool too_large = false;

  ReplyParser() {
    llhttp_settings_init(&settings);
    settings.on_header_field = [](llhttp_t* p, const char* at, size_t len) {
      self(p)->field.append(at, len);
      return 0;
    };
    settings.on_header_value = [](llhttp_t* p, const char* at, size_t len) {
      self(p)->value.append(at, len);
      return 0;
    };
    settings.on_header_value_complete = [](llhttp_t* p) {
      ReplyParser* r = self(p);
      if (config::ascii_iequals(r->field, "content-type")) r->reply.content_type = r->value;
      r->field.clear();
      r->value.clear();
      return 0;
    };
    settings.on_headers_complete = [](llhttp_t* p) {
      ReplyParser* r = self(p);
      r->reply.status = llhttp_get_status_code(p);
      if ((p->flags & F_CONTENT_LENGTH) != 0) {
        if (p->content_length > r->max_body) {
          r->too_large = true;
          return -1;  // stop: llhttp reports an error, the caller names the size
        }
        r->reply.body.reserve(static_cast<size_t>(p->content_length));
      }
      return 0;
    };
    settings.on_body = [](llhttp_t* p, const char* at, size_t len) {
      self(p)->reply.body.append(at, len);
      return 0;
    };
    settings.on_message_complete = [](llhttp_t* p) {
      ReplyParser* r = self(p);
      if (r->reply.status == 100) {  // interim answer: the real one follows
        r->reply = HttpReply{};
        return 0;
      }
      r->complete = true;
      return 0;
    };
    llhttp_init(&parser, HTTP_RESPONSE, &settings);
    parser.data = this;
  }
  static ReplyParser* self(llhttp_t* p) { return static_cast<ReplyParser*>(p->data); }
};

}  // namespace

Result<AdminUrl> parse_admin_url(std::string_view text) {
  AdminUrl url;
  url.text = std::string(text);
  std::string_view rest = text;
  if (rest.starts_with("https://"))
    return Result<AdminUrl>::failure("https is not supported by faultline ctl: " + url.text);
  if (rest.starts_with("http://")) rest.remove_prefix(7);
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view path = rest.substr(slash);
    while (path.ends_with('/')) path.remove_suffix(1);
    url.base_path = std::string(path);
  }
  std::string_view port_text;
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return Result<AdminUrl>::failure("bad admin URL (unclosed '['): " + url.text);
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (after.starts_with(':'))
      port_text = after.substr(1);
    else if (!after.empty())
      return Result<AdminUrl>::failure("bad admin URL: " + url.text);
  } else {
    const size_t colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) return Result<AdminUrl>::failure("bad admin URL (no host): " + url.text);
  if (!port_text.empty()) {
    unsigned port = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9' || port > 65535)
        return Result<AdminUrl>::failure("bad admin URL (port): " + url.text);
      port = port * 10 + static_cast<unsigned>(c - '0');
    }
    if (port == 0 || port > 65535)
      return Result<AdminUrl>::failure("bad admin URL (port): " + url.text);
    url.port = static_cast<uint16_t>(port);
  } else {
    url.port = 80;  // an explicit URL without a port means the HTTP default
  }
  return url;
}

Result<HttpReply> http_request(const AdminUrl& url, std::string_view method, std::string_view path,
                               std::string_view token, std::string_view json_body,
                               const HttpRequestOptions& options) {
  Result<int> connected = connect_to(url, options.connect_timeout);
  if (!connected) return Result<HttpReply>::failure(connected.error());
  FdGuard guard{connected.value()};

  const bool v6 = url.host.find(':') != std::string::npos;
  std::string request;
  request += method;
  request += ' ';
  request += url.base_path;
  request += path;
  request += " HTTP/1.1\r\nHost: ";
  request += v6 ? "[" + url.host + "]" : url.host;
  request += ':' + std::to_string(url.port);
  request += "\r\nUser-Agent: faultline-ctl\r\nAccept: application/json\r\nConnection: close\r\n";
  if (!token.empty()) {
    request += "Authorization: Bearer ";
    request += token;
    // Also as x-faultline-token (SPEC §7): the Kubernetes API server's pod proxy, the way
    // `ctl --k8s` and a pod-proxy --admin URL go, drops Authorization.
    request += "\r\nx-faultline-token: ";
    request += token;
    request += "\r\n";
  }
  if (!json_body.empty() || method == "POST" || method == "PUT") {
    if (!json_body.empty()) request += "Content-Type: application/json\r\n";
    request += "Content-Length: " + std::to_string(json_body.size()) + "\r\n";
  }
  request += "\r\n";
  request += json_body;
  if (Status sent = send_all(guard.fd, request, options.io_timeout); !sent)
    return Result<HttpReply>::failure(sent.error());

  ReplyParser parser;
  parser.max_body = options.max_reply_bytes;
  const std::string too_large = "the answer is larger than " +
                                std::to_string(options.max_reply_bytes >> 20) +
                                " MiB; stopped reading (is --admin the faultline admin API?)";
  char buf[16 * 1024];
  size_t received = 0;
  while (!parser.complete) {
    ssize_t n = ::recv(guard.fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (wait_for(guard.fd, POLLIN, options.io_timeout) <= 0)
        return Result<HttpReply>::failure("timed out waiting for the answer");
      continue;
    }
    if (n < 0)
      return Result<HttpReply>::failure(std::string("receive failed: ") + std::strerror(errno));
    received += static_cast<size_t>(n);
    if (received > options.max_reply_bytes) return Result<HttpReply>::failure(too_large);
    llhttp_errno_t err = n == 0 ? llhttp_finish(&parser.parser)
                                : llhttp_execute(&parser.parser, buf, static_cast<size_t>(n));
    if (parser.too_large) return Result<HttpReply>::failure(too_large);
    if (err != HPE_OK && !parser.complete)
      return Result<HttpReply>::failure(std::string("not an HTTP answer: ") +
                                        llhttp_get_error_reason(&parser.parser));
    if (n == 0) break;
  }
  if (!parser.complete) return Result<HttpReply>::failure("connection closed before the answer");
  return std::move(parser.reply);
}

}  // namespace faultline::proxy
