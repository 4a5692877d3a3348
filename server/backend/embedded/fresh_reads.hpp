// The kept read results the engine must invalidate: each registered read's
// Freshness turns stale at the first committed write that reaches its read
// set (read_set.hpp, the same test that re-runs live queries).
//
// The work runs under the store's write lock, so it is bounded: a point read
// by _id is found by its table and id (one hash lookup per changed row); any
// other read is found by the tables it reads and tested against that
// table's changes, at most kRangeReadsPerTable of them per table (past that
// a read is not kept), and a group that changes a table a lot marks all of
// that table's reads stale at once rather than testing each pair. Entries
// whose Freshness nobody holds (the cache evicted them) or that went stale
// are dropped as their lists are walked.
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
  static constexpr size_t kRangeReadsPerTable = 4096;
  // Change × read tests per table per commit past which the table's reads all go stale.
  static constexpr size_t kTestsPerTable = 1 << 16;

  // A read of `plan` just ran: its result holds until a change reaches it.
  // Null when too many reads of its tables are kept already.
  std::shared_ptr<const Freshness> keep(const ReadPlan& plan);
  // A group of writes committed these changes (the store holds them): marks
  // every kept read they may change stale.
  void changed(const std::vector<const std::vector<Change>*>& group, const Store& store);
  // A write whose changes are unknown committed (a commit interrupted by an
  // exception): every kept read is stale. Allocates nothing.
  void stale_all();
  // Whether any read is kept: the committer works out changes only then.
  bool any() const { return entries_.load(std::memory_order_acquire) > 0; }
  // Registrations over all lists, a read counted once per list it is in.
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
  // One table's point reads by id; swept (dead entries and ids dropped) when it has doubled.
  struct Points {
    std::unordered_map<std::string, std::vector<KeptPtr>> rows;
    size_t count = 0;  // entries over all rows
    size_t sweep_at;
  };
  static bool gone(const KeptPtr& k);
  static void mark_stale(const KeptPtr& k);
  void sweep(List& list);      // under mu_
  void sweep(Points& points);  // under mu_

  std::mutex mu_;
  std::unordered_map<std::string, List> by_table_;  // reads other than point reads, by each table they read
  std::unordered_map<std::string, Points> by_id_;     // point reads, by their table and id
  std::atomic<uint64_t> entries_{0};
};

}  // namespace dc
