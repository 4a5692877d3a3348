// What a backend tells the planner about its data: row counts per table and
// per value, and the few values a field holds. Exact counts bound a plan's
// worst case; estimates only weigh one plan against another.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "protocol/value.hpp"
#include "server/planner/plan.hpp"

namespace dc {

class TableStats {
 public:
  virtual ~TableStats() = default;
  // Exact: bounds the plan's worst case and the read budget.
  virtual std::optional<uint64_t> row_count(std::string_view table) const = 0;
  // For choosing between plans only: the exact count, or one the backend
  // observed (on Convex, the reads of an earlier whole-table scan), which
  // may be stale and so never refuses a query.
  virtual std::optional<uint64_t> estimated_rows(std::string_view table) const { return row_count(table); }
  // Rows whose `field` holds `value` (undefined: the field is missing), when
  // the backend counts them: the embedded engine does for every field that
  // leads an index; on Convex, what earlier reads of one index value found.
  // nullopt: unknown (the planner then guesses). For choosing plans only.
  virtual std::optional<uint64_t> value_count(std::string_view /*table*/, std::string_view /*field*/, const Value& /*value*/) const {
    return std::nullopt;
  }
  // Rows whose `field` (leading an index) lies between `lower` and `upper`
  // (nullopt: open; the flags say whether the bound itself is in), when the
  // backend can count an index range; nullopt otherwise. For choosing plans only.
  virtual std::optional<uint64_t> range_count(std::string_view /*table*/, std::string_view /*field*/,
                                              const std::optional<Value>& /*lower*/, bool /*lower_inclusive*/,
                                              const std::optional<Value>& /*upper*/, bool /*upper_inclusive*/) const {
    return std::nullopt;
  }
  // Entries of `index` inside `iv` when there are at most `cap` (the engine
  // counts its ordered index); nullopt past the cap or when it cannot count.
  // For choosing plans only.
  virtual std::optional<uint64_t> interval_count(std::string_view /*table*/, std::string_view /*index*/,
                                                 const Interval& /*iv*/, uint64_t /*cap*/) const {
    return std::nullopt;
  }
  // The distinct values of a field that leads an index, when there are at
  // most `at_most` (the engine knows them from its counts); nullopt otherwise.
  // A skip-scan over them is re-expanded by the engine when it runs.
  virtual std::optional<std::vector<Value>> leading_values(std::string_view /*table*/, std::string_view /*field*/,
                                                           size_t /*at_most*/) const {
    return std::nullopt;
  }
  // Changes whenever any row count may have changed (plans made before are stale).
  virtual uint64_t version() const { return 0; }
};

}  // namespace dc
