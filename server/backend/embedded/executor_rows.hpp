// Internal to the executor's files: row keys and the intervals a run reads.
#pragma once

#include <string>
#include <vector>

#include "server/backend/embedded/store.hpp"
#include "server/planner/plan.hpp"

namespace dc {

// row_order.cpp
const Value& field_or_undefined(const Document& d, const std::string& field);
int compare_order(const std::vector<OrderKey>& order, const Document& a, const Document& b);
std::vector<Value> order_key(const std::vector<OrderKey>& order, const Document& d);
// Position of a row relative to a keyset cursor in the effective order.
int compare_to_after(const std::vector<OrderKey>& order, const Document& d, const std::vector<Value>& after);

// index_scan.cpp
// A skip-scan over leading values the planner observed: the values the
// index holds now, each with the ranges the plan gives its first value.
std::vector<Interval> observed_skip_intervals(const Source& src, const Table& t);
// An interval of the lookup's index with the parent's key in front.
Interval with_key(const Interval& iv, const Value& key, size_t arity);

}  // namespace dc
