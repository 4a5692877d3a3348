// The Plan as versioned JSON: the explain output, and the form the Convex
// adapter runs. Values inside use Convex's JSON encoding.
#pragma once

#include <cstdint>
#include <vector>

#include "protocol/value_json.hpp"
#include "server/planner/plan.hpp"

namespace dc {

// Documents read per access id, as a backend counted them running the plan.
using ActualReads = std::vector<uint64_t>;

// With `actual`, every access also shows "actualReads" (explain's "analyze").
Json filter_to_json(const PlanFilter& f, const ActualReads* actual = nullptr);
Json plan_node_to_json(const ReadNode& n, const ActualReads* actual = nullptr);
Json plan_to_json(const ReadPlan& p, const ActualReads* actual = nullptr);
// {rows, basis: counted|guessed|driven, chosenBy: score|rows, alternatives: [{index, rows}]}
Json estimate_json(const AccessEstimate& e);

std::string_view order_source_name(OrderSource s);
std::string_view source_kind_name(Source::Kind k);

}  // namespace dc
