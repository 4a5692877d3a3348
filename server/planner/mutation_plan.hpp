// Planning mutations: values validated against the schema, conflict targets
// resolved to unique constraints, and the rows an update or delete touches
// found through the read planner (so they use indexes and the read budget).
// Serializes to versioned JSON like read plans.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/mutation.hpp"
#include "server/planner/integrity_rules.hpp"
#include "server/planner/plan.hpp"
#include "server/planner/planner.hpp"

namespace dc {

struct MutationStep {
  MutationOp::Kind kind = MutationOp::Kind::insert;
  std::string table;
  std::string path;
  std::vector<Value> rows;                   // insert: validated user fields
  std::vector<std::string> row_paths;
  std::vector<FieldAssignment> set;          // update: validated values
  std::shared_ptr<const ReadPlan> target;    // update, delete: the rows to change
  std::optional<std::vector<std::string>> conflict_target;  // insert: a unique constraint
  bool conflict_update = false;
  std::vector<FieldAssignment> conflict_set;
  Returning returning;
  // The caller's rules (auth.md section 4), checked inside the atomic write:
  // every row inserted or updated must pass `check`; an upsert's update must
  // find the existing row inside `update_filter` and pass `update_check`.
  std::optional<PlanFilter> check;
  std::optional<PlanFilter> update_filter;
  std::optional<PlanFilter> update_check;
};

struct MutationPlan {
  int version = kPlanVersion;
  bool transaction = false;
  std::vector<MutationStep> steps;
  // By table; shared with the schema's IntegrityRules, never null.
  std::shared_ptr<const RulesByTable> rules = no_rules();
  uint64_t budget = 32000;
  std::string role;  // the caller's role when rules apply (named in check failures)
  // False for a caller whose rules hide rows or columns: a conflict names no
  // row's _id (the row it conflicts with may be one the caller cannot see).
  bool name_rows = true;
};

// `integrity`: the schema's rules, built once by the caller; null builds them for this plan.
Result<MutationPlan> plan_mutation(const Mutation& m, const Schema& schema, const TableStats& stats,
                                   const PlannerOptions& options, const IntegrityRules* integrity = nullptr);

Json mutation_plan_to_json(const MutationPlan& p);

}  // namespace dc
