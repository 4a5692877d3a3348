// The kept read results the engine must invalidate: each registered read's
// Freshness turns stale at the first committed write that reaches its read
// set (read_set.hpp, the same test that re-runs live queries). Entries are
// found by the tables they read, so a write looks only at reads of the
// tables it changed. An entry nobody holds any more (the cache evicted it)
// or already stale is dropped when its table is next written, or when its
// table's list has doubled since it was last swept.
// Thread-safe; `keep` runs under the store's shared lock and `changed`
// under its write lock, so no write falls between a read and its registration.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/backend/backend.hpp"
#include "server/backend/embedded/read_set.hpp"

namespace dc {

class FreshReads {
 public:
  // A read of `plan` just ran: its result holds until a change reaches it.
  std::shared_ptr<const Freshness> keep(const ReadPlan& plan);
  // A write committed `changes` (the store holds them): marks every kept
  // read they may change stale.
  void changed(const std::vector<Change>& changes, const Store& store);
  // A write whose changes are unknown committed (a commit interrupted by an
  // exception): every kept read is stale. Allocates nothing.
  void stale_all();
  // Whether any read is kept: the committer works out changes only then.
  bool any() const { return entries_.load(std::memory_order_acquire) > 0; }
  // Entries over all tables' lists, a read counted once per table it reads.
  uint64_t entries() const { return entries_.load(std::memory_order_relaxed); }

 private:
  struct Kept {
    ReadSet reads;
    std::weak_ptr<Freshness> fresh;
  };
  using KeptPtr = std::shared_ptr<Kept>;
  struct List {
    std::vector<KeptPtr> kept;
    size_t sweep_at;
  };
  void sweep(List& list);  // under mu_

  std::mutex mu_;
  std::unordered_map<std::string, List> by_table_;
  std::atomic<uint64_t> entries_{0};
};

}  // namespace dc
