// An aggregate's answer from the rows its root read (protocol.md section 11):
// rows folded into groups with SQL's null rules, `having` kept, the groups
// ordered and sliced. adapter/src/read_aggregate.ts runs the same steps.
#pragma once

#include <vector>

#include "protocol/error.hpp"
#include "protocol/value.hpp"
#include "server/backend/embedded/store.hpp"
#include "server/planner/plan.hpp"

namespace dc {

// One object without groupBy; an array of group objects with it. An int64
// sum past int64's range is a 400 at the function's path.
Result<Value> fold_groups(const GroupPlan& group, const std::vector<DocPtr>& rows);

// The same answer when every function is `count: true` and the rows per
// group are known without reading them (index_counts.cpp): one entry per
// value of the group field, or one entry (any value) without groupBy.
Value fold_counted_groups(const GroupPlan& group, const std::vector<std::pair<Value, uint64_t>>& counts);

}  // namespace dc
