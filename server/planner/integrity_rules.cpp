#include "server/planner/integrity_rules.hpp"

#include <algorithm>

namespace dc {

namespace {

std::string id_target(const Validator& v) {
  if (v.kind == Validator::Kind::id) return v.table;
  if (v.kind == Validator::Kind::union_) {
    for (const auto& m : v.items) {
      if (m.kind == Validator::Kind::id) return m.table;
    }
  }
  return "";
}

bool is_junction(const Schema& schema, const std::string& table) {
  for (const auto& [t, rs] : schema.relations) {
    for (const auto& x : rs) {
      if (x.through && x.through->table == table) return true;
    }
  }
  return false;
}

// Every `one` relation pointing at `table`, with its onDelete rule. Without a
// declared rule: cascade for a many-to-many junction, setNull for an optional
// or nullable reference, restrict otherwise.
std::vector<ReferenceRule> referencing(const Schema& schema, const std::string& table) {
  std::vector<ReferenceRule> out;
  for (const auto& entry : schema.relations) {
    const std::string& child = entry.first;  // a named variable: lambdas cannot capture bindings before clang 16
    for (const auto& r : entry.second) {
      // A relation over several fields is a join on data, not a reference.
      if (r.many || r.through || r.target != table || r.from.size() != 1) continue;
      const std::string& field = r.from[0];
      const std::string& to = r.to[0];
      bool seen = std::any_of(out.begin(), out.end(), [&](const ReferenceRule& x) {
        return x.table == child && x.field == field && x.to == to;
      });
      if (seen) continue;
      bool optional = false;
      const Validator* type = schema.table(child)->field_type(field, &optional);
      bool nullable = type->admits_kind(Value::Kind::null);
      OnDelete rule = r.on_delete ? *r.on_delete
                      : is_junction(schema, child) ? OnDelete::cascade
                      : (optional || nullable) ? OnDelete::set_null
                                               : OnDelete::restrict_;
      out.push_back(ReferenceRule{child, field, to, rule, nullable});
    }
  }
  return out;
}

TableRules own_rules(const Schema& schema, const TableDef& def) {
  TableRules rules;
  rules.unique = def.unique;
  if (def.document.kind == Validator::Kind::object) {
    for (const auto& f : def.document.fields) {
      std::string target = id_target(f.type);
      if (!target.empty()) rules.references.push_back(IdReference{f.name, target});
    }
  }
  rules.on_delete = referencing(schema, def.name);
  return rules;
}

}  // namespace

const std::shared_ptr<const RulesByTable>& no_rules() {
  static const auto none = std::make_shared<const RulesByTable>();
  return none;
}

IntegrityRules::IntegrityRules(const Schema& schema) {
  RulesByTable own;  // each table's own rules
  for (const auto& [name, def] : schema.tables) own.emplace(name, own_rules(schema, def));
  for (const auto& [name, rules] : own) {
    auto closure = std::make_shared<RulesByTable>();
    std::vector<std::string> pending{name};
    while (!pending.empty()) {
      std::string table = pending.back();
      pending.pop_back();
      auto it = own.find(table);
      if (it == own.end() || closure->count(table)) continue;
      for (const auto& r : it->second.on_delete) {
        if (r.rule != OnDelete::restrict_) pending.push_back(r.table);
      }
      closure->emplace(table, it->second);
    }
    closures_.emplace(name, std::move(closure));
  }
}

std::shared_ptr<const RulesByTable> IntegrityRules::closure(const std::vector<std::string>& tables) const {
  if (tables.empty()) return no_rules();
  bool one = std::all_of(tables.begin(), tables.end(), [&](const std::string& t) { return t == tables.front(); });
  if (one) {
    auto it = closures_.find(tables.front());
    return it == closures_.end() ? no_rules() : it->second;
  }
  auto merged = std::make_shared<RulesByTable>();
  for (const auto& t : tables) {
    auto it = closures_.find(t);
    if (it != closures_.end()) merged->insert(it->second->begin(), it->second->end());
  }
  return merged;
}

}  // namespace dc
