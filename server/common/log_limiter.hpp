// At most one log line per cause per period. While Convex is unreachable
// every call and every reconnect fails the same way; the log keeps one line
// per cause and says how many it held back, instead of 15 lines a second.
// Thread-safe; the clock is a parameter so tests need not wait.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace dc {

class LogLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LogLimiter(Clock::duration period = std::chrono::seconds(10)) : period_(period) {}

  // Empty when a line of this cause was let through less than a period ago
  // (it is counted); else what to append to the line: "" or
  // " (N more like it in the last 10 s)".
  std::optional<std::string> admit(std::string_view cause, Clock::time_point now = Clock::now()) {
    std::lock_guard lock(mu_);
    // Causes are a few fixed strings per call site; a bound keeps a stream
    // of distinct ones from growing the map.
    if (causes_.size() >= kMaxCauses && !causes_.count(std::string(cause))) causes_.clear();
    auto [it, fresh] = causes_.try_emplace(std::string(cause), Entry{now, 0});
    Entry& e = it->second;
    if (fresh) return std::string();
    if (now - e.last < period_) {
      ++e.held;
      return std::nullopt;
    }
    std::string suffix;
    if (e.held) {
      auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now - e.last).count();
      suffix = " (" + std::to_string(e.held) + " more like it in the last " + std::to_string(seconds) + " s)";
    }
    e = Entry{now, 0};
    return suffix;
  }

 private:
  static constexpr size_t kMaxCauses = 256;
  struct Entry {
    Clock::time_point last;
    uint64_t held;
  };
  Clock::duration period_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> causes_;
};

}  // namespace dc
