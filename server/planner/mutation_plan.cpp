#include "server/planner/mutation_plan.hpp"

#include <algorithm>

#include "server/planner/plan_json.hpp"
#include "server/planner/write_policy.hpp"
#include "server/schema/field_default.hpp"
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

// Defaults fill the top-level fields the client's values and the role's
// presets left absent; an explicit null is a value.
void fill_defaults(const TableDef& table, Value& row, const DefaultClock& clock) {
  if (!row.is_object()) return;  // validate_document names the error
  for (const auto& f : table.top_fields()) {
    if (!f.default_value) continue;
    const Value* have = row.field(f.name);
    if (!have || have->is_undefined()) row.set_field(f.name, evaluate(*f.default_value, clock));
  }
}

// onUpdate writes every field an update (or an upsert's update) leaves unset.
void fill_on_update(const TableDef& table, std::vector<FieldAssignment>& set, const std::string& path, const DefaultClock& clock) {
  for (const auto& f : table.top_fields()) {
    if (!f.on_update) continue;
    bool named = std::any_of(set.begin(), set.end(), [&](const FieldAssignment& a) { return a.field == f.name; });
    if (!named) set.push_back(FieldAssignment{f.name, evaluate(*f.on_update, clock), path});
  }
}

std::string_view rule_name(OnDelete r) {
  return r == OnDelete::cascade ? "cascade" : r == OnDelete::set_null ? "setNull" : "restrict";
}

}  // namespace

Result<MutationPlan> plan_mutation(const Mutation& m, const Schema& schema, const TableStats& stats,
                                   const PlannerOptions& options, const IntegrityRules* integrity) {
  MutationPlan plan;
  plan.transaction = m.transaction;
  plan.budget = options.read_budget;
  // Rules come in pairs: a caller with write rules has read rules too.
  const WriteRules* wr = options.rules ? options.write_rules.get() : nullptr;
  if (wr) plan.role = wr->role;
  plan.name_rows = !(options.rules && options.rules->hides_rows_or_columns());
  const DefaultClock clock = request_clock();  // one `now` for the whole request
  for (const MutationOp& op : m.ops) {
    const TableDef& table = *schema.table(op.table);
    MutationStep step;
    step.kind = op.kind;
    step.table = op.table;
    step.path = op.path;
    step.returning = op.returning;
    if (auto st = check_returning(table, op.returning); !st) return std::move(st).error();
    if (options.rules) {
      if (auto st = restrict_returning(*options.rules, table, step.returning, op.path); !st) return std::move(st).error();
    }
    switch (op.kind) {
      case MutationOp::Kind::insert: {
        const TableWriteRule* rule = nullptr;
        if (wr) {
          auto found = find_write_rule(*wr, WriteOp::insert, op.table, pointer_append(op.path, "table"));
          if (!found) return std::move(found).error();
          rule = *found;
          auto check = bind_check(*wr, *rule, schema, table);
          if (!check) return std::move(check).error();
          step.check = std::move(check).value();
        }
        for (size_t i = 0; i < op.values.size(); ++i) {
          Value row = op.values[i];
          if (rule) {
            if (auto st = apply_row_rule(*wr, *rule, op.table, row, op.value_paths[i]); !st) return std::move(st).error();
          }
          fill_defaults(table, row, clock);
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
          std::vector<FieldAssignment> conflict_set = op.on_conflict->set;
          if (wr && step.conflict_update) {
            // The upsert's update is an update: it needs the update rule too.
            auto found = find_write_rule(*wr, WriteOp::update, op.table, op.on_conflict->path);
            if (!found) return std::move(found).error();
            if (auto st = apply_set_rule(*wr, **found, op.table, conflict_set, op.on_conflict->path + "/set"); !st) return std::move(st).error();
            auto check = bind_check(*wr, **found, schema, table);
            if (!check) return std::move(check).error();
            step.update_check = std::move(check).value();
            auto filter = bind_upsert_filter(*wr, **found, schema, table, op.on_conflict->path);
            if (!filter) return std::move(filter).error();
            step.update_filter = std::move(filter).value();
          }
          if (step.conflict_update) fill_on_update(table, conflict_set, op.on_conflict->path + "/set", clock);
          auto set = plan_set(table, std::move(conflict_set));
          if (!set) return std::move(set).error();
          step.conflict_set = std::move(set).value();
        }
        break;
      }
      case MutationOp::Kind::update:
      case MutationOp::Kind::delete_: {
        const TableWriteRule* rule = nullptr;
        if (wr) {
          WriteOp kind = op.kind == MutationOp::Kind::update ? WriteOp::update : WriteOp::delete_;
          auto found = find_write_rule(*wr, kind, op.table, pointer_append(op.path, "table"));
          if (!found) return std::move(found).error();
          rule = *found;
        }
        if (op.kind == MutationOp::Kind::update) {
          std::vector<FieldAssignment> assignments = op.set;
          if (rule) {
            if (auto st = apply_set_rule(*wr, *rule, op.table, assignments, pointer_append(op.path, "set")); !st) return std::move(st).error();
            auto check = bind_check(*wr, *rule, schema, table);
            if (!check) return std::move(check).error();
            step.check = std::move(check).value();
          }
          fill_on_update(table, assignments, pointer_append(op.path, "set"), clock);
          auto set = plan_set(table, std::move(assignments));
          if (!set) return std::move(set).error();
          step.set = std::move(set).value();
        }
        ReadQuery q;
        q.table = op.table;
        q.op = ReadOp::find_many;
        q.config.where = op.where;
        q.config.path = op.path;
        PlannerOptions selection = options;
        if (rule) selection.rules = std::make_shared<const ReadRules>(selection_rules(*options.rules, *rule, op.table));
        auto target = plan_read(q, schema, stats, selection);
        if (!target) return std::move(target).error();
        step.target = std::make_shared<const ReadPlan>(std::move(target).value());
        break;
      }
    }
    plan.steps.push_back(std::move(step));
  }
  std::vector<std::string> written;
  for (const auto& st : plan.steps) written.push_back(st.table);
  plan.rules = integrity ? integrity->closure(written) : IntegrityRules(schema).closure(written);
  return plan;
}

Json mutation_plan_to_json(const MutationPlan& p) {
  Json steps = Json::array();
  for (const auto& s : p.steps) {
    Json j = Json::object();
    j["op"] = mutation_kind_name(s.kind);
    j["table"] = s.table;
    j["path"] = s.path;  // error paths: a backend reports failures against the request
    if (s.kind == MutationOp::Kind::insert) {
      j["rowPaths"] = s.row_paths;
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
    if (s.check) j["check"] = filter_to_json(*s.check);
    if (s.update_filter) j["updateFilter"] = filter_to_json(*s.update_filter);
    if (s.update_check) j["updateCheck"] = filter_to_json(*s.update_check);
    if (s.returning.enabled) {
      j["returning"] = s.returning.columns.mode == ColumnSelection::Mode::all
                           ? Json(true)
                           : Json{{s.returning.columns.mode == ColumnSelection::Mode::include ? "include" : "exclude",
                                   s.returning.columns.fields}};
    }
    steps.push_back(std::move(j));
  }
  Json rules = Json::object();
  for (const auto& [table, r] : *p.rules) {
    Json refs = Json::array();
    for (const auto& x : r.references) refs.push_back(Json{{"field", x.field}, {"table", x.target}});
    Json od = Json::array();
    for (const auto& x : r.on_delete) {
      od.push_back(Json{{"table", x.table}, {"field", x.field}, {"to", x.to}, {"rule", rule_name(x.rule)}, {"nullable", x.nullable}});
    }
    rules[table] = Json{{"unique", r.unique}, {"references", std::move(refs)}, {"onDelete", std::move(od)}};
  }
  Json out{{"planVersion", p.version}, {"kind", "mutation"}, {"transaction", p.transaction},
           {"steps", std::move(steps)}, {"rules", std::move(rules)}, {"readBudget", p.budget}};
  if (!p.role.empty()) out["role"] = p.role;
  if (!p.name_rows) out["nameRows"] = false;
  return out;
}

}  // namespace dc
