// Explain for a caller whose rules hide columns: the plan may use an index
// over a hidden column (a role's row filter on `ownerId`, say), and its name,
// fields, ranges and the filter parts it serves would name what /v1/schema
// hides from that caller. They are replaced with "(hidden)"; the access
// path's kind (index, fullScan, get) stays, so the caller still learns
// whether its query is served by an index.
#pragma once

#include <nlohmann/json.hpp>

#include "server/planner/read_rules.hpp"
#include "server/schema/model.hpp"

namespace dc {

// Rewrites `plan` (plan_to_json's output) in place for a caller with `rules`.
void redact_hidden_columns(nlohmann::ordered_json& plan, const ReadRules& rules, const Schema& schema);

}  // namespace dc
