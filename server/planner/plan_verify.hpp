// The verifier: the invariants every read plan keeps, checked on the plan
// alone (and the schema it was planned on). plan_read runs it after every
// plan in builds that define DC_VERIFY_PLANS (debug, sanitize: the test
// command's build), so a stage that breaks one fails a test, not a user.
#pragma once

#include "protocol/error.hpp"
#include "server/planner/plan.hpp"
#include "server/schema/model.hpp"

namespace dc {

// Ok, or an INTERNAL error naming the first broken invariant and the
// request part whose access breaks it.
Status verify_plan(const ReadPlan& plan, const Schema& schema);

}  // namespace dc
