// Defaults and onUpdate values of a table's top-level fields (protocol.md
// section 8): their JSON form, their check against the field's validator at
// load, and their evaluation at write time.
#pragma once

#include <functional>
#include <string>

#include "protocol/error.hpp"
#include "server/schema/model.hpp"

namespace dc {

// `j`: a literal in Convex's JSON encoding, or {"$fn": "now"} / {"$fn": "uuid"}.
Result<FieldDefault> field_default_from_json(const Json& j, const std::string& path);
Json field_default_to_json(const FieldDefault& d);

// Does the default fit the field of `table`? A function is checked with a
// value of the kind it yields (a float64 for now, a string for uuid); a
// literal is kept as the validator reads it (a JSON number for an int64
// field becomes an int64).
Status check_field_default(const TableDef& table, const FieldDef& field, FieldDefault& d, const std::string& path);

// What the functions yield in one request: `now` is one value for all of it.
struct DefaultClock {
  double now_ms = 0;
  std::function<std::string()> new_uuid;
};
// The clock of a request starting now, with random v4 UUIDs.
DefaultClock request_clock();
Value evaluate(const FieldDefault& d, const DefaultClock& clock);

}  // namespace dc
