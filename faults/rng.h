#pragma once
// A small, fast per-worker random generator (xoshiro256**, seeded through splitmix64).
// One instance per worker thread: no sharing, no locks.
#include <cstdint>
#include <random>

namespace faultline::faults {

// splitmix64 step; also used as a 64-bit finaliser for hashes.
inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

inline uint64_t mix64(uint64_t value) {
  return splitmix64(value);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t s = seed;
    for (auto& word : state_) word = splitmix64(s);
  }

  // Worker `worker`'s generator: reproducible when runtime.seed != 0, random otherwise.
  static Rng for_worker(uint64_t runtime_seed, unsigned worker) {
    if (runtime_seed == 0) {
      std::random_device device;
      return Rng((uint64_t{device()} << 32) ^ device() ^ (uint64_t{worker} << 17));
    }
    uint64_t s = runtime_seed ^ (0xd1b54a32d192ed03ULL * (uint64_t{worker} + 1));
    return Rng(splitmix64(s));
  }

  uint64_t next() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1).
  double uniform01() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4];
};

}  // namespace faultline::faults
