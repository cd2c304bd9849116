#pragma once
// Background stresses: load the proxy generates, off the event loops, while an experiment with
// a background fault (faults/background.h) is active. A stress is one class implementing
// BackgroundStress, listed once in background_stress.cc; the runtime hands each its Demand
// whenever the set of active experiments may have changed (publish, pause/resume, halt, and a
// 1 s tick for expiry).
#include <memory>
#include <string_view>
#include <vector>

#include "faults/background.h"

namespace faultline::proxy {

class BackgroundStress {
 public:
  virtual ~BackgroundStress() = default;
  // The faults::BackgroundLoad::stress its fault kind compiles to ("cpu").
  virtual std::string_view name() const = 0;
  // Brings the load to `demand`; an idle demand stops it. Called from one thread (the runtime's
  // main loop); stopping takes effect well within the 100 ms halt budget.
  virtual void apply(const faults::Demand& demand) = 0;
  virtual void stop() = 0;
  // Threads generating load now (for metrics); any thread may call.
  virtual int workers() const = 0;
  // How much of its resource the stress holds now, in its Demand's unit (memory: bytes); for
  // metrics, any thread. Stresses whose load is not an amount held (cpu) report 0.
  virtual double level() const { return 0; }
};

// One of each registered stress.
class BackgroundStresses {
 public:
  BackgroundStresses();
  ~BackgroundStresses();  // stops every stress
  BackgroundStresses(const BackgroundStresses&) = delete;
  BackgroundStresses& operator=(const BackgroundStresses&) = delete;

  // Hands every stress its demand in `snapshot` at `now`. Main loop only.
  void update(const faults::Snapshot& snapshot, faults::TimePoint now);
  void stop_all();  // main loop only
  // workers() of the stress called `name`; 0 when there is none. Any thread.
  int workers(std::string_view name) const;
  // level() of the stress called `name`; 0 when there is none. Any thread.
  double level(std::string_view name) const;

 private:
  std::vector<std::unique_ptr<BackgroundStress>> stresses_;
};

}  // namespace faultline::proxy
