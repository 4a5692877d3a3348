// The Plan as versioned JSON: the explain output, and the form the Convex
// adapter runs. Values inside use Convex's JSON encoding.
#pragma once

#include "protocol/value_json.hpp"
#include "server/planner/plan.hpp"

namespace dc {

Json filter_to_json(const PlanFilter& f);
Json plan_node_to_json(const ReadNode& n);
Json plan_to_json(const ReadPlan& p);

std::string_view order_source_name(OrderSource s);
std::string_view source_kind_name(Source::Kind k);

}  // namespace dc
