#include "tests/harness/http_upstream.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "tests/harness/byte_pattern.h"

namespace faultline::harness {

namespace {

constexpr auto kForever = std::chrono::hours(1);

const char* reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 417:
      return "Expectation Failed";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

bool has_no_body(int status) {
  return status == 204 || status == 304 || status < 200;
}

}  // namespace

// ---- Exchange ---------------------------------------------------------------------------

IoStatus Exchange::read_body(size_t keep, const BodySink& sink) {
  if (body_read_) return IoStatus::kOk;
  body_read_ = true;
  auto framing = request_framing(request_.head);
  if (framing.kind == Framing::kNone) return IoStatus::kOk;
  if (framing.kind == Framing::kLength && framing.length == 0) return IoStatus::kOk;
  if (request_.head.has_token("expect", "100-continue")) {
    request_.sent_continue = true;
    if (!send("HTTP/1.1 100 Continue\r\n\r\n")) return IoStatus::kError;
  }
  auto status = stream_.read_body(
      framing,
      [&](std::string_view piece) {
        request_.body_bytes += piece.size();
        if (request_.body.size() < keep)
          request_.body.append(
              piece.substr(0, std::min(piece.size(), keep - request_.body.size())));
        if (sink) sink(piece);
      },
      Clock::now() + kForever);
  request_.body_intact = status == IoStatus::kOk;
  if (!request_.body_intact) close_after_ = true;
  return status;
}

bool Exchange::send(std::string_view bytes) {
  bool ok = !server_.stopping() &&
            send_all(stream_.fd(), bytes, Clock::now() + kForever) == IoStatus::kOk;
  if (!ok) close_after_ = true;
  return ok;
}

bool Exchange::respond(int status, std::string_view body, const std::vector<Header>& headers) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
  bool framed = false;
  for (const auto& h : headers) {
    framed |= iequals(h.name, "content-length") || iequals(h.name, "transfer-encoding");
    out += h.name + ": " + h.value + "\r\n";
  }
  if (!framed && !has_no_body(status))
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  if (close_after_) out += "Connection: close\r\n";
  out += "\r\n";
  if (!head_only() && !has_no_body(status)) out.append(body);
  return send(out);
}

void Exchange::count_body_sent(uint64_t n) {
  server_.add_body_bytes_sent(n);
}

bool Exchange::sleep(Millis duration) {
  return server_.sleep(duration);
}

void Exchange::abort_connection() {
  linger l{1, 0};
  ::setsockopt(stream_.fd(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close_after_ = true;  // the serving thread closes the socket: with linger 0 that is a RST
}

// ---- HttpUpstream -----------------------------------------------------------------------

HttpUpstream::HttpUpstream() {
  listener_ = listen_tcp(0, 1024, &port_);
  if (::pipe2(wake_pipe_, O_CLOEXEC) != 0) {
    std::perror("harness: pipe2");
    std::abort();
  }
  default_ = [](Exchange& ex) {
    ex.read_body();
    ex.respond(200, "ok");
  };
  acceptor_ = std::thread([this] { accept_loop(); });
}

HttpUpstream::~HttpUpstream() {
  stop();
}

void HttpUpstream::stop() {
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

void HttpUpstream::route(const std::string& path, Handler handler) {
  std::lock_guard lock(mu_);
  routes_[path] = std::move(handler);
}

void HttpUpstream::set_default(Handler handler) {
  std::lock_guard lock(mu_);
  default_ = std::move(handler);
}

Handler HttpUpstream::handler_for(const std::string& target) {
  std::string path = target.substr(0, target.find('?'));
  std::lock_guard lock(mu_);
  auto it = routes_.find(path);
  return it != routes_.end() ? it->second : default_;
}

std::vector<UpstreamRequest> HttpUpstream::recorded() const {
  std::lock_guard lock(mu_);
  return recorded_;
}

std::optional<UpstreamRequest> HttpUpstream::wait_for_request(const std::string& path,
                                                              Millis timeout,
                                                              bool head_only) const {
  std::unique_lock lock(mu_);
  std::optional<UpstreamRequest> found;
  cv_.wait_for(lock, timeout, [&] {
    for (auto it = recorded_.rbegin(); it != recorded_.rend(); ++it) {
      if (it->head.target.substr(0, it->head.target.find('?')) != path) continue;
      // The latest such request, once its handler is done (its body is then recorded).
      if (!head_only && !it->complete) return false;
      found = *it;
      return true;
    }
    return false;
  });
  return found;
}

bool HttpUpstream::sleep(Millis d) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, d, [this] { return stopping_.load(); });
}

void HttpUpstream::accept_loop() {
  for (;;) {
    pollfd fds[2] = {{listener_.get(), POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) break;
    if (fds[1].revents) break;
    if (!(fds[0].revents & POLLIN)) continue;
    int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    set_nodelay(fd);
    uint64_t id = ++accepted_;
    {
      std::lock_guard lock(mu_);
      conn_fds_.push_back(fd);
      ++live_threads_;
    }
    std::thread([this, fd, id] { serve(fd, id); }).detach();
  }
}

void HttpUpstream::serve(int fd, uint64_t id) {
  ++open_;
  SocketStream stream(fd);
  for (uint64_t index = 0; !stopping_; ++index) {
    UpstreamRequest request;
    request.connection_id = id;
    request.index_on_connection = index;
    if (stream.read_head(&request.head, true, Clock::now() + kForever) != IoStatus::kOk) break;
    request.received_at = Clock::now();
    ++requests_;
    size_t slot;
    {
      std::lock_guard lock(mu_);
      slot = recorded_.size();
      recorded_.push_back(request);
    }
    cv_.notify_all();
    Exchange exchange(*this, stream, request);
    handler_for(request.head.target)(exchange);
    if (!exchange.body_read() && !exchange.closing()) exchange.read_body(0);
    bool keep = !exchange.closing() && !request.head.has_token("connection", "close");
    request.complete = true;
    {
      std::lock_guard lock(mu_);
      recorded_[slot] = std::move(request);
    }
    cv_.notify_all();
    if (!keep) break;
  }
  --open_;
  std::lock_guard lock(mu_);
  conn_fds_.erase(std::find(conn_fds_.begin(), conn_fds_.end(), fd));
  ::close(fd);
  if (--live_threads_ == 0) cv_.notify_all();
}

// ---- handlers ---------------------------------------------------------------------------

namespace handlers {

Handler fixed(int status, std::string body, std::vector<Header> headers) {
  return [=](Exchange& ex) {
    ex.read_body();
    ex.respond(status, body, headers);
  };
}

Handler echo_body() {
  return [](Exchange& ex) {
    ex.read_body(64u << 20);
    ex.respond(200, ex.request().body);
  };
}

Handler stream(uint64_t total, bool chunked, size_t piece) {
  return [=](Exchange& ex) {
    ex.read_body();
    std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n";
    head += chunked ? std::string("Transfer-Encoding: chunked\r\n")
                    : "Content-Length: " + std::to_string(total) + "\r\n";
    head += "\r\n";
    if (!ex.send(head) || ex.head_only()) return;
    std::string buf(piece, '\0');
    char hex[32];
    for (uint64_t off = 0; off < total;) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(piece, total - off));
      fill_pattern(off, buf.data(), n);
      if (chunked) {
        int len = std::snprintf(hex, sizeof hex, "%zx\r\n", n);
        if (!ex.send(std::string_view(hex, static_cast<size_t>(len)))) return;
      }
      if (!ex.send(std::string_view(buf.data(), n))) {
        ex.close_after();
        return;
      }
      if (chunked && !ex.send("\r\n")) return;
      off += n;
      ex.count_body_sent(n);  // after the kernel took them: what the proxy accepted
    }
    if (chunked) ex.send("0\r\n\r\n");
  };
}

Handler chunked(std::vector<std::string> chunks) {
  return [=](Exchange& ex) {
    ex.read_body();
    std::string out = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    char hex[32];
    for (const auto& c : chunks) {
      if (c.empty()) continue;  // an empty chunk would end the body
      int len = std::snprintf(hex, sizeof hex, "%zx\r\n", c.size());
      out.append(hex, static_cast<size_t>(len)).append(c).append("\r\n");
    }
    out += "0\r\n\r\n";
    ex.send(out);
  };
}

Handler verify_pattern_body() {
  return [](Exchange& ex) {
    PatternChecker checker;
    auto status = ex.read_body(0, [&](std::string_view piece) { checker(piece); });
    if (status != IoStatus::kOk) return;
    ex.respond(200, "bytes=" + std::to_string(checker.bytes()) +
                        " intact=" + (checker.intact() ? "1" : "0"));
  };
}

Handler delayed(Millis delay, Handler inner) {
  return [=](Exchange& ex) {
    ex.read_body();
    if (!ex.sleep(delay)) return;
    inner(ex);
  };
}

Handler die_mid_response(uint64_t announced, uint64_t sent, bool reset) {
  return [=](Exchange& ex) {
    ex.read_body();
    std::string out =
        "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(announced) + "\r\n\r\n";
    size_t head_size = out.size();
    out.resize(head_size + sent);
    fill_pattern(0, out.data() + head_size, sent);
    ex.send(out);
    ex.sleep(Millis(50));  // let the proxy relay what it got before the connection dies
    if (reset)
      ex.abort_connection();
    else
      ex.close_after();
  };
}

Handler upgrade_echo() {
  return [](Exchange& ex) {
    const std::string* proto = ex.head().find("upgrade");
    std::string out = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: " +
                      (proto ? *proto : std::string("websocket")) + "\r\n\r\n";
    ex.close_after();  // after the tunnel ends the connection is done
    if (!ex.send(out)) return;
    auto& stream = ex.stream();
    for (;;) {
      if (!stream.buffer().empty()) {
        std::string bytes;
        bytes.swap(stream.buffer());
        if (!ex.send(bytes)) return;
      }
      if (stream.fill(Clock::now() + kForever) != IoStatus::kOk) return;
    }
  };
}

}  // namespace handlers
}  // namespace faultline::harness
