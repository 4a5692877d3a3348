// Claims in rules (auth.md section 4): `{"$claim": "a.b"}` stands for a
// *value* of the caller's verified claims, never for part of the filter's
// grammar. A rule is parsed once, at load, with each claim reference held
// as a slot at the JSON Pointer of the value it stands for; a caller's
// claims are then bound into those slots, typed against the column. So a
// claim that is a JSON object (`{"ne": "nobody"}`, `{"$integer": ...}`) is
// compared as a value, or refused when the column cannot hold it; it can
// never become an operator, a connective or an encoded value.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "protocol/ast.hpp"
#include "protocol/error.hpp"
#include "protocol/value_json.hpp"
#include "server/schema/model.hpp"

namespace dc {

// Where a claim goes: a single value, or the whole list of a list operator
// (`{"in": {"$claim": "team.members"}}`).
struct ClaimSlot {
  std::string claim;  // dotted path into the claims
  bool list = false;
};

// A rule filter parsed with its claims left as slots.
struct RuleFilter {
  FilterNode parsed;                       // placeholders where the slots are
  std::map<std::string, ClaimSlot> slots;  // by the JSON Pointer of the value in the filter
};

// Parses `rule` (a protocol filter on `table`) at load. Errors are
// INVALID_VALUE at `pointer` plus the part's own pointer; among them a
// claim reference where no value goes (a connective, a relation, isNull).
Result<RuleFilter> compile_rule_filter(const Json& rule, const std::string& table, const Schema& schema, const std::string& pointer);

// A rule filter with a caller's claims in it, or the claims it needs that
// the caller does not have (then a read rule matches nothing and a write
// is refused).
struct BoundRule {
  FilterNode filter;
  std::set<std::string> missing;
};

// Binds `claims` into `rule`. A claim of the wrong shape for its column is
// FORBIDDEN, naming the claim and the type expected, never its value.
Result<BoundRule> bind_rule_filter(const RuleFilter& rule, const Json& claims, const TableDef& table, const Schema& schema);

// A preset (`set`): a constant decoded at load, or a value holding claims.
struct RulePreset {
  std::string field;
  std::optional<Value> constant;  // no claims in it
  Json source;                    // with claims: the rule's JSON
};

Result<RulePreset> compile_preset(const std::string& field, const Json& source, const std::string& pointer);

// The preset's value for `claims`, typed against the field; nullopt when a
// claim it needs is missing (`missing` gets its name).
Result<std::optional<Value>> bind_preset(const RulePreset& preset, const Json& claims, const TableDef& table,
                                         std::set<std::string>& missing);

// A claim's JSON as a plain value: objects and arrays as they are, numbers
// as float64; no `$integer`/`$bytes`/`$unset` decoding.
Value claim_value(const Json& j);

}  // namespace dc
