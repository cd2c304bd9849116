// Server: the per-second time series (GET /v1/timeseries) and the stop conditions that read it
// (SPEC §11). Runs on the main loop's one-second tick; the workers only bump their own
// counters, so nothing here takes a lock on the request path.
#include <algorithm>

#include "proxy/control/server.h"
#include "proxy/control/stop_conditions.h"
#include "proxy/log.h"

namespace faultline::proxy {

void Server::sample_timeseries(int64_t now) {
  auto cfg = config();
  // Keyed by slot and name: a listener enabled again has a new slot whose counters start at 0.
  std::vector<std::pair<std::string, SeriesTotals>> totals;
  std::vector<std::string> names;
  std::vector<uint32_t> slots;
  for (uint32_t slot = 0; slot < cfg->listeners.size(); ++slot) {
    const auto& l = cfg->listeners[slot];
    if (l.retired) continue;
    totals.emplace_back(std::to_string(slot) + "/" + l.name, SeriesTotals{});
    names.push_back(l.name);
    slots.push_back(slot);
  }
  for (const auto& w : workers_) {
    for (size_t i = 0; i < totals.size(); ++i)
      if (slots[i] < w->listener_count())
        w->listener(slots[i]).stats.series.add_to(totals[i].second);
  }
  for (size_t i = 0; i < totals.size(); ++i) {
    const std::string& key = totals[i].first;
    const std::string& name = names[i];
    const auto& now_totals = totals[i].second;
    auto previous = std::find_if(series_previous_.begin(), series_previous_.end(),
                                 [&](const auto& p) { return p.first == key; });
    // A listener's counters start at 0 with the worker, so the first bucket is its total.
    const SeriesTotals before =
        previous == series_previous_.end() ? SeriesTotals{} : previous->second;
    timeseries_.push(name, bucket_between(before, now_totals, now));
  }
  timeseries_.retain(names);
  series_previous_ = std::move(totals);
}

std::optional<std::vector<SecondBucket>> Server::timeseries(const std::string& listener,
                                                            int64_t seconds) const {
  auto cfg = config();
  const bool known = std::any_of(cfg->listeners.begin(), cfg->listeners.end(),
                                 [&](const auto& l) { return !l.retired && l.name == listener; });
  if (!known) return std::nullopt;
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  return timeseries_.last(listener, now, seconds).value_or(std::vector<SecondBucket>{});
}

void Server::check_stop_conditions(int64_t now) {
  auto cfg = config();
  if (cfg->safety.stop_conditions.empty() || halted()) return;
  // They guard users against an experiment; with none running there is nothing to stop.
  if (experiment_counts().active == 0) return;
  const int64_t since = watch_since_.load();
  for (const config::StopCondition& condition : cfg->safety.stop_conditions) {
    const int64_t window = std::max<int64_t>(
        1, std::chrono::duration_cast<std::chrono::seconds>(condition.window).count());
    std::vector<std::vector<SecondBucket>> seconds;
    for (const auto& l : cfg->listeners) {
      if (l.retired) continue;
      if (!condition.listener.empty() && l.name != condition.listener) continue;
      std::vector<SecondBucket> buckets =
          timeseries_.last(l.name, now, window).value_or(std::vector<SecondBucket>{});
      std::erase_if(buckets, [&](const SecondBucket& b) { return b.time <= since; });
      seconds.push_back(std::move(buckets));
    }
    std::optional<StopReading> reading = read_condition(condition, seconds);
    if (!reading || !holds(condition, *reading)) continue;

    const std::string breach = describe_breach(condition, *reading);
    log::main().error("auto-halt: {}", breach);
    {
      std::lock_guard lock(halt_mutex_);
      auto it = std::find_if(stop_triggered_.begin(), stop_triggered_.end(),
                             [&](const auto& p) { return p.first == condition.name; });
      if (it == stop_triggered_.end())
        stop_triggered_.emplace_back(condition.name, 1);
      else
        ++it->second;
    }
    set_halted(true, "auto-halt: " + breach);
    audit_.record("stop-condition", "auto-halt", {}, "ok: " + breach);
    return;  // halted: the other conditions have nothing left to stop
  }
}

}  // namespace faultline::proxy
