#include "server/access/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace dc {

std::optional<uint64_t> RateLimiter::take(const std::string& key, double rate, double burst, Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    order_.push_front(key);
    it = buckets_.emplace(key, Bucket{burst, now, order_.begin()}).first;
    if (buckets_.size() > max_keys_) {
      buckets_.erase(order_.back());
      order_.pop_back();
    }
  } else {
    order_.splice(order_.begin(), order_, it->second.order);
  }
  Bucket& b = it->second;
  double elapsed = std::chrono::duration<double>(now - b.at).count();
  if (elapsed > 0) {
    b.tokens = std::min(burst, b.tokens + elapsed * rate);
    b.at = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::nullopt;
  }
  double wait = (1.0 - b.tokens) / rate;
  return static_cast<uint64_t>(std::max(1.0, std::ceil(wait)));
}

size_t RateLimiter::keys() const {
  std::lock_guard lock(mu_);
  return buckets_.size();
}

}  // namespace dc
