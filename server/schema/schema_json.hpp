// The effective schema as JSON (GET /v1/schema): tables in Convex's shape,
// relations (declared and inferred) and unique constraints.
#pragma once

#include "protocol/value_json.hpp"
#include "server/schema/model.hpp"

namespace dc {

Json validator_to_json(const Validator& v);
// Relation key fields: one as a string (the common case, and the shape before
// composite keys), several as an array. Used by the schema and by plans.
Json fields_json(const FieldList& f);
Json schema_to_json(const Schema& s);

}  // namespace dc
