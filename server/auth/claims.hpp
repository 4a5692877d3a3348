// `{"$claim": "a.b"}` in a rule (auth.md section 2) stands for a value of
// the caller's verified claims (API keys: their `claims`). Substituting
// them turns a rule into a plain protocol filter or preset.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "protocol/value_json.hpp"

namespace dc {

// The value at a dotted path of `claims`, or null when it is missing.
const Json* claim_at(const Json& claims, std::string_view dotted);

// `rule` with every {"$claim": path} replaced by the claim's value;
// nullopt when any of them is missing (then a read rule matches nothing
// and a write is refused).
std::optional<Json> substitute_claims(const Json& rule, const Json& claims);

// Adds the claim paths `rule` names to `out`.
void claims_named(const Json& rule, std::set<std::string>& out);

// Whether `rule` names any claim (rules that name none give every caller
// of the role the same plan, so live subscribers share one topic).
bool uses_claims(const Json& rule);

}  // namespace dc
