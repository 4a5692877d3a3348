// Request JSON → query AST. Never throws out: every failure is an Error with
// the JSON Pointer of the offending part. Object keys are read in document
// order (orderBy precedence depends on it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/ast.hpp"
#include "protocol/error.hpp"
#include "protocol/value_json.hpp"

namespace dc {

struct ParseLimits {
  size_t max_json_depth = 64;       // nesting of the request JSON
  size_t max_in_values = 4096;      // in/notIn and array operator lists (Convex: 4,096 index ranges)
  int64_t max_limit = 1000;         // limit, numItems
  size_t max_with_depth = 4;        // nested `with` levels
  size_t max_filter_nodes = 2000;   // comparisons + connectives in one request
  // like/ilike/notLike/notIlike patterns and startsWith/endsWith/contains
  // strings, in UTF-8 bytes: matching costs up to text length × this.
  size_t max_pattern_bytes = 256;
};

// Tells the parser which names are relations, so `"posts": {...}` in a
// filter reads as a relation filter on the right table. The schema implements it.
class RelationResolver {
 public:
  virtual ~RelationResolver() = default;
  // The target table of relation `name` on `table`, or nullopt.
  virtual std::optional<std::string> relation_target(std::string_view table, std::string_view name) const = 0;
  virtual bool has_table(std::string_view table) const = 0;
};

// Parses a request body into JSON, enforcing the nesting limit before parsing.
Result<Json> parse_json_body(std::string_view body, const ParseLimits& limits);

// A Drizzle column selection (`columns`, and `returning` in mutations); `what`
// names the key in error messages.
Result<ColumnSelection> parse_columns(const Json& j, const std::string& path, const char* what);

// Is this body a read (findMany, findFirst, paginate, count)?
bool is_read_op(std::string_view op);

Result<ReadQuery> parse_read_query(const Json& j, const RelationResolver& schema, const ParseLimits& limits);

// A table-level filter on `table`, as found at `path`.
Result<FilterNode> parse_filter(const Json& j, std::string_view table, const RelationResolver& schema,
                                const ParseLimits& limits, const std::string& path);

}  // namespace dc
