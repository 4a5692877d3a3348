// Index choice for one table access: which index (or get by _id, or a scan)
// serves which conjuncts of a normalized filter, as a union of disjoint
// index intervals, and whether the index order serves the requested order.
#pragma once

#include <vector>

#include "server/planner/access_choice.hpp"

namespace dc {

// `key_fields`: non-empty for relation lookups, where rows are found by a
// per-parent key on those fields; only an index led by them (in any order)
// serves it. Interval bounds then exclude the key, which the executor puts
// in front at run time.
// `allow_union`: an OR no single index serves may become a union of the
// ranges of its branches (never for lookups).
// `stops_early`: the read may end before the last matching row (a limit,
// paginate), so an index that serves the order saves reads; otherwise it
// saves only the in-memory sort and any index that serves the filter wins.
// `observed`: the values an index's leading field holds now, when the
// backend knows they are few (the engine's counts); a skip-scan may then
// range over them although the schema gives the field no finite domain.
// `count`: the rows an index's ranges hold, when the backend counts them
// (the engine, up to a cap). Where both are counted, a candidate holding
// under half the rows of the best-scored one is taken instead (an equality
// on a common value loses to a `notIn` that leaves few rows), unless it
// gives up an order the early stop needs.
AccessChoice choose_access(const TableDef& table, const std::vector<const PlanFilter*>& conjuncts,
                           const std::vector<OrderKey>& user_order, const FieldList& key_fields, bool allow_union = true,
                           bool stops_early = true, const ObservedValues& observed = {}, const CountRanges& count = {});

}  // namespace dc
