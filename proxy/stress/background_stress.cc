#include "proxy/stress/background_stress.h"

#include "proxy/stress/cpu_stress.h"
#include "proxy/stress/memory_stress.h"

namespace faultline::proxy {

// The registry: one line per background stress.
BackgroundStresses::BackgroundStresses() {
  stresses_.push_back(std::make_unique<CpuStress>());
  stresses_.push_back(std::make_unique<MemoryStress>());
}

BackgroundStresses::~BackgroundStresses() {
  stop_all();
}

void BackgroundStresses::update(const faults::Snapshot& snapshot, faults::TimePoint now) {
  for (const auto& stress : stresses_)
    stress->apply(faults::background_demand(snapshot, stress->name(), now));
}

void BackgroundStresses::stop_all() {
  for (const auto& stress : stresses_) stress->stop();
}

int BackgroundStresses::workers(std::string_view name) const {
  for (const auto& stress : stresses_)
    if (stress->name() == name) return stress->workers();
  return 0;
}

double BackgroundStresses::level(std::string_view name) const {
  for (const auto& stress : stresses_)
    if (stress->name() == name) return stress->level();
  return 0;
}

}  // namespace faultline::proxy
