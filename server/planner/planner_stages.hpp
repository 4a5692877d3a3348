// The read planner's stages, shared by the files that hold them (internal
// to the planner; plan_read in planner.hpp is the way in):
//   bind       (bind_stage.cpp)      the caller's rules, columns and limits; the filter bound and normalized
//   access     (access_stage.cpp)    the access path a node's filter and order choose (index_choice.cpp weighs indexes)
//   relations  (relation_stage.cpp)  `with` steps, relation-filter probes, orders read through relations
//   group      (group_stage.cpp)     an aggregate's group fields, functions, having and order
//   drive      (drive_stage.cpp)     a relation filter read first when its side is the selective one
//   cost       (cost_model.cpp)      rows an access leaves, by the data's counts or default selectivities
//   bounds     (read_bounds.cpp)     the worst case each access and the plan may read
//   finalize   (finalize_stage.cpp)  ids, warnings, paginate's total order, the budget check
//   verify     (plan_verify.cpp)     the invariants every plan keeps
// A plan is built mutable in one Planner and handed out whole.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/ast.hpp"
#include "protocol/error.hpp"
#include "server/planner/index_choice.hpp"
#include "server/planner/plan.hpp"
#include "server/planner/read_rules.hpp"
#include "server/planner/table_stats.hpp"
#include "server/schema/model.hpp"

namespace dc {

inline uint64_t sat_add(uint64_t a, uint64_t b) { return a > kUnbounded - b ? kUnbounded : a + b; }
inline uint64_t sat_mul(uint64_t a, uint64_t b) {
  if (a == 0 || b == 0) return 0;
  return a > kUnbounded / b ? kUnbounded : a * b;
}

// All of `parts` (nullopt: none, so no filter).
std::optional<PlanFilter> and_of(std::vector<PlanFilter> parts);
// `where` AND `extra`, normalized (a relation's where, a rule's row filter).
void and_into(std::optional<PlanFilter>& where, PlanFilter extra);
Error forbidden(std::string message, std::string path);
// `pairs` in the order `chosen` puts `keys` in (pairs[i] goes with keys[i]).
FieldList paired(const FieldList& keys, const FieldList& pairs, const FieldList& chosen);

// A relation filter that could drive an access from its selective side.
struct Drivable {
  size_t conjunct;  // its place among the access's top-level conjuncts
  const RelationDef* rel;
  std::optional<PlanFilter> related_filter;
  std::string path;
};

// A node after binding: its table, columns and key, and the filter every
// row must pass (the request's, the relation's, the role's).
struct BoundNode {
  ReadNode node;
  std::optional<PlanFilter> where;
};

class Planner {
 public:
  Planner(const Schema& schema, const TableStats& stats, const ReadRules* rules, uint64_t budget, uint64_t answer_rows)
      : schema_(schema), stats_(stats), rules_(rules), budget_(budget), answer_rows_(answer_rows) {}

  // The rows of `table` a request part asks for, every stage run.
  // `bound`: a filter already bound on `table` (relation filters), used instead of cfg.where.
  // `via`: the relation these rows are reached through; its predefined where applies too.
  Result<ReadNode> node(const TableDef& table, const ReadConfig& cfg, const FieldList& key_fields,
                        const std::optional<SearchSpec>& search, std::optional<PlanFilter> bound = std::nullopt,
                        const RelationDef* via = nullptr);
  // An aggregate's groups and functions, checked against `table` and the caller's columns.
  Result<GroupPlan> group(const TableDef& table, const GroupQuery& q) const;
  // A paginate reads page by page: its root access stops early like a limit.
  void set_paginated(const ReadConfig* cfg) { paginated_ = cfg; }

  // Bounds: the worst case of `node` for `parents` parent keys (writes each access's max_reads).
  uint64_t estimate(ReadNode& node, uint64_t parents, bool is_lookup, int64_t extra_rows);
  struct Contributor {
    uint64_t reads = 0;
    std::string path;
    std::string hint;
  };
  Contributor worst;                   // the access that reads most, named when the budget refuses
  std::optional<PlanFilter> root_where;  // the root's filter as bound, before planning (a paginate's fingerprint)
  mutable bool unknown_sizes = false;  // some table's size was unknown (Convex keeps no counts we can read)

 private:
  // bind
  Result<BoundNode> bind(const TableDef& table, const ReadConfig& cfg, const FieldList& key_fields,
                         std::optional<PlanFilter> bound, const RelationDef* via);
  Result<const TableReadRule*> read_rule(const TableDef& table, const std::string& path) const;
  Result<std::optional<PlanFilter>> role_filter(const TableDef& table, const TableReadRule& rule) const;
  // access
  Status choose(ReadNode& n, const TableDef& table, const ReadConfig& cfg, const std::optional<SearchSpec>& search,
                const std::optional<PlanFilter>& where, const std::vector<Drivable>& drivable);
  // relations
  Result<RelationStep> relation(const RelationDef& rel, const ReadConfig& cfg);
  Result<PlanBox<OrderPath>> order_path(const TableDef& table, const OrderKey& key);
  Status plan_exists(PlanFilter& f);
  // The links of a many-to-many relation, looked up by `key` (th.from from
  // the parent's side, th.to when a relation filter drives from the target's).
  Result<TableAccess> junction_access(const Through& th, const FieldList& key, const std::string& path);
  // drive
  static std::vector<Drivable> drivable_relations(const std::optional<PlanFilter>& where);
  // Links per related row of a many-to-many relation, from table sizes.
  uint64_t links_per_row(const RelationDef& rel);
  void drive(TableAccess& a, const TableDef& table, const std::vector<const PlanFilter*>& conj, const ReadConfig& cfg,
             const std::vector<Drivable>& drivable);
  PlanBox<Driver> driver(const RelationDef& rel, std::optional<PlanFilter> related_filter, const std::string& path);
  // cost
  // `counted`, when given, is set where the access's own ranges were counted.
  uint64_t matching_rows(const TableAccess& a, bool* counted = nullptr) const;
  uint64_t related_matches(const TableAccess& a) const;
  std::optional<uint64_t> counted_intervals(const TableAccess& a) const;
  std::optional<uint64_t> count_ranges(const std::string& table, const std::string& index,
                                       const std::vector<Interval>& ranges) const;
  // bounds
  uint64_t estimate_access(TableAccess& a, uint64_t parents, bool is_lookup, int64_t extra_rows);
  uint64_t estimate_filter(PlanFilter& f, uint64_t parents);
  uint64_t estimate_step(RelationStep& step, uint64_t parents);

  uint64_t rows(const std::string& table) const {
    auto n = stats_.row_count(table);
    if (!n) unknown_sizes = true;
    return n ? *n : kUnbounded;
  }
  // Rows for weighing one plan against another: exact or observed.
  uint64_t estimated_rows(const std::string& table) const {
    auto n = stats_.estimated_rows(table);
    return n ? *n : kUnbounded;
  }

  const Schema& schema_;
  const TableStats& stats_;
  const ReadRules* rules_;
  uint64_t budget_;
  uint64_t answer_rows_;
  const ReadConfig* paginated_ = nullptr;  // the root's config when the read is a paginate
  int nesting_ = 0;  // node() calls in progress: rules whose filters probe each other stop here
};

// The share of a table's `n` rows that comparison `c` keeps (cost_model.cpp).
double selectivity(const TableStats& stats, const TableDef& table, const PlanFilter& c, uint64_t n);

// finalize: numbers the accesses, gathers warnings, gives a paginate its
// total order and cursor, bounds the reads against the budget.
Status finalize_plan(ReadPlan& plan, Planner& planner, const ReadQuery& query);

}  // namespace dc
