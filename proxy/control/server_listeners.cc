// Server: listeners that start, change and stop while running — by a reload (server.cc) or by
// the Toxiproxy API (set_api_listeners). See listener_slots.h for how slots are laid out.
#include <unistd.h>

#include <fcntl.h>
#include <algorithm>
#include <chrono>
#include <condition_variable>

#include "proxy/control/server.h"
#include "proxy/io/listen_socket.h"
#include "proxy/log.h"

namespace faultline::proxy {

namespace {
// Closing a listener waits for every worker to let go of its socket, so that the caller's next
// step (a client connecting, the same address bound again) sees it closed. Workers answer
// their inbox within a loop iteration; this only bounds a wedged one.
constexpr auto kCloseWait = std::chrono::seconds(5);

// The port the socket got, with the host written as the address it is bound to, so that
// binding it again ("localhost:0" once bound, say) binds the same address.
config::HostPort bound_host_port(int fd, const config::HostPort& asked) {
  auto parsed = config::parse_host_port(bound_address(fd));
  if (!parsed) return asked;
  config::HostPort out = *parsed;
  if (asked.host == "0.0.0.0" || asked.host == "::" || asked.host.empty()) out.host = asked.host;
  return out;
}
}  // namespace

void Server::BoundListeners::close_all() {
  for (auto& per_bind : fds)
    for (int fd : per_bind)
      if (fd >= 0) ::close(fd);
  fds.clear();
}

Result<Server::BoundListeners> Server::bind_listeners(ListenerPlan& plan) {
  BoundListeners bound;
  if (plan.slots.size() > kMaxListenerSlots) {
    return Result<BoundListeners>::failure(
        "too many listeners created since start-up (" + std::to_string(kMaxListenerSlots) +
        " slots, removed ones included); restart to create more");
  }
  const auto n = static_cast<unsigned>(workers_.size());
  for (const ListenerPlan::Bind& b : plan.bind) {
    config::ListenerConfig& l = plan.slots[b.slot];
    std::vector<int> fds;
    int64_t reuse = b.reuse_from;
    if (reuse < 0 && l.listen.port != 0) {
      // A closing listener bound to exactly this address (written as the port it got, say).
      std::lock_guard lock(mutex_);
      for (uint32_t slot : plan.closed)
        if (slot < addresses_.size() && addresses_[slot] == l.listen.to_string()) reuse = slot;
    }
    const int reuse_fd =
        reuse >= 0 && static_cast<size_t>(reuse) < listen_fds_.size() ? listen_fds_[reuse] : -1;
    if (reuse_fd >= 0) {
      for (unsigned i = 0; i <= n; ++i) fds.push_back(::fcntl(reuse_fd, F_DUPFD_CLOEXEC, 0));
      if (std::find(fds.begin(), fds.end(), -1) != fds.end()) {
        for (int fd : fds)
          if (fd >= 0) ::close(fd);
        bound.close_all();
        return Result<BoundListeners>::failure("listener " + l.name +
                                               ": cannot duplicate its socket");
      }
    } else {
      auto made = bind_exclusive(l.listen, n + 1, /*nodelay=*/true);
      if (!made) {
        bound.close_all();
        return Result<BoundListeners>::failure("listener " + l.name + ": " + made.error());
      }
      fds = std::move(*made);
    }
    if (l.api_created && l.listen.port == 0) l.listen = bound_host_port(fds.back(), l.listen);
    bound.fds.push_back(std::move(fds));
  }
  return bound;
}

void Server::publish_listeners(ActiveConfigPtr snapshot, const ListenerPlan& plan,
                               BoundListeners bound) {
  const size_t before = listen_fds_.size();
  const size_t after = plan.slots.size();
  listen_fds_.resize(after, -1);
  std::vector<std::string> addresses(after);
  for (size_t b = 0; b < plan.bind.size(); ++b) {
    const uint32_t slot = plan.bind[b].slot;
    listen_fds_[slot] = bound.fds[b].back();
    addresses[slot] = bound_address(listen_fds_[slot]);
  }
  for (uint32_t slot : plan.closed) {
    if (listen_fds_[slot] >= 0) ::close(listen_fds_[slot]);
    listen_fds_[slot] = -1;
  }
  {
    std::lock_guard lock(mutex_);
    snapshot_ = snapshot;
    addresses_.resize(after);
    for (size_t slot = 0; slot < after; ++slot) {
      if (slot >= before || !addresses[slot].empty()) addresses_[slot] = addresses[slot];
      if (plan.slots[slot].retired || !plan.slots[slot].enabled) addresses_[slot].clear();
    }
  }
  std::vector<ListenerChange> changes(workers_.size());
  for (size_t w = 0; w < workers_.size(); ++w) {
    changes[w].closed = plan.closed;
    // Slots appended in order: a disabled new listener gets no descriptor.
    for (size_t slot = before, b = 0; slot < after; ++slot) {
      if (b < plan.bind.size() && plan.bind[b].slot == slot)
        changes[w].added_fds.push_back(bound.fds[b++][w]);
      else
        changes[w].added_fds.push_back(-1);
    }
  }
  publish_to_workers(snapshot, std::move(changes), kCloseWait);
  stress_dirty_ = true;
  if (ready_) uv_async_send(&wakeup_);
}

void Server::publish_to_workers(const ActiveConfigPtr& snapshot,
                                std::vector<ListenerChange> changes,
                                std::chrono::milliseconds wait) {
  struct Answers {
    std::mutex mutex;
    std::condition_variable cv;
    size_t done = 0;
  };
  auto answers = std::make_shared<Answers>();  // a worker that stopped never answers
  for (size_t w = 0; w < workers_.size(); ++w) {
    workers_[w]->publish(snapshot, std::move(changes[w]), [answers] {
      std::lock_guard lock(answers->mutex);
      ++answers->done;
      answers->cv.notify_one();
    });
  }
  std::unique_lock lock(answers->mutex);
  if (!answers->cv.wait_for(lock, wait, [&] { return answers->done == workers_.size(); }))
    log::main().warn("publish: {} of {} workers answered within {} ms", answers->done,
                     workers_.size(), wait.count());
}

admin::Outcome Server::set_api_listeners(std::vector<config::ListenerConfig> desired) {
  std::lock_guard control(control_mutex_);
  std::shared_ptr<const config::Config> current = config();
  auto planned = plan_listeners(current->listeners, std::move(desired), true);
  if (!planned) return admin::Outcome::failure(admin::Verdict::kConflict, planned.error());
  auto plan = &planned.value();
  if (!plan->changed() && plan->slots.size() == current->listeners.size()) {
    bool same = true;
    for (size_t i = 0; i < plan->slots.size() && same; ++i)
      same = plan->slots[i].upstream == current->listeners[i].upstream;
    if (same) return {};
  }
  auto made = bind_listeners(*plan);
  if (!made) return admin::Outcome::failure(admin::Verdict::kInvalid, made.error());
  auto bound = &made.value();
  auto next = std::make_shared<config::Config>(*current);
  next->listeners = plan->slots;
  auto snapshot = build_snapshot(next, api_);
  if (!snapshot) {
    bound->close_all();
    return admin::Outcome::failure(admin::Verdict::kInvalid, snapshot.error());
  }
  {
    std::lock_guard lock(mutex_);
    config_ = next;
  }
  publish_listeners(*snapshot, *plan, std::move(*bound));
  for (const auto& b : plan->bind)
    log::main().info("listening name={} address={} protocol=tcp upstream={} (API)",
                     plan->slots[b.slot].name, listener_address(plan->slots[b.slot].name),
                     plan->slots[b.slot].upstream.to_string());
  return {};
}

std::string Server::listener_address(const std::string& name) const {
  auto cfg = config();
  std::lock_guard lock(mutex_);
  for (size_t i = 0; i < cfg->listeners.size() && i < addresses_.size(); ++i)
    if (!cfg->listeners[i].retired && cfg->listeners[i].name == name) return addresses_[i];
  return {};
}

}  // namespace faultline::proxy
