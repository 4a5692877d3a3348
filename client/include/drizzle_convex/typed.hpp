// Typed queries over a schema that `dcq codegen` turned into C++ types
// (docs/client.md, "Typed queries"). Include the generated header, which
// includes this one.
#pragma once

#include "drizzle_convex/typed/codec.hpp"
#include "drizzle_convex/typed/query.hpp"
#include "drizzle_convex/typed/request.hpp"
#include "drizzle_convex/typed/row.hpp"
#include "drizzle_convex/typed/schema.hpp"
