#pragma once
// The running proxy: raises the open-file limit and checks that the listeners fit in it, binds
// every listener (one socket shared by the workers) and the admin listener on the main thread,
// starts the workers and the admin loop thread, and handles signals — SIGTERM/SIGINT drain, SIGHUP
// reloads — on the main thread's loop.
#include <uv.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/schema.h"
#include "faults/snapshot.h"
#include "proxy/active_config.h"
#include "proxy/admin/audit.h"
#include "proxy/admin/backend.h"
#include "proxy/control/expiry_audit.h"
#include "proxy/control/listener_slots.h"
#include "proxy/control/tls_layers.h"
#include "proxy/stress/background_stress.h"
#include "proxy/timeseries.h"
#include "proxy/worker.h"

namespace faultline::proxy {

class AdminHost;
class ConfigWatch;
class ToxiproxyHost;

// Worker threads `run` starts: runtime.workers, or one per CPU.
unsigned worker_count(const config::Config& config);

struct ReadyInfo {
  std::vector<std::pair<std::string, std::string>> listeners;  // name -> "127.0.0.1:PORT"
  std::string admin;
  std::string toxiproxy;  // empty unless [compat.toxiproxy] enabled
};

class Server {
 public:
  struct Options {
    // Called on the main thread once everything listens (the demo prints its guide here).
    std::function<void(const ReadyInfo&)> on_ready;
  };

  Server(std::shared_ptr<const config::Config> config, Options options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Runs until drained. Exit codes as SPEC §1: 0 clean drain, 2 bad config or bind, 1 other.
  int run();

  // Thread-safe controls (used by signals, the admin Backend and tests).
  void request_drain();
  admin::Outcome reload();
  // `reason` is what /v1/status shows while halted.
  admin::HaltOutcome set_halted(bool halted, std::string reason = "admin API");
  admin::ExperimentOutcome create_experiment(config::ExperimentConfig experiment,
                                             bool replace_allowed);
  admin::Outcome remove_experiment(const std::string& name);
  admin::ExperimentOutcome pause_experiment(const std::string& name, bool paused);
  std::vector<admin::ExperimentView> experiments() const;
  std::optional<admin::ExperimentView> experiment(const std::string& name) const;
  admin::AuditLog& audit() { return audit_; }
  ActiveConfigPtr snapshot() const;

  // Runtime listeners owned by the API (the Toxiproxy API): `desired` is every API listener
  // wanted now; the others are stopped and removed. New sockets are bound before anything
  // changes (a bind failure changes nothing); a listener asked for port 0 keeps the port it
  // got, so disabling and enabling it again binds the same address. Returns once the closed
  // listeners' sockets are closed.
  admin::Outcome set_api_listeners(std::vector<config::ListenerConfig> desired);
  // The address a running listener is bound to ("127.0.0.1:PORT"); empty when it is unknown
  // or disabled.
  std::string listener_address(const std::string& name) const;

  // Backend support (any thread).
  bool ready() const;
  bool halted() const { return run_ && run_->halted(); }
  admin::MetricsSample metrics() const;
  admin::StatusReport status() const;
  std::shared_ptr<const config::Config> config() const;
  // GET /v1/timeseries: the last `seconds` seconds of one listener; nullopt if unknown.
  std::optional<std::vector<SecondBucket>> timeseries(const std::string& listener,
                                                      int64_t seconds) const;

 private:
  friend class AdminHost;
  static void on_signal(uv_signal_t* handle, int signum);
  static void on_drain_tick(uv_timer_t* timer);
  static void on_wakeup(uv_async_t* async);
  // Resolves upstreams and compiles experiments (config + API) into a new snapshot; on error
  // the first diagnostic is the message. Caller holds control_mutex_.
  Result<ActiveConfigPtr> build_snapshot(std::shared_ptr<const config::Config> config,
                                         const std::vector<faults::ApiExperiment>& api) const;
  void publish(ActiveConfigPtr snapshot);  // caller holds control_mutex_
  // Hands `snapshot` and worker w's `changes[w]` to every worker and waits, at most `wait`,
  // until each has taken them (a worker answers its inbox within a loop iteration; the bound
  // is for a wedged or stopped one, and is logged).
  void publish_to_workers(const ActiveConfigPtr& snapshot, std::vector<ListenerChange> changes,
                          std::chrono::milliseconds wait);
  // Listener changes (server_listeners.cc); caller holds control_mutex_. bind_listeners binds
  // the plan's new sockets (one descriptor per worker plus the server's own) or fails having
  // bound nothing; publish_listeners hands them to the workers with the snapshot and waits
  // until the closed listeners' sockets are closed.
  struct BoundListeners {
    std::vector<std::vector<int>> fds;  // by plan.bind entry: one per worker, then the server's
    void close_all();
  };
  Result<BoundListeners> bind_listeners(ListenerPlan& plan);
  void publish_listeners(ActiveConfigPtr snapshot, const ListenerPlan& plan, BoundListeners bound);
  void update_background_load();  // main thread
  std::optional<admin::ExperimentView> view_of(const ActiveConfig& snap,
                                               const std::string& name) const;
  static void on_tick(uv_timer_t* timer);
  void add_fault_metrics(admin::MetricsSample& sample) const;
  admin::StatusReport::ExperimentCounts experiment_counts() const;
  void begin_drain();
  void finish();
  void write_ready_file(const ReadyInfo& info);
  // server_reload.cc: SIGHUP and file-watch reloads (audited as `client`), the optional
  // config file watch, and expiry events.
  void reload_and_audit(const char* client);
  void start_config_watch();
  void stop_config_watch();
  // Main loop: watches the TLS files the running config names (start-up, after a reload).
  void watch_tls_files();
  void audit_expiries();
  // server_watch.cc, once a second on the main loop: one bucket per listener into the time
  // series, then the stop conditions over it.
  void sample_timeseries(int64_t now);
  void check_stop_conditions(int64_t now);

  std::shared_ptr<const config::Config> config_;
  Options options_;
  mutable std::mutex mutex_;  // config_, last_reload_
  std::unique_ptr<SharedState> shared_;
  std::shared_ptr<faults::RunState> run_;
  std::mutex control_mutex_;  // serialises reloads and API changes
  std::vector<faults::ApiExperiment> api_;
  uint64_t next_revision_ = 1;
  ActiveConfigPtr snapshot_;  // current; guarded by mutex_
  TlsLayers tls_;             // certificates in use (built at start-up and reload); mutex_
  admin::AuditLog audit_;
  BackgroundStresses stresses_;
  std::atomic<bool> stress_dirty_{false};
  uv_timer_t tick_{};
  std::vector<std::unique_ptr<Worker>> workers_;
  // By listener slot: the server's own descriptor of each listening socket (-1: none), kept so
  // a changed listener at the same address takes the socket over; control_mutex_.
  std::vector<int> listen_fds_;
  std::vector<std::string> addresses_;  // by listener slot: bound address, "" if none; mutex_
  std::unique_ptr<AdminHost> admin_;
  std::unique_ptr<ToxiproxyHost> toxiproxy_;   // with [compat.toxiproxy] enabled
  std::unique_ptr<ConfigWatch> config_watch_;  // main loop; only with runtime.watch_config
  // With watch_config: the TLS certificate, key and CA files the running config names (their
  // directories, like the config file's); a change reloads. Main loop.
  std::vector<std::unique_ptr<ConfigWatch>> tls_watches_;
  std::vector<std::unique_ptr<ConfigWatch>> retired_tls_watches_;  // closing
  std::atomic<bool> tls_watch_dirty_{false};  // a reload changed the config: re-sync
  ExpiryAudit expiry_audit_;                  // main loop
  uv_loop_t loop_{};
  uv_signal_t sigterm_{}, sigint_{}, sighup_{};
  uv_timer_t drain_timer_{};
  uv_async_t wakeup_{};
  std::atomic<bool> drain_requested_{false};
  std::atomic<bool> ready_{false};
  bool draining_ = false;
  uint64_t drain_deadline_ms_ = 0;
  uint64_t open_file_limit_ = 0;  // soft RLIMIT_NOFILE after run() raised it
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::atomic<uint64_t> reloads_ok_{0}, reloads_error_{0};
  admin::StatusReport::LastReload last_reload_;
  TimeseriesStore timeseries_;
  std::vector<std::pair<std::string, SeriesTotals>> series_previous_;  // main loop
  // Stop conditions look only at seconds after this one (the last unhalt), so an unhalt is
  // not undone at once by the same readings that caused the halt.
  std::atomic<int64_t> watch_since_{0};
  mutable std::mutex halt_mutex_;  // halt_reason_, stop_triggered_
  std::string halt_reason_;
  std::vector<std::pair<std::string, uint64_t>> stop_triggered_;  // name -> count
};

}  // namespace faultline::proxy
