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

// Rows (an array of objects) as a table whose cells are never cut: for
// text written to be read whole (a schema's types).
std::string render_rows_whole(const Json& rows);

// Rows as CSV (RFC 4180) for spreadsheets and scripts: a header of every
// column in the order first met, then one line per row; strings as they
// are, int64s and numbers as written, null and a missing column empty,
// objects and arrays as JSON; a field with a comma, a quote or a line break
// quoted. A paginate answer gives its page; one object, one row. Nothing is
// cut or escaped for a terminal: the bytes go to a file.
std::string render_csv(const Json& result);

}  // namespace dcq
