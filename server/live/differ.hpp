// The differ: RFC 6902 operations that turn one query result into the next,
// for live subscribers that asked for patches. Arrays of rows are matched by
// `_id`, so a row inserted in the middle of a list is one `add` and a row that
// moved is one `move`, never a rewrite of the tail. Pure: no I/O.
#pragma once

#include "protocol/value_json.hpp"

namespace dc {

// Operations (a JSON array) that `patch` applies to `before` to give `after`.
// Empty when the two are equal.
Json diff_results(const Json& before, const Json& after);

}  // namespace dc
