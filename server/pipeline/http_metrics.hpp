// What the pipeline counts for /metrics: each answered request's duration by
// route and status class, and the refusals an operator alerts on (auth
// failures by reason, rate limiting). Labels come from fixed lists only: a
// route is its template, never the raw path (an unknown path is "other").
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

#include "protocol/error.hpp"
#include "server/common/histogram.hpp"
#include "server/common/metrics_text.hpp"

namespace dc {

class HttpMetrics {
 public:
  static constexpr std::array<std::string_view, 8> kRoutes = {"/v1/query", "/v1/mutate", "/v1/explain", "/v1/schema",
                                                              "/healthz",  "/readyz",    "/metrics",    "other"};
  static constexpr std::array<std::string_view, 5> kClasses = {"1xx", "2xx", "3xx", "4xx", "5xx"};
  static constexpr std::array<std::string_view, 3> kAuthReasons = {"missing", "invalid", "forbidden"};

  static size_t route_of(std::string_view path) {
    for (size_t i = 0; i + 1 < kRoutes.size(); ++i)
      if (kRoutes[i] == path) return i;
    return kRoutes.size() - 1;
  }

  void observe(size_t route, int status, double seconds) {
    size_t c = status >= 100 && status < 600 ? static_cast<size_t>(status / 100 - 1) : kClasses.size() - 1;
    durations_[route * kClasses.size() + c].observe(seconds);
  }

  // 401 without credentials is "missing", with refused ones "invalid"; 403 "forbidden".
  void refused(const Error& e) {
    if (e.code == ErrorCode::unauthenticated) auth_failures_[e.detail.empty() ? 0 : 1].fetch_add(1, std::memory_order_relaxed);
    if (e.code == ErrorCode::forbidden) auth_failures_[2].fetch_add(1, std::memory_order_relaxed);
    if (e.code == ErrorCode::rate_limited) rate_limited_.fetch_add(1, std::memory_order_relaxed);
  }

  void write(MetricsText& out) const {
    std::vector<std::pair<Labels, HistogramSnapshot>> series;
    for (size_t r = 0; r < kRoutes.size(); ++r) {
      for (size_t c = 0; c < kClasses.size(); ++c) {
        HistogramSnapshot s = durations_[r * kClasses.size() + c].snapshot();
        if (s.count() == 0) continue;
        series.push_back({Labels{{"route", kRoutes[r]}, {"code", kClasses[c]}}, std::move(s)});
      }
    }
    out.histogram("dc_http_request_duration_seconds",
                  "Time from a request's first byte read to its answer, by route and status class.", series);
    std::vector<std::pair<Labels, uint64_t>> reasons;
    for (size_t i = 0; i < kAuthReasons.size(); ++i)
      reasons.push_back({Labels{{"reason", kAuthReasons[i]}}, auth_failures_[i].load(std::memory_order_relaxed)});
    out.family("dc_auth_failures_total", "counter",
               "Requests refused by auth: no credentials (missing), refused credentials (invalid), a role's rules (forbidden).",
               reasons);
    out.counter("dc_rate_limited_total", "Requests refused with 429 by a role's rate limit.", rate_limited_.load(std::memory_order_relaxed));
  }

 private:
  std::array<Histogram, kRoutes.size() * kClasses.size()> durations_;
  std::array<std::atomic<uint64_t>, kAuthReasons.size()> auth_failures_{};
  std::atomic<uint64_t> rate_limited_{0};
};

}  // namespace dc
