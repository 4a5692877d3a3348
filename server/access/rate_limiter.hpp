// Per-caller token buckets (auth.md: `requestsPerSecond` and `burst` per
// role, counted per role + `sub`). A bucket holds up to `burst` tokens and
// refills at `rate` per second; a request takes one, or is refused with the
// seconds until one is there (Retry-After). Buckets are kept for at most
// `max_keys` callers: past that the longest-idle one goes (it would have
// refilled by then anyway unless the limit is very low), so a flood of new
// subjects cannot grow memory without bound. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace dc {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RateLimiter(size_t max_keys = 100000) : max_keys_(max_keys) {}

  // nullopt: allowed (a token taken). Otherwise the whole seconds to wait (at least 1).
  std::optional<uint64_t> take(const std::string& key, double rate, double burst, Clock::time_point now);
  size_t keys() const;

 private:
  struct Bucket {
    double tokens;
    Clock::time_point at;
    std::list<std::string>::iterator order;
  };
  size_t max_keys_;
  mutable std::mutex mu_;
  std::list<std::string> order_;  // most recently used first
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace dc
