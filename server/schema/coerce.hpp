// Coercion of client values to a field's validator: a JSON number becomes an
// int64 where the validator wants one. Shared by value validation (schema),
// binding (planner) and import (embedded engine).
#pragma once

#include "protocol/value.hpp"
#include "server/schema/model.hpp"

namespace dc {

// Converts a client value to the field's type where that is lossless and
// unambiguous (a JSON number for an int64 field). Returns false when `v`
// does not fit the validator.
bool coerce_to(const Validator& type, Value& v);

}  // namespace dc
