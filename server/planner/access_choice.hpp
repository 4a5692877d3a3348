// What index choice decides for one access (AccessChoice), and the parts
// below it share: the callbacks through which a backend's counts reach it,
// and the helpers on fields, orders and patterns. index_ranges.cpp,
// index_order.cpp and index_choice.cpp build on it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
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

// The values an index's leading field holds now, when the backend knows
// they are few (the engine's counts).
using ObservedValues = std::function<std::optional<std::vector<Value>>(std::string_view field)>;
// The rows an index's ranges hold, when the backend counts them (the engine, up to a cap).
using CountRanges = std::function<std::optional<uint64_t>(const IndexDef& index, const std::vector<Interval>& ranges)>;

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
