#pragma once
// admin::Backend over the running Server: reads summed per-worker counters and the current
// snapshot; mutations go through the Server's thread-safe controls.
#include "proxy/admin/backend.h"

namespace faultline::proxy {

class Server;

class RuntimeBackend final : public admin::Backend {
 public:
  explicit RuntimeBackend(Server& server) : server_(server) {}
  bool ready() const override;
  admin::StatusReport status() const override;
  std::vector<admin::ExperimentView> experiments() const override;
  std::optional<admin::ExperimentView> experiment(const std::string& name) const override;
  void check(const config::ExperimentConfig& experiment, config::Diagnostics& diags) const override;
  admin::ExperimentOutcome create(config::ExperimentConfig experiment,
                                  bool replace_allowed) override;
  admin::Outcome remove(const std::string& name) override;
  admin::ExperimentOutcome pause(const std::string& name, bool paused) override;
  admin::HaltOutcome halt(bool halted) override;
  admin::Outcome reload() override;
  admin::MetricsSample metrics() const override;
  std::optional<std::vector<SecondBucket>> timeseries(const std::string& listener,
                                                      int64_t seconds) const override;
  std::vector<std::string> listener_names() const override;

 private:
  Server& server_;
};

}  // namespace faultline::proxy
