// Index choice for one table access: which index (or get by _id, or a scan)
// serves which conjuncts of a normalized filter, as a union of disjoint
// index intervals, and whether the index order serves the requested order.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "server/planner/plan.hpp"
#include "server/schema/model.hpp"

namespace dc {

struct AccessChoice {
  Source source;
  std::vector<const PlanFilter*> served;      // conjuncts the intervals answer exactly
  std::vector<OrderKey> order;                // effective order; empty = access path order
  size_t user_order_keys = 0;
  size_t index_order_keys = 0;  // of `order`, the leading keys the index gives (index, index_ties)
  OrderSource order_source = OrderSource::none;
  bool at_most_one_per_interval = false;      // the pinned fields cover a unique constraint (or _id)
  std::vector<std::string> warnings;
  FieldList key_fields;  // a relation lookup's key fields, in the order the index holds them
  // The other indexes weighed (rows when counted), and whether counted rows
  // overrode the score.
  std::vector<AccessEstimate::Alternative> alternatives;
  bool chosen_by_rows = false;
};

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
using ObservedValues = std::function<std::optional<std::vector<Value>>(std::string_view field)>;
using CountRanges = std::function<std::optional<uint64_t>(const IndexDef& index, const std::vector<Interval>& ranges)>;
AccessChoice choose_access(const TableDef& table, const std::vector<const PlanFilter*>& conjuncts,
                           const std::vector<OrderKey>& user_order, const FieldList& key_fields, bool allow_union = true,
                           bool stops_early = true, const ObservedValues& observed = {}, const CountRanges& count = {});

// The requested order with its tie-breakers: _creationTime, then _id, ascending.
std::vector<OrderKey> effective_order(const std::vector<OrderKey>& user_order);

// The values a field can hold when the schema says they are few: a required
// boolean, literal or null, or a union of those (at most 16). nullopt
// otherwise, an optional field included (it may be missing).
std::optional<std::vector<Value>> finite_domain(const TableDef& table, const std::string& field);

// The smallest string above every string that starts with `prefix`, by UTF-8
// bytes; empty when there is none (all 0xFF).
std::string prefix_successor(const std::string& prefix);

// The literal prefix of a LIKE pattern ("ab%" → "ab"); empty when it starts with a wildcard.
std::string like_prefix(const std::string& pattern);

}  // namespace dc
