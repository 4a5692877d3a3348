// Runs one ReadPlan over the store, exactly as planned: index intervals,
// post-filters, early stops, relation lookups by deduplicated keys. Counts
// every document it reads and fails (never truncates) past the read budget.
// Stops at the request's deadline (checked between documents), failing with
// UPSTREAM_TIMEOUT, when its client went away, and past the budget of text
// bytes its string patterns may scan. One executor per request; the caller
// holds the store's read lock.
#pragma once

#include <atomic>
#include <chrono>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "protocol/error.hpp"
#include "server/backend/embedded/filter_eval.hpp"
#include "server/backend/embedded/store.hpp"
#include "server/planner/plan.hpp"

namespace dc {

// What bounds one read besides its document budget.
struct ReadLimits {
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  // Text bytes that like/ilike/contains may scan in all (--match-budget).
  uint64_t match_bytes = std::numeric_limits<uint64_t>::max();
  // Set when the client disconnected: the answer has nowhere to go.
  const std::atomic<bool>* cancelled = nullptr;
};

class Executor {
 public:
  using Clock = std::chrono::steady_clock;
  Executor(const Store& store, uint64_t budget, ReadLimits limits = {}) : store_(store), budget_(budget), limits_(limits) {}
  Result<Value> run(const ReadPlan& plan);
  // The root rows a plan selects, as documents (update and delete use this).
  Result<std::vector<DocPtr>> rows(const ReadPlan& plan);
  uint64_t docs_read() const { return reads_; }
  // Documents read per access id (TableAccess::id), for explain's "analyze".
  const std::vector<uint64_t>& reads_by_access() const { return reads_by_access_; }

 private:
  struct ValueLess {
    bool operator()(const Value& a, const Value& b) const { return compare(a, b) < 0; }
  };
  using Groups = std::map<Value, std::vector<DocPtr>, ValueLess>;
  // Relation keys of rows, each once, in the order first met; null keys relate to nothing.
  struct DistinctKeys {
    std::vector<Value> keys;
    std::set<Value, ValueLess> seen;
    void add(const std::vector<DocPtr>& rows, const FieldList& fields);
  };

  // A count the index's per-value counts answer: no document read (index_counts.cpp).
  std::optional<Value> answered_by_counts(const ReadPlan& plan) const;
  bool count_read(const TableAccess& a);
  bool passes(const TableAccess& a, const DocPtr& d);
  // Reads the intervals of `idx` in order with the access's early-stop rule.
  void scan(const TableAccess& a, const Index& idx, const std::vector<Interval>& intervals, size_t need,
            const std::vector<Value>* after, std::vector<DocPtr>& out);
  // Several ranges each in the requested order, merged with one early stop.
  void merge_scan(const TableAccess& a, std::vector<Index::Cursor> cursors, size_t need, const std::vector<Value>* after,
                  std::vector<DocPtr>& out);
  void read_root(const ReadPlan& plan, std::vector<DocPtr>& out, bool* seekable);
  // One access read whole but for `need` (its early stop) and a cursor position.
  void read_access(const TableAccess& a, size_t need, const std::vector<Value>* after_key, bool* seekable,
                   std::vector<DocPtr>& out);
  // An access driven by a relation filter: the related rows, their keys, then lookups.
  void driven(const TableAccess& a, std::vector<DocPtr>& out);
  void lookup(const TableAccess& a, const std::vector<Value>& keys, bool slice, Groups& out);
  bool exists(const RelationStep& step, const Value& parent);
  bool exists_through(const RelationStep& step, const Value& key);
  // Each parent's related rows (sorted and sliced per parent), with keys
  // deduplicated across parents. Fails, before holding more, once the
  // parents' lists together pass `at_most` rows, with `refusal` as the message.
  std::vector<std::vector<DocPtr>> related(const RelationStep& step, const std::vector<DocPtr>& parents, uint64_t at_most,
                                           const std::string& refusal);
  std::string answer_rows_refusal() const;
  // What one shaped row adds to the answer: itself and its nested rows.
  struct Weight {
    uint64_t rows = 0;
    uint64_t bytes = 0;
  };
  // The answer rows of `docs`, with each one's weight; fails past the answer's budget.
  std::vector<Value> shape(const ReadNode& n, const std::vector<DocPtr>& docs, std::vector<Weight>& weights);
  std::vector<Value> shape(const ReadNode& n, const std::vector<DocPtr>& docs);
  // False (with the failure set) when rows weighing `w` in all would not fit the answer.
  bool fits_answer(const Weight& w, const std::string& path);
  static Error missing_required(const RelationStep& step, const Document& parent);
  void count_related(const RelationStep& step, const std::vector<DocPtr>& docs, std::vector<Value>& out);
  bool counted_by_index(const RelationStep& step, const std::vector<DocPtr>& docs, std::vector<uint64_t>& found);
  static constexpr uint64_t kExact = std::numeric_limits<uint64_t>::max();  // counted_lookup's cap: exact counts only
  std::optional<uint64_t> counted_lookup(const TableAccess& a, const Value& key, uint64_t cap) const;
  bool before_deadline();
  // Sorts by the access's order; keys read through relations are looked up first.
  void sort_rows(const TableAccess& a, std::vector<DocPtr>& rows);

  // Ordering by related rows (relation_order.cpp). A reached row remembers
  // which of the sorted rows it was reached from; it appears once per path
  // to it, as a SQL join would yield it.
  using Reached = std::vector<std::pair<size_t, DocPtr>>;
  Reached follow(const RelationStep& step, const Reached& from);
  // The value of `key` (read through `path`) for each of `rows`.
  std::vector<Value> order_values(const OrderKey& key, const OrderPath& path, const std::vector<DocPtr>& rows);

  void slice(const TableAccess& a, std::vector<DocPtr>& rows) const;
  void search(const TableAccess& a, std::vector<DocPtr>& out);

  const Store& store_;
  uint64_t budget_;
  uint64_t answer_rows_ = std::numeric_limits<uint64_t>::max();
  uint64_t answer_bytes_ = std::numeric_limits<uint64_t>::max();
  ReadLimits limits_;
  uint64_t reads_ = 0;
  std::vector<uint64_t> reads_by_access_;
  uint64_t matched_bytes_ = 0;
  std::optional<Error> failure_;
  // Keyed by the access's number in the plan, not its address: a union's
  // branches read copies of the access, post-filter and relations included.
  using AccessKey = std::pair<uint32_t, Value>;
  struct AccessKeyLess {
    bool operator()(const AccessKey& a, const AccessKey& b) const {
      if (a.first != b.first) return a.first < b.first;
      return compare(a.second, b.second) < 0;
    }
  };
  // EXISTS per relation (its target's access) and parent key; a junction's targets per target key.
  std::map<AccessKey, bool, AccessKeyLess> exists_cache_;
  std::map<AccessKey, bool, AccessKeyLess> target_cache_;
};

}  // namespace dc
