// Results as a person reads them: a table of rows with aligned columns.
#pragma once

#include <string>

#include "drizzle_convex/value.hpp"

namespace dcq {

using drizzle_convex::Json;

// Rows (an array of objects) as a table; a paginate answer as its page plus
// the cursor; one object as a one-row table; anything else as JSON.
// Cells that differ from `previous` (same row position, same column) are
// marked when `mark_changes` is set: reverse video and a trailing '*'.
std::string render_table(const Json& result, const Json* previous = nullptr, bool mark_changes = false);

}  // namespace dcq
