// What the proxy learns about a Convex deployment's data from the reads the
// adapter reports: Convex keeps no counts the proxy can read, but a read that
// scanned a whole table counted its rows, and one that read a single value
// of an index's leading field counted that value. The planner uses these only
// to weigh plans against each other (TableStats::estimated_rows,
// value_count), never to refuse a query: they can be stale.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "server/backend/backend.hpp"
#include "server/planner/plan.hpp"
#include "server/planner/planner.hpp"

namespace dc {

// The adapter's `valueCounts` ([{field, values: [[value, rows]]}]), taken
// only well formed and bounded: at most kMaxCountedFields fields of at most
// kMaxCountedValues values each (the adapter's own cap); anything else is dropped.
inline constexpr size_t kMaxCountedFields = 64;
inline constexpr size_t kMaxCountedValues = 64;
std::vector<ReadOutcome::ValueCount> value_counts_from_json(const nlohmann::ordered_json& j);

class ObservedStats final : public TableStats {
 public:
  static constexpr size_t kMaxValues = 4096;     // remembered values, all tables together
  static constexpr size_t kMaxValueBytes = 256;  // longer values (as JSON) are not remembered: a client chooses them

  std::optional<uint64_t> row_count(std::string_view) const override { return std::nullopt; }
  std::optional<uint64_t> estimated_rows(std::string_view table) const override;
  std::optional<uint64_t> value_count(std::string_view table, std::string_view field, const Value& value) const override;
  // Moves whenever a count is first learned or changes by half or more: the
  // plans cached before may choose differently now.
  uint64_t version() const override { return version_.load(std::memory_order_acquire); }

  // Does running `plan` teach anything (a whole-table scan, a single-value
  // index read)? Then the adapter is asked for its reads per access.
  static bool worth_reporting(const ReadPlan& plan);
  // Learns from one successful read: `reads` holds the documents read per
  // access id; `values`, rows per value of the indexed fields of a whole
  // root scan (the adapter counts them on the way).
  void learn(const ReadPlan& plan, const std::vector<uint64_t>& reads,
             const std::vector<ReadOutcome::ValueCount>& values = {});

 private:
  void remember(std::map<std::string, uint64_t, std::less<>>& into, std::string key, uint64_t n, bool bounded);

  mutable std::mutex mu_;
  std::map<std::string, uint64_t, std::less<>> rows_;    // table -> rows
  std::map<std::string, uint64_t, std::less<>> values_;  // table \0 field \0 value JSON -> rows
  std::atomic<uint64_t> version_{0};
};

}  // namespace dc
