#pragma once
// Base of everything a worker frees through its deferred-deletion list, and of the client
// sessions a worker tracks for drain, shutdown and the kill switch.
#include <cstdint>

namespace faultline::proxy {

class Retirable {
 public:
  Retirable() = default;
  Retirable(const Retirable&) = delete;
  Retirable& operator=(const Retirable&) = delete;
  virtual ~Retirable() = default;
  Retirable* next_retired = nullptr;
};

class Connection : public Retirable {
 public:
  // Drain: stop keep-alive; close at once when idle.
  virtual void drain() = 0;
  // Shutdown: close now, whatever state.
  virtual void abort() = 0;
  // Kill switch: carry on as if no fault had been planned (release delays and stalls, lift
  // bandwidth limits).
  virtual void release_faults() = 0;
  // The worker took a snapshot with a different experiment set: a session whose faults follow
  // the experiments while it is open (TCP) decides them again; others keep theirs.
  virtual void experiments_changed() {}

  // The listener slot that accepted it (Worker::add sets it while a listener accepts), so that
  // closing a listener closes its connections. A session created outside an accept (a protocol
  // hand-off) copies it from the session it replaces.
  static constexpr uint32_t kNoListener = UINT32_MAX;
  uint32_t listener_slot = kNoListener;

  // The worker's intrusive list of all its sessions.
  Connection* prev = nullptr;
  Connection* next = nullptr;
};

// A minimal intrusive doubly-linked list over Connection's prev/next.
template <Connection* Connection::*Prev, Connection* Connection::*Next>
class ConnectionList {
 public:
  void push(Connection* c) {
    c->*Prev = nullptr;
    c->*Next = head_;
    if (head_) head_->*Prev = c;
    head_ = c;
    ++size_;
  }
  void erase(Connection* c) {
    if (c->*Prev)
      (c->*Prev)->*Next = c->*Next;
    else
      head_ = c->*Next;
    if (c->*Next) (c->*Next)->*Prev = c->*Prev;
    c->*Prev = c->*Next = nullptr;
    --size_;
  }
  Connection* head() const { return head_; }
  size_t size() const { return size_; }

 private:
  Connection* head_ = nullptr;
  size_t size_ = 0;
};

}  // namespace faultline::proxy
