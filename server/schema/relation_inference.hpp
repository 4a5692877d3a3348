// Relations inferred from `v.id("t")` fields where none is declared
// (protocol.md section 8): a `one` named by dropping a trailing "Id", and its
// inverse `many` on t named after the referencing table, when unambiguous.
#pragma once

#include "server/schema/model.hpp"

namespace dc {

void infer_relations(Schema& schema);

}  // namespace dc
