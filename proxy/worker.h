#pragma once
// One event loop on its own thread polling its duplicates of the shared listening sockets, with
// its own slab and write pools, upstream connection pools and counters. Everything in a worker is
// touched only by its thread; other threads talk to it through post() (an uv_async_t inbox).
#include <uv.h>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/result.h"
#include "faults/rng.h"
#include "proxy/active_config.h"
#include "proxy/io/acceptor.h"
#include "proxy/io/connection.h"
#include "proxy/io/precise_timers.h"
#include "proxy/io/slab_pool.h"
#include "proxy/io/write_op.h"
#include "proxy/stats.h"

namespace faultline::proxy {

// Listener slots a process can have over its life: a removed listener's slot is never reused
// (its index may still be in flight), so this bounds listeners created at runtime.
inline constexpr size_t kMaxListenerSlots = 4096;

// State shared by all workers (atomics only).
struct SharedState {
  SharedState() : active(kMaxListenerSlots) {}
  std::atomic<bool> halted{false};
  std::atomic<bool> draining{false};
  // Open client connections per listener, shared so that max_connections holds across workers:
  // a worker takes a slot before accepting (WorkerListener::reserve_slot) and a session gives
  // it back when it closes.
  std::vector<std::atomic<int64_t>> active;  // by listener slot, kMaxListenerSlots of them
};

// Listeners that start or stop together with a new snapshot (a reload, the Toxiproxy API).
struct ListenerChange {
  // Slots appended by the snapshot, in order, with this worker's descriptor of each socket
  // (-1: the listener is disabled and has none).
  std::vector<int> added_fds;
  // Slots that stop accepting and close their connections (disabled or removed).
  std::vector<uint32_t> closed;
};

// What a listener's protocol (HTTP, TCP; TLS next) does with the connections its worker
// accepts. Each worker has one per listener, made by the ListenerProtocolFactory the worker is
// given, so the worker (this layer) never names a session type: the layers above it do.
class ListenerProtocol {
 public:
  virtual ~ListenerProtocol() = default;
  // Takes over an accepted client socket (from `peer`) and the connection slot reserved for it.
  virtual void accepted(int client_fd, const sockaddr_storage& peer) = 0;
  // Closes what the protocol keeps idle (pooled upstream connections): on drain and stop, when
  // descriptors run out, and when a reload changes the listener's upstream address.
  virtual void close_idle() {}
};

struct WorkerListener;
using ListenerProtocolFactory = std::unique_ptr<ListenerProtocol> (*)(class Worker& worker,
                                                                      WorkerListener& listener);

struct WorkerListener final : Acceptor::Owner {
  WorkerListener(class Worker& w, uint32_t i, const config::ListenerConfig& config, int listen_fd);
  bool reserve_slot() override;
  void release_slot() override;
  void accepted(int fd, const sockaddr_storage& peer) override;
  void out_of_descriptors() override;
  int accepts_per_turn() const override;  // 1 while the listener terminates TLS

  uint32_t index = 0;
  std::string name;
  config::Protocol protocol = config::Protocol::kHttp;
  int fd = -1;  // this worker's descriptor of the listening socket until the acceptor owns it
  class Worker* worker = nullptr;
  Acceptor acceptor;
  ListenerStats stats;
  std::unique_ptr<ListenerProtocol> handler;  // set by the worker right after construction
};

class Worker {
 public:
  Worker(unsigned index, ActiveConfigPtr snapshot, std::vector<int> listen_fds, SharedState& shared,
         ListenerProtocolFactory make_protocol);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Starts the thread (loop set up on the caller's thread, so errors come back here).
  Status start();
  // Waits for the thread to end; returns uv_loop_close's result (0 = every handle closed).
  int join();

  // Thread-safe: runs `fn` on the worker's thread.
  void post(std::function<void(Worker&)> fn);
  void publish(ActiveConfigPtr snapshot);  // thread-safe
  // Thread-safe: publishes `snapshot` and starts and stops listeners as `change` says (the
  // worker owns the descriptors from now on); `closed` runs on the worker's thread once this
  // worker's descriptors of the closed listeners are closed.
  void publish(ActiveConfigPtr snapshot, ListenerChange change, std::function<void()> closed);
  void drain();         // thread-safe: stop accepting, close idle connections
  void stop();          // thread-safe: close everything; the loop then ends
  void halt_changed();  // thread-safe: release connections waiting on faults

  size_t live_connections() const { return live_.load(std::memory_order_relaxed); }

  // ---- for sessions (worker thread only) ----
  uv_loop_t* loop() { return &loop_; }
  // The worker whose loop `loop` is (for layers under a session, which see only its loop).
  static Worker* of(uv_loop_t* loop) { return static_cast<Worker*>(loop->data); }
  unsigned index() const { return index_; }
  const ActiveConfigPtr& snapshot() const { return snapshot_; }
  SlabPool& slabs() { return slabs_; }
  PreciseTimers& precise_timers() { return precise_timers_; }
  faults::Rng& rng() { return rng_; }
  WriteOpPool& write_ops() { return write_ops_; }
  WorkerListener& listener(uint32_t i) { return *listeners_[i]; }
  size_t listener_count() const { return listeners_.size(); }
  SharedState& shared() { return shared_; }
  bool draining() const { return draining_; }
  bool stopping() const { return stopping_; }
  // Deferred deletion: freed from a uv_check_t callback, never under the caller's stack.
  void retire(Retirable* r);
  void add(Connection* c);
  void remove(Connection* c);  // when a session starts closing

 private:
  friend struct WorkerListener;  // sets accepting_ around an accept
  static void on_inbox(uv_async_t* async);
  static void on_reap(uv_check_t* check);
  static void on_slab_decay(uv_timer_t* timer);
  static void thread_main(void* arg);
  void close_listeners();
  void close_all();
  void swap_snapshot(ActiveConfigPtr snapshot);
  void add_listener(int fd);
  void close_listener(uint32_t slot, std::function<void()> done);

  unsigned index_;
  ActiveConfigPtr snapshot_;
  SharedState& shared_;
  uv_loop_t loop_{};
  uv_async_t inbox_{};
  uv_check_t reaper_{};
  uv_timer_t slab_decay_{};  // unref'd: never keeps the loop alive
  uv_thread_t thread_{};
  bool thread_started_ = false;
  int loop_close_result_ = 0;
  bool draining_ = false;
  bool stopping_ = false;

  std::mutex inbox_mutex_;
  std::deque<std::function<void(Worker&)>> inbox_queue_;

  SlabPool slabs_;
  PreciseTimers precise_timers_;
  faults::Rng rng_;
  WriteOpPool write_ops_;
  std::vector<std::unique_ptr<WorkerListener>> listeners_;
  ConnectionList<&Connection::prev, &Connection::next> connections_;
  std::atomic<size_t> live_{0};
  Retirable* retired_ = nullptr;
  ListenerProtocolFactory make_protocol_;
  uint32_t accepting_ = Connection::kNoListener;  // the slot inside WorkerListener::accepted
};

}  // namespace faultline::proxy
