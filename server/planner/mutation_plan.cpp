#include "server/planner/mutation_plan.hpp"

#include <algorithm>

#include "server/planner/plan_json.hpp"
#include "server/schema/validate.hpp"

namespace dc {

namespace {

Status check_returning(const TableDef& table, const Returning& r) {
  for (size_t i = 0; i < r.columns.fields.size(); ++i) {
    if (!table.field_type(r.columns.fields[i]) || r.columns.fields[i].find('.') != std::string::npos) {
      return Error::query("unknown column '" + r.columns.fields[i] + "' on table '" + table.name + "'", r.columns.paths[i]);
    }
  }
  return Ok{};
}

Result<std::vector<FieldAssignment>> plan_set(const TableDef& table, std::vector<FieldAssignment> set) {
  for (auto& a : set) {
    if (auto st = validate_assignment(table, a.field, a.value ? &*a.value : nullptr, a.path); !st) {
      return std::move(st).error();
    }
  }
  return set;
}

}  // namespace

Result<MutationPlan> plan_mutation(const Mutation& m, const Schema& schema, const TableStats& stats,
                                   const PlannerOptions& options) {
  MutationPlan plan;
  plan.transaction = m.transaction;
  plan.budget = options.read_budget;
  for (const MutationOp& op : m.ops) {
    const TableDef& table = *schema.table(op.table);
    MutationStep step;
    step.kind = op.kind;
    step.table = op.table;
    step.path = op.path;
    step.returning = op.returning;
    if (auto st = check_returning(table, op.returning); !st) return std::move(st).error();
    switch (op.kind) {
      case MutationOp::Kind::insert: {
        for (size_t i = 0; i < op.values.size(); ++i) {
          Value row = op.values[i];
          if (auto st = validate_document(table, row, op.value_paths[i]); !st) return std::move(st).error();
          step.rows.push_back(std::move(row));
          step.row_paths.push_back(op.value_paths[i]);
        }
        if (op.on_conflict) {
          auto sorted = [](std::vector<std::string> v) {
            std::sort(v.begin(), v.end());
            return v;
          };
          const std::vector<std::string>* match = nullptr;
          for (const auto& u : table.unique) {
            if (sorted(u) == sorted(op.on_conflict->target)) match = &u;
          }
          if (!match) {
            return Error::query("onConflict target must name a unique constraint of '" + table.name + "'",
                                op.on_conflict->path + "/target");
          }
          step.conflict_target = *match;
          step.conflict_update = op.on_conflict->do_update;
          auto set = plan_set(table, op.on_conflict->set);
          if (!set) return std::move(set).error();
          step.conflict_set = std::move(set).value();
        }
        break;
      }
      case MutationOp::Kind::update:
      case MutationOp::Kind::delete_: {
        if (op.kind == MutationOp::Kind::update) {
          auto set = plan_set(table, op.set);
          if (!set) return std::move(set).error();
          step.set = std::move(set).value();
        }
        ReadQuery q;
        q.table = op.table;
        q.op = ReadOp::find_many;
        q.config.where = op.where;
        q.config.path = op.path;
        auto target = plan_read(q, schema, stats, options);
        if (!target) return std::move(target).error();
        step.target = std::make_shared<const ReadPlan>(std::move(target).value());
        break;
      }
    }
    plan.steps.push_back(std::move(step));
  }
  return plan;
}

Json mutation_plan_to_json(const MutationPlan& p) {
  Json steps = Json::array();
  for (const auto& s : p.steps) {
    Json j = Json::object();
    j["op"] = mutation_kind_name(s.kind);
    j["table"] = s.table;
    if (s.kind == MutationOp::Kind::insert) {
      Json rows = Json::array();
      for (const auto& r : s.rows) rows.push_back(to_json(r));
      j["rows"] = std::move(rows);
      if (s.conflict_target) {
        Json oc = Json{{"target", *s.conflict_target}, {"do", s.conflict_update ? "update" : "nothing"}};
        Json set = Json::object();
        for (const auto& a : s.conflict_set) set[a.field] = a.value ? to_json(*a.value) : Json{{"$unset", true}};
        if (s.conflict_update) oc["set"] = std::move(set);
        j["onConflict"] = std::move(oc);
      }
    }
    if (s.kind == MutationOp::Kind::update) {
      Json set = Json::object();
      for (const auto& a : s.set) set[a.field] = a.value ? to_json(*a.value) : Json{{"$unset", true}};
      j["set"] = std::move(set);
    }
    if (s.target) j["target"] = plan_to_json(*s.target);
    if (s.returning.enabled) {
      j["returning"] = s.returning.columns.mode == ColumnSelection::Mode::all
                           ? Json(true)
                           : Json{{s.returning.columns.mode == ColumnSelection::Mode::include ? "include" : "exclude",
                                   s.returning.columns.fields}};
    }
    steps.push_back(std::move(j));
  }
  return Json{{"planVersion", p.version}, {"kind", "mutation"}, {"transaction", p.transaction},
              {"steps", std::move(steps)}, {"readBudget", p.budget}};
}

}  // namespace dc
