#include "proxy/http/upstream.h"

#include "proxy/worker.h"

namespace faultline::proxy {

UpstreamConn::UpstreamConn(Worker& w, uint32_t listener_index)
    : worker(w), listener(listener_index) {
  transport.init(worker.loop(), this);
  timer.init(worker.loop(), this, on_timer);
  connect_req.data = this;
}

int UpstreamConn::connect(const sockaddr* addr, TransportLayerFactory* layer) {
  transport.attach(layer, worker.listener(listener).stats.upstream_tls);
  return transport.connect(&connect_req, addr, on_connect);
}

void UpstreamConn::on_connect(uv_connect_t* req, int status) {
  auto* c = static_cast<UpstreamConn*>(req->data);
  if (c->closing) return;
  if (status == 0) uv_tcp_nodelay(c->transport.tcp(), 1);
  if (c->session)
    c->session->on_upstream_connected(status);
  else if (status != 0)
    c->close();
}

void UpstreamConn::close() {
  if (closing) return;
  closing = true;
  session = nullptr;
  if (pooled) pool->remove(this);
  out.discard(worker.write_ops(), worker.slabs());
  read_slot.release(worker.slabs());
  pending_closes = 2;
  transport.close(on_close);
  uv_close(timer.handle(), on_close);
}

void UpstreamConn::on_close(uv_handle_t* handle) {
  auto* c = static_cast<UpstreamConn*>(handle->data);
  if (--c->pending_closes == 0) c->worker.retire(c);
}

void UpstreamConn::start_reading() {
  if (reading || closing) return;
  reading = true;
  transport.read_start(on_alloc, on_read);
}

void UpstreamConn::stop_reading() {
  if (!reading || closing) return;
  reading = false;
  transport.read_stop();
}

void UpstreamConn::on_alloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* c = static_cast<UpstreamConn*>(handle->data);
  Slab* slab = c->read_slot.fill(c->worker.slabs());
  *buf = uv_buf_init(slab->data, Slab::kSize);
}

void UpstreamConn::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* c = static_cast<UpstreamConn*>(stream->data);
  Slab* slab = c->read_slot.take();
  if (nread != 0 && !c->closing) {
    if (!c->session) {
      // Pooled: the server closed it or sent something unsolicited.
      c->close();
    } else if (nread > 0) {
      c->session->on_upstream_data(slab, buf->base, static_cast<size_t>(nread));
    } else {
      c->reading = false;
      c->transport.read_stop();
      c->session->on_upstream_eof(static_cast<int>(nread));
    }
  }
  if (slab) c->worker.slabs().unref(slab);
}

void UpstreamConn::on_written(uv_write_t* req, int status) {
  auto* c = static_cast<UpstreamConn*>(req->data);
  WriteOp* op = reinterpret_cast<WriteOp*>(reinterpret_cast<char*>(req) - offsetof(WriteOp, req));
  c->out.completed(op, c->worker.write_ops(), c->worker.slabs());
  if (c->closing) return;
  if (status != 0) {
    if (c->session) {
      c->session->on_upstream_eof(status);  // counts the error unless the request is resent
    } else {
      c->close();
    }
    return;
  }
  if (c->session) c->session->on_upstream_written();
}

void UpstreamConn::on_timer(uv_timer_t* timer) {
  auto* c = static_cast<UpstreamConn*>(timer->data);
  if (c->closing) return;
  if (c->session)
    c->session->on_upstream_timer();
  else
    c->close();  // idle expiry in the pool
}

// ---------------------------------------------------------------- pool

UpstreamConn* UpstreamPool::acquire() {
  UpstreamConn* c = head_;
  if (!c) return nullptr;
  remove(c);
  c->timer.stop();
  return c;
}

void UpstreamPool::put(UpstreamConn* c) {
  c->session = nullptr;
  c->pooled = true;
  c->pool = this;
  c->pool_prev = nullptr;
  c->pool_next = head_;
  if (head_) head_->pool_prev = c;
  head_ = c;
  if (!tail_) tail_ = c;
  ++size_;
  c->start_reading();  // notice the server closing it
  c->timer.start(kIdleExpiryMs);
  if (size_ > kMaxIdle) tail_->close();
}

void UpstreamPool::remove(UpstreamConn* c) {
  if (!c->pooled) return;
  if (c->pool_prev)
    c->pool_prev->pool_next = c->pool_next;
  else
    head_ = c->pool_next;
  if (c->pool_next)
    c->pool_next->pool_prev = c->pool_prev;
  else
    tail_ = c->pool_prev;
  c->pool_prev = c->pool_next = nullptr;
  c->pooled = false;
  --size_;
}

void UpstreamPool::close_all() {
  while (head_) head_->close();
}

}  // namespace faultline::proxy
