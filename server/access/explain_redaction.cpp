#include "server/access/explain_redaction.hpp"

#include <set>
#include <string>
#include <vector>

namespace dc {

namespace {

using Json = nlohmann::ordered_json;
const char* const kHidden = "(hidden)";

// The columns of `table` the caller may not see; empty when it sees all.
std::set<std::string> hidden_columns(const ReadRules& rules, const TableDef& table) {
  std::set<std::string> out;
  auto rule = rules.tables.find(table.name);
  if (rule == rules.tables.end() || !rule->second.columns) return out;
  const auto& visible = *rule->second.columns;
  auto consider = [&](const std::string& field) {
    std::string top = field.substr(0, field.find('.'));
    if (!top.starts_with('_') && !visible.count(top)) out.insert(top);
  };
  for (const auto& ix : table.indexes) {
    for (const auto& f : ix.fields) consider(f);
  }
  if (table.document.kind == Validator::Kind::object) {
    for (const auto& f : table.document.fields) consider(f.name);
  }
  return out;
}

bool names_hidden(const std::string& field, const std::set<std::string>& hidden) {
  return hidden.count(field.substr(0, field.find('.'))) > 0;
}

// Whether a filter (or any JSON under it) names a hidden field.
bool mentions(const Json& j, const std::set<std::string>& hidden) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      if (k == "field" && v.is_string() && names_hidden(v.get<std::string>(), hidden)) return true;
      if (mentions(v, hidden)) return true;
    }
  } else if (j.is_array()) {
    for (const auto& v : j) {
      if (mentions(v, hidden)) return true;
    }
  }
  return false;
}

bool over_hidden(const Json& source, const std::set<std::string>& hidden) {
  bool out = false;
  if (source.is_object() && source.contains("indexFields") && source["indexFields"].is_array()) {
    for (const auto& f : source["indexFields"]) out = out || (f.is_string() && names_hidden(f.get<std::string>(), hidden));
  }
  return out;
}

void redact_access(Json& access, const std::set<std::string>& hidden) {
  if (hidden.empty()) return;
  Json& source = access["source"];
  bool hidden_index = over_hidden(source, hidden);
  // A union's branches each name their index and ranges.
  if (source.is_object() && source.contains("branches") && source["branches"].is_array()) {
    for (auto& branch : source["branches"]) {
      if (over_hidden(branch, hidden) || mentions(branch, hidden)) {
        hidden_index = true;
        branch = Json{{"type", branch.value("type", "index")}, {"index", kHidden}};
      }
    }
  }
  // A search index over a hidden field, or filter fields that are.
  if (source.is_object() && source.contains("searchField") && source["searchField"].is_string() &&
      names_hidden(source["searchField"].get<std::string>(), hidden)) {
    source["searchField"] = kHidden;
    source["index"] = kHidden;
  }
  if (source.is_object() && source.contains("filters") && source["filters"].is_object()) {
    for (const auto& [k, v] : source["filters"].items()) {
      if (names_hidden(k, hidden)) {
        source["filters"] = kHidden;
        break;
      }
    }
  }
  if (hidden_index && source.contains("branches")) {
    access["indexFilter"] = kHidden;
  } else if (hidden_index) {
    Json kept{{"type", source.value("type", "index")}, {"index", kHidden}};
    if (source.contains("order")) kept["order"] = source["order"];
    source = std::move(kept);
    access["indexFilter"] = kHidden;
  } else if (access.contains("indexFilter") && mentions(access["indexFilter"], hidden)) {
    access["indexFilter"] = kHidden;
  }
  if (access.contains("postFilter") && mentions(access["postFilter"], hidden)) access["postFilter"] = kHidden;
  if (access.contains("lookupBy") && access["lookupBy"].is_string() && names_hidden(access["lookupBy"].get<std::string>(), hidden)) {
    access["lookupBy"] = kHidden;
  }
}

// Every table access in the plan, however deep (relations, drivers, junctions).
void walk(Json& j, const ReadRules& rules, const Schema& schema, std::vector<std::string>& hidden_indexes) {
  if (j.is_object()) {
    // Counted estimates count rows the rules hide (how many posts of others
    // fall in a range), and alternatives may name indexes over hidden columns.
    if (j.contains("estimate")) j["estimate"] = kHidden;
    if (j.contains("table") && j["table"].is_string() && j.contains("source")) {
      if (const TableDef* t = schema.table(j["table"].get<std::string>())) {
        auto hidden = hidden_columns(rules, *t);
        for (const auto& ix : t->indexes) {
          for (const auto& f : ix.fields) {
            if (names_hidden(f, hidden)) {
              hidden_indexes.push_back(ix.name);
              break;
            }
          }
        }
        redact_access(j, hidden);
      }
    }
    for (auto& [k, v] : j.items()) walk(v, rules, schema, hidden_indexes);
  } else if (j.is_array()) {
    for (auto& v : j) walk(v, rules, schema, hidden_indexes);
  }
}

}  // namespace

void redact_hidden_columns(Json& plan, const ReadRules& rules, const Schema& schema) {
  std::vector<std::string> hidden_indexes;
  walk(plan, rules, schema, hidden_indexes);
  // A warning may suggest an index by name ("… by_owner would serve it").
  if (plan.contains("warnings") && plan["warnings"].is_array()) {
    for (auto& w : plan["warnings"]) {
      if (!w.is_string()) continue;
      for (const auto& name : hidden_indexes) {
        if (w.get<std::string>().find(name) != std::string::npos) {
          w = "a warning about an index over columns this role cannot see";
          break;
        }
      }
    }
  }
}

}  // namespace dc
