// A bounded LRU cache of read plans keyed by the exact request body, so a
// query that clients repeat (polling, dashboards) skips JSON parsing and
// planning. A plan depends on table sizes (the read budget), so entries carry
// the stats version they were planned at and are ignored once it changes;
// likewise the rules epoch (each loaded auth file is one): a plan made under
// rules a reload replaced is never served again, even to a request that was
// admitted before the reload and planned after it.
// Thread-safe; the lock is held only to look up or insert.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "server/planner/plan.hpp"

namespace dc {

class PlanCache {
 public:
  explicit PlanCache(size_t capacity, size_t max_key_bytes = 4096) : capacity_(capacity), max_key_bytes_(max_key_bytes) {}

  std::shared_ptr<const ReadPlan> find(std::string_view body, uint64_t stats_version, uint64_t rules_epoch = 0);
  void insert(std::string_view body, uint64_t stats_version, std::shared_ptr<const ReadPlan> plan, uint64_t rules_epoch = 0);
  // Drops every entry (an auth reload: nothing planned under the old rules stays).
  void clear();
  size_t size();
  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    std::string key;
    uint64_t version;
    uint64_t epoch;
    std::shared_ptr<const ReadPlan> plan;
  };
  size_t capacity_;
  size_t max_key_bytes_;
  std::mutex mu_;
  std::list<Entry> lru_;  // most recent first
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> misses_{0};
};

}  // namespace dc
