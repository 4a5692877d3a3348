// A comparison checked against its field's validator: the field exists, the
// operator fits the field's type, and the argument is coerced to it (a JSON
// number for an int64 field). Shared by the binder (request filters) and the
// schema loader (a relation's predefined `where`), so both refuse the same things.
#pragma once

#include "protocol/ast.hpp"
#include "protocol/error.hpp"
#include "server/schema/model.hpp"

namespace dc {

// `n` is a cmp node; on success its `arg` is coerced in place.
Status check_comparison(const TableDef& table, FilterNode& n);

}  // namespace dc
