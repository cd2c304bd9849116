#include "proxy/tcp/session.h"

#include <unistd.h>

#include "proxy/fault_decision.h"
#include "proxy/io/timer_at_least.h"
#include "proxy/log.h"
#include "proxy/worker.h"

namespace faultline::proxy {

TcpSession::TcpSession(Worker& worker, WorkerListener& listener)
    : worker_(worker), listener_(listener), snapshot_(worker.snapshot()) {}

void TcpSession::start(int fd, const sockaddr_storage& peer) {
  uv_loop_t* loop = worker_.loop();
  client_.init(loop, this);
  upstream_.init(loop, this);
  uv_timer_init(loop, &timers_[0]);
  uv_timer_init(loop, &timers_[1]);
  uv_timer_init(loop, &close_timer_);
  uv_timer_init(loop, &idle_timer_);
  timers_[0].data = timers_[1].data = close_timer_.data = idle_timer_.data = this;
  connect_req_.data = shutdown_req_[0].data = shutdown_req_[1].data = this;
  worker_.add(this);
  listener_.stats.connection_opened();
  if (client_.open(fd) != 0) {
    ::close(fd);
    close();
    return;
  }
  const auto& cfg = snapshot_->config->listeners[listener_.index];
  // TLS on either side when the listener has it; the relay sees plaintext either way.
  client_.attach(snapshot_->client_layer(listener_.index), listener_.stats.client_tls);
  upstream_.attach(snapshot_->upstream_layer(listener_.index), listener_.stats.upstream_tls);
  // TCP_NODELAY comes from the listening socket (bind_exclusive), the address from accept4().
  format_address(reinterpret_cast<const sockaddr*>(&peer), client_addr_, sizeof client_addr_);
  logged_ = false;
  request_id_ = next_request_id();
  started_us_ = uv_hrtime() / 1000;
  if (!faults_halted()) {
    executor_.set_active(decide_connect(worker_, *snapshot_, listener_.index,
                                        reinterpret_cast<const sockaddr*>(&peer),
                                        executor_.plan()));
  }
  // Reset at connect and stall take over here (fault_reset_at_connect, fault_stall).
  if (executor_.active() && !executor_.carry_out_at_connect(uv_now(loop), cfg.idle_timeout.count()))
    return;
  connect_upstream();
}

void TcpSession::fault_reset_at_connect() {
  // RST on the client's first bytes or after a moment, so that the client sees an accepted
  // connection reset rather than racing its own connect() (see HttpSession).
  reset_on_input_ = true;
  client_.read_start(on_alloc, on_client_read);
  uv_timer_start(&close_timer_, on_timer, 50, 0);
}

void TcpSession::fault_stall(uint64_t ms) {
  // Accept, relay nothing, then close.
  stalled_ = true;
  start_timer_at_least(&close_timer_, on_timer, ms);
}

void TcpSession::fault_delay_close(uint64_t ms) {
  // slow_close: the data went out at full speed, the FIN to the client waits.
  slow_close_pending_ = true;
  start_timer_at_least(&close_timer_, on_timer, ms);
}

void TcpSession::fault_close_after(uint64_t ms) {
  close_after_pending_ = true;
  start_timer_at_least(&close_timer_, on_timer, ms);
}

void TcpSession::fault_cancel_close_after() {
  if (!close_after_pending_) return;
  close_after_pending_ = false;
  uv_timer_stop(&close_timer_);
}

// A toxic (an experiment) added, changed or removed while the connection is open applies to it
// from now on, as in Toxiproxy. This runs once per publish that changes this listener's
// experiments (Worker::swap_snapshot), so the relay path pays nothing for it.
void TcpSession::experiments_changed() {
  // Connect-time outcomes stand (a reset at accept, a stall), as does an armed reset.
  if (closing_ || stalled_ || reset_on_input_ || reset_dir_ >= 0) return;
  const ActiveConfigPtr& next = worker_.snapshot();
  const ActiveConfig& before = plan_snapshot();
  if (!connection_experiments_changed(before, *next, listener_.index)) return;
  if (executor_.active()) release_plan(worker_, before, executor_.plan());
  // The accept-time faults stay in the log line; later plans' records point into snapshots
  // this session lets go of.
  if (!replanned_) accept_applied_ = std::move(executor_.plan().applied);
  faults::Plan fresh;
  sockaddr_storage peer{};
  int len = sizeof peer;
  uv_tcp_getpeername(client_.tcp(), reinterpret_cast<sockaddr*>(&peer), &len);
  const bool active = !faults_halted() && decide_connect(worker_, *next, listener_.index,
                                                         reinterpret_cast<sockaddr*>(&peer), fresh);
  const auto replanned = executor_.replan(std::move(fresh), active, uv_now(worker_.loop()));
  replanned_ = next;
  for (int dir : {0, 1})
    if (!closing_ && waiting_[dir] && replanned.release[dir]) resume(dir);
}

bool TcpSession::faults_halted() const {
  return worker_.shared().halted.load(std::memory_order_relaxed);
}

void TcpSession::connect_upstream() {
  const auto& cfg = snapshot_->config->listeners[listener_.index];
  const auto& addr = snapshot_->upstreams[listener_.index];
  if (upstream_.connect(&connect_req_, reinterpret_cast<const sockaddr*>(&addr.addr), on_connect) !=
      0) {
    bump(listener_.stats.upstream_errors_connect);
    ending_ = Ending::kUpstreamConnect;
    close();
    return;
  }
  start_timer_at_least(&timers_[0], on_timer, cfg.connect_timeout.count());
}

void TcpSession::on_connect(uv_connect_t* req, int status) {
  auto* s = static_cast<TcpSession*>(req->data);
  if (s->closing_) return;
  uv_timer_stop(&s->timers_[0]);
  if (status != 0) {
    bump(s->listener_.stats.upstream_errors_connect);
    s->ending_ = Ending::kUpstreamConnect;
    s->close();  // a failed upstream connect closes the client
    return;
  }
  uv_tcp_nodelay(s->upstream_.tcp(), 1);
  s->connected_ = true;
  s->last_activity_ms_ = uv_now(s->worker_.loop());
  uv_timer_start(&s->idle_timer_, on_idle_timer,
                 s->snapshot_->config->listeners[s->listener_.index].idle_timeout.count(), 0);
  s->update_reading(0);
  s->update_reading(1);
}

void TcpSession::update_reading(int side) {
  if (closing_ || !connected_ || stalled_) return;
  int dir = side;
  bool want = !eof_[side] && !held_[dir].slab && !waiting_[dir] &&
              !out_[1 - side].above_high_water() && !reset_pending_ && reset_dir_ != dir;
  if (want == reading_[side]) return;
  reading_[side] = want;
  if (want)
    side_transport(side).read_start(on_alloc, side == 0 ? on_client_read : on_upstream_read);
  else
    side_transport(side).read_stop();
}

void TcpSession::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* s = static_cast<TcpSession*>(h->data);
  int side = h == s->client_.handle() ? 0 : 1;
  Slab* slab = s->read_slot_[side].fill(s->worker_.slabs());
  *buf = uv_buf_init(slab->data, Slab::kSize);
}

void TcpSession::on_client_read(uv_stream_t* st, ssize_t nread, const uv_buf_t* buf) {
  static_cast<TcpSession*>(st->data)->on_read(0, nread, buf);
}

void TcpSession::on_upstream_read(uv_stream_t* st, ssize_t nread, const uv_buf_t* buf) {
  static_cast<TcpSession*>(st->data)->on_read(1, nread, buf);
}

void TcpSession::on_read(int side, ssize_t nread, const uv_buf_t* buf) {
  Slab* slab = read_slot_[side].take();
  if (!closing_ && reset_on_input_) {
    if (nread != 0) close(/*reset=*/true);
  } else if (!closing_) {
    if (nread > 0) {
      last_activity_ms_ = uv_now(worker_.loop());
      relay(side, slab, buf->base, static_cast<size_t>(nread));
    } else if (nread == UV_EOF) {
      side_eof(side);
    } else if (nread < 0) {
      if (side == 1) bump(listener_.stats.upstream_errors_reset);
      ending_ = side == 1 ? Ending::kUpstreamFailed : Ending::kClientClosed;
      close();
    }
  }
  if (slab) worker_.slabs().unref(slab);
}

void TcpSession::relay(int dir, Slab* slab, const char* p, size_t n) {
  int to = 1 - dir;
  const TcpFaultExecutor::Chunk chunk = executor_.on_chunk(
      dir, n, waiting_[dir], downstream_bytes_, [this] { return uv_now(worker_.loop()); });
  const size_t send = chunk.send;
  if (chunk.reset_later) {
    reset_later(dir, chunk.wait_ms);
    return;
  }
  if (chunk.reset) reset_pending_ = true;
  if (send > 0) {
    out_[to].add(worker_.write_ops(), worker_.slabs(), slab, p, send);
    if (dir == 1) downstream_bytes_ += send;
    if (dir == 0) upstream_bytes_ += send;
    if (out_[to].flush(side_transport(to), this, on_written, worker_.write_ops(),
                       worker_.slabs()) != 0) {
      close();
      return;
    }
  }
  if (chunk.end) {
    end_cleanly();
    return;
  }
  if (reset_pending_) {
    update_reading(0);
    update_reading(1);
    if (out_[0].in_flight == 0) close(true);
    return;
  }
  if (chunk.hold && send < n) {
    worker_.slabs().ref(slab);
    held_[dir] = {slab, p + send, n - send};
    waiting_[dir] = true;
    held_since_us_[dir] = uv_hrtime() / 1000;
    if (chunk.delay)
      worker_.precise_timers().start(delay_wait_[dir], chunk.wait_ms);
    else
      uv_timer_start(&timers_[dir], on_timer, std::max<uint64_t>(1, chunk.wait_ms), 0);
  }
  update_reading(dir);
}

// Toxiproxy's reset_peer: the chunk that armed it is dropped and its direction reads no more;
// the client is reset once the delay has passed.
void TcpSession::reset_later(int dir, uint64_t ms) {
  if (ms == 0) {
    close(/*reset=*/true);
    return;
  }
  if (reset_dir_ >= 0) return;
  if (held_[dir].slab) worker_.slabs().unref(held_[dir].slab);
  held_[dir] = {};
  waiting_[dir] = false;
  reset_dir_ = static_cast<int8_t>(dir);
  start_timer_at_least(&timers_[dir], on_timer, ms);
  update_reading(dir);
}

void TcpSession::on_delay_done(PreciseWait& wait) {
  auto* s = static_cast<TcpSession*>(wait.data);
  if (s->closing_) return;
  s->resume(&wait == &s->delay_wait_[0] ? 0 : 1);
}

void TcpSession::resume(int dir) {
  waiting_[dir] = false;
  delay_wait_[dir].cancel();
  if (held_since_us_[dir]) {
    fault_us_ += uv_hrtime() / 1000 - held_since_us_[dir];
    held_since_us_[dir] = 0;
  }
  uv_timer_stop(&timers_[dir]);
  Held h = held_[dir];
  held_[dir] = {};
  if (h.slab) {
    // A delayed chunk goes out whole once its delay has passed.
    waiting_[dir] = true;  // suppress re-delaying this chunk
    relay(dir, h.slab, h.p, h.n);
    if (!held_[dir].slab) waiting_[dir] = false;
    worker_.slabs().unref(h.slab);
  }
  if (closing_) return;  // the chunk reset the connection (reset_peer, reset after bytes)
  if (eof_[dir] && !held_[dir].slab) side_eof(dir);
  update_reading(dir);
}

void TcpSession::on_timer(uv_timer_t* t) {
  auto* s = static_cast<TcpSession*>(t->data);
  if (s->closing_) return;
  if (s->reset_dir_ >= 0 && t == &s->timers_[s->reset_dir_]) {
    s->close(/*reset=*/true);
  } else if (t == &s->close_timer_) {
    if (s->reset_on_input_)
      s->close(/*reset=*/true);
    else if (s->slow_close_pending_)
      s->shutdown_client_now();
    else
      s->close();
  } else if (t == &s->timers_[0] && !s->connected_) {
    bump(s->listener_.stats.upstream_errors_timeout);
    s->ending_ = Ending::kUpstreamConnect;
    s->close();  // connect timeout
  } else {
    s->resume(t == &s->timers_[0] ? 0 : 1);
  }
}

void TcpSession::on_idle_timer(uv_timer_t* t) {
  auto* s = static_cast<TcpSession*>(t->data);
  if (s->closing_) return;
  uint64_t idle = s->snapshot_->config->listeners[s->listener_.index].idle_timeout.count();
  uint64_t quiet = uv_now(s->worker_.loop()) - s->last_activity_ms_;
  // A chunk held back by a fault (latency, bandwidth) or a FIN held by slow_close is not
  // idleness: the proxy is the one waiting. Otherwise the timer re-arms for what is left of
  // the quiet period, so the relay path only records a timestamp per chunk.
  if (s->waiting_[0] || s->waiting_[1] || s->slow_close_pending_) {
    uv_timer_start(t, on_idle_timer, idle, 0);
  } else if (quiet < idle) {
    uv_timer_start(t, on_idle_timer, idle - quiet, 0);
  } else {
    log::tcp().debug("closing a connection idle for {} ms", quiet);
    s->close();
  }
}

void TcpSession::on_written(uv_write_t* req, int status) {
  auto* s = static_cast<TcpSession*>(req->data);
  WriteOp* op = reinterpret_cast<WriteOp*>(reinterpret_cast<char*>(req) - offsetof(WriteOp, req));
  int to = req->handle == s->stream(0) ? 0 : 1;
  s->out_[to].completed(op, s->worker_.write_ops(), s->worker_.slabs());
  if (s->closing_) return;
  if (status != 0) {
    s->ending_ = to == 0 ? Ending::kClientClosed : Ending::kUpstreamFailed;
    s->close();
    return;
  }
  s->last_activity_ms_ = uv_now(s->worker_.loop());
  if (s->reset_pending_ && to == 0 && s->out_[0].in_flight == 0) {
    s->close(true);
    return;
  }
  if (s->out_[to].below_low_water()) s->update_reading(1 - to);
}

void TcpSession::side_eof(int side) {
  eof_[side] = true;
  update_reading(side);
  if (held_[side].slab) return;  // shut down once the held bytes went out
  int to = 1 - side;
  if (shutdown_sent_[to]) return;                  // ended by limit_data already
  if (to == 0 && executor_.delay_close()) return;  // slow_close (fault_delay_close)
  shutdown_sent_[to] = true;
  if (side_transport(to).shutdown(&shutdown_req_[to], on_shutdown) != 0) close();
}

void TcpSession::shutdown_client_now() {
  slow_close_pending_ = false;
  uv_timer_stop(&close_timer_);
  shutdown_sent_[0] = true;
  if (client_.shutdown(&shutdown_req_[0], on_shutdown) != 0) close();
}

// limit_data reached: what was relayed goes out, then FIN both ways (after a slow_close's
// delay for the client); nothing more is read or relayed in either direction.
void TcpSession::end_cleanly() {
  for (int dir : {0, 1}) {
    if (held_[dir].slab) worker_.slabs().unref(held_[dir].slab);
    held_[dir] = {};
    if (waiting_[dir]) uv_timer_stop(&timers_[dir]);
    waiting_[dir] = false;
    eof_[dir] = true;
    update_reading(dir);
  }
  for (int side : {1, 0}) {
    if (shutdown_sent_[side] || (side == 0 && slow_close_pending_)) continue;
    if (side == 0 && executor_.delay_close()) continue;  // slow_close holds the client's FIN
    shutdown_sent_[side] = true;
    if (side_transport(side).shutdown(&shutdown_req_[side], on_shutdown) != 0) {
      close();
      return;
    }
  }
}

void TcpSession::on_shutdown(uv_shutdown_t* req, int status) {
  auto* s = static_cast<TcpSession*>(req->data);
  if (s->closing_) return;
  int side = req == &s->shutdown_req_[0] ? 0 : 1;
  s->shut_[side] = true;
  if (status != 0) {
    s->close();
    return;
  }
  s->finish();
}

void TcpSession::finish() {
  if (shut_[0] && shut_[1]) close();
}

void TcpSession::release_faults() {
  if (closing_) return;
  if (executor_.active()) release_plan(worker_, plan_snapshot(), executor_.plan());
  executor_.release();
  if (stalled_) {
    // Released: relay after all.
    stalled_ = false;
    uv_timer_stop(&close_timer_);
    connect_upstream();
    return;
  }
  if (slow_close_pending_) shutdown_client_now();
  if (close_after_pending_) {
    close_after_pending_ = false;
    uv_timer_stop(&close_timer_);
  }
  if (reset_dir_ >= 0) {  // the armed reset does not happen; its dropped chunk stays dropped
    uv_timer_stop(&timers_[reset_dir_]);
    const int dir = reset_dir_;
    reset_dir_ = -1;
    update_reading(dir);
  }
  for (int dir : {0, 1})
    if (waiting_[dir]) resume(dir);
}

void TcpSession::record(bool reset) {
  logged_ = true;
  const uint64_t now = uv_hrtime() / 1000;
  for (uint64_t& since : held_since_us_) {
    if (since) fault_us_ += now - since;
    since = 0;
  }
  RequestRecord r;
  r.listener = listener_.name;
  r.client = client_addr_;
  r.id = request_id_;
  r.worker = worker_.index();
  r.protocol = "tcp";
  r.ending = reset ? Ending::kReset : stalled_ ? Ending::kStall : ending_;
  r.injected = r.ending == Ending::kReset || r.ending == Ending::kStall;
  r.bytes_in = upstream_bytes_;
  r.bytes_out = downstream_bytes_;
  r.total_us = now - started_us_;
  // A stall holds the whole connection.
  r.fault_us = stalled_ ? r.total_us : fault_us_;
  const auto& latest = executor_.plan().applied;
  if (accept_applied_.empty()) {
    r.faults = latest;
  } else {
    accept_applied_.insert(accept_applied_.end(), latest.begin(), latest.end());
    r.faults = accept_applied_;
  }
  finish_record(listener_.stats, r);
}

void TcpSession::close(bool reset) {
  if (closing_) return;
  if (!logged_) record(reset);
  closing_ = true;
  for (auto& h : held_) {
    if (h.slab) worker_.slabs().unref(h.slab);
    h = {};
  }
  if (executor_.active()) release_plan(worker_, plan_snapshot(), executor_.plan());
  for (auto& o : out_) o.discard(worker_.write_ops(), worker_.slabs());
  for (auto& slot : read_slot_) slot.release(worker_.slabs());
  worker_.remove(this);
  listener_.stats.connection_closed();
  worker_.shared().active[listener_.index].fetch_sub(1, std::memory_order_relaxed);
  pending_closes_ = 6;
  client_.close(on_close, reset);
  upstream_.close(on_close);
  uv_close(reinterpret_cast<uv_handle_t*>(&timers_[0]), on_close);
  uv_close(reinterpret_cast<uv_handle_t*>(&timers_[1]), on_close);
  uv_close(reinterpret_cast<uv_handle_t*>(&close_timer_), on_close);
  uv_close(reinterpret_cast<uv_handle_t*>(&idle_timer_), on_close);
}

void TcpSession::on_close(uv_handle_t* h) {
  auto* s = static_cast<TcpSession*>(h->data);
  if (--s->pending_closes_ == 0) s->worker_.retire(s);
}

}  // namespace faultline::proxy
