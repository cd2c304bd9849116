#pragma once
// One client connection of a TCP listener: a bidirectional byte relay with half-close (EOF on
// one side becomes a shutdown of the other; the session ends when both directions are done)
// and back-pressure (a direction stops reading while the other side's write queue is above
// its high-water mark). Memory per connection: at most one held slab per direction plus the
// write queues, each pinning at most three 64 KiB slabs (Outbox::kHighWater counts slabs, not
// bytes): under 0.5 MiB with both directions full, under 256 KiB for a client that reads
// slowly (tests/integration/http_session_memory). A connection that moves no byte either way
// for the listener's idle_timeout is closed. The connection's fault plan is carried out by
// TcpFaultExecutor (proxy/tcp/fault_executor.h), which calls back through the hooks below.
#include <uv.h>

#include "faults/plan.h"
#include "proxy/active_config.h"
#include "proxy/io/connection.h"
#include "proxy/io/outbox.h"
#include "proxy/io/precise_timers.h"
#include "proxy/io/slab_pool.h"
#include "proxy/io/spare_blocks.h"
#include "proxy/io/token_bucket.h"
#include "proxy/io/transport.h"
#include "proxy/request_record.h"
#include "proxy/tcp/fault_executor.h"

namespace faultline::proxy {

class Worker;
struct WorkerListener;
struct Slab;

class TcpSession final : public Connection, private TcpFaultExecutor::Hooks {
 public:
  TcpSession(Worker& worker, WorkerListener& listener);

  // Each worker thread keeps the memory of a few ended sessions for the next connections
  // (proxy/io/spare_blocks.h).
  static constexpr size_t kSpareBlocks = 16;
  using Spare = SpareBlocks<TcpSession, kSpareBlocks>;
  static void* operator new(size_t size) { return Spare::take(size); }
  static void operator delete(void* block, size_t size) { Spare::give(block, size); }
  // Takes over an accepted client socket (from `peer`) whose connection slot the worker already
  // reserved.
  void start(int fd, const sockaddr_storage& peer);
  void drain() override {}  // a TCP stream has no request boundary: it runs until drain ends
  void abort() override {
    ending_ = Ending::kAborted;
    close();
  }
  void release_faults() override;
  void experiments_changed() override;

 private:
  // Side 0 = client, 1 = upstream. Direction d reads side d and writes side 1-d.
  struct Held {
    Slab* slab = nullptr;
    const char* p = nullptr;
    size_t n = 0;
  };
  static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void on_client_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
  static void on_upstream_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
  static void on_written(uv_write_t* req, int status);
  static void on_connect(uv_connect_t* req, int status);
  static void on_timer(uv_timer_t* t);
  static void on_delay_done(PreciseWait& wait);
  static void on_idle_timer(uv_timer_t* t);
  static void on_shutdown(uv_shutdown_t* req, int status);
  static void on_close(uv_handle_t* h);

  // The fault executor's hooks (proxy/tcp/fault_executor.h).
  void fault_reset_at_connect() override;
  void fault_stall(uint64_t ms) override;
  void fault_delay_close(uint64_t ms) override;
  void fault_close_after(uint64_t ms) override;
  bool faults_halted() const override;
  void fault_cancel_close_after() override;

  void on_read(int side, ssize_t nread, const uv_buf_t* buf);
  void relay(int dir, Slab* slab, const char* p, size_t n);
  void reset_later(int dir, uint64_t ms);
  void resume(int dir);
  void side_eof(int side);
  void update_reading(int side);
  void close(bool reset = false);
  void finish();
  void shutdown_client_now();
  void end_cleanly();
  void connect_upstream();
  // The connection's access-log line (one per connection, at close).
  void record(bool reset);
  Transport& side_transport(int side) { return side == 0 ? client_ : upstream_; }
  uv_stream_t* stream(int side) { return side_transport(side).stream(); }

  // The snapshot the current plan came from, which release_plan() needs.
  const ActiveConfig& plan_snapshot() const { return replanned_ ? *replanned_ : *snapshot_; }

  Worker& worker_;
  WorkerListener& listener_;
  ActiveConfigPtr snapshot_;   // from accept: the listener's config, TLS layers, first plan
  ActiveConfigPtr replanned_;  // the latest snapshot that changed the experiments, if any
  // The faults applied at accept, kept for the log line once a new plan replaces them (their
  // names point into snapshot_, which stays pinned).
  std::vector<faults::AppliedFault> accept_applied_;
  Transport client_;
  Transport upstream_;
  uv_timer_t timers_[2]{};  // per direction: slicer / bandwidth; timers_[0] also connect
  PreciseWait delay_wait_[2]{{on_delay_done, this}, {on_delay_done, this}};  // latency, on time
  uv_timer_t close_timer_{};                                                 // stall, slow close
  uv_timer_t idle_timer_{};  // listener idle_timeout: no byte read or written either way
  uv_connect_t connect_req_{};
  uv_shutdown_t shutdown_req_[2]{};
  Outbox out_[2];
  ReadSlot read_slot_[2];  // per side: the slab its next read lands in
  Held held_[2];
  TcpFaultExecutor executor_{*this};
  bool connected_ = false;
  bool reading_[2] = {false, false};
  bool eof_[2] = {false, false};
  bool shut_[2] = {false, false};  // shutdown of this side completed
  bool shutdown_sent_[2] = {false, false};
  bool waiting_[2] = {false, false};
  bool closing_ = false;
  bool stalled_ = false;
  bool reset_pending_ = false;
  bool slow_close_pending_ = false;
  bool close_after_pending_ = false;  // blackhole's close_after runs on close_timer_
  bool reset_on_input_ = false;
  int8_t reset_dir_ = -1;  // reset phase=data: the direction whose data armed the reset timer
  int pending_closes_ = 0;
  uint64_t last_activity_ms_ = 0;  // loop time of the last read or completed write
  uint64_t downstream_bytes_ = 0;
  // Access-log facts.
  bool logged_ = true;  // until the connection is accepted
  Ending ending_ = Ending::kComplete;
  char client_addr_[64] = {};
  uint64_t request_id_ = 0;
  uint64_t started_us_ = 0;
  uint64_t upstream_bytes_ = 0;  // relayed from the client
  uint64_t fault_us_ = 0;        // chunks held by faults (summed over both directions)
  uint64_t held_since_us_[2] = {0, 0};
};

}  // namespace faultline::proxy
