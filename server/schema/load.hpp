// Loading the schema JSON of protocol.md section 8 (tables in Convex's
// exported shape, relations, unique constraints). Errors carry the JSON
// Pointer into the schema document.
#pragma once

#include <string>

#include "protocol/error.hpp"
#include "protocol/value_json.hpp"
#include "server/schema/model.hpp"

namespace dc {

Result<Validator> validator_from_json(const Json& j, const std::string& path);
// Loads tables and declared relations, infers the rest, and checks them.
Result<Schema> load_schema(const Json& j);
Result<Schema> load_schema_file(const std::string& file);

}  // namespace dc
