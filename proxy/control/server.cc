#include "proxy/control/server.h"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>  // the ready file (FAULTLINE_READY_FILE)

#include "config/loader.h"
#include "faults/config_check.h"
#include "proxy/control/admin_host.h"
#include "proxy/control/config_watch.h"
#include "proxy/control/descriptor_budget.h"
#include "proxy/control/halt_state.h"
#include "proxy/control/listener_protocols.h"
#include "proxy/control/toxiproxy_host.h"
#include "proxy/io/listen_socket.h"
#include "proxy/log.h"
#include "proxy/version.h"

namespace faultline::proxy {

namespace {
constexpr uint64_t kDrainTickMs = 20;
}  // namespace

unsigned worker_count(const config::Config& c) {
  if (c.runtime.workers > 0) return c.runtime.workers;
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

Server::Server(std::shared_ptr<const config::Config> config, Options options)
    : config_(std::move(config)), options_(std::move(options)) {}

Server::~Server() = default;

Result<ActiveConfigPtr> Server::build_snapshot(
    std::shared_ptr<const config::Config> config,
    const std::vector<faults::ApiExperiment>& api) const {
  auto snap = std::make_shared<ActiveConfig>();
  for (const auto& l : config->listeners) {
    if (l.retired) {  // no session will start there: no need to resolve it again
      snap->upstreams.emplace_back();
      continue;
    }
    auto addr = resolve(l.upstream, false);
    if (!addr)
      return Result<ActiveConfigPtr>::failure("listeners." + l.name + ".upstream: " + addr.error());
    UpstreamAddress u;
    u.addr = *addr;
    u.len = addr->ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    snap->upstreams.push_back(u);
  }
  config::Diagnostics diags(config->file);
  ActiveConfigPtr previous = snapshot();
  snap->faults = faults::build_snapshot(config, api, previous ? previous->faults.get() : nullptr,
                                        run_, faults::Clock::now(), diags);
  if (!snap->faults) {
    std::string error =
        diags.items().empty() ? "invalid experiments" : diags.items().front().format();
    return Result<ActiveConfigPtr>::failure(error);
  }
  {
    std::lock_guard lock(mutex_);
    snap->client_layers = tls_.client;
    snap->upstream_h2_layers = tls_.upstream_h2;
    snap->upstream_layers.resize(config->listeners.size());
    for (size_t i = 0; i < config->listeners.size(); ++i) {
      auto tls = i < tls_.upstream.size() ? tls_.upstream[i] : nullptr;
      auto tls_h2 = i < tls_.upstream_h2.size() ? tls_.upstream_h2[i] : nullptr;
      snap->upstream_layers[i] = http1_upstream_layer(config->listeners[i], tls, tls_h2);
    }
  }
  snap->config = std::move(config);
  return ActiveConfigPtr(std::move(snap));
}

int Server::run() {
  std::signal(SIGPIPE, SIG_IGN);
  // From here on every line follows [log] (format = "json": one JSON object per line).
  log::init(config_->log);
  unsigned n = worker_count(*config_);
  // Descriptors: raise the soft limit, then make sure every listener's connections fit.
  uint64_t soft_before = 0;
  open_file_limit_ = raise_open_file_limit(soft_before);
  std::vector<std::string> budget_notes;
  {
    auto fitted = std::make_shared<config::Config>(*config_);
    budget_notes = fit_default_max_connections(*fitted, n, open_file_limit_);
    config::Diagnostics diags(config_->file);
    check_descriptor_budget(*fitted, n, open_file_limit_, diags);
    if (!diags.ok()) {
      for (const auto& d : diags.items()) log::fatal(d.format());
      log::shutdown();
      return 2;
    }
    config_ = std::move(fitted);
  }
  const config::Config& cfg = *config_;
  run_ = std::make_shared<faults::RunState>(n);
  {
    // Certificates: read once here and on each reload, never on a worker.
    config::Diagnostics tls_diags(cfg.file);
    auto tls = build_tls_layers(cfg, tls_diags);
    if (!tls) {
      log::fatal(tls_diags.items().front().format());
      log::shutdown();
      return 2;
    }
    std::lock_guard lock(mutex_);
    tls_ = std::move(*tls);
  }
  auto snapshot = build_snapshot(config_, api_);
  if (!snapshot) {
    log::fatal(snapshot.error());
    log::shutdown();
    return 2;
  }
  {
    std::lock_guard lock(mutex_);
    snapshot_ = *snapshot;
  }
  shared_ = std::make_unique<SharedState>();
  if (!cfg.runtime.state_dir.empty()) {  // a halt before the restart still holds
    auto halted = halt_state::read(cfg.runtime.state_dir);
    if (!halted) {
      std::fprintf(stderr, "faultline: runtime.state_dir: %s\n", halted.error().c_str());
      return 2;
    }
    run_->set_halted(*halted);
    shared_->halted.store(*halted);
    if (*halted) halt_reason_ = "restored from runtime.state_dir at start-up";
  }

  // Bind everything before starting any thread: a port in use is exit 2. Each socket has one
  // descriptor per worker and one the server keeps (listener changes take it over).
  std::vector<std::vector<int>> fds(n, std::vector<int>(cfg.listeners.size(), -1));
  std::vector<std::string> addresses(cfg.listeners.size());
  listen_fds_.assign(cfg.listeners.size(), -1);
  auto close_all_fds = [&] {
    for (auto& per_worker : fds)
      for (int fd : per_worker)
        if (fd >= 0) ::close(fd);
    for (int fd : listen_fds_)
      if (fd >= 0) ::close(fd);
    listen_fds_.clear();
  };
  for (size_t i = 0; i < cfg.listeners.size(); ++i) {
    if (!cfg.listeners[i].enabled) continue;
    auto bound = bind_exclusive(cfg.listeners[i].listen, n + 1, /*nodelay=*/true);
    if (!bound) {
      close_all_fds();
      log::fatal("listener " + cfg.listeners[i].name + ": " + bound.error());
      log::shutdown();
      return 2;
    }
    for (unsigned w = 0; w < n; ++w) fds[w][i] = (*bound)[w];
    listen_fds_[i] = bound->back();
    addresses[i] = bound_address(listen_fds_[i]);
  }
  {
    std::lock_guard lock(mutex_);
    addresses_ = addresses;
  }
  admin_ = std::make_unique<AdminHost>(*this, cfg.admin);
  if (auto st = admin_->listen(); !st) {
    close_all_fds();
    admin_.reset();
    log::fatal(st.error());
    log::shutdown();
    return 2;
  }
  if (cfg.compat.toxiproxy.enabled) {
    toxiproxy_ = std::make_unique<ToxiproxyHost>(*this, cfg.compat.toxiproxy);
    if (auto st = toxiproxy_->listen(); !st) {
      close_all_fds();
      toxiproxy_.reset();
      admin_.reset();
      log::fatal(st.error());
      log::shutdown();
      return 2;
    }
  }

  if (open_file_limit_ != soft_before)
    log::main().info("open-file limit raised from {} to {}", soft_before, open_file_limit_);
  for (const auto& note : budget_notes) log::main().warn("{}", note);
  uv_loop_init(&loop_);
  for (unsigned w = 0; w < n; ++w) {
    workers_.push_back(
        std::make_unique<Worker>(w, *snapshot, fds[w], *shared_, make_listener_protocol));
  }
  for (auto& w : workers_) {
    if (auto st = w->start(); !st) {
      log::fatal("worker: " + st.error());
      for (auto& other : workers_) other->stop();
      for (auto& other : workers_) other->join();
      admin_->stop();
      log::shutdown();
      return 1;
    }
  }
  if (auto st = admin_->start(); !st) {
    log::fatal(st.error());
    return 1;
  }
  if (toxiproxy_) {
    if (auto st = toxiproxy_->start(); !st) {
      log::fatal(st.error());
      return 1;
    }
  }

  uv_signal_init(&loop_, &sigterm_);
  uv_signal_init(&loop_, &sigint_);
  uv_signal_init(&loop_, &sighup_);
  sigterm_.data = sigint_.data = sighup_.data = this;
  uv_signal_start(&sigterm_, on_signal, SIGTERM);
  uv_signal_start(&sigint_, on_signal, SIGINT);
  uv_signal_start(&sighup_, on_signal, SIGHUP);
  uv_timer_init(&loop_, &drain_timer_);
  drain_timer_.data = this;
  uv_async_init(&loop_, &wakeup_, on_wakeup);
  wakeup_.data = this;
  uv_timer_init(&loop_, &tick_);
  tick_.data = this;
  // Expiry of experiments changes the background load without any event: re-check every second.
  uv_timer_start(&tick_, on_tick, 1000, 1000);
  update_background_load();
  start_config_watch();

  ReadyInfo info;
  for (size_t i = 0; i < cfg.listeners.size(); ++i) {
    if (!cfg.listeners[i].enabled) {
      log::main().info("listener {} is disabled (enabled = false)", cfg.listeners[i].name);
      continue;
    }
    info.listeners.emplace_back(cfg.listeners[i].name, addresses[i]);
    log::main().info("listening name={} address={} protocol={} upstream={} workers={}",
                     cfg.listeners[i].name, addresses[i],
                     cfg.listeners[i].protocol == config::Protocol::kHttp ? "http" : "tcp",
                     cfg.listeners[i].upstream.to_string(), n);
  }
  info.admin = admin_->address();
  log::main().info("listening name=admin address={}", info.admin);
  if (toxiproxy_) {
    info.toxiproxy = toxiproxy_->address();
    log::main().info("listening name=toxiproxy address={} (Toxiproxy API)", info.toxiproxy);
  }
  ready_ = true;
  write_ready_file(info);
  if (options_.on_ready) options_.on_ready(info);
  if (drain_requested_) begin_drain();

  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
  log::main().info("drained, exiting");
  log::shutdown();
  return 0;
}

void Server::write_ready_file(const ReadyInfo& info) {
  const char* path = std::getenv("FAULTLINE_READY_FILE");
  if (!path || !*path) return;
  nlohmann::json j;
  j["listeners"] = nlohmann::json::object();
  for (const auto& [name, addr] : info.listeners) j["listeners"][name] = addr;
  j["admin"] = info.admin;
  if (!info.toxiproxy.empty()) j["toxiproxy"] = info.toxiproxy;
  std::string tmp = std::string(path) + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump() << "\n";
  }
  std::rename(tmp.c_str(), path);
}

void Server::on_signal(uv_signal_t* handle, int signum) {
  auto* self = static_cast<Server*>(handle->data);
  if (signum == SIGHUP) {
    log::main().info("SIGHUP: reloading {}", self->config()->file);
    // The audit trail shows reloads whatever asked for them.
    self->reload_and_audit("signal");
    return;
  }
  log::main().info("signal {}: draining", signum);
  self->begin_drain();
}

void Server::request_drain() {
  drain_requested_ = true;
  if (ready_) uv_async_send(&wakeup_);
}

void Server::on_wakeup(uv_async_t* async) {
  auto* self = static_cast<Server*>(async->data);
  if (self->stress_dirty_.exchange(false)) self->update_background_load();
  if (self->tls_watch_dirty_.exchange(false)) self->watch_tls_files();
  if (self->drain_requested_) self->begin_drain();
}

void Server::begin_drain() {
  if (draining_) return;
  draining_ = true;
  stop_config_watch();
  shared_->draining = true;  // /readyz turns 503
  {
    // The workers close their descriptors of the listening sockets; this one closes the
    // server's, so that the sockets close and new clients are refused.
    std::lock_guard control(control_mutex_);
    for (int& fd : listen_fds_)
      if (fd >= 0) ::close(std::exchange(fd, -1));
  }
  for (auto& w : workers_) w->drain();
  drain_deadline_ms_ = uv_now(&loop_) + config()->runtime.drain_timeout.count();
  uv_timer_start(&drain_timer_, on_drain_tick, kDrainTickMs, kDrainTickMs);
}

void Server::on_drain_tick(uv_timer_t* timer) {
  auto* self = static_cast<Server*>(timer->data);
  size_t live = 0;
  for (auto& w : self->workers_) live += w->live_connections();
  if (live == 0 || uv_now(&self->loop_) >= self->drain_deadline_ms_) {
    if (live > 0) log::main().warn("drain timeout: closing {} connections", live);
    self->finish();
  }
}

void Server::finish() {
  uv_timer_stop(&drain_timer_);
  if (toxiproxy_) toxiproxy_->stop();  // before the workers: its calls wait on them
  for (auto& w : workers_) w->stop();
  for (auto& w : workers_) {
    if (int rc = w->join(); rc != 0)
      log::main().error("worker {}: loop closed with handles open", w->index());
  }
  admin_->stop();
  stresses_.stop_all();
  {
    std::lock_guard control(control_mutex_);
    for (int& fd : listen_fds_)
      if (fd >= 0) ::close(std::exchange(fd, -1));
  }
  for (auto* h :
       {reinterpret_cast<uv_handle_t*>(&tick_), reinterpret_cast<uv_handle_t*>(&sigterm_),
        reinterpret_cast<uv_handle_t*>(&sigint_), reinterpret_cast<uv_handle_t*>(&sighup_),
        reinterpret_cast<uv_handle_t*>(&drain_timer_), reinterpret_cast<uv_handle_t*>(&wakeup_)})
    uv_close(h, nullptr);
}

bool Server::ready() const {
  return ready_ && shared_ && !shared_->draining.load();
}

std::shared_ptr<const config::Config> Server::config() const {
  std::lock_guard lock(mutex_);
  return config_;
}

admin::Outcome Server::reload() {
  std::lock_guard control(control_mutex_);
  std::shared_ptr<const config::Config> current = config();
  if (current->file.empty())
    return admin::Outcome::failure(admin::Verdict::kConflict,
                                   "no config file to reload (built-in config)");
  // The validation of `run` and `check` (faults/config_check.h), so a reload applies exactly
  // the files `check` passes and names the same first error.
  config::Diagnostics diags(current->file);
  auto loaded = faults::load_checked_config(current->file, diags);
  std::string error;
  if (!loaded || !diags.ok()) {
    error = faults::errors_summary(diags, current->file);
  }
  if (error.empty() && (loaded->compat.toxiproxy.enabled != current->compat.toxiproxy.enabled ||
                        loaded->compat.toxiproxy.listen != current->compat.toxiproxy.listen)) {
    // Its socket is bound at start-up, like the admin's.
    error = "compat.toxiproxy: enabled and listen apply at start-up; restart to change them";
  }
  if (error.empty() && open_file_limit_ > 0) {
    // The same descriptor budget as at start-up (default max_connections shrink to fit).
    const auto workers = static_cast<unsigned>(workers_.size());
    for (const auto& note : fit_default_max_connections(*loaded, workers, open_file_limit_))
      log::main().info("{}", note);
    config::Diagnostics budget(current->file);
    check_descriptor_budget(*loaded, workers, open_file_limit_, budget);
    if (!budget.ok()) error = budget.items().front().format();
  }
  // The file's listeners over the running slots: kept, changed, added, removed (no restart).
  std::optional<ListenerPlan> plan;
  if (error.empty()) {
    auto planned = plan_listeners(current->listeners, loaded->listeners, false);
    if (!planned)
      error = planned.error();
    else
      plan = std::move(planned.value());
  }
  std::optional<BoundListeners> bound;
  if (error.empty()) {
    auto made = bind_listeners(*plan);  // before anything changes: a bind failure changes nothing
    if (!made)
      error = made.error();
    else
      bound = std::move(made.value());
    loaded->listeners = plan->slots;
  }
  // Certificates are re-read on every reload; bad ones leave the running ones in place.
  std::optional<TlsLayers> tls;
  if (error.empty()) {
    config::Diagnostics tls_diags(current->file);
    tls = build_tls_layers(*loaded, tls_diags);
    if (!tls) error = tls_diags.items().front().format();
  }
  TlsLayers previous_tls;
  bool tls_swapped = false;
  if (error.empty()) {
    std::lock_guard lock(mutex_);
    previous_tls = std::exchange(tls_, std::move(*tls));
    tls_swapped = true;
  }
  ActiveConfigPtr snapshot;
  std::shared_ptr<const config::Config> next;
  if (error.empty()) {
    next = std::make_shared<const config::Config>(std::move(*loaded));
    // API experiments that clash with the new config's names are dropped by the reload.
    auto built = build_snapshot(next, api_);
    if (!built)
      error = built.error();
    else
      snapshot = *built;
  }
  if (!error.empty()) {
    if (bound) bound->close_all();
    ++reloads_error_;
    {
      std::lock_guard lock(mutex_);
      if (tls_swapped) tls_ = std::move(previous_tls);  // the snapshot failed: keep the old
      last_reload_ = {admin::StatusReport::ReloadResult::kError, error};
    }
    log::main().error("reload failed, keeping the running config: {}", error);
    return admin::Outcome::failure(admin::Verdict::kInvalid, error);
  }
  {
    std::lock_guard lock(mutex_);
    config_ = next;
    last_reload_ = {admin::StatusReport::ReloadResult::kOk, {}};
  }
  ++reloads_ok_;
  log::set_level(next->log.level);
  log::set_access_enabled(next->log.access_log);
  if (plan->changed()) {
    for (const auto& b : plan->bind)
      log::main().info("reload: listener {} added on {}", plan->slots[b.slot].name,
                       plan->slots[b.slot].listen.to_string());
    for (uint32_t slot : plan->closed)
      log::main().info("reload: listener {} closed", current->listeners[slot].name);
    publish_listeners(snapshot, *plan, std::move(*bound));
  } else {
    publish(snapshot);
  }
  tls_watch_dirty_ = true;  // the new config may name other certificate files
  uv_async_send(&wakeup_);
  if (admin_) admin_->set_token(next->admin.token);
  if (admin_) admin_->set_allowed_hosts(next->admin.hosts);
  if (toxiproxy_) toxiproxy_->set_toxic_ttl(next->compat.toxiproxy.toxic_ttl);
  log::main().info("reloaded {}", next->file);
  return {};
}

admin::HaltOutcome Server::set_halted(bool halted, std::string reason) {
  {
    std::lock_guard lock(halt_mutex_);
    halt_reason_ = halted ? std::move(reason) : std::string();
  }
  if (!halted)
    watch_since_ = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  run_->set_halted(halted);
  shared_->halted.store(halted);
  for (auto& w : workers_) w->halt_changed();
  stress_dirty_ = true;
  uv_async_send(&wakeup_);
  log::main().warn("kill switch {}", halted ? "ON: every fault stopped" : "off");
  admin::HaltOutcome o;
  o.halted = halted;
  // After the switch took effect: a full disk must not keep a halt from working now.
  if (const std::string& dir = config()->runtime.state_dir; !dir.empty()) {
    if (Status saved = halt_state::write(dir, halted); !saved) {
      log::main().error("kill switch not persisted (a restart will not keep it): {}",
                        saved.error());
      o.warning = "not persisted in runtime.state_dir: " + saved.error();
    }
  }
  return o;
}

admin::MetricsSample Server::metrics() const {
  admin::MetricsSample sample;
  auto cfg = config();
  std::vector<uint32_t> slots;  // sample.listeners[k] is slot slots[k]; retired ones left out
  for (uint32_t slot = 0; slot < cfg->listeners.size(); ++slot) {
    const auto& l = cfg->listeners[slot];
    if (l.retired) continue;
    slots.push_back(slot);
    admin::MetricsSample::Listener out;
    out.name = l.name;
    out.http = l.protocol == config::Protocol::kHttp;
    out.tls = l.tls.enabled;
    out.upstream_tls = l.upstream_tls.enabled;
    sample.listeners.push_back(std::move(out));
  }
  {
    std::lock_guard lock(mutex_);
    for (size_t i = 0; i < sample.listeners.size(); ++i)
      if (slots[i] < tls_.cert_expiry.size())
        sample.listeners[i].tls_cert_expiry = tls_.cert_expiry[slots[i]];
  }
  for (const auto& w : workers_) {
    // A worker learns of a new slot through its inbox: until then it has no counters there.
    for (size_t i = 0; i < sample.listeners.size(); ++i)
      if (slots[i] < w->listener_count()) w->listener(slots[i]).stats.add_to(sample.listeners[i]);
  }
  sample.halted = halted();
  {
    // Every configured condition's series exists from start-up, at 0 (SPEC §7).
    std::lock_guard lock(halt_mutex_);
    for (const auto& condition : cfg->safety.stop_conditions) {
      uint64_t count = 0;
      for (const auto& [name, n] : stop_triggered_)
        if (name == condition.name) count = n;
      sample.stop_conditions_triggered.emplace_back(condition.name, count);
    }
  }
  sample.reloads_ok = reloads_ok_;
  sample.reloads_error = reloads_error_;
  sample.cpu_stress_workers = stresses_.workers("cpu");
  sample.memory_stress_bytes = static_cast<uint64_t>(stresses_.level("memory"));
  add_fault_metrics(sample);
  return sample;
}

admin::StatusReport Server::status() const {
  auto sample = metrics();
  admin::StatusReport report;
  report.version = version();
  report.uptime =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_);
  report.halted = sample.halted;
  if (report.halted) {
    std::lock_guard lock(halt_mutex_);
    report.halt_reason = halt_reason_;
  }
  report.draining = shared_ && shared_->draining.load();
  auto cfg = config();
  std::vector<uint32_t> slots;  // report.listeners[k] is slot slots[k]
  for (size_t i = 0; i < sample.listeners.size(); ++i) {
    const auto& l = sample.listeners[i];
    // By name: a listener change may have come between metrics() and this config().
    uint32_t slot = 0;
    while (slot < cfg->listeners.size() &&
           (cfg->listeners[slot].retired || cfg->listeners[slot].name != l.name))
      ++slot;
    if (slot == cfg->listeners.size()) continue;
    slots.push_back(slot);
    const auto& lc = cfg->listeners[slot];
    admin::StatusReport::Listener out;
    out.name = l.name;
    out.listen = lc.listen;
    out.upstream = lc.upstream;
    out.protocol = lc.protocol;
    out.enabled = lc.enabled;
    out.source = lc.api_created ? "toxiproxy" : "config";
    for (const auto& r : l.requests) out.requests += r.count;
    out.connections_active = l.connections_active;
    out.upstream_errors_connect = l.upstream_errors_connect;
    out.upstream_errors_timeout = l.upstream_errors_timeout;
    out.upstream_errors_reset = l.upstream_errors_reset;
    out.tls = l.tls;
    out.tls_cert_not_after = l.tls_cert_expiry;
    report.listeners.push_back(std::move(out));
  }
  report.experiments = experiment_counts();
  std::lock_guard lock(mutex_);
  for (size_t i = 0; i < report.listeners.size(); ++i) {
    if (slots[i] < tls_.cert_serial.size())
      report.listeners[i].tls_cert_serial = tls_.cert_serial[slots[i]];
    if (slots[i] < addresses_.size()) report.listeners[i].address = addresses_[slots[i]];
  }
  report.last_reload = last_reload_;
  return report;
}

}  // namespace faultline::proxy
