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

// What deleting a row of a table does to the rows that reference it: rows of
// `table` whose `field` equals the deleted row's `to` get `rule`.
struct ReferenceRule {
  std::string table;
  std::string field;
  std::string to;
  OnDelete rule = OnDelete::restrict_;
  bool nullable = false;  // setNull writes null (else the optional field is removed)
};

// A v.id field that must name an existing row of `target`.
struct IdReference {
  std::string field;
  std::string target;
};

// The integrity rules of every table the mutation may write, taken from the
// schema at planning time so the plan alone is enough to run the mutation
// (the Convex adapter gets no other copy of them).
struct TableRules {
  std::vector<std::vector<std::string>> unique;
  std::vector<IdReference> references;
  std::vector<ReferenceRule> on_delete;  // rows elsewhere that reference this table
};

struct MutationPlan {
  int version = kPlanVersion;
  bool transaction = false;
  std::vector<MutationStep> steps;
  std::map<std::string, TableRules, std::less<>> rules;  // by table
  uint64_t budget = 32000;
  std::string role;  // the caller's role when rules apply (named in check failures)
};

Result<MutationPlan> plan_mutation(const Mutation& m, const Schema& schema, const TableStats& stats,
                                   const PlannerOptions& options);

Json mutation_plan_to_json(const MutationPlan& p);

}  // namespace dc
