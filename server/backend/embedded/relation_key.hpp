// A relation's key in a row, as the executor matches parents to related rows.
#pragma once

#include "protocol/value.hpp"
#include "server/schema/model.hpp"

namespace dc {

// The field's value, or for several fields the array of their values;
// undefined when any part is null or missing (such a row relates to
// nothing, as with SQL's NULL).
Value relation_key(const Value& row, const FieldList& fields);

}  // namespace dc
