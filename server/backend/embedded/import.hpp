// Loading documents into the embedded engine at start-up: a Convex snapshot
// export (one folder per table holding documents.jsonl), keeping each
// document's _id and _creationTime, validated against the schema.
#pragma once

#include <string>

#include "protocol/error.hpp"
#include "protocol/value.hpp"
#include "server/backend/embedded/ids.hpp"
#include "server/backend/embedded/store.hpp"

namespace dc {

// Adds one document (fields as written by a client or an export). Fills in
// _id and _creationTime when missing. `where` names it in errors.
Status load_document(Store& store, IdGenerator& ids, const std::string& table, Value doc, const std::string& where);

// Returns the number of documents loaded.
Result<size_t> import_export_dir(Store& store, IdGenerator& ids, const std::string& dir);

}  // namespace dc
