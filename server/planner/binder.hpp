// Binding: names and argument types of a parsed filter checked against the
// schema. Unknown fields or relations and arguments of the wrong type are
// 400s with the JSON Pointer of the offending part.
#pragma once

#include "protocol/ast.hpp"
#include "protocol/error.hpp"
#include "server/planner/plan.hpp"
#include "server/schema/coerce.hpp"
#include "server/schema/model.hpp"

namespace dc {

Result<PlanFilter> bind_filter(const FilterNode& node, const Schema& schema, const TableDef& table);

// Checks a field name used outside filters (orderBy, columns, search filters).
Status check_field(const TableDef& table, const std::string& field, const std::string& path);


}  // namespace dc
