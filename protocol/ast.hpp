// The query AST: what a client asked for, typed but not yet bound to a
// schema. Every node remembers the JSON Pointer it came from so that later
// stages (binder, planner) can report errors at the exact request part.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "protocol/value.hpp"

namespace dc {

enum class CmpOp {
  eq, ne, gt, gte, lt, lte,
  in, not_in,
  is_null, is_not_null,
  like, ilike, not_like, not_ilike,
  between, not_between,
  starts_with, ends_with, contains,
  array_contains, array_contained, array_overlaps,
};

std::string_view op_name(CmpOp op);
// The operator a filter names by `name` ("notIn"), or nullopt.
std::optional<CmpOp> op_from_name(std::string_view name);

// One node of a filter tree. Column-level AND/OR/NOT are lifted to this level
// by the parser, so every comparison names its field.
struct FilterNode {
  enum class Kind { and_, or_, not_, cmp, relation, constant };
  Kind kind = Kind::and_;
  std::vector<FilterNode> children;  // and_/or_: operands; not_: one; relation: 0 or 1 (the related-row filter)

  // cmp
  std::string field;  // dotted path
  CmpOp op = CmpOp::eq;
  Value arg;          // eq..lte, like.., starts_with..; between: array of 2; in/array ops: array

  // relation: `exists` false means NOT EXISTS (`"relation": false`)
  std::string relation;
  bool exists = true;

  // constant
  bool constant = true;

  std::string path;  // JSON Pointer of this node in the request

  static FilterNode make_and(std::vector<FilterNode> children, std::string path) {
    FilterNode n;
    n.kind = Kind::and_;
    n.children = std::move(children);
    n.path = std::move(path);
    return n;
  }
  static FilterNode make_const(bool value, std::string path = {}) {
    FilterNode n;
    n.kind = Kind::constant;
    n.constant = value;
    n.path = std::move(path);
    return n;
  }
};

// `columns`: all fields, only the listed ones, or all but the listed ones.
struct ColumnSelection {
  enum class Mode { all, include, exclude };
  Mode mode = Mode::all;
  std::vector<std::string> fields;
  std::vector<std::string> paths;  // JSON Pointer of each listed field
};

// Drizzle 1.0 orders by related rows too: `{"author": {"name": "asc"}}`,
// `{"posts": "desc(count)"}`, `{"posts": {"likes": "desc(max)"}}`.
enum class OrderAggregate { none, count, min, max, avg, first };
std::string_view aggregate_name(OrderAggregate a);

struct OrderKey {
  std::string field;  // a column of the row, or of the rows reached through `via`; empty: count those rows
  bool descending = false;
  std::string path;
  std::vector<std::string> via = {};  // relations walked from the row, outermost first; empty: the row's own field
  OrderAggregate aggregate = OrderAggregate::none;

  bool on_row() const { return via.empty(); }
};

struct SearchSpec {
  std::string index;
  std::string query;
  std::vector<std::pair<std::string, Value>> filters;
  std::string path;
};

struct ReadConfig;
struct RelationLoad {
  std::string name;
  std::shared_ptr<ReadConfig> config;  // never null; `true` parses to an empty config
  std::string path;
  // `with: {_count: {name: true | {where}}}` (protocol.md section 11): the
  // parents get the number of rows the relation would load, not the rows.
  bool count = false;
};

// The part of a read that also appears inside `with`.
struct ReadConfig {
  ColumnSelection columns;
  std::optional<FilterNode> where;
  std::vector<OrderKey> order_by;
  std::optional<int64_t> limit;
  std::optional<int64_t> offset;
  std::vector<RelationLoad> with;
  std::string path;  // "" for the root query, "/with/posts" etc. below
};

enum class ReadOp { find_many, find_first, paginate, count, aggregate };
std::string_view read_op_name(ReadOp op);

// `op: "aggregate"` (protocol.md section 11): functions over the rows `where`
// selects, per group of equal `groupBy` values.
enum class AggregateFn { count, count_distinct, sum, avg, min, max };
std::string_view aggregate_fn_name(AggregateFn fn);

struct AggregateSpec {
  std::string name;   // the key in each answer object
  AggregateFn fn = AggregateFn::count;
  std::string field;  // empty: `count: true`, the rows
  std::string path;   // JSON Pointer of the function's spec
};

struct GroupQuery {
  std::vector<std::string> group_by;
  std::vector<std::string> group_paths;
  std::vector<AggregateSpec> aggregates;
  std::optional<FilterNode> having;  // over group fields and aggregate names
  std::vector<OrderKey> order_by;    // likewise
  std::optional<int64_t> limit;
  std::optional<int64_t> offset;
};

struct ReadQuery {
  std::string table;
  ReadOp op = ReadOp::find_many;
  ReadConfig config;
  std::optional<SearchSpec> search;
  GroupQuery group;  // aggregate
  // paginate
  int64_t num_items = 0;
  std::optional<std::string> cursor;
};

}  // namespace dc
