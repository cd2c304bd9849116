#include "proxy/admin/experiment_view.h"

#include "config/loader.h"
#include "proxy/admin/time_format.h"

namespace faultline::proxy::admin {

nlohmann::json experiment_view(const config::ExperimentConfig& experiment,
                               const ExperimentViewInput& input) {
  nlohmann::json view = nlohmann::json::parse(config::experiment_to_json(experiment),
                                              /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (!view.is_object()) view = nlohmann::json::object({{"name", experiment.name}});
  view["state"] = std::string(faults::to_string(input.state));
  view["source"] =
      experiment.origin.empty() ? std::string(faults::to_string(input.source)) : experiment.origin;
  auto time_or_null = [](const std::optional<std::chrono::system_clock::time_point>& t) {
    return t ? nlohmann::json(format_rfc3339_utc(*t)) : nlohmann::json(nullptr);
  };
  view["started_at"] = time_or_null(input.started_at);
  view["expires_at"] = time_or_null(input.expires_at);
  nlohmann::json injected = nlohmann::json::object();
  for (const auto& [fault, n] : input.counters.injected) {
    const uint64_t before = injected.contains(fault) ? injected[fault].get<uint64_t>() : 0;
    injected[fault] = before + n;
  }
  view["counters"] = {{"matched", input.counters.matched}, {"injected", std::move(injected)}};
  return view;
}

}  // namespace faultline::proxy::admin
