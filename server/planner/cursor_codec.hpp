// Paginate cursors: opaque to clients, bound to the query shape they came
// from (its fingerprint), holding the last row's sort key.
#pragma once

#include <string>
#include <vector>

#include "protocol/error.hpp"
#include "protocol/value.hpp"
#include "server/planner/plan.hpp"

namespace dc {

std::string encode_cursor(const std::string& fingerprint, const std::vector<Value>& key);

// The sort key in `cursor`, or INVALID_QUERY at /cursor when it is not a
// cursor of this query shape. The text comes from the client: read as untrusted.
Result<std::vector<Value>> decode_cursor(const std::string& cursor, const std::string& fingerprint);

// The query shape a paginate's cursors belong to: the table, its bound filter
// (the caller's rules included) and the total order, hashed. Not the access
// path: the planner may choose another index or drive from another side as
// the data changes between two pages, and the cursor stays valid.
std::string plan_fingerprint(const std::string& table, const std::optional<PlanFilter>& where,
                             const std::vector<OrderKey>& order);

}  // namespace dc
