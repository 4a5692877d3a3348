#include "server/pipeline/result_cache.hpp"

#include <functional>

namespace dc {

uint64_t ResultCache::hash_of(const Key& key) {
  uint64_t h = std::hash<std::string_view>{}(key.body);
  return h ^ (std::hash<std::string_view>{}(key.rules) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2));
}

ResultCache::OwnedKey::OwnedKey(const Key& key)
    : rules_size_(key.rules.size()), epoch_(key.epoch), schema_(key.schema), hash_(hash_of(key)) {
  text_.reserve(key.rules.size() + 1 + key.body.size());
  text_.append(key.rules).append(1, '\0').append(key.body);
}

ResultCache::Key ResultCache::OwnedKey::view() const {
  std::string_view text = text_;
  return Key{text.substr(0, rules_size_), text.substr(rules_size_ + 1), epoch_, schema_};
}

bool ResultCache::same(const Key& a, const Key& b) {
  return a.epoch == b.epoch && a.schema == b.schema && a.rules == b.rules && a.body == b.body;
}

ResultCache::Iter ResultCache::lookup(const Key& key, uint64_t hash) {
  auto [from, to] = index_.equal_range(hash);
  for (auto it = from; it != to; ++it)
    if (same(it->second->key.view(), key)) return it->second;
  return lru_.end();
}

void ResultCache::erase(Iter it) {
  auto [from, to] = index_.equal_range(it->key.hash());
  for (auto i = from; i != to; ++i) {
    if (i->second == it) {
      index_.erase(i);
      break;
    }
  }
  bytes_.fetch_sub(it->cost(), std::memory_order_relaxed);
  entries_.fetch_sub(1, std::memory_order_relaxed);
  lru_.erase(it);
}

std::shared_ptr<const std::string> ResultCache::find(const Key& key) {
  if (!on()) return nullptr;
  uint64_t hash = hash_of(key);
  std::lock_guard lock(mu_);
  Iter it = lookup(key, hash);
  if (it == lru_.end()) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  if (!it->fresh->holds()) {
    erase(it);
    invalidations_.fetch_add(1, std::memory_order_relaxed);
    misses_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it);
  hits_.fetch_add(1, std::memory_order_relaxed);
  return it->body;
}

void ResultCache::insert(OwnedKey key, std::shared_ptr<const std::string> body, std::shared_ptr<const Freshness> fresh,
                         std::shared_ptr<const void> schema) {
  if (!on() || !body || !fresh) return;
  Entry entry{std::move(key), std::move(schema), std::move(body), std::move(fresh)};
  uint64_t cost = entry.cost();
  if (cost > max_bytes_ / 8) return;
  std::lock_guard lock(mu_);
  // Stale before it was kept (a write committed since the read): not worth a slot.
  if (!entry.fresh->holds()) return;
  if (Iter old = lookup(entry.key.view(), entry.key.hash()); old != lru_.end()) erase(old);
  lru_.push_front(std::move(entry));
  index_.emplace(lru_.front().key.hash(), lru_.begin());
  bytes_.fetch_add(cost, std::memory_order_relaxed);
  entries_.fetch_add(1, std::memory_order_relaxed);
  // Least recently used first; a stale entry is counted as an invalidation
  // (it is dropped here, or when next looked up).
  while (bytes_.load(std::memory_order_relaxed) > max_bytes_ && lru_.size() > 1) {
    Iter last = std::prev(lru_.end());
    bool stale = !last->fresh->holds();
    erase(last);
    (stale ? invalidations_ : evictions_).fetch_add(1, std::memory_order_relaxed);
  }
}

void ResultCache::clear() {
  std::lock_guard lock(mu_);
  invalidations_.fetch_add(lru_.size(), std::memory_order_relaxed);
  index_.clear();
  lru_.clear();
  bytes_.store(0, std::memory_order_relaxed);
  entries_.store(0, std::memory_order_relaxed);
}

void ResultCache::write_metrics(MetricsText& out) const {
  out.counter("dc_result_cache_hits_total", "Reads answered from the result cache.", hits_.load(std::memory_order_relaxed));
  out.counter("dc_result_cache_misses_total", "Reads the result cache could not answer (none kept, or kept and stale).",
              misses_.load(std::memory_order_relaxed));
  out.counter("dc_result_cache_evictions_total", "Kept answers pushed out by --result-cache's byte bound.",
              evictions_.load(std::memory_order_relaxed));
  out.counter("dc_result_cache_invalidations_total", "Kept answers dropped because a write changed what they read, or an auth reload.",
              invalidations_.load(std::memory_order_relaxed));
  out.gauge("dc_result_cache_bytes", "Bytes the result cache holds (keys, answers, per-entry overhead).", bytes_.load(std::memory_order_relaxed));
  out.gauge("dc_result_cache_entries", "Answers the result cache holds.", entries_.load(std::memory_order_relaxed));
}

}  // namespace dc
