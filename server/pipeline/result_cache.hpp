// The read-result cache: a read asked again with the same body under the
// same rules, while nothing it read has changed, is answered with the bytes
// of the earlier answer: no parsing, planning, execution or printing.
// Whether "nothing it read has changed" is the backend's to say: the
// embedded engine hands out a Freshness with each kept result and marks it
// stale at the first write that reaches the read's read set (the test live
// queries use), before that write is acknowledged. Backends that cannot say
// (Convex: other writers are out of sight) hand out none, and nothing of
// theirs is kept.
//
// Keyed by the caller's rules key (the role and the claim values its rules
// use), the body's bytes, the rules epoch and the schema in force. Bounded
// in bytes (keys, answers and a fixed overhead per entry), least recently
// used first out. Thread-safe; the lock is held only to look up or insert.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "server/backend/backend.hpp"
#include "server/common/metrics_text.hpp"

namespace dc {

class ResultCache {
 public:
  // 0 turns it off: every call returns at once.
  explicit ResultCache(uint64_t max_bytes) : max_bytes_(max_bytes) {}
  bool on() const { return max_bytes_ > 0; }

  // Which answer a key names: the rules key and the body, plus what must
  // not have changed since (the rules epoch, the loaded schema).
  struct Key {
    std::string_view rules;
    std::string_view body;
    uint64_t epoch = 0;
    const void* schema = nullptr;
  };
  // The kept answer body, if one is kept for `key` and still holds.
  std::shared_ptr<const std::string> find(const Key& key);
  // Keeps `body` while `fresh` holds. An answer over an eighth of the
  // budget is not kept: one large answer must not flush all the others.
  // `schema` owns key.schema: kept with the entry, so that address is never
  // reused by a later schema while the entry lives.
  void insert(const Key& key, std::shared_ptr<const std::string> body, std::shared_ptr<const Freshness> fresh,
              std::shared_ptr<const void> schema);
  // Whether an answer of about `bytes` would be kept (the cache is on and it is within an eighth of the budget).
  bool worth_keeping(uint64_t bytes) const { return on() && bytes + kEntryOverhead <= max_bytes_ / 8; }
  // Drops everything (an auth reload).
  void clear();

  uint64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
  void write_metrics(MetricsText& out) const;

  // What one entry costs besides its key and body: list node, index slot, pointers.
  static constexpr uint64_t kEntryOverhead = 160;

 private:
  struct Entry {
    std::string key;  // rules, '\0', body
    size_t rules_size;
    uint64_t hash;
    uint64_t epoch;
    const void* schema;
    std::shared_ptr<const void> schema_pin;
    std::shared_ptr<const std::string> body;
    std::shared_ptr<const Freshness> fresh;
    uint64_t cost() const { return key.size() + body->size() + kEntryOverhead; }
  };
  using Iter = std::list<Entry>::iterator;
  static uint64_t hash_of(const Key& key);
  static bool same(const Entry& e, const Key& key);
  Iter lookup(const Key& key, uint64_t hash);  // under mu_; lru_.end() when absent
  void erase(Iter it);                         // under mu_

  uint64_t max_bytes_;
  std::mutex mu_;
  std::list<Entry> lru_;  // most recent first
  std::unordered_multimap<uint64_t, Iter> index_;
  std::atomic<uint64_t> bytes_{0};
  std::atomic<uint64_t> entries_{0};
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> misses_{0};
  std::atomic<uint64_t> evictions_{0};      // pushed out by the byte bound
  std::atomic<uint64_t> invalidations_{0};  // found stale, or dropped by clear()
};

}  // namespace dc
