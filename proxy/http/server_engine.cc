#include "proxy/http/server_engine.h"

#include <llhttp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <string_view>
#include <vector>

#include "config/ascii.h"
#include "proxy/http/head.h"
#include "proxy/io/listen_socket.h"

namespace faultline::proxy {

using config::ascii_iequals;

std::string_view ServerRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (ascii_iequals(k, name)) return v;
  return {};
}

namespace {

std::string peer_ip(const sockaddr_storage& ss) {
  if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) return "unknown";
  char ip[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET6)
    uv_ip6_name(reinterpret_cast<const sockaddr_in6*>(&ss), ip, sizeof ip);
  else
    uv_ip4_name(reinterpret_cast<const sockaddr_in*>(&ss), ip, sizeof ip);
  return ip;
}

// The shorter of two timeouts where 0 means none.
uint64_t sooner(uint64_t a, uint64_t b) {
  if (a == 0) return b;
  if (b == 0) return a;
  return std::min(a, b);
}

}  // namespace

// One client connection: parses one request at a time with llhttp (built with
// LLHTTP_STRICT_MODE) and the data path's HeadCollector checks (raw head budget, obs-fold,
// empty names), answers it through the Handler, then reads the next (keep-alive). Owns its two
// handles and frees itself from the last close callback, via HttpServerEngine::connection_closed.
class ServerConnection {
 public:
  explicit ServerConnection(HttpServerEngine& server) : server_(server) {}
  ServerConnection(const ServerConnection&) = delete;
  ServerConnection& operator=(const ServerConnection&) = delete;

  void start(uv_loop_t* loop, int fd, const sockaddr_storage& peer);  // takes over a socket
  void close();
  bool closing() const { return closing_; }
  // Which connection to close when the server is full: lower goes first. A connection that
  // is lingering or waiting for a request is cheaper to lose than one being read, and one
  // being answered goes last; within a phase the one in it longest goes first.
  std::pair<int, uint64_t> eviction_order() const {
    return {static_cast<int>(phase_), phase_since_};
  }

 private:
  // Declared in eviction order.
  enum class Phase { kLingering, kWaiting, kReading, kWriting };
  void set_phase(Phase phase);

  static const llhttp_settings_t& settings();
  static ServerConnection* from(llhttp_t* p) { return static_cast<ServerConnection*>(p->data); }
  static void on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf);
  static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
  static void on_write(uv_write_t* req, int status);
  static void on_continue_written(uv_write_t* req, int status);
  static void on_shutdown(uv_shutdown_t* req, int status);
  static void on_timeout(uv_timer_t* t);
  static void on_handle_closed(uv_handle_t* h);

  static int on_message_begin(llhttp_t* p);
  static int on_url(llhttp_t* p, const char* at, size_t len);
  static int on_header_field(llhttp_t* p, const char* at, size_t len);
  static int on_header_field_complete(llhttp_t* p);
  static int on_header_value(llhttp_t* p, const char* at, size_t len);
  static int on_headers_complete(llhttp_t* p);
  static int on_body(llhttp_t* p, const char* at, size_t len);
  static int on_message_complete(llhttp_t* p);

  std::string head_problem() const;                // HeadCollector's reason, without its line break
  bool feed_head(const char*& data, size_t& len);  // false: answered (refused) or needs more
  void release_body();  // returns this request's body bytes to the server's budget
  void reset_request();
  void feed(const char* data, size_t len);
  void respond(ServerAnswer answer);
  void reject(int status, std::string message);  // answer, then close
  void next_request();
  void linger();
  void arm_timer(uint64_t ms);
  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp_); }

  HttpServerEngine& server_;
  uv_tcp_t tcp_{};
  uv_timer_t timer_{};
  uv_write_t write_req_{};
  uv_write_t continue_req_{};
  uv_shutdown_t shutdown_req_{};
  llhttp_t parser_{};
  int open_handles_ = 0;
  bool closing_ = false;
  Phase phase_ = Phase::kWaiting;
  uint64_t phase_since_ = 0;  // HttpServerEngine::phase_changes_ when phase_ was entered

  // The request being read.
  ServerRequest request_;
  HeadCollector head_;
  bool head_complete_ = false;
  size_t body_reserved_ = 0;  // counted in HttpServerEngine::buffered_body_bytes_
  bool message_complete_ = false;
  bool keep_alive_ = false;
  bool expect_continue_ = false;
  int reject_status_ = 0;
  std::string reject_message_;

  std::string pending_;  // bytes after a complete request (pipelining), parsed after the answer
  std::string out_;      // the response being written; valid until on_write
  bool close_after_write_ = false;
  char read_buf_[16 * 1024];
};

const llhttp_settings_t& ServerConnection::settings() {
  static const llhttp_settings_t s = [] {
    llhttp_settings_t init;
    llhttp_settings_init(&init);
    init.on_message_begin = on_message_begin;
    init.on_url = on_url;
    init.on_header_field = on_header_field;
    init.on_header_field_complete = on_header_field_complete;
    init.on_header_value = on_header_value;
    init.on_headers_complete = on_headers_complete;
    init.on_body = on_body;
    init.on_message_complete = on_message_complete;
    return init;
  }();
  return s;
}

void ServerConnection::start(uv_loop_t* loop, int fd, const sockaddr_storage& peer) {
  uv_tcp_init(loop, &tcp_);
  uv_timer_init(loop, &timer_);
  tcp_.data = this;
  timer_.data = this;
  open_handles_ = 2;
  llhttp_init(&parser_, HTTP_REQUEST, &settings());
  parser_.data = this;
  if (uv_tcp_open(&tcp_, fd) != 0) {
    ::close(fd);
    close();
    return;
  }
  // TCP_NODELAY (limits().tcp_nodelay) comes from the listening socket.
  request_.client = peer_ip(peer);
  reset_request();
  // A client that connects and sends nothing is idle: it gets the short idle timeout, so that
  // silent connections cannot hold the admin port (the request timeout runs from its first
  // byte).
  set_phase(Phase::kWaiting);
  arm_timer(sooner(server_.limits().idle_timeout_ms, server_.limits().request_timeout_ms));
  uv_read_start(stream(), on_alloc, on_read);
}

void ServerConnection::close() {
  if (closing_) return;
  closing_ = true;
  release_body();
  uv_timer_stop(&timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_handle_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), on_handle_closed);
}

void ServerConnection::on_handle_closed(uv_handle_t* h) {
  auto* self = static_cast<ServerConnection*>(h->data);
  if (--self->open_handles_ == 0) self->server_.connection_closed(self);  // deletes self
}

void ServerConnection::set_phase(Phase phase) {
  phase_ = phase;
  phase_since_ = ++server_.phase_changes_;  // a strict order; milliseconds would tie
}

void ServerConnection::arm_timer(uint64_t ms) {
  if (ms == 0) {  // no timeout in this phase
    uv_timer_stop(&timer_);
    return;
  }
  uv_timer_start(&timer_, on_timeout, ms, 0);
}

void ServerConnection::on_timeout(uv_timer_t* t) {
  auto* self = static_cast<ServerConnection*>(t->data);
  if (self->phase_ == Phase::kReading) {
    self->reject(408, "request not received in time");
  } else {
    self->close();  // idle keep-alive, a client not reading its answer, or lingering done
  }
}

void ServerConnection::release_body() {
  server_.buffered_body_bytes_ -= body_reserved_;
  body_reserved_ = 0;
}

void ServerConnection::reset_request() {
  release_body();
  std::string client = std::move(request_.client);
  request_ = ServerRequest{};
  request_.client = std::move(client);
  head_.reset(server_.limits().max_header_bytes);
  head_complete_ = false;
  message_complete_ = false;
  keep_alive_ = false;
  expect_continue_ = false;
}

void ServerConnection::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* self = static_cast<ServerConnection*>(h->data);
  *buf = uv_buf_init(self->read_buf_, sizeof self->read_buf_);
}

void ServerConnection::on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<ServerConnection*>(s->data);
  if (self->closing_) return;
  if (nread < 0) {  // EOF or error: nothing more to answer
    self->close();
    return;
  }
  if (nread == 0 || self->phase_ == Phase::kLingering) return;  // 0 is not EOF
  self->feed(buf->base, static_cast<size_t>(nread));
}

std::string ServerConnection::head_problem() const {
  std::string_view why = head_.problem();
  if (!why.empty() && why.back() == '\n') why.remove_suffix(1);
  return std::string(why);
}

// The head is fed at most its remaining raw budget and llhttp pauses at its end, so that the
// verdict on a head (400 for a bad byte, 431 past the budget) falls on one fixed byte however
// the client's bytes are split into reads, and the obs-fold scan sees head bytes only.
bool ServerConnection::feed_head(const char*& data, size_t& len) {
  const size_t room = std::min(len, head_.room());
  const llhttp_errno_t err = llhttp_execute(&parser_, data, room);
  const size_t used =
      err == HPE_OK ? room : static_cast<size_t>(llhttp_get_error_pos(&parser_) - data);
  if (!head_.consumed(data, used)) {
    reject(400, "malformed request: " + head_problem());
    return false;
  }
  if (reject_status_ != 0) {
    reject(reject_status_, reject_message_);
    return false;
  }
  if (err == HPE_OK) {
    if (head_.room() == 0) reject(431, "request header block too large");
    return false;  // otherwise the head continues in the next read
  }
  if (err == HPE_PAUSED && head_complete_) {
    llhttp_resume(&parser_);
    data += used;
    len -= used;
    return true;
  }
  if (head_.too_many()) {
    reject(431, head_problem());
  } else if (err == HPE_USER && head_.problem().empty()) {
    reject(431, "request header block too large");  // the arena (cannot happen: raw >= arena)
  } else if (!head_.problem().empty()) {
    reject(400, "malformed request: " + head_problem());
  } else {
    reject(400, std::string("malformed request: ") + llhttp_get_error_reason(&parser_));
  }
  return false;
}

void ServerConnection::feed(const char* data, size_t len) {
  if (!head_complete_ && !feed_head(data, len)) return;
  const llhttp_errno_t err = llhttp_execute(&parser_, data, len);
  if (reject_status_ != 0) {
    reject(reject_status_, reject_message_);
    return;
  }
  if ((err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) && message_complete_) {
    const char* pos = llhttp_get_error_pos(&parser_);
    if (pos == nullptr || pos < data || pos > data + len) pos = data + len;
    pending_.assign(pos, static_cast<size_t>(data + len - pos));
    if (err == HPE_PAUSED_UPGRADE) keep_alive_ = false;  // no protocol switch here
    uv_read_stop(stream());
    ServerAnswer answer = server_.handler_.answer(request_, keep_alive_);
    if (closing_) return;  // the handler closed the server
    answer.close = answer.close || !keep_alive_;
    respond(std::move(answer));
    return;
  }
  if (err != HPE_OK) {
    reject(400, std::string("malformed request: ") + llhttp_get_error_reason(&parser_));
  }
}

void ServerConnection::respond(ServerAnswer answer) {
  if (closing_) return;
  out_ = std::move(answer.bytes);
  close_after_write_ = answer.close;
  set_phase(Phase::kWriting);
  arm_timer(server_.limits().write_timeout_ms);
  uv_buf_t buf = uv_buf_init(out_.data(), static_cast<unsigned>(out_.size()));
  write_req_.data = this;
  if (uv_write(&write_req_, stream(), &buf, 1, on_write) != 0) close();
}

void ServerConnection::reject(int status, std::string message) {
  uv_read_stop(stream());
  std::string().swap(request_.body);  // never handled: free it now, not after lingering
  release_body();
  respond(ServerAnswer{server_.handler_.refusal(status, message), /*close=*/true});
}

void ServerConnection::on_write(uv_write_t* req, int status) {
  auto* self = static_cast<ServerConnection*>(req->data);
  if (self->closing_) return;  // cancelled by close(); the handle callbacks free us
  if (status < 0) {
    self->close();
  } else if (self->close_after_write_) {
    self->linger();
  } else {
    self->next_request();
  }
}

void ServerConnection::next_request() {
  reset_request();
  llhttp_resume(&parser_);
  set_phase(Phase::kWaiting);
  arm_timer(server_.limits().idle_timeout_ms);
  if (uv_read_start(stream(), on_alloc, on_read) != 0) {
    close();
    return;
  }
  if (!pending_.empty()) {
    const std::string pipelined = std::move(pending_);
    pending_.clear();
    feed(pipelined.data(), pipelined.size());
  }
}

// After an error answer the client may still be sending (a 413 body): closing with unread
// input would make the kernel send RST and could destroy the answer before the client reads
// it. Send FIN, discard input until the client closes or linger_ms passes, then close.
void ServerConnection::linger() {
  if (server_.limits().linger_ms == 0) {
    close();
    return;
  }
  set_phase(Phase::kLingering);
  arm_timer(server_.limits().linger_ms);
  shutdown_req_.data = this;
  if (uv_shutdown(&shutdown_req_, stream(), on_shutdown) != 0 ||
      uv_read_start(stream(), on_alloc, on_read) != 0) {
    close();
  }
}

void ServerConnection::on_shutdown(uv_shutdown_t* req, int status) {
  auto* self = static_cast<ServerConnection*>(req->data);
  if (!self->closing_ && status < 0) self->close();
}

void ServerConnection::on_continue_written(uv_write_t* req, int status) {
  auto* self = static_cast<ServerConnection*>(req->data);
  if (!self->closing_ && status < 0) self->close();
}

int ServerConnection::on_message_begin(llhttp_t* p) {
  ServerConnection* self = from(p);
  self->set_phase(Phase::kReading);
  self->arm_timer(self->server_.limits().request_timeout_ms);
  return HPE_OK;
}

// A callback that refuses returns HPE_USER; feed_head answers from head_ (431 when too many
// fields, else 400 with its problem()).
int ServerConnection::on_url(llhttp_t* p, const char* at, size_t len) {
  return from(p)->head_.add_target(at, len) ? HPE_OK : HPE_USER;
}

int ServerConnection::on_header_field(llhttp_t* p, const char* at, size_t len) {
  return from(p)->head_.add_field(at, len) ? HPE_OK : HPE_USER;
}

int ServerConnection::on_header_field_complete(llhttp_t* p) {
  return from(p)->head_.field_done() ? HPE_OK : HPE_USER;
}

int ServerConnection::on_header_value(llhttp_t* p, const char* at, size_t len) {
  return from(p)->head_.add_value(at, len) ? HPE_OK : HPE_USER;
}

int ServerConnection::on_headers_complete(llhttp_t* p) {
  ServerConnection* self = from(p);
  const HeadCollector& head = self->head_;
  ServerRequest& request = self->request_;
  request.target = std::string(head.target());
  request.headers.reserve(head.count());
  for (size_t i = 0; i < head.count(); ++i) {
    const std::string_view name = head.name(i);
    const std::string_view value = head.value(i);
    request.headers.emplace_back(name, value);
    if (ascii_iequals(name, "expect") && ascii_iequals(value, "100-continue"))
      self->expect_continue_ = true;
  }
  request.http10 = p->http_major == 1 && p->http_minor == 0;
  self->request_.method = llhttp_method_name(static_cast<llhttp_method_t>(p->method));
  const size_t max_body = self->server_.limits().max_body_bytes;
  const bool has_length = (p->flags & F_CONTENT_LENGTH) != 0;
  if (has_length && p->content_length > max_body) {
    self->reject_status_ = 413;
    self->reject_message_ = "request body larger than " + std::to_string(max_body) + " bytes";
    return -1;  // stop parsing; feed() answers
  }
  if (self->expect_continue_ && (has_length ? p->content_length > 0 : true)) {
    static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
    uv_buf_t buf = uv_buf_init(const_cast<char*>(kContinue), sizeof kContinue - 1);
    self->continue_req_.data = self;
    uv_write(&self->continue_req_, self->stream(), &buf, 1, on_continue_written);
  }
  self->head_complete_ = true;
  return HPE_PAUSED;  // feed_head resumes past the head, which ends here
}

int ServerConnection::on_body(llhttp_t* p, const char* at, size_t len) {
  ServerConnection* self = from(p);
  const size_t max_body = self->server_.limits().max_body_bytes;
  if (self->request_.body.size() + len > max_body) {  // chunked bodies have no length up front
    self->reject_status_ = 413;
    self->reject_message_ = "request body larger than " + std::to_string(max_body) + " bytes";
    return HPE_USER;
  }
  // All connections together hold at most max_buffered_body_bytes of bodies, so that many
  // slow uploads cannot make the process run out of memory.
  HttpServerEngine& server = self->server_;
  if (server.buffered_body_bytes_ + len > server.limits().max_buffered_body_bytes) {
    self->reject_status_ = 503;
    self->reject_message_ = server.name_ + " server busy: too many request bodies in flight";
    return HPE_USER;
  }
  server.buffered_body_bytes_ += len;
  self->body_reserved_ += len;
  self->request_.body.append(at, len);
  return HPE_OK;
}

int ServerConnection::on_message_complete(llhttp_t* p) {
  ServerConnection* self = from(p);
  self->message_complete_ = true;
  self->keep_alive_ = llhttp_should_keep_alive(p) != 0;
  return HPE_PAUSED;  // one request at a time: answer before parsing any pipelined bytes
}

// ---------------------------------------------------------------------------------------

HttpServerEngine::HttpServerEngine(uv_loop_t* loop, Handler& handler, Limits limits,
                                   spdlog::logger& (*log)(), std::string name)
    : loop_(loop),
      handler_(handler),
      limits_(limits),
      acceptor_(*this, log, name),
      name_(std::move(name)) {}

HttpServerEngine::~HttpServerEngine() {
  assert(!listener_open_ && connections_.empty() && "HttpServerEngine destroyed before close()");
}

Status HttpServerEngine::listen(const config::HostPort& addr) {
  assert(!listener_open_ && !closing_);
  const bool v6 = addr.host.find(':') != std::string::npos;
  const std::string where =
      (v6 ? "[" + addr.host + "]" : addr.host) + ":" + std::to_string(addr.port);
  // One socket without SO_REUSEPORT, so no other process can join the port (listen_socket.h).
  auto bound = bind_exclusive(addr, 1, limits_.tcp_nodelay);
  if (!bound) return Status::failure(bound.error());
  if (int rc = acceptor_.start(loop_, bound->front()); rc != 0) {
    ::close(bound->front());
    return Status::failure("cannot listen on " + where + ": " + uv_strerror(rc));
  }
  listener_open_ = true;
  return Ok{};
}

uint16_t HttpServerEngine::port() const {
  if (!listener_open_) return 0;
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(acceptor_.fd(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

// At the cap the new connection is accepted and the least useful open one is closed (see
// ServerConnection::eviction_order): a probe or a halt must get through however many idle or
// slow clients hold the port, so the newest connection is never the one refused.
void HttpServerEngine::accepted(int fd, const sockaddr_storage& peer) {
  if (limits_.max_connections != 0 && open_connections() >= limits_.max_connections) evict_one();
  auto* connection = new ServerConnection(*this);
  connections_.insert(connection);
  connection->start(loop_, fd, peer);
}

size_t HttpServerEngine::open_connections() const {
  size_t open = 0;
  for (const ServerConnection* c : connections_) open += c->closing() ? 0 : 1;
  return open;
}

void HttpServerEngine::evict_one() {
  ServerConnection* victim = nullptr;
  for (ServerConnection* c : connections_) {
    if (c->closing()) continue;
    if (victim == nullptr || c->eviction_order() < victim->eviction_order()) victim = c;
  }
  if (victim == nullptr) return;
  ++evicted_;
  spdlog::debug("{}: {} connections open, closing the least recently useful one", name_,
                limits_.max_connections);
  victim->close();
}

void HttpServerEngine::connection_closed(ServerConnection* connection) {
  connections_.erase(connection);
  delete connection;
  acceptor_.resume();  // a descriptor is free again (the spare, if it was used)
  maybe_finish_close();
}

void HttpServerEngine::close(std::function<void()> on_closed) {
  if (closing_) return;
  closing_ = true;
  on_closed_ = std::move(on_closed);
  if (listener_open_)
    acceptor_.close([this] {
      listener_open_ = false;
      maybe_finish_close();
    });
  const std::vector<ServerConnection*> open(connections_.begin(), connections_.end());
  for (ServerConnection* c : open) c->close();
  maybe_finish_close();
}

void HttpServerEngine::maybe_finish_close() {
  if (!closing_ || listener_open_ || !connections_.empty() || !on_closed_) return;
  auto done = std::move(on_closed_);
  on_closed_ = nullptr;
  done();
}

}  // namespace faultline::proxy
