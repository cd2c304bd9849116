#include "proxy/cli/simple_http_server.h"

#include <llhttp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "config/ascii.h"
#include "proxy/http/head.h"
#include "proxy/io/listen_socket.h"
#include "proxy/log.h"

namespace faultline::proxy {

std::string SimpleRequest::header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return v;
  return {};
}

class SimpleConnection {
 public:
  explicit SimpleConnection(SimpleHttpServer& server) : server_(server) {
    uv_tcp_init(server.loop_, &tcp_);
    tcp_.data = this;
    static const llhttp_settings_t settings = [] {
      llhttp_settings_t s;
      llhttp_settings_init(&s);
      s.on_message_begin = [](llhttp_t* p) {
        auto* c = static_cast<SimpleConnection*>(p->data);
        c->req_ = SimpleRequest();
        c->in_value_ = false;
        return 0;
      };
      s.on_url = [](llhttp_t* p, const char* at, size_t n) {
        auto* c = static_cast<SimpleConnection*>(p->data);
        c->req_.target.append(at, n);
        return 0;
      };
      s.on_header_field = [](llhttp_t* p, const char* at, size_t n) {
        auto* c = static_cast<SimpleConnection*>(p->data);
        if (c->in_value_ || c->req_.headers.empty()) c->req_.headers.emplace_back();
        c->in_value_ = false;
        c->name_len_ += n;
        for (size_t i = 0; i < n; ++i)
          c->req_.headers.back().first.push_back(config::ascii_lower(at[i]));
        return 0;
      };
      s.on_header_value = [](llhttp_t* p, const char* at, size_t n) {
        auto* c = static_cast<SimpleConnection*>(p->data);
        c->in_value_ = true;
        c->req_.headers.back().second.append(at, n);
        return 0;
      };
      // An empty name (": v") is refused: llhttp accepts it, and a value needs a header.
      s.on_header_field_complete = [](llhttp_t* p) {
        auto* c = static_cast<SimpleConnection*>(p->data);
        const bool named = c->name_len_ > 0;
        c->name_len_ = 0;
        return named ? 0 : -1;
      };
      s.on_headers_complete = [](llhttp_t* p) -> int {
        auto* c = static_cast<SimpleConnection*>(p->data);
        c->req_.method = llhttp_method_name(static_cast<llhttp_method_t>(llhttp_get_method(p)));
        if (c->req_.header("expect") == "100-continue") c->write("HTTP/1.1 100 Continue\r\n\r\n");
        c->in_head_ = false;
        return HPE_PAUSED;  // parse() scans the head's bytes for obs-fold
      };
      s.on_body = [](llhttp_t* p, const char* at, size_t n) {
        auto* c = static_cast<SimpleConnection*>(p->data);
        if (c->req_.body.size() + n > SimpleHttpServer::kMaxBody) return -1;
        c->req_.body.append(at, n);
        return 0;
      };
      s.on_message_complete = [](llhttp_t* p) -> int {
        auto* c = static_cast<SimpleConnection*>(p->data);
        c->respond(llhttp_should_keep_alive(p) != 0);
        c->in_head_ = true;
        c->head_.reset(SimpleHttpServer::kMaxHead);
        return HPE_PAUSED;  // the next bytes begin a head
      };
      return s;
    }();
    llhttp_init(&parser_, HTTP_REQUEST, &settings);
    parser_.data = this;
    head_.reset(SimpleHttpServer::kMaxHead);
  }

  bool accept(int fd) {
    if (uv_tcp_open(&tcp_, fd) != 0) {
      ::close(fd);
      return false;
    }
    uv_tcp_nodelay(&tcp_, 1);
    start_reading();
    return true;
  }

  void start_reading() {
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(&tcp_),
        [](uv_handle_t* h, size_t, uv_buf_t* buf) {
          auto* c = static_cast<SimpleConnection*>(h->data);
          *buf = uv_buf_init(c->buf_, sizeof c->buf_);
        },
        [](uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
          auto* c = static_cast<SimpleConnection*>(s->data);
          if (nread < 0) {
            c->close();
            return;
          }
          if (nread == 0 || c->close_after_write_) return;
          if (!c->parse(buf->base, static_cast<size_t>(nread))) {
            c->write(c->head_too_large_
                         ? "HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: "
                           "0\r\nconnection: close\r\n\r\n"
                         : "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: "
                           "close\r\n\r\n");
            c->close_after_write_ = true;
            return;
          }
          c->apply_back_pressure();
        });
  }

  void close() {
    if (closing_) return;
    closing_ = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), [](uv_handle_t* h) {
      auto* c = static_cast<SimpleConnection*>(h->data);
      c->server_.connection_closed(c);
    });
  }

 private:
  struct Write {
    uv_write_t req;
    std::string data;
  };

  void write(std::string data) {
    if (closing_) return;
    auto* w = new Write{{}, std::move(data)};
    w->req.data = this;
    uv_buf_t buf = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
    ++pending_;
    if (uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1,
                 [](uv_write_t* req, int status) {
                   auto* w = reinterpret_cast<Write*>(req);
                   auto* c = static_cast<SimpleConnection*>(req->data);
                   delete w;
                   --c->pending_;
                   if (status != 0 || (c->close_after_write_ && c->pending_ == 0)) {
                     c->close();
                   } else if (c->reading_paused_ && c->pending_ == 0) {
                     c->resume_reading();
                   }
                 }) != 0) {
      --pending_;
      delete w;
      close();
    }
  }

  void respond(bool keep_alive) {
    SimpleResponse r = server_.handler_(req_);
    std::string out =
        "HTTP/1.1 " + std::to_string(r.status) + " " + reason_phrase(r.status) + "\r\n";
    bool no_body = r.status == 204 || r.status == 304 || (r.status >= 100 && r.status < 200);
    if (!no_body) {
      out += "content-type: " + r.content_type + "\r\n";
      out += "content-length: " + std::to_string(r.body.size()) + "\r\n";
    }
    for (const auto& [k, v] : r.headers) out += k + ": " + v + "\r\n";
    if (!keep_alive) out += "connection: close\r\n";
    out += "\r\n";
    if (req_.method != "HEAD" && !no_body) out += r.body;
    write(std::move(out));
    if (!keep_alive) close_after_write_ = true;
  }

  // llhttp pauses at the end of each head and each message, so that every span it parses is
  // all head or all body and only head bytes are scanned for obs-fold (a line continued by
  // SP or HT), which llhttp accepts and this server refuses like the proxy does (400).
  // A head is fed at most its remaining raw budget (HeadCollector::room, as the proxy and the
  // admin server do), so the verdict on it, 400 for a bad byte or 431 past the budget, falls
  // on one fixed byte however the client's bytes are split into reads.
  bool parse(const char* p, size_t n) {
    for (;;) {
      const bool head = in_head_;
      const size_t fed = head ? std::min(n, head_.room()) : n;
      const llhttp_errno_t err = llhttp_execute(&parser_, p, fed);
      const size_t used =
          err == HPE_OK ? fed : static_cast<size_t>(llhttp_get_error_pos(&parser_) - p);
      if (head && !head_.consumed(p, used)) return false;
      if (err == HPE_OK) {
        // The budget is spent and the head is not complete: it is too large.
        head_too_large_ = head && head_.room() == 0;
        return !head_too_large_;
      }
      if (err != HPE_PAUSED) return false;
      llhttp_resume(&parser_);
      p += used;
      n -= used;
    }
  }

  // A client that pipelines requests without reading the answers would queue responses
  // without bound: stop reading until they are written.
  void apply_back_pressure() {
    if (pending_ < kMaxPendingWrites || reading_paused_ || closing_) return;
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
    reading_paused_ = true;
  }
  void resume_reading() {
    reading_paused_ = false;
    start_reading();
  }

  static constexpr int kMaxPendingWrites = 16;

  SimpleHttpServer& server_;
  uv_tcp_t tcp_{};
  llhttp_t parser_{};
  SimpleRequest req_;
  bool in_value_ = false;
  size_t name_len_ = 0;  // of the header name being received
  bool in_head_ = true;  // the next bytes parsed belong to a request head
  HeadCollector head_;   // only its raw budget (room) and obs-fold scan (consumed) are used
  bool closing_ = false;
  bool close_after_write_ = false;
  bool reading_paused_ = false;
  bool head_too_large_ = false;
  int pending_ = 0;
  char buf_[16384];
};

SimpleHttpServer::SimpleHttpServer(uv_loop_t* loop, Handler handler)
    : loop_(loop), handler_(std::move(handler)), acceptor_(*this, &log::main, "demo-upstream") {}

SimpleHttpServer::~SimpleHttpServer() = default;

Status SimpleHttpServer::listen(const std::string& host, uint16_t port) {
  // The same exclusive bind as the listeners (listen_socket.h).
  auto bound = bind_exclusive(config::HostPort{host, port}, 1);
  if (!bound) return Status::failure(bound.error());
  if (int rc = acceptor_.start(loop_, bound->front()); rc != 0) {
    ::close(bound->front());
    return Status::failure(uv_strerror(rc));
  }
  listening_ = true;
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  getsockname(acceptor_.fd(), reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port
                                           : reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  return Ok{};
}

void SimpleHttpServer::accepted(int fd) {
  auto* c = new SimpleConnection(*this);
  connections_.insert(c);
  if (!c->accept(fd)) c->close();
}

void SimpleHttpServer::connection_closed(SimpleConnection* c) {
  connections_.erase(c);
  delete c;
  acceptor_.resume();
  maybe_closed();
}

void SimpleHttpServer::close(std::function<void()> on_closed) {
  if (closing_) return;
  closing_ = true;
  on_closed_ = std::move(on_closed);
  if (listening_) {
    acceptor_.close([this] {
      listener_closed_ = true;
      maybe_closed();
    });
  } else {
    listener_closed_ = true;
  }
  std::vector<SimpleConnection*> all(connections_.begin(), connections_.end());
  for (auto* c : all) c->close();
  maybe_closed();
}

void SimpleHttpServer::maybe_closed() {
  if (closing_ && listener_closed_ && connections_.empty() && on_closed_) {
    auto cb = std::move(on_closed_);
    on_closed_ = nullptr;
    cb();
  }
}

}  // namespace faultline::proxy
