// Filter normalization, a pass before index choice: flatten AND/OR, fold
// constants, push NOT down to complement operators where that is exact under
// SQL's three-valued logic, merge OR-of-equalities on one field into `in`,
// and sort and deduplicate `in` lists.
#pragma once

#include "server/planner/plan.hpp"

namespace dc {

PlanFilter normalize_filter(PlanFilter f);

// x IN (NULL, ...) with no other value, or x NOT IN (..., NULL): never true
// for any row (SQL's unknown at best). Not folded to a constant while
// normalizing, since NOT of it is not true either; no index range answers it.
bool never_true(const PlanFilter& c);

// The top-level conjuncts of a normalized filter (the filter itself if it is not an AND).
std::vector<const PlanFilter*> conjuncts(const PlanFilter& f);

}  // namespace dc
