#include "server/planner/write_policy.hpp"

#include <algorithm>

#include "server/planner/binder.hpp"
#include "server/planner/filter_normalize.hpp"

namespace dc {

namespace {

Error forbidden(std::string message, std::string path) { return Error{ErrorCode::forbidden, std::move(message), std::move(path)}; }

const char* op_name(WriteOp op) { return op == WriteOp::insert ? "insert into" : op == WriteOp::update ? "update" : "delete from"; }

bool preset(const TableWriteRule& rule, const std::string& field) {
  return std::any_of(rule.set.begin(), rule.set.end(), [&](const auto& p) { return p.first == field; });
}

Status writable(const WriteRules& rules, const TableWriteRule& rule, const std::string& table, const std::string& field,
                const std::string& path) {
  if (!rule.columns || rule.columns->count(field) || preset(rule, field)) return Ok{};
  return forbidden("role '" + rules.role + "' may not write column '" + field + "' of table '" + table + "'", path);
}

bool uses_relations(const PlanFilter& f) {
  if (f.kind == PlanFilter::Kind::exists) return true;
  return std::any_of(f.children.begin(), f.children.end(), uses_relations);
}

}  // namespace

Result<const TableWriteRule*> find_write_rule(const WriteRules& rules, WriteOp op, const std::string& table, const std::string& path) {
  const auto& by_table = op == WriteOp::insert ? rules.insert : op == WriteOp::update ? rules.update : rules.delete_;
  auto it = by_table.find(table);
  if (it == by_table.end()) return forbidden("role '" + rules.role + "' may not " + op_name(op) + " table '" + table + "'", path);
  if (it->second.refusal) return forbidden("role '" + rules.role + "' may not " + op_name(op) + " table '" + table + "': " + *it->second.refusal, path);
  if (it->second.missing_claim) {
    return forbidden("role '" + rules.role + "' may not " + op_name(op) + " table '" + table + "': the rule needs the claim " +
                         *it->second.missing_claim + ", which the caller's credentials do not have",
                     path);
  }
  return &it->second;
}

Status apply_row_rule(const WriteRules& rules, const TableWriteRule& rule, const std::string& table, Value& row,
                      const std::string& row_path) {
  if (row.is_object()) {
    for (const auto& [field, value] : row.as_object()) {
      if (auto st = writable(rules, rule, table, field, pointer_append(row_path, field)); !st) return st;
    }
  }
  for (const auto& [field, value] : rule.set) row.set_field(field, value);
  return Ok{};
}

Status apply_set_rule(const WriteRules& rules, const TableWriteRule& rule, const std::string& table, std::vector<FieldAssignment>& set,
                      const std::string& set_path) {
  for (const auto& a : set) {
    if (auto st = writable(rules, rule, table, a.field, a.path.empty() ? pointer_append(set_path, a.field) : a.path); !st) return st;
  }
  for (const auto& preset : rule.set) {
    const std::string& field = preset.first;  // a named variable: lambdas cannot capture bindings before clang 16
    auto same = std::find_if(set.begin(), set.end(), [&](const FieldAssignment& a) { return a.field == field; });
    if (same != set.end()) same->value = preset.second;
    else set.push_back(FieldAssignment{field, preset.second, pointer_append(set_path, field)});
  }
  return Ok{};
}

Result<std::optional<PlanFilter>> bind_check(const WriteRules& rules, const TableWriteRule& rule, const Schema& schema, const TableDef& table) {
  if (!rule.check) return std::optional<PlanFilter>();
  auto bound = bind_filter(*rule.check, schema, table);
  if (!bound) {
    return Error{ErrorCode::internal, "the check of role '" + rules.role + "' on '" + table.name + "' does not bind: " + bound.error().message,
                 std::nullopt};
  }
  if (uses_relations(*bound)) {
    return Error{ErrorCode::internal, "the check of role '" + rules.role + "' on '" + table.name + "' uses a relation filter; checks look at the written row only",
                 std::nullopt};
  }
  return std::optional<PlanFilter>(normalize_filter(std::move(bound).value()));
}

Result<std::optional<PlanFilter>> bind_upsert_filter(const WriteRules& rules, const TableWriteRule& rule, const Schema& schema,
                                                     const TableDef& table, const std::string& path) {
  if (!rule.filter) return std::optional<PlanFilter>();
  auto bound = bind_filter(*rule.filter, schema, table);
  if (!bound) {
    return Error{ErrorCode::internal, "the update filter of role '" + rules.role + "' on '" + table.name + "' does not bind: " + bound.error().message,
                 std::nullopt};
  }
  if (uses_relations(*bound)) {
    return forbidden("role '" + rules.role + "' may not upsert into '" + table.name +
                         "': its update filter uses a relation filter, which an upsert cannot check; use insert and update",
                     path);
  }
  return std::optional<PlanFilter>(normalize_filter(std::move(bound).value()));
}

ReadRules selection_rules(const ReadRules& read, const TableWriteRule& rule, const std::string& table) {
  ReadRules out = read;
  TableReadRule r;
  auto visible = read.tables.find(table);
  // A where may name the columns the caller may read; without a select rule, any column.
  if (visible != read.tables.end()) r.columns = visible->second.columns;
  r.filter = rule.filter;
  out.tables.insert_or_assign(table, std::move(r));
  // The selection has no limit of its own: the role's maxLimit does not apply to it.
  out.max_limit.reset();
  return out;
}

Status restrict_returning(const ReadRules& read, const TableDef& table, Returning& r, const std::string& op_path) {
  if (!r.enabled) return Ok{};
  auto rule = read.tables.find(table.name);
  if (rule == read.tables.end()) {
    return forbidden("role '" + read.role + "' may not read table '" + table.name + "', so it cannot ask for returning rows",
                     pointer_append(op_path, "returning"));
  }
  if (rule->second.refusal) {
    return forbidden("role '" + read.role + "' may not read table '" + table.name + "': " + *rule->second.refusal,
                     pointer_append(op_path, "returning"));
  }
  if (!rule->second.columns) return Ok{};
  const auto& visible = *rule->second.columns;
  ColumnSelection& cols = r.columns;
  if (cols.mode == ColumnSelection::Mode::include) {
    for (size_t i = 0; i < cols.fields.size(); ++i) {
      if (!visible.count(cols.fields[i])) {
        return forbidden("role '" + read.role + "' may not read column '" + cols.fields[i] + "' of table '" + table.name + "'", cols.paths[i]);
      }
    }
    return Ok{};
  }
  // All (or all but some): what the caller may read, in the table's field order.
  std::vector<std::string> keep;
  auto add = [&](const std::string& f) {
    bool excluded = cols.mode == ColumnSelection::Mode::exclude && std::find(cols.fields.begin(), cols.fields.end(), f) != cols.fields.end();
    if (visible.count(f) && !excluded) keep.push_back(f);
  };
  add("_id");
  add("_creationTime");
  if (table.document.kind == Validator::Kind::object) {
    for (const auto& f : table.document.fields) add(f.name);
  }
  cols.mode = ColumnSelection::Mode::include;
  cols.fields = std::move(keep);
  cols.paths.assign(cols.fields.size(), pointer_append(op_path, "returning"));
  return Ok{};
}

}  // namespace dc
