// The planner: a parsed read query → a ReadPlan, in named stages
// (planner_stages.hpp), verified in debug and test builds. Pure: no I/O.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "protocol/ast.hpp"
#include "protocol/error.hpp"
#include "server/planner/plan.hpp"
#include "server/planner/read_rules.hpp"
#include "server/planner/table_stats.hpp"
#include "server/planner/write_rules.hpp"
#include "server/schema/model.hpp"

namespace dc {

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

}  // namespace dc
