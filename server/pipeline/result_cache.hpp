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
  // A key whose text the cache owns: made once on a miss, it outlives the
  // request it came from and becomes the entry's key on insert.
  class OwnedKey {
   public:
    OwnedKey(const Key& key);  // NOLINT: implicit, a Key is what it copies
    Key view() const;
    uint64_t hash() const { return hash_; }
    size_t size() const { return text_.size(); }

   private:
    std::string text_;  // rules, '\0', body
    size_t rules_size_;
    uint64_t epoch_;
    const void* schema_;
    uint64_t hash_;
  };
  // The kept answer body, if one is kept for `key` and still holds.
  std::shared_ptr<const std::string> find(const Key& key);
  // Keeps `body` while `fresh` holds. An answer over an eighth of the
  // budget is not kept: one large answer must not flush all the others.
  // `schema` owns key.schema: kept with the entry, so that address is never
  // reused by a later schema while the entry lives.
  void insert(OwnedKey key, std::shared_ptr<const std::string> body, std::shared_ptr<const Freshness> fresh,
              std::shared_ptr<const void> schema);
  // Drops everything (an auth reload).
  void clear();

  uint64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
  void write_metrics(MetricsText& out) const;

  // What one entry costs besides its key and body: list node, index slot, pointers.
  static constexpr uint64_t kEntryOverhead = 160;

 private:
  struct Entry {
    OwnedKey key;
    std::shared_ptr<const void> schema_pin;
    std::shared_ptr<const std::string> body;
    std::shared_ptr<const Freshness> fresh;
    uint64_t cost() const { return key.size() + body->size() + kEntryOverhead; }
  };
  using Iter = std::list<Entry>::iterator;
  static uint64_t hash_of(const Key& key);
  static bool same(const Key& a, const Key& b);
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
