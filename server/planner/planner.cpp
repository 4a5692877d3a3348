// plan_read: the stages in order (planner_stages.hpp names them), then the
// verifier where the build asks for it.
#include "server/planner/planner.hpp"

#include "server/planner/plan_verify.hpp"
#include "server/planner/planner_stages.hpp"

namespace dc {

Result<ReadNode> Planner::node(const TableDef& table, const ReadConfig& cfg, const FieldList& key_fields,
                               const std::optional<SearchSpec>& search, std::optional<PlanFilter> bound,
                               const RelationDef* via) {
  struct Nesting {
    int& n;
    ~Nesting() { --n; }
  } nesting{++nesting_};
  if (nesting_ > 32) return Error::query("relations and relation filters nest deeper than 32 accesses", cfg.path);
  auto b = bind(table, cfg, key_fields, std::move(bound), via);
  if (!b) return std::move(b).error();
  ReadNode n = std::move(b->node);
  std::optional<PlanFilter> where = std::move(b->where);
  if (nesting_ == 1 && !via) root_where = where;
  // Only a scan (not a lookup, not a search) may be driven from a relation filter's side.
  std::vector<Drivable> drivable;
  if (key_fields.empty() && !search) drivable = drivable_relations(where);
  if (where) {
    if (auto st = plan_exists(*where); !st) return std::move(st).error();
  }
  n.access.limit = cfg.limit;
  n.access.offset = cfg.offset.value_or(0);
  if (auto st = choose(n, table, cfg, search, where, drivable); !st) return std::move(st).error();
  for (size_t i = 0; i < cfg.order_by.size(); ++i) {
    if (cfg.order_by[i].on_row()) continue;
    auto path = order_path(table, cfg.order_by[i]);
    if (!path) return std::move(path).error();
    n.access.order_paths.resize(i + 1);
    n.access.order_paths[i] = std::move(path).value();
  }
  for (const auto& load : cfg.with) {
    auto step = relation(*schema_.relation(table.name, load.name), *load.config);
    if (!step) return std::move(step).error();
    if (load.count) {
      step->count = true;
      step->required = false;  // a count of no rows is 0
    }
    n.with.push_back(std::move(step).value());
  }
  return n;
}

Result<ReadPlan> plan_read(const ReadQuery& q, const Schema& schema, const TableStats& stats, const PlannerOptions& options) {
  const TableDef* table = schema.table(q.table);
  if (!table) return Error::query("unknown table '" + q.table + "'", "/table");
  if (q.op == ReadOp::paginate && static_cast<uint64_t>(q.num_items) > options.answer_rows) {
    return Error::query("numItems " + std::to_string(q.num_items) + " is over the answer's budget of " +
                            std::to_string(options.answer_rows) + " rows (--answer-rows)",
                        "/numItems");
  }
  if (options.rules && options.rules->max_limit && q.op == ReadOp::paginate && q.num_items > *options.rules->max_limit) {
    return forbidden("numItems " + std::to_string(q.num_items) + " is over the maxLimit of role '" + options.rules->role + "' (" +
                         std::to_string(*options.rules->max_limit) + ")",
                     "/numItems");
  }
  if (q.op == ReadOp::paginate && q.search) {
    return Error::query("paginate with search is not supported yet; use findMany with limit", "/search");
  }
  if (q.op == ReadOp::paginate) {
    for (const auto& k : q.config.order_by) {
      if (!k.on_row()) {
        return Error::query("paginate cannot order by related rows: a cursor holds the last row's own fields; use findMany with limit and offset",
                            k.path);
      }
    }
  }
  Planner planner(schema, stats, options.rules.get(), options.read_budget, options.answer_rows);
  if (q.op == ReadOp::paginate) planner.set_paginated(&q.config);
  auto root = planner.node(*table, q.config, {}, q.search);
  if (!root) return std::move(root).error();
  ReadPlan plan;
  plan.op = q.op;
  plan.budget = options.read_budget;
  plan.answer_rows = options.answer_rows;
  plan.answer_bytes = options.answer_bytes;
  plan.num_items = q.num_items;
  plan.root = std::move(root).value();
  if (q.op == ReadOp::aggregate) {
    auto g = planner.group(*table, q.group);
    if (!g) return std::move(g).error();
    plan.group = std::move(g).value();
  }
  if (auto st = finalize_plan(plan, planner, q); !st) return std::move(st).error();
#ifdef DC_VERIFY_PLANS
  // A plan that breaks an invariant would read wrong rows or too many: fail
  // the request (a 500 the tests see) instead of running it.
  if (auto st = verify_plan(plan, schema); !st) return std::move(st).error();
#endif
  return plan;
}

}  // namespace dc
