// The planner: a parsed read query → a ReadPlan, in named stages (bind,
// normalize, choose access, plan relations, bound the reads). Pure: no I/O.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "protocol/ast.hpp"
#include "protocol/error.hpp"
#include "server/planner/plan.hpp"
#include "server/planner/read_rules.hpp"
#include "server/planner/write_rules.hpp"
#include "server/schema/model.hpp"

namespace dc {

// Row counts per table, from the backend, to bound a plan's worst-case reads.
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

struct PlannerOptions {
  uint64_t read_budget = 32000;  // Convex's per-transaction document limit
  uint64_t answer_rows = 100000;  // --answer-rows
  uint64_t answer_bytes = 64ull << 20;  // --answer-bytes
  // The caller's read rules; null: none (the built-in admin, a bypass role).
  std::shared_ptr<const ReadRules> rules;
  // The caller's write rules; null: none. Set together with `rules`.
  std::shared_ptr<const WriteRules> write_rules;
};

Result<ReadPlan> plan_read(const ReadQuery& query, const Schema& schema, const TableStats& stats,
                           const PlannerOptions& options);

// Paginate cursors: opaque to clients, bound to the query they came from.
std::string encode_cursor(const std::string& fingerprint, const std::vector<Value>& key);

}  // namespace dc
