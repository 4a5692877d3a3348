// What a caller may write, as the mutation planner applies it (auth.md
// section 4): per table and op, the rows an update or delete may touch
// (ANDed into its where), the columns the client may set, the presets that
// replace the client's values, and the check every written row must pass
// inside the atomic write. A table without a rule for an op may not be
// written that way (deny by default). Claims are already substituted.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "protocol/ast.hpp"
#include "protocol/value.hpp"

namespace dc {

struct TableWriteRule {
  std::optional<FilterNode> filter;              // update, delete; nullopt: every row
  std::optional<std::set<std::string>> columns;  // insert, update: what the client may set; nullopt: all
  std::vector<std::pair<std::string, Value>> set;  // presets, replacing the client's values
  std::optional<FilterNode> check;               // insert, update: each row written must pass
  // A claim the rule needs is missing from the caller's: the write is refused.
  std::optional<std::string> missing_claim;
  // The caller's credentials cannot be used with this rule (a claim of the
  // wrong type): the write is FORBIDDEN with this message.
  std::optional<std::string> refusal;
};

struct WriteRules {
  std::string role;  // named in messages
  std::map<std::string, TableWriteRule, std::less<>> insert, update, delete_;
};

}  // namespace dc
