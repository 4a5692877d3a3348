// The mutation AST (protocol.md section 5): insert, update, delete and
// transactions of them, not yet bound to a schema.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "protocol/ast.hpp"
#include "protocol/value.hpp"

namespace dc {

// `returning`: absent → {rowsAffected}; true → whole rows; an object → those columns.
struct Returning {
  bool enabled = false;
  ColumnSelection columns;
};

// One assignment of `set`; no value means {"$unset": true} (remove the field).
struct FieldAssignment {
  std::string field;
  std::optional<Value> value;
  std::string path;
};

struct OnConflict {
  std::vector<std::string> target;
  bool do_update = false;
  std::vector<FieldAssignment> set;
  std::string path;
};

struct MutationOp {
  enum class Kind { insert, update, delete_ };
  Kind kind = Kind::insert;
  std::string table;
  std::vector<Value> values;               // insert: one per row
  std::vector<std::string> value_paths;    // insert: JSON Pointer of each row
  std::optional<OnConflict> on_conflict;   // insert
  std::vector<FieldAssignment> set;        // update
  std::optional<FilterNode> where;         // update, delete: required ({} = every row)
  Returning returning;
  std::string path;                        // "" for a single op, "/ops/N" inside a transaction
};

struct Mutation {
  bool transaction = false;
  std::vector<MutationOp> ops;
};

std::string_view mutation_kind_name(MutationOp::Kind k);

}  // namespace dc
