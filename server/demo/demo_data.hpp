// The demo blog (users, profiles, posts, comments, tags, postTags): its
// schema and a deterministic data set of a few hundred rows, for --demo.
#pragma once

#include "protocol/value_json.hpp"
#include "server/backend/embedded/ids.hpp"
#include "server/backend/embedded/store.hpp"

namespace dc {

Json demo_schema_json();
// Returns the number of documents loaded.
Result<size_t> load_demo_data(Store& store, IdGenerator& ids);

}  // namespace dc
