// What a caller may read, as the planner applies it (auth.md section 4):
// per table, a row filter ANDed into every access of that table (root,
// each `with` level, each relation-filter probe, junction tables) before
// the access path is chosen, so an index can serve it; the columns the
// caller may see and name; limits on `limit` and nesting. A table without
// a rule may not be read at all (deny by default). The filters arrive with
// the caller's claims already in them, so equal callers get equal plans.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "protocol/ast.hpp"

namespace dc {

struct TableReadRule {
  std::optional<FilterNode> filter;              // parsed against the schema; nullopt: every row
  std::optional<std::set<std::string>> columns;  // visible columns; nullopt: all
  bool live = true;                              // subscriptions allowed
  // Set when the caller's credentials cannot be used with this rule (a claim
  // of the wrong type): every read of the table is FORBIDDEN with this message.
  std::optional<std::string> refusal;
};

struct ReadRules {
  std::string role;  // named in messages
  using Tables = std::map<std::string, TableReadRule, std::less<>>;
  Tables tables;
  std::optional<int64_t> max_limit;
  std::optional<int64_t> max_depth;  // `with` levels

  // A row filter or a column list on some table: what the caller may not
  // see must not be counted or named to it either (auth.md section 5).
  bool hides_rows_or_columns() const {
    for (const auto& [name, rule] : tables) {
      if (rule.filter || rule.columns) return true;
    }
    return false;
  }
};

}  // namespace dc
