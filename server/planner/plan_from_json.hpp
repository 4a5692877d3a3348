// A read plan from its JSON (docs/plan-format.md): what plan_to_json writes,
// read back. The tests round-trip every golden plan through it, so the
// format the Convex adapter runs is shown to hold the whole plan.
#pragma once

#include "protocol/error.hpp"
#include "server/planner/plan_json.hpp"
#include "server/schema/model.hpp"

namespace dc {

// INVALID_QUERY naming the JSON Pointer of the part at fault when `j` is no
// read plan of this build's version over `schema`.
Result<ReadPlan> read_plan_from_json(const Json& j, const Schema& schema);

}  // namespace dc
