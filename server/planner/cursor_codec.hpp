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
// (the caller's rules included), the total order and the form of the key a
// cursor holds, hashed. A plan that seeks in one index range holds that
// index's key (`seek_index`); every other plan holds the order's key. So the
// planner may choose another access path as the data changes between two
// pages and the cursor stays valid, unless the key's form changes: then it
// is refused, never misread.
std::string plan_fingerprint(const std::string& table, const std::optional<PlanFilter>& where,
                             const std::vector<OrderKey>& order, const std::string& seek_index);

// The index whose key a paginate's cursor holds: the root reads one range of
// it in the requested order, so the next page seeks there. Empty otherwise,
// or when that key is the order's own (by_creation_time under the default order).
std::string seek_index(const TableAccess& root);

}  // namespace dc
