#pragma once
// One side of an HTTP/2 relay (client or upstream) on the Transport seam (proxy/io/transport.h):
// the only place in proxy/http2/ that does stream I/O (open, connect, read, write, close), so a
// TransportLayer (TLS) can sit under it without the session knowing.
//
// A write goes straight to the socket when nothing is queued (uv_try_write: no copy, no
// allocation, and no epoll_ctl, which a uv_write costs even when it completes at once); what
// the socket does not take is copied into a queue. queued() says how many bytes are waiting,
// so the owner stops producing (and, through HTTP/2 flow control, stops the other side) past a
// high-water mark.
#include <sys/socket.h>
#include <uv.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "proxy/io/transport.h"

namespace faultline::proxy {

class H2Socket {
 public:
  class Owner {
   public:
    virtual void socket_connected(H2Socket& socket, int status) = 0;
    virtual void socket_read(H2Socket& socket, const char* p, size_t n) = 0;
    virtual void socket_ended(H2Socket& socket, int status) = 0;  // EOF (UV_EOF) or error
    virtual void socket_written(H2Socket& socket) = 0;            // a write completed
    virtual void socket_closed(H2Socket& socket) = 0;             // the handle is closed

   protected:
    ~Owner() = default;
  };

  H2Socket(uv_loop_t* loop, Owner& owner);
  H2Socket(const H2Socket&) = delete;
  H2Socket& operator=(const H2Socket&) = delete;

  // Takes over an accepted descriptor; 0 or a libuv error (the descriptor is then closed).
  int open(int fd);
  // Takes over an open connection with its layer (a TLS client that agreed on h2 through
  // ALPN: the TLS state cannot be carried by a duplicate descriptor, so the Transport moves).
  void adopt(std::unique_ptr<Transport> transport);
  // Starts connecting (through `layer`'s layer when not null); socket_connected() follows.
  int connect(const sockaddr* addr, TransportLayerFactory* layer = nullptr,
              TransportCounters* counters = nullptr);
  void set_reading(bool on);
  // `notify`: queue the bytes even when the socket could take them now, so that
  // socket_written() follows (the owner has more to produce once they are out).
  void write(std::string_view bytes, bool notify = false);
  size_t queued() const { return queued_; }
  bool is_open() const { return state_ == State::kOpen; }
  bool is_active() const { return state_ != State::kIdle && state_ != State::kClosed; }
  // Closes (with an RST when `reset`); socket_closed() follows unless it was never opened.
  // Returns whether a socket_closed() callback is coming.
  bool close(bool reset = false);
  // The peer's address (accepted sockets).
  int peer(sockaddr_storage& out) const;
  // What the TLS layer agreed on (ALPN) and the server name a TLS client asked for; empty
  // without TLS.
  std::string_view alpn() const { return transport_ ? transport_->alpn() : std::string_view(); }
  std::string_view sni() const { return transport_ ? transport_->sni() : std::string_view(); }

 private:
  enum class State : uint8_t { kIdle, kConnecting, kOpen, kClosing, kClosed };
  struct WriteReq;
  static void on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf);
  static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
  static void on_connect(uv_connect_t* req, int status);
  static void on_write(uv_write_t* req, int status);
  static void on_close(uv_handle_t* h);

  static constexpr size_t kReadSize = 64 * 1024;
  uv_loop_t* loop_;
  Owner& owner_;
  // On the heap so that an open connection can move in (adopt); freed once closed.
  std::unique_ptr<Transport> transport_;
  uv_connect_t connect_req_{};
  State state_ = State::kIdle;
  bool reading_ = false;
  size_t queued_ = 0;
};

}  // namespace faultline::proxy
