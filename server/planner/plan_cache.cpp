#include "server/planner/plan_cache.hpp"

namespace dc {

std::shared_ptr<const ReadPlan> PlanCache::find(std::string_view body, uint64_t stats_version, uint64_t rules_epoch) {
  if (capacity_ == 0 || body.size() > max_key_bytes_) return nullptr;
  std::lock_guard lock(mu_);
  auto it = index_.find(body);
  if (it == index_.end() || it->second->version != stats_version || it->second->epoch != rules_epoch) {
    ++misses_;
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  ++hits_;
  return it->second->plan;
}

void PlanCache::insert(std::string_view body, uint64_t stats_version, std::shared_ptr<const ReadPlan> plan, uint64_t rules_epoch) {
  if (capacity_ == 0 || body.size() > max_key_bytes_) return;
  std::lock_guard lock(mu_);
  if (auto it = index_.find(body); it != index_.end()) {
    it->second->version = stats_version;
    it->second->epoch = rules_epoch;
    it->second->plan = std::move(plan);
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  lru_.push_front(Entry{std::string(body), stats_version, rules_epoch, std::move(plan)});
  index_.emplace(lru_.front().key, lru_.begin());  // the key view points into the list node, which never moves
  if (lru_.size() > capacity_) {
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
}

void PlanCache::clear() {
  std::lock_guard lock(mu_);
  index_.clear();
  lru_.clear();
}

size_t PlanCache::size() {
  std::lock_guard lock(mu_);
  return lru_.size();
}

}  // namespace dc
