#include "proxy/timeseries.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace faultline::proxy {
namespace {

uint64_t delta(uint64_t earlier, uint64_t later) {
  return later >= earlier ? later - earlier : 0;
}

uint32_t delta32(uint64_t earlier, uint64_t later) {
  return static_cast<uint32_t>(
      std::min<uint64_t>(delta(earlier, later), std::numeric_limits<uint32_t>::max()));
}

template <class T>
std::optional<double> quantile(std::span<const T> counts, double q) {
  uint64_t total = 0;
  for (T c : counts) total += c;
  if (total == 0) return std::nullopt;
  // The rank of the quantile among `total` requests (1-based, nearest-rank).
  const double rank = std::max(1.0, std::ceil(q * static_cast<double>(total)));
  uint64_t seen = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    if (static_cast<double>(seen + counts[i]) < rank) {
      seen += counts[i];
      continue;
    }
    if (i >= LatencyBuckets::kCount) return LatencyBuckets::kUpperUs.back() / 1e6;
    const double upper = LatencyBuckets::kUpperUs[i];
    const double lower = i == 0 ? 0 : LatencyBuckets::kUpperUs[i - 1];
    const double fraction = (rank - static_cast<double>(seen)) / static_cast<double>(counts[i]);
    // Geometric inside the bucket (the buckets are); linear in the first, which starts at 0.
    const double us = i == 0 ? upper * fraction : lower * std::pow(upper / lower, fraction);
    return us / 1e6;
  }
  return LatencyBuckets::kUpperUs.back() / 1e6;
}

}  // namespace

SecondBucket bucket_between(const SeriesTotals& earlier, const SeriesTotals& later, int64_t time) {
  SecondBucket b;
  b.time = time;
  b.requests = delta(earlier.requests, later.requests);
  b.errors_injected = delta(earlier.errors_injected, later.errors_injected);
  b.errors_real = delta(earlier.errors_real, later.errors_real);
  b.unfaulted_requests = delta(earlier.unfaulted_requests, later.unfaulted_requests);
  b.unfaulted_errors = delta(earlier.unfaulted_errors, later.unfaulted_errors);
  for (size_t i = 0; i < b.latency.size(); ++i) {
    b.latency[i] = delta32(earlier.latency[i], later.latency[i]);
    b.unfaulted_latency[i] = delta32(earlier.unfaulted_latency[i], later.unfaulted_latency[i]);
  }
  return b;
}

std::optional<double> latency_quantile(std::span<const uint32_t> counts, double q) {
  return quantile(counts, q);
}
std::optional<double> latency_quantile(std::span<const uint64_t> counts, double q) {
  return quantile(counts, q);
}

void SecondsRing::push(const SecondBucket& bucket) {
  if (capacity_ == 0) return;
  if (!buckets_.empty() && buckets_.back().time >= bucket.time) {
    // Two ticks within one wall-clock second (timer jitter): one bucket.
    SecondBucket& back = buckets_.back();
    back.requests += bucket.requests;
    back.errors_injected += bucket.errors_injected;
    back.errors_real += bucket.errors_real;
    back.unfaulted_requests += bucket.unfaulted_requests;
    back.unfaulted_errors += bucket.unfaulted_errors;
    for (size_t i = 0; i < back.latency.size(); ++i) {
      back.latency[i] += bucket.latency[i];
      back.unfaulted_latency[i] += bucket.unfaulted_latency[i];
    }
    return;
  }
  if (buckets_.size() == capacity_) buckets_.pop_front();
  buckets_.push_back(bucket);
}

std::vector<SecondBucket> SecondsRing::last(int64_t now, int64_t seconds) const {
  std::vector<SecondBucket> out;
  for (const SecondBucket& b : buckets_)
    if (b.time > now - seconds && b.time <= now) out.push_back(b);
  return out;
}

void TimeseriesStore::push(const std::string& listener, const SecondBucket& bucket) {
  std::lock_guard lock(mutex_);
  auto it = rings_.find(listener);
  if (it == rings_.end()) it = rings_.emplace(listener, SecondsRing(kSeconds)).first;
  it->second.push(bucket);
}

std::optional<std::vector<SecondBucket>> TimeseriesStore::last(const std::string& listener,
                                                               int64_t now, int64_t seconds) const {
  std::lock_guard lock(mutex_);
  auto it = rings_.find(listener);
  if (it == rings_.end()) return std::nullopt;
  return it->second.last(now, seconds);
}

std::vector<std::string> TimeseriesStore::listeners() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> names;
  for (const auto& [name, ring] : rings_) names.push_back(name);
  return names;
}

void TimeseriesStore::retain(const std::vector<std::string>& names) {
  std::lock_guard lock(mutex_);
  std::erase_if(rings_, [&](const auto& entry) {
    return std::find(names.begin(), names.end(), entry.first) == names.end();
  });
}

}  // namespace faultline::proxy
