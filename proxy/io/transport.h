#pragma once
// The byte stream under every session (HTTP/1.1 client and upstream connections, TCP relay):
// reading, writing, half-close and close of one connected socket. Plain, it is a uv_tcp_t and
// every call is the libuv call it replaces (inline, no virtual call: the plain path costs one
// predictable branch). A TransportLayer (TLS, proxy/tls/) may sit between the socket and the
// session: it then sees every call and hands the session plaintext through the same
// callbacks, with the same handle pointers, so sessions never know whether they are on TLS.
//
// The layer is declared here and implemented above (proxy/tls/), so io never names OpenSSL.
// A layer's callbacks keep libuv's contract: alloc_cb/read_cb pairs per read (plaintext lands
// in the session's slab), a write's callback with its own uv_write_t (req->handle and
// req->data as libuv sets them), and no callback after Transport::close.
#include <uv.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proxy/io/spare_blocks.h"

namespace faultline::proxy {

class Transport;

// What a layer counts for one listener on one worker (single writer: the worker's thread;
// read at scrape time).
struct TransportCounters {
  std::atomic<uint64_t> handshakes_ok{0};
  std::atomic<uint64_t> handshakes_error{0};
  std::atomic<uint64_t> resumed{0};  // handshakes that resumed an earlier session
  static void bump(std::atomic<uint64_t>& c) {
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
};

class TransportLayer {
 public:
  virtual ~TransportLayer() = default;
  virtual int read_start(uv_alloc_cb alloc_cb, uv_read_cb read_cb) = 0;
  virtual int read_stop() = 0;
  // As uv_try_write: bytes taken or UV_EAGAIN. A layer may answer UV_EAGAIN having taken the
  // bytes already (TLS: encrypted, then only part of the records fit in the socket): the
  // caller's next write() must then carry exactly these bytes, which it completes.
  virtual int try_write(const uv_buf_t* bufs, unsigned nbufs) = 0;
  virtual int write(uv_write_t* req, const uv_buf_t* bufs, unsigned nbufs, uv_write_cb cb) = 0;
  // Half-close: the end of this direction (TLS: close_notify), then the socket's FIN.
  virtual int shutdown(uv_shutdown_t* req, uv_shutdown_cb cb) = 0;
  // After the socket connected (origination): `cb` runs once the layer is ready to carry the
  // session's bytes (handshake done), with 0 or an error.
  virtual void connected(uv_connect_t* req, uv_connect_cb cb) = 0;
  // The session closes the socket: the layer stops, calls nothing back any more and frees
  // itself once its own handles are closed.
  virtual void detach() = 0;
  virtual bool handshake_done() const = 0;
  // The protocol the peer agreed on (ALPN), empty if none.
  virtual std::string_view alpn() const = 0;
  // The server name a client asked for (TLS SNI), empty if none (match.sni on requests).
  virtual std::string_view sni() const { return {}; }
  // The x-chaos-injected value of faults the layer applied to the connection (a delayed TLS
  // handshake), for the connection's first response; empty if none.
  virtual std::string_view injected() const { return {}; }
  // The layer this one runs on (HTTP/1.1-over-HTTP/2 on TLS), or null: it owns the socket.
  virtual TransportLayer* inner() const { return nullptr; }
};

// Makes the layer for one connection of a listener (one per listener and direction, shared by
// every worker: make() runs on worker threads).
class TransportLayerFactory {
 public:
  virtual ~TransportLayerFactory() = default;
  // `transport` is initialised and its socket open (accepted) or not yet connected (upstream);
  // `counters` outlive the layer.
  virtual TransportLayer* make(Transport& transport, TransportCounters& counters) = 0;
};

class Transport final {
 public:
  Transport() = default;
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;
  ~Transport() { delete layer_; }

  // A session's client transport is on the heap (it can move to the HTTP/2 session): each
  // worker thread keeps the memory of a few ended ones for the next connections.
  using Spare = SpareBlocks<Transport, 16>;
  static void* operator new(size_t size) { return Spare::take(size); }
  static void operator delete(void* block, size_t size) { Spare::give(block, size); }

  // uv_tcp_init; `data` is what every callback finds in handle->data.
  int init(uv_loop_t* loop, void* data) {
    int rc = uv_tcp_init(loop, &tcp_);
    tcp_.data = data;
    return rc;
  }
  int open(uv_os_sock_t fd) { return uv_tcp_open(&tcp_, fd); }
  // Puts a layer (made by `factory`, may be null: plain) under the session. Call after init,
  // before the first read or write.
  void attach(TransportLayerFactory* factory, TransportCounters& counters) {
    if (factory) layer_ = factory->make(*this, counters);
  }

  uv_tcp_t* tcp() { return &tcp_; }
  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp_); }
  uv_handle_t* handle() { return reinterpret_cast<uv_handle_t*>(&tcp_); }
  uv_loop_t* loop() { return tcp_.loop; }
  void* data() const { return tcp_.data; }
  // Hands the connection to another owner (a TLS connection that agreed on h2 goes from the
  // HTTP/1.1 session to the HTTP/2 session): every later callback finds `data`.
  void set_data(void* data) { tcp_.data = data; }
  bool layered() const { return layer_ != nullptr; }

  int connect(uv_connect_t* req, const sockaddr* addr, uv_connect_cb cb) {
    connect_cb_ = cb;
    return uv_tcp_connect(req, &tcp_, addr, layer_ ? on_connect : cb);
  }
  int read_start(uv_alloc_cb alloc_cb, uv_read_cb read_cb) {
    if (layer_) [[unlikely]]
      return layer_->read_start(alloc_cb, read_cb);
    return uv_read_start(stream(), alloc_cb, read_cb);
  }
  int read_stop() {
    if (layer_) [[unlikely]]
      return layer_->read_stop();
    return uv_read_stop(stream());
  }
  int try_write(const uv_buf_t* bufs, unsigned nbufs) {
    if (layer_) [[unlikely]]
      return layer_->try_write(bufs, nbufs);
    return uv_try_write(stream(), bufs, nbufs);
  }
  int write(uv_write_t* req, const uv_buf_t* bufs, unsigned nbufs, uv_write_cb cb) {
    if (layer_) [[unlikely]]
      return layer_->write(req, bufs, nbufs, cb);
    return uv_write(req, stream(), bufs, nbufs, cb);
  }
  int shutdown(uv_shutdown_t* req, uv_shutdown_cb cb) {
    if (layer_) [[unlikely]]
      return layer_->shutdown(req, cb);
    return uv_shutdown(req, stream(), cb);
  }
  // Closes the socket (with a RST when `reset` and the kernel agrees); `cb` runs as uv_close's.
  void close(uv_close_cb cb, bool reset = false) {
    if (layer_) {
      layer_->detach();  // frees itself
      layer_ = nullptr;
    }
    if (reset && uv_tcp_close_reset(&tcp_, cb) == 0) return;
    uv_close(handle(), cb);
  }

  // The Transport whose socket `handle` is (for a layer's own socket callbacks: the handle's
  // data belongs to the session).
  static Transport* from(uv_handle_t* handle) {
    return reinterpret_cast<Transport*>(reinterpret_cast<char*>(handle) -
                                        offsetof(Transport, tcp_));
  }
  TransportLayer* layer() const { return layer_; }
  // The layer that reads and writes the socket itself: the innermost one.
  TransportLayer* socket_layer() const {
    TransportLayer* l = layer_;
    while (l && l->inner()) l = l->inner();
    return l;
  }

  bool handshake_done() const { return layer_ ? layer_->handshake_done() : true; }
  std::string_view alpn() const { return layer_ ? layer_->alpn() : std::string_view(); }
  std::string_view sni() const { return layer_ ? layer_->sni() : std::string_view(); }
  std::string_view injected() const { return layer_ ? layer_->injected() : std::string_view(); }

 private:
  static void on_connect(uv_connect_t* req, int status) {
    auto* t = reinterpret_cast<Transport*>(reinterpret_cast<char*>(req->handle) -
                                           offsetof(Transport, tcp_));
    if (status != 0 || !t->layer_) {
      t->connect_cb_(req, status);
      return;
    }
    t->layer_->connected(req, t->connect_cb_);
  }

  uv_tcp_t tcp_{};
  TransportLayer* layer_ = nullptr;
  uv_connect_cb connect_cb_ = nullptr;
};

}  // namespace faultline::proxy
