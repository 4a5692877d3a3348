#include <doctest/doctest.h>

#include "server/access/rate_limiter.hpp"

using namespace dc;
using namespace std::chrono_literals;

TEST_CASE("rate limits: a burst, then the rate, per caller; Retry-After counts whole seconds") {
  RateLimiter limits;
  auto t0 = RateLimiter::Clock::time_point{} + 1000s;
  for (int i = 0; i < 4; ++i) CHECK_FALSE(limits.take("user\nu1", 2, 4, t0).has_value());  // the burst
  auto refused = limits.take("user\nu1", 2, 4, t0);
  REQUIRE(refused.has_value());
  CHECK(*refused == 1);
  CHECK_FALSE(limits.take("user\nu2", 2, 4, t0).has_value());  // another caller has its own bucket
  CHECK_FALSE(limits.take("user\nu1", 2, 4, t0 + 500ms).has_value());  // 2/s: one token back after 0.5 s
  CHECK(limits.take("user\nu1", 2, 4, t0 + 500ms).has_value());
  // At 0.1/s the wait is 10 s.
  CHECK_FALSE(limits.take("slow", 0.1, 1, t0).has_value());
  CHECK(limits.take("slow", 0.1, 1, t0) == 10);
  // Refilling stops at the burst.
  for (int i = 0; i < 4; ++i) CHECK_FALSE(limits.take("user\nu1", 2, 4, t0 + 100s).has_value());
  CHECK(limits.take("user\nu1", 2, 4, t0 + 100s).has_value());
}

TEST_CASE("rate limits: a flood of new callers keeps at most max_keys buckets") {
  RateLimiter limits(100);
  auto t0 = RateLimiter::Clock::time_point{} + 1000s;
  for (int i = 0; i < 10000; ++i) limits.take("user\n" + std::to_string(i), 1, 1, t0);
  CHECK(limits.keys() == 100);
}
