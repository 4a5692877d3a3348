// Request JSON → mutation AST. Like the read parser it never throws out and
// reports errors with the JSON Pointer of the offending part. Values that are
// not valid Convex values are INVALID_VALUE; everything else INVALID_QUERY.
#pragma once

#include "protocol/mutation.hpp"
#include "protocol/parse.hpp"

namespace dc {

bool is_mutation_op(std::string_view op);
Result<Mutation> parse_mutation(const Json& j, const RelationResolver& schema, const ParseLimits& limits);

}  // namespace dc
