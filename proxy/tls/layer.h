#pragma once
// TLS under a session (proxy/io/transport.h): OpenSSL with memory BIOs on the libuv stream.
// Ciphertext read from the socket goes into the read BIO; plaintext comes out of SSL_read
// into the slab the session's alloc_cb hands out, and reaches the session's read_cb as if the
// socket had produced it. The session's writes are encrypted at once, small pieces gathered
// into one record. try_write seals them and hands the records to the socket at once, as
// uv_try_write does for plain bytes: when the socket takes them all the session's slabs are
// free before it returns and no write request exists; otherwise the rest is kept for the
// write() that follows (transport.h), whose callback runs when the ciphertext is written.
//
// Rules kept here: the write BIO is drained after every SSL call (TLS 1.3 tickets, KeyUpdate
// and alerts are produced by reads and handshake steps); the thread's error queue is cleared
// before every call; a handshake that does not finish in time (server side: the listener's
// header_timeout) or fails is counted and ends the connection. A peer that closes without
// close_notify: the client side of a termination sees an ordinary EOF (the HTTP session knows
// whether its framing was complete: a cut request is a client that went away, an idle
// connection closes normally); an upstream that does so (origination) is an error, so a
// response delimited by the connection's end is never taken as complete when it was cut.
//
// Memory per connection, beyond the session's own: the SSL object (about 6 KiB), its memory
// BIOs (the read BIO holds at most one socket read; a write BIO that a large write grew past
// 64 KiB is replaced once empty) and, only while a record is in flight, OpenSSL's record
// buffers (about 34 KiB, given back when idle: SSL_MODE_RELEASE_BUFFERS) and the ciphertext
// of writes not yet taken by the kernel (bounded by the session's write queue high-water
// mark). The socket is read into one buffer per thread, copied into the read BIO at once.
#include <openssl/ssl.h>
#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>

#include "faults/plan.h"
#include "proxy/active_config.h"
#include "proxy/io/transport.h"
#include "proxy/request_record.h"

namespace faultline::proxy {
class Worker;
}  // namespace faultline::proxy

namespace faultline::proxy::tls {

// OpenSSL's ClientHello callback of server contexts: the layer of the connection decides the
// TLS handshake faults there (SSL_CLIENT_HELLO_SUCCESS, _RETRY to hold, _ERROR to abort).
int on_client_hello(SSL* ssl, int* alert, void* arg);

class TlsLayer final : public TransportLayer {
 public:
  enum class Role : uint8_t { kServer, kClient };
  // Takes `ssl` (its BIOs are set here). `owner` keeps the context alive as long as the layer.
  TlsLayer(Transport& transport, SSL* ssl, Role role, uint64_t handshake_timeout_ms,
           TransportCounters& counters, std::shared_ptr<const void> owner);
  ~TlsLayer() override;

  int read_start(uv_alloc_cb alloc_cb, uv_read_cb read_cb) override;
  int read_stop() override;
  int try_write(const uv_buf_t* bufs, unsigned nbufs) override;
  int write(uv_write_t* req, const uv_buf_t* bufs, unsigned nbufs, uv_write_cb cb) override;
  int shutdown(uv_shutdown_t* req, uv_shutdown_cb cb) override;
  void connected(uv_connect_t* req, uv_connect_cb cb) override;
  void detach() override;
  bool handshake_done() const override { return handshake_done_; }
  std::string_view alpn() const override { return alpn_; }
  std::string_view injected() const override;

  // Server side on a worker: decide the TLS handshake faults (tls_handshake_delay, tls_abort)
  // of listener `listener` when the ClientHello arrives, with `config`'s experiments. Without
  // this call (the fuzz target) no fault applies.
  void enable_faults(Worker* worker, ActiveConfigPtr config, uint32_t listener);
  // Starts the server side's handshake (reads the ClientHello).
  void accept();
  int client_hello(int* alert);  // on_client_hello for this connection
  // The server name the client asked for (SNI), empty if none.
  std::string_view sni() const override;

 private:
  struct CipherWrite;
  struct PendingWrite;
  static void on_raw_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void on_raw_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
  static void on_cipher_written(uv_write_t* req, int status);
  static void on_timer(uv_timer_t* t);
  static void on_timer_closed(uv_handle_t* h);

  void update_raw_reading();
  void advance();  // handshake step or plaintext delivery, as far as the bytes go
  void handshake_step();
  void handshake_finished();
  void handshake_failed(int status, const char* why);
  void deliver();
  void deliver_end(int status);
  // Queues what OpenSSL wrote (handshake, alerts, records), after any kept records;
  // `session_req`/`cb` complete with it. Returns a libuv error.
  int send_output(uv_write_t* session_req, uv_write_cb cb);
  int send_stash(uv_write_t* session_req, uv_write_cb cb);  // the records try_write kept
  int queue(CipherWrite* w, size_t n, uv_write_t* session_req, uv_write_cb cb);
  // Encrypts the session's bytes into the write BIO, small pieces gathered into one record.
  int seal(const uv_buf_t* bufs, unsigned nbufs);
  int encrypt(uv_write_t* req, const uv_buf_t* bufs, unsigned nbufs, uv_write_cb cb);
  void discard_output(size_t n);  // drops what the socket took from the write BIO
  void release_idle_output();     // an empty write BIO grown by a large write is replaced
  void flush_pending_writes();
  void schedule();
  void maybe_free();
  // TLS handshake faults.
  void decide_faults();
  void hold_tick();     // the hold's timer: its end, or a halt, releases the handshake
  void inject_reset();  // tls_abort reset = true: RST instead of a handshake
  void record_faults(Ending ending);  // the faulted handshake's access-log line, once
  bool halted() const;

  Transport& transport_;
  SSL* ssl_;
  BIO* rbio_;  // ciphertext from the socket (OpenSSL reads it)
  BIO* wbio_;  // ciphertext for the socket (OpenSSL writes it)
  Role role_;
  TransportCounters& counters_;
  std::shared_ptr<const void> owner_;
  uv_timer_t timer_{};  // handshake timeout, then deferred delivery
  uv_alloc_cb alloc_cb_ = nullptr;
  uv_read_cb read_cb_ = nullptr;
  uv_connect_t* connect_req_ = nullptr;
  uv_connect_cb connect_cb_ = nullptr;
  PendingWrite* pending_head_ = nullptr;  // session writes before the handshake finished
  PendingWrite* pending_tail_ = nullptr;
  uv_shutdown_t* pending_shutdown_ = nullptr;
  uv_shutdown_cb pending_shutdown_cb_ = nullptr;
  // Records try_write sealed that the socket did not take; the write() that follows sends them.
  CipherWrite* stash_ = nullptr;
  size_t stash_len_ = 0;
  std::string alpn_;
  uint64_t handshake_timeout_ms_;
  unsigned writes_in_flight_ = 0;
  int end_status_ = 0;  // EOF or an error waiting to reach the session
  bool want_read_ = false;
  bool raw_reading_ = false;
  bool raw_eof_ = false;
  bool handshake_started_ = false;
  bool handshake_done_ = false;
  bool failed_ = false;
  bool ended_ = false;  // end_status_ reached the session
  bool detached_ = false;
  bool timer_closed_ = false;

  // TLS handshake faults (server side, only with enable_faults).
  Worker* worker_ = nullptr;
  ActiveConfigPtr config_;
  uint32_t listener_ = 0;
  std::unique_ptr<faults::Plan> plan_;  // only when a fault applies to this handshake
  uint64_t accepted_ms_ = 0;
  uint64_t hold_started_ms_ = 0;
  uint64_t hold_until_ms_ = 0;
  uint64_t held_ms_ = 0;  // how long the handshake was held
  bool faults_decided_ = false;
  bool holding_ = false;
  bool released_by_halt_ = false;
  bool aborting_ = false;       // the ClientHello callback failed the handshake (tls_abort)
  bool reset_pending_ = false;  // ... with a reset rather than an alert
  bool recorded_ = false;
};

}  // namespace faultline::proxy::tls
