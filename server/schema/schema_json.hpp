// The effective schema as JSON (GET /v1/schema): tables in Convex's shape,
// relations (declared and inferred) and unique constraints.
#pragma once

#include "protocol/value_json.hpp"
#include "server/schema/model.hpp"

namespace dc {

Json validator_to_json(const Validator& v);
Json schema_to_json(const Schema& s);

}  // namespace dc
