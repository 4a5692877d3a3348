// Validating written values against a table's Convex validator and Convex's
// document limits. A JSON number is taken as int64 where the validator wants
// an int64 (and no float64). Errors are INVALID_VALUE with the JSON Pointer
// of the first offending part and the type that was expected there.
#pragma once

#include <string>

#include "protocol/error.hpp"
#include "server/schema/model.hpp"

namespace dc {

struct DocumentLimits {
  size_t max_bytes = 1 << 20;     // 1 MiB
  size_t max_depth = 16;
  size_t max_array_items = 8192;
  size_t max_object_fields = 1024;
};

// `fields`: the user fields of a document (no _id/_creationTime), coerced in place.
Status validate_document(const TableDef& table, Value& fields, const std::string& path,
                         const DocumentLimits& limits = {});

// One top-level field value for `set` (a missing value means $unset).
Status validate_assignment(const TableDef& table, const std::string& field, Value* value, const std::string& path,
                           const DocumentLimits& limits = {});

}  // namespace dc
