#include "server/pipeline/access_rules.hpp"

#include "protocol/parse.hpp"
#include "server/auth/claims.hpp"

namespace dc {

namespace {

FilterNode match_nothing() {
  FilterNode none;
  none.kind = FilterNode::Kind::constant;
  none.constant = false;
  return none;
}

Error unusable(const std::string& role, const std::string& what, const std::string& table, const Error& e) {
  return Error{ErrorCode::internal,
               "the " + what + " of role '" + role + "' on '" + table + "' cannot be used: " + e.message + (e.path ? " at " + *e.path : std::string()),
               std::nullopt};
}

// One write op's rule with the caller's claims in it.
Result<TableWriteRule> write_rule(const OpPolicy& policy, const std::string& role, const std::string& table, const Caller& caller,
                                  const Schema& schema) {
  TableWriteRule r;
  r.columns = policy.columns;
  auto missing = [&](const Json& part) {
    std::set<std::string> named;
    claims_named(part, named);
    std::string names;
    for (const auto& n : named) names += (names.empty() ? "" : ", ") + n;
    r.missing_claim = names;
  };
  auto filter = [&](const Json& part, const char* what) -> Result<std::optional<FilterNode>> {
    auto bound = substitute_claims(part, caller.claims);
    if (!bound) {
      missing(part);
      return std::optional<FilterNode>();
    }
    auto parsed = parse_filter(*bound, table, schema, ParseLimits{}, "");
    if (!parsed) return unusable(role, what, table, parsed.error());
    return std::optional<FilterNode>(std::move(parsed).value());
  };
  if (policy.filter) {
    auto f = filter(*policy.filter, "filter");
    if (!f) return std::move(f).error();
    r.filter = std::move(*f);
  }
  if (policy.check) {
    auto f = filter(*policy.check, "check");
    if (!f) return std::move(f).error();
    r.check = std::move(*f);
  }
  for (const auto& [field, preset] : policy.set.items()) {
    auto bound = substitute_claims(preset, caller.claims);
    if (!bound) {
      missing(preset);
      continue;
    }
    auto v = value_from_json(*bound, "/set/" + field, ErrorCode::invalid_value);
    if (!v) return unusable(role, "preset", table, v.error());
    r.set.emplace_back(field, std::move(v).value());
  }
  return r;
}

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

}  // namespace

Status check_rules_against(const AuthConfig& config, const Schema& schema) {
  for (const auto& [role, policy] : config.roles) {
    std::string role_at = pointer_append(pointer_append("/roles", role), "tables");
    for (const auto& [name, tp] : policy.tables) {
      std::string at = pointer_append(role_at, name);
      const TableDef* table = schema.table(name);
      if (!table) return misnamed(at, "the schema has no table '" + name + "'");
      const std::pair<const char*, const std::optional<OpPolicy>*> ops[] = {
          {"select", &tp.select}, {"insert", &tp.insert}, {"update", &tp.update}, {"delete", &tp.delete_}};
      for (const auto& [op, rule] : ops) {
        if (!*rule) continue;
        std::string op_at = pointer_append(at, op);
        if ((*rule)->columns) {
          for (const auto& c : *(*rule)->columns) {
            if (!is_column(*table, c)) return misnamed(pointer_append(op_at, "columns"), "table '" + name + "' has no column '" + c + "'");
          }
        }
        for (const auto& [field, v] : (*rule)->set.items()) {
          if (!is_column(*table, field)) return misnamed(pointer_append(pointer_append(op_at, "set"), field), "table '" + name + "' has no column '" + field + "'");
        }
        if ((*rule)->filter) {
          if (auto st = check_filter_names(*(*rule)->filter, *table, schema, pointer_append(op_at, "filter")); !st) return st;
        }
        if ((*rule)->check) {
          if (auto st = check_filter_names(*(*rule)->check, *table, schema, pointer_append(op_at, "check")); !st) return st;
        }
      }
    }
  }
  return Ok{};
}

Result<std::shared_ptr<const ReadRules>> read_rules_for(const AuthConfig& config, const Caller& caller, const Schema& schema) {
  auto rules = rules_for(config, caller, schema);
  if (!rules) return std::move(rules).error();
  return rules->read;
}

Result<CallerRules> rules_for(const AuthConfig& config, const Caller& caller, const Schema& schema) {
  auto role = config.roles.find(caller.role);
  if (role == config.roles.end()) return Error{ErrorCode::unauthenticated, "the role \"" + caller.role + "\" is not defined", std::nullopt};
  if (role->second.bypass) return CallerRules{};
  auto read = std::make_shared<ReadRules>();
  auto write = std::make_shared<WriteRules>();
  read->role = write->role = caller.role;
  read->max_limit = role->second.limits.max_limit;
  read->max_depth = role->second.limits.max_depth;
  for (const auto& [table, policy] : role->second.tables) {
    if (!schema.table(table)) continue;  // a table this deployment does not have: nothing to allow
    if (policy.select) {
      TableReadRule r;
      r.columns = policy.select->columns;
      r.live = policy.select->live;
      if (policy.select->filter) {
        auto filter = substitute_claims(*policy.select->filter, caller.claims);
        if (!filter) {
          r.filter = match_nothing();  // a claim the rule needs is missing: the rule matches nothing
        } else {
          auto parsed = parse_filter(*filter, table, schema, ParseLimits{}, "");
          if (!parsed) return unusable(caller.role, "select filter", table, parsed.error());
          r.filter = std::move(parsed).value();
        }
      }
      read->tables.emplace(table, std::move(r));
    }
    const std::pair<const std::optional<OpPolicy>*, std::map<std::string, TableWriteRule, std::less<>>*> ops[] = {
        {&policy.insert, &write->insert}, {&policy.update, &write->update}, {&policy.delete_, &write->delete_}};
    for (const auto& [op, into] : ops) {
      if (!*op) continue;
      auto r = write_rule(**op, caller.role, table, caller, schema);
      if (!r) return std::move(r).error();
      into->emplace(table, std::move(r).value());
    }
  }
  return CallerRules{std::move(read), std::move(write)};
}

}  // namespace dc
