#pragma once
// One connection to an upstream HTTP server. While a user (UpstreamUser) has it, its reads and
// writes belong to that user; idle, it sits in the listener's per-worker pool, where any byte or
// EOF from the server, or the idle expiry, closes it.
#include <uv.h>

#include <cstdint>

#include "proxy/io/connection.h"
#include "proxy/io/lazy_timer.h"
#include "proxy/io/outbox.h"
#include "proxy/io/slab_pool.h"
#include "proxy/io/transport.h"

namespace faultline::proxy {

class Worker;
class UpstreamPool;
struct Slab;

// Who drives an upstream connection while it is out of the pool: an HttpSession, or an HTTP/2
// stream relayed over HTTP/1.1 (proxy/http2/h1_exchange.h). The connection's reads, write
// completions, connect result and timer go to it.
class UpstreamUser {
 public:
  virtual void on_upstream_connected(int status) = 0;
  virtual void on_upstream_data(Slab* slab, const char* p, size_t n) = 0;
  virtual void on_upstream_eof(int status) = 0;
  virtual void on_upstream_timer() = 0;
  virtual void on_upstream_written() = 0;

 protected:
  ~UpstreamUser() = default;
};

class UpstreamConn : public Retirable {
 public:
  UpstreamConn(Worker& worker, uint32_t listener);

  // Connects to `addr` (through `layer`, e.g. TLS, when not null); `on_connected` runs through
  // the session once the connection can carry the request.
  int connect(const sockaddr* addr, TransportLayerFactory* layer);
  void close();
  void start_reading();
  void stop_reading();

  static void on_written(uv_write_t* req, int status);
  static void on_timer(uv_timer_t* timer);

  Worker& worker;
  uint32_t listener;
  Transport transport;  // the socket (and a TLS layer when the listener originates TLS)
  LazyTimer timer;      // connect timeout, response timeout, idle expiry in the pool
  uv_connect_t connect_req{};
  Outbox out;
  ReadSlot read_slot;
  UpstreamUser* session = nullptr;  // null while pooled or closing
  bool connected = false;
  bool closing = false;
  bool reading = false;
  bool reused = false;
  int pending_closes = 0;
  UpstreamConn* pool_prev = nullptr;
  UpstreamConn* pool_next = nullptr;
  bool pooled = false;
  UpstreamPool* pool = nullptr;  // the pool it was last put into

 private:
  static void on_close(uv_handle_t* handle);
  static void on_connect(uv_connect_t* req, int status);
  static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
};

// Idle keep-alive upstream connections of one listener, most recently used first.
class UpstreamPool {
 public:
  static constexpr size_t kMaxIdle = 256;
  static constexpr uint64_t kIdleExpiryMs = 15000;
  UpstreamConn* acquire();
  void put(UpstreamConn* conn);  // takes ownership; closes the oldest beyond kMaxIdle
  void remove(UpstreamConn* conn);
  void close_all();
  size_t size() const { return size_; }

 private:
  UpstreamConn* head_ = nullptr;
  UpstreamConn* tail_ = nullptr;
  size_t size_ = 0;
};

}  // namespace faultline::proxy
