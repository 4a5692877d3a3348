#include "server/access/compiled_rules.hpp"

namespace dc {

namespace {

FilterNode match_nothing() { return FilterNode::make_const(false); }

Error misnamed(const std::string& pointer, std::string message) { return Error{ErrorCode::invalid_value, std::move(message), pointer}; }

bool is_column(const TableDef& table, const std::string& name) {
  return name == "_id" || name == "_creationTime" || table.field_type(name.substr(0, name.find('.'))) != nullptr;
}

// The names in a protocol filter on `table`: columns (dotted paths by their
// first part) and relations, whose filters name the target table's.
Status check_filter_names(const Json& filter, const TableDef& table, const Schema& schema, const std::string& pointer, int depth = 0) {
  if (depth > 32) return misnamed(pointer, "the filter nests too deeply");
  if (!filter.is_object()) return Ok{};
  for (const auto& [key, value] : filter.items()) {
    std::string at = pointer_append(pointer, key);
    if (key == "AND" || key == "OR") {
      if (!value.is_array()) continue;
      for (size_t i = 0; i < value.size(); ++i) {
        if (auto st = check_filter_names(value[i], table, schema, pointer_append(at, i), depth + 1); !st) return st;
      }
    } else if (key == "NOT") {
      if (auto st = check_filter_names(value, table, schema, at, depth + 1); !st) return st;
    } else if (const RelationDef* rel = schema.relation(table.name, key)) {
      if (value.is_object()) {
        if (auto st = check_filter_names(value, *schema.table(rel->target), schema, at, depth + 1); !st) return st;
      }
    } else if (!is_column(table, key)) {
      return misnamed(at, "table '" + table.name + "' has no column or relation '" + key + "'");
    }
  }
  return Ok{};
}

Result<std::optional<RuleFilter>> compile_filter(const std::optional<Json>& filter, const TableDef& table, const Schema& schema,
                                                 const std::string& pointer) {
  if (!filter) return std::optional<RuleFilter>();
  if (auto st = check_filter_names(*filter, table, schema, pointer); !st) return std::move(st).error();
  auto compiled = compile_rule_filter(*filter, table.name, schema, pointer);
  if (!compiled) return std::move(compiled).error();
  return std::optional<RuleFilter>(std::move(compiled).value());
}

Result<CompiledOpRule> compile_op(const OpPolicy& policy, const TableDef& table, const Schema& schema, const std::string& at) {
  CompiledOpRule r;
  r.columns = policy.columns;
  r.live = policy.live;
  if (r.columns) {
    for (const auto& c : *r.columns) {
      if (!is_column(table, c)) return misnamed(pointer_append(at, "columns"), "table '" + table.name + "' has no column '" + c + "'");
    }
  }
  auto filter = compile_filter(policy.filter, table, schema, pointer_append(at, "filter"));
  if (!filter) return std::move(filter).error();
  r.filter = std::move(filter).value();
  auto check = compile_filter(policy.check, table, schema, pointer_append(at, "check"));
  if (!check) return std::move(check).error();
  r.check = std::move(check).value();
  for (const auto& [field, source] : policy.set.items()) {
    std::string set_at = pointer_append(pointer_append(at, "set"), field);
    if (!is_column(table, field)) return misnamed(set_at, "table '" + table.name + "' has no column '" + field + "'");
    auto preset = compile_preset(field, source, set_at);
    if (!preset) return std::move(preset).error();
    r.set.push_back(std::move(preset).value());
  }
  return r;
}

std::string names_of(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// A rule filter bound for the caller; a refusal (the wrong shape of claim)
// goes to `refusal`, a missing claim to `missing`.
std::optional<FilterNode> bind(const std::optional<RuleFilter>& rule, const Caller& caller, const TableDef& table, const Schema& schema,
                               std::set<std::string>& missing, std::optional<std::string>& refusal) {
  if (!rule) return std::nullopt;
  auto bound = bind_rule_filter(*rule, caller.claims, table, schema);
  if (!bound) {
    refusal = bound.error().message;
    return match_nothing();
  }
  missing.insert(bound->missing.begin(), bound->missing.end());
  return std::move(bound->filter);
}

TableWriteRule write_rule(const CompiledOpRule& compiled, const Caller& caller, const TableDef& table, const Schema& schema) {
  TableWriteRule r;
  r.columns = compiled.columns;
  std::set<std::string> missing;
  r.filter = bind(compiled.filter, caller, table, schema, missing, r.refusal);
  r.check = bind(compiled.check, caller, table, schema, missing, r.refusal);
  for (const auto& preset : compiled.set) {
    auto v = bind_preset(preset, caller.claims, table, missing);
    if (!v) {
      r.refusal = v.error().message;
    } else if (*v) {
      r.set.emplace_back(preset.field, std::move(**v));
    }
  }
  if (!missing.empty()) r.missing_claim = names_of(missing);
  return r;
}

}  // namespace

Result<std::shared_ptr<const CompiledPolicies>> compile_policies(const AuthConfig& config, std::shared_ptr<const Schema> schema) {
  auto out = std::make_shared<CompiledPolicies>();
  out->schema = schema;
  for (const auto& [role, policy] : config.roles) {
    CompiledRole& compiled = out->roles[role];
    compiled.bypass = policy.bypass;
    compiled.limits = policy.limits;
    std::string role_at = pointer_append(pointer_append("/roles", role), "tables");
    for (const auto& [name, tp] : policy.tables) {
      std::string at = pointer_append(role_at, name);
      const TableDef* table = schema->table(name);
      if (!table) return misnamed(at, "the schema has no table '" + name + "'");
      const std::tuple<const char*, const std::optional<OpPolicy>*, std::map<std::string, CompiledOpRule, std::less<>>*> ops[] = {
          {"select", &tp.select, &compiled.select},
          {"insert", &tp.insert, &compiled.insert},
          {"update", &tp.update, &compiled.update},
          {"delete", &tp.delete_, &compiled.delete_}};
      for (const auto& [op, rule, into] : ops) {
        if (!*rule) continue;
        auto r = compile_op(**rule, *table, *schema, pointer_append(at, op));
        if (!r) return std::move(r).error();
        into->emplace(name, std::move(r).value());
      }
    }
  }
  return std::shared_ptr<const CompiledPolicies>(std::move(out));
}

Status check_rules_against(const AuthConfig& config, const Schema& schema) {
  // Compiling needs an owner for the schema; the check keeps nothing.
  auto compiled = compile_policies(config, std::shared_ptr<const Schema>(&schema, [](const Schema*) {}));
  if (!compiled) return std::move(compiled).error();
  return Ok{};
}

Result<CallerRules> rules_for(const CompiledPolicies& policies, const Caller& caller) {
  auto role = policies.roles.find(caller.role);
  if (role == policies.roles.end()) return Error{ErrorCode::unauthenticated, "the role \"" + caller.role + "\" is not defined", std::nullopt};
  const CompiledRole& compiled = role->second;
  if (compiled.bypass) return CallerRules{};
  const Schema& schema = *policies.schema;
  auto read = std::make_shared<ReadRules>();
  auto write = std::make_shared<WriteRules>();
  read->role = write->role = caller.role;
  read->max_limit = compiled.limits.max_limit;
  read->max_depth = compiled.limits.max_depth;
  for (const auto& [name, rule] : compiled.select) {
    const TableDef& table = *schema.table(name);
    TableReadRule r;
    r.columns = rule.columns;
    r.live = rule.live;
    std::set<std::string> missing;
    r.filter = bind(rule.filter, caller, table, schema, missing, r.refusal);
    // A claim the rule needs is missing: the rule matches nothing.
    if (!missing.empty()) r.filter = match_nothing();
    read->tables.emplace(name, std::move(r));
  }
  const std::pair<const std::map<std::string, CompiledOpRule, std::less<>>*, std::map<std::string, TableWriteRule, std::less<>>*> ops[] = {
      {&compiled.insert, &write->insert}, {&compiled.update, &write->update}, {&compiled.delete_, &write->delete_}};
  for (const auto& [from, into] : ops) {
    for (const auto& [name, rule] : *from) into->emplace(name, write_rule(rule, caller, *schema.table(name), schema));
  }
  return CallerRules{std::move(read), std::move(write)};
}

}  // namespace dc
