// `{"$claim": "a.b"}` in a rule (auth.md section 2) stands for a value of
// the caller's verified claims (API keys: their `claims`). Claims are bound
// into rules as values by server/access/claim_binding, never substituted
// into a rule's JSON.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "protocol/value_json.hpp"

namespace dc {

// The claim path of a `{"$claim": "a.b"}` reference, or nullopt when `j` is not one.
std::optional<std::string_view> claim_reference(const Json& j);

// The value at a dotted path of `claims`, or null when it is missing.
const Json* claim_at(const Json& claims, std::string_view dotted);

// Adds the claim paths `rule` names to `out`.
void claims_named(const Json& rule, std::set<std::string>& out);

// Whether `rule` names any claim (rules that name none give every caller
// of the role the same plan, so live subscribers share one topic).
bool uses_claims(const Json& rule);

}  // namespace dc
