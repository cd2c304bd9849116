#include "proxy/http2/h2_socket.h"

#include <unistd.h>

namespace faultline::proxy {

struct H2Socket::WriteReq {
  uv_write_t req;
  H2Socket* socket;
  std::string data;
};

H2Socket::H2Socket(uv_loop_t* loop, Owner& owner) : loop_(loop), owner_(owner) {}

int H2Socket::open(int fd) {
  transport_ = std::make_unique<Transport>();
  transport_->init(loop_, this);
  state_ = State::kOpen;
  int rc = transport_->open(fd);
  if (rc != 0) {
    ::close(fd);
    return rc;
  }
  uv_tcp_nodelay(transport_->tcp(), 1);
  return 0;
}

void H2Socket::adopt(std::unique_ptr<Transport> transport) {
  transport_ = std::move(transport);
  transport_->set_data(this);
  state_ = State::kOpen;
  reading_ = false;  // set_reading(true) puts our callbacks in place of the previous owner's
}

int H2Socket::connect(const sockaddr* addr, TransportLayerFactory* layer,
                      TransportCounters* counters) {
  transport_ = std::make_unique<Transport>();
  transport_->init(loop_, this);
  if (layer && counters) transport_->attach(layer, *counters);
  connect_req_.data = this;
  state_ = State::kConnecting;
  return transport_->connect(&connect_req_, addr, on_connect);
}

void H2Socket::on_connect(uv_connect_t* req, int status) {
  auto* s = static_cast<H2Socket*>(req->data);
  if (s->state_ != State::kConnecting) return;  // closed meanwhile (status UV_ECANCELED)
  if (status == 0) {
    s->state_ = State::kOpen;
    uv_tcp_nodelay(s->transport_->tcp(), 1);
  }
  s->owner_.socket_connected(*s, status);
}

void H2Socket::set_reading(bool on) {
  if (state_ != State::kOpen || on == reading_) return;
  reading_ = on;
  if (on)
    transport_->read_start(on_alloc, on_read);
  else
    transport_->read_stop();
}

// One read buffer for every socket of a worker thread, which can then be large (fewer reads of a
// busy upstream) at no cost per connection: the owner consumes a read whole before the next
// one starts (nghttp2 copies what it keeps of it).
void H2Socket::on_alloc(uv_handle_t*, size_t, uv_buf_t* buf) {
  static thread_local std::unique_ptr<char[]> shared(new char[kReadSize]);
  *buf = uv_buf_init(shared.get(), kReadSize);
}

void H2Socket::on_read(uv_stream_t* st, ssize_t nread, const uv_buf_t* buf) {
  auto* s = static_cast<H2Socket*>(st->data);
  if (s->state_ != State::kOpen) return;
  if (nread > 0) {
    s->owner_.socket_read(*s, buf->base, static_cast<size_t>(nread));
  } else if (nread < 0) {
    s->reading_ = false;
    s->transport_->read_stop();
    s->owner_.socket_ended(*s, static_cast<int>(nread));
  }
}

void H2Socket::write(std::string_view bytes, bool notify) {
  if (state_ != State::kOpen || bytes.empty()) return;
  if (!notify && queued_ == 0) {  // nothing ahead of these bytes: try the socket first
    uv_buf_t buf =
        uv_buf_init(const_cast<char*>(bytes.data()), static_cast<unsigned>(bytes.size()));
    const int n = transport_->try_write(&buf, 1);
    if (n > 0) bytes.remove_prefix(static_cast<size_t>(n));
    if (bytes.empty()) return;
  }
  auto* w = new WriteReq{{}, this, std::string(bytes)};
  w->req.data = w;
  uv_buf_t buf = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
  queued_ += w->data.size();
  if (transport_->write(&w->req, &buf, 1, on_write) != 0) {
    queued_ -= w->data.size();
    delete w;
  }
}

void H2Socket::on_write(uv_write_t* req, int status) {
  auto* w = static_cast<WriteReq*>(req->data);
  H2Socket* s = w->socket;
  s->queued_ -= w->data.size();
  delete w;
  if (status == 0 && s->state_ == State::kOpen) s->owner_.socket_written(*s);
}

bool H2Socket::close(bool reset) {
  if (state_ == State::kIdle || state_ == State::kClosed) {
    state_ = State::kClosed;
    return false;
  }
  if (state_ == State::kClosing) return true;
  state_ = State::kClosing;
  reading_ = false;
  transport_->close(on_close, reset);
  return true;
}

void H2Socket::on_close(uv_handle_t* h) {
  auto* s = static_cast<H2Socket*>(h->data);
  s->state_ = State::kClosed;
  s->transport_.reset();  // libuv is done with the handle
  s->owner_.socket_closed(*s);
}

int H2Socket::peer(sockaddr_storage& out) const {
  int len = sizeof out;
  if (!transport_) return UV_ENOTCONN;
  return uv_tcp_getpeername(transport_->tcp(), reinterpret_cast<sockaddr*>(&out), &len);
}

}  // namespace faultline::proxy
