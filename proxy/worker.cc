#include "proxy/worker.h"

#include <unistd.h>

#include <cstring>

#include "proxy/log.h"

namespace faultline::proxy {

namespace {
constexpr size_t kThreadStack = 512 * 1024;
}

Worker::Worker(unsigned index, ActiveConfigPtr snapshot, std::vector<int> listen_fds,
               SharedState& shared, ListenerProtocolFactory make_protocol)
    : index_(index),
      snapshot_(std::move(snapshot)),
      shared_(shared),
      rng_(faults::Rng::for_worker(snapshot_->config->runtime.seed, index)),
      make_protocol_(make_protocol) {
  const auto& listeners = snapshot_->config->listeners;
  for (size_t i = 0; i < listen_fds.size(); ++i)
    listeners_.push_back(std::make_unique<WorkerListener>(*this, static_cast<uint32_t>(i),
                                                          listeners[i], listen_fds[i]));
  for (auto& l : listeners_) l->handler = make_protocol_(*this, *l);
}

Worker::~Worker() {
  for (auto& l : listeners_)
    if (l->fd >= 0) ::close(l->fd);  // never handed to the loop
}

WorkerListener::WorkerListener(Worker& w, uint32_t i, const config::ListenerConfig& config,
                               int listen_fd)
    : index(i),
      name(config.name),
      protocol(config.protocol),
      fd(listen_fd),
      worker(&w),
      acceptor(*this, &log::worker, config.name) {}

bool WorkerListener::reserve_slot() {
  if (worker->draining()) return false;
  auto& active = worker->shared().active[index];
  const int64_t limit = worker->snapshot()->config->listeners[index].max_connections;
  int64_t now = active.load(std::memory_order_relaxed);
  do {
    if (now >= limit) return false;
  } while (!active.compare_exchange_weak(now, now + 1, std::memory_order_relaxed));
  return true;
}

void WorkerListener::release_slot() {
  worker->shared().active[index].fetch_sub(1, std::memory_order_relaxed);
}

void WorkerListener::accepted(int client_fd, const sockaddr_storage& peer) {
  // The session owns the slot reserve_slot() took and gives it back when it closes. It
  // registers itself (Worker::add) while this runs, and so learns its listener.
  worker->accepting_ = index;
  handler->accepted(client_fd, peer);
  worker->accepting_ = Connection::kNoListener;
}

int WorkerListener::accepts_per_turn() const {
  // The current configuration's: a reload may turn TLS on or off on this listener.
  return worker->snapshot()->config->listeners[index].tls.enabled ? 1 : Acceptor::kBatch;
}

void WorkerListener::out_of_descriptors() {
  // Idle upstream connections are the descriptors we can spare without hurting a client.
  for (uint32_t i = 0; i < worker->listener_count(); ++i) worker->listener(i).handler->close_idle();
}

Status Worker::start() {
  if (int rc = uv_loop_init(&loop_); rc != 0) return Status::failure(uv_strerror(rc));
  loop_.data = this;  // Worker::of
  uv_async_init(&loop_, &inbox_, on_inbox);
  inbox_.data = this;
  uv_check_init(&loop_, &reaper_);
  reaper_.data = this;
  uv_check_start(&reaper_, on_reap);
  uv_unref(reinterpret_cast<uv_handle_t*>(&reaper_));
  uv_timer_init(&loop_, &slab_decay_);
  slab_decay_.data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(&slab_decay_));
  if (int rc = precise_timers_.start(&loop_); rc != 0)
    return Status::failure(std::string("timerfd: ") + uv_strerror(rc));
  for (auto& l : listeners_) {
    if (l->fd < 0) continue;  // disabled: no socket
    if (int rc = l->acceptor.start(&loop_, l->fd); rc != 0)
      return Status::failure("listener " + l->name + ": " + uv_strerror(rc));
    l->fd = -1;
  }
  uv_thread_options_t options;
  options.flags = UV_THREAD_HAS_STACK_SIZE;
  options.stack_size = kThreadStack;
  if (uv_thread_create_ex(&thread_, &options, thread_main, this) != 0)
    return Status::failure("cannot start worker thread");
  thread_started_ = true;
  return Ok{};
}

void Worker::thread_main(void* arg) {
  auto* w = static_cast<Worker*>(arg);
  uv_run(&w->loop_, UV_RUN_DEFAULT);
  // Everything is closed; let close callbacks run and the graveyard empty.
  uv_run(&w->loop_, UV_RUN_NOWAIT);
  on_reap(&w->reaper_);
  w->loop_close_result_ = uv_loop_close(&w->loop_);
}

int Worker::join() {
  if (thread_started_) {
    uv_thread_join(&thread_);
    thread_started_ = false;
  }
  return loop_close_result_;
}

void Worker::post(std::function<void(Worker&)> fn) {
  {
    std::lock_guard lock(inbox_mutex_);
    inbox_queue_.push_back(std::move(fn));
  }
  uv_async_send(&inbox_);
}

void Worker::on_inbox(uv_async_t* async) {
  auto* w = static_cast<Worker*>(async->data);
  // uv_async_send coalesces: drain everything queued.
  std::deque<std::function<void(Worker&)>> batch;
  {
    std::lock_guard lock(w->inbox_mutex_);
    batch.swap(w->inbox_queue_);
  }
  for (auto& fn : batch) fn(*w);
}

void Worker::publish(ActiveConfigPtr snapshot) {
  post([snapshot = std::move(snapshot)](Worker& w) mutable {
    w.swap_snapshot(std::move(snapshot));
  });
}

void Worker::publish(ActiveConfigPtr snapshot, ListenerChange change,
                     std::function<void()> closed) {
  post([snapshot = std::move(snapshot), change = std::move(change),
        closed = std::move(closed)](Worker& w) mutable {
    // The new slots exist before anything can use the snapshot that names them.
    w.swap_snapshot(std::move(snapshot));
    for (int fd : change.added_fds) w.add_listener(fd);
    auto pending = std::make_shared<size_t>(change.closed.size() + 1);
    auto one_closed = [pending, closed = std::move(closed)] {
      if (--*pending == 0 && closed) closed();
    };
    for (uint32_t slot : change.closed) w.close_listener(slot, one_closed);
    one_closed();
  });
}

void Worker::swap_snapshot(ActiveConfigPtr snapshot) {
  // Idle upstream connections to an address a reload changed must not be reused.
  for (auto& l : listeners_) {
    const auto& before = snapshot_->upstreams[l->index];
    const auto& after = snapshot->upstreams[l->index];
    if (before.len != after.len || std::memcmp(&before.addr, &after.addr, before.len) != 0)
      l->handler->close_idle();
  }
  const bool experiments_changed = snapshot->faults != snapshot_->faults;
  snapshot_ = std::move(snapshot);
  // Sessions whose faults follow the experiments while open (TCP, as Toxiproxy's toxics) look
  // at the new set here, once per publish, rather than at every chunk they relay.
  if (!experiments_changed) return;
  for (Connection* c = connections_.head(); c;) {
    Connection* next = c->next;
    c->experiments_changed();
    c = next;
  }
}

void Worker::add_listener(int fd) {
  const auto slot = static_cast<uint32_t>(listeners_.size());
  auto l = std::make_unique<WorkerListener>(*this, slot, snapshot_->config->listeners[slot], fd);
  l->handler = make_protocol_(*this, *l);
  listeners_.push_back(std::move(l));
  WorkerListener& added = *listeners_.back();
  if (added.fd < 0) return;
  if (draining_) {  // a change that raced a drain: nothing new accepts
    ::close(added.fd);
    added.fd = -1;
    return;
  }
  if (int rc = added.acceptor.start(&loop_, added.fd); rc != 0) {
    log::worker().error("listener {}: cannot poll the listening socket: {}", added.name,
                        uv_strerror(rc));
    ::close(added.fd);
  }
  added.fd = -1;
}

void Worker::close_listener(uint32_t slot, std::function<void()> done) {
  if (slot >= listeners_.size()) return done();
  WorkerListener& l = *listeners_[slot];
  if (l.fd >= 0) {
    ::close(l.fd);
    l.fd = -1;
  }
  if (l.acceptor.is_open())
    l.acceptor.close(std::move(done));
  else
    done();
  l.handler->close_idle();
  // abort() may close the session and unlink it: step carefully.
  for (Connection* c = connections_.head(); c;) {
    Connection* next = c->next;
    if (c->listener_slot == slot) c->abort();
    c = next;
  }
}

void Worker::drain() {
  post([](Worker& w) {
    if (w.draining_) return;
    w.draining_ = true;
    w.close_listeners();
    for (auto& l : w.listeners_) l->handler->close_idle();
    // drain() may close the session and unlink it: step carefully.
    for (Connection* c = w.connections_.head(); c;) {
      Connection* next = c->next;
      c->drain();
      c = next;
    }
  });
}

void Worker::stop() {
  post([](Worker& w) { w.close_all(); });
}

void Worker::halt_changed() {
  post([](Worker& w) {
    if (!w.shared_.halted.load()) return;
    // Every session: those waiting on a fault timer and those throttled without one.
    for (Connection* c = w.connections_.head(); c;) {
      Connection* next = c->next;
      c->release_faults();
      c = next;
    }
  });
}

void Worker::close_listeners() {
  for (auto& l : listeners_) l->acceptor.close();
}

void Worker::close_all() {
  stopping_ = true;
  draining_ = true;
  close_listeners();
  for (Connection* c = connections_.head(); c;) {
    Connection* next = c->next;
    c->abort();
    c = next;
  }
  for (auto& l : listeners_) l->handler->close_idle();
  uv_close(reinterpret_cast<uv_handle_t*>(&inbox_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&reaper_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&slab_decay_), nullptr);
  precise_timers_.close();
}

void Worker::retire(Retirable* r) {
  r->next_retired = retired_;
  retired_ = r;
}

void Worker::on_reap(uv_check_t* check) {
  auto* w = static_cast<Worker*>(check->data);
  while (Retirable* r = w->retired_) {
    w->retired_ = r->next_retired;
    delete r;
  }
  w->slabs_.maybe_trim();
  // Spare slabs above the reserve: free the unused ones a second from now (SlabPool::decay).
  auto* decay = reinterpret_cast<uv_handle_t*>(&w->slab_decay_);
  if (w->slabs_.decay_wanted() && !uv_is_active(decay) && !uv_is_closing(decay)) {
    w->slabs_.start_decay_interval();
    uv_timer_start(&w->slab_decay_, on_slab_decay, SlabPool::kDecayIntervalMs, 0);
  }
}

void Worker::on_slab_decay(uv_timer_t* timer) {
  auto* w = static_cast<Worker*>(timer->data);
  w->slabs_.decay();
  // Re-armed here, not by the reaper: an idle loop would not get to its check phase again.
  if (w->slabs_.decay_wanted()) uv_timer_start(timer, on_slab_decay, SlabPool::kDecayIntervalMs, 0);
}

void Worker::add(Connection* c) {
  if (accepting_ != Connection::kNoListener) c->listener_slot = accepting_;
  connections_.push(c);
  live_.store(connections_.size(), std::memory_order_relaxed);
}

void Worker::remove(Connection* c) {
  connections_.erase(c);
  live_.store(connections_.size(), std::memory_order_relaxed);
  // A slot and a descriptor are about to be free: a listener paused at max_connections or on
  // EMFILE accepts again (on the next loop iteration, after the slot was given back).
  for (auto& l : listeners_) l->acceptor.resume();
}

}  // namespace faultline::proxy
