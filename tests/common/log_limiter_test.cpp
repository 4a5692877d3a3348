#include <doctest/doctest.h>

#include "server/common/log_limiter.hpp"

using namespace dc;
using std::chrono::seconds;

TEST_CASE("log limiter: one line per cause per period, then how many were held back") {
  LogLimiter limit(seconds(10));
  LogLimiter::Clock::time_point t0{};
  CHECK(limit.admit("convex call", t0) == std::string());
  // 15 a second for 10 s: held back, counted.
  for (int i = 1; i < 150; ++i) CHECK_FALSE(limit.admit("convex call", t0 + std::chrono::milliseconds(i * 66)));
  // Another cause has its own period.
  CHECK(limit.admit("sync socket", t0 + seconds(1)) == std::string());
  auto next = limit.admit("convex call", t0 + seconds(10));
  REQUIRE(next);
  CHECK(*next == " (149 more like it in the last 10 s)");
  // Nothing held since: a plain line after the next period.
  CHECK_FALSE(limit.admit("convex call", t0 + seconds(15)));
  CHECK(limit.admit("convex call", t0 + seconds(26)) == std::string(" (1 more like it in the last 16 s)"));
  CHECK(limit.admit("convex call", t0 + seconds(40)) == std::string());
}

TEST_CASE("log limiter: a stream of distinct causes does not grow it without bound") {
  LogLimiter limit(seconds(10));
  LogLimiter::Clock::time_point t0{};
  for (int i = 0; i < 10000; ++i) CHECK(limit.admit("cause " + std::to_string(i), t0) == std::string());
}
