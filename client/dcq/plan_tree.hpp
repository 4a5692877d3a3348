// A read plan as a person reads it, the way EXPLAIN prints one: one line
// per table access (how it reads, what it filters, the order, the limit,
// the estimate and the worst case, and with `analyze` the documents it
// read), the accesses it leads to indented under it, then the warnings.
#pragma once

#include <optional>
#include <string>

#include "drizzle_convex/value.hpp"

namespace dcq {

using drizzle_convex::Json;

// The tree of a read plan (/v1/explain's answer); empty for anything else
// (a mutation's plan), which is better read as JSON.
std::optional<std::string> render_plan_tree(const Json& plan);

}  // namespace dcq
