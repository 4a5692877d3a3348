// The Plan: what a backend runs for one request. Bound to the schema, with
// every access path chosen. It serializes to versioned JSON (plan_json) so
// the Convex adapter can run the same plans as the embedded engine.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "protocol/ast.hpp"
#include "protocol/value.hpp"
#include "protocol/version.hpp"
#include "server/planner/plan_box.hpp"
#include "server/schema/model.hpp"

namespace dc {

// The plan format the Convex adapter must run, bumped whenever an older
// adapter would misread a plan: 2 added skip-scans, index unions, driven
// relation filters, orders through relations, access ids and "analyze". The
// adapter names its own in `describe`; the proxy checks it before it is ready.
inline constexpr uint64_t kUnbounded = std::numeric_limits<uint64_t>::max();

struct RelationStep;
struct OrderPath;
struct Driver;

// A bound filter: fields and relations resolved, arguments typed.
struct PlanFilter {
  enum class Kind { and_, or_, not_, cmp, exists, constant };
  Kind kind = Kind::constant;
  std::vector<PlanFilter> children;
  std::string field;
  CmpOp op = CmpOp::eq;
  Value arg;
  bool constant = true;
  const RelationDef* relation_def = nullptr;      // exists: which relation (children[0], if any, filters its rows)
  PlanBox<RelationStep> relation;                // exists: the semi-join to run per row (set by the planner)
  bool negate = false;                           // exists: NOT EXISTS
  std::string path;                              // JSON Pointer in the request
};

// One side of an index interval: a prefix of the index key.
struct Bound {
  std::vector<Value> key;
  bool inclusive = true;
};

// A contiguous range of an index. Missing bounds are open.
struct Interval {
  std::optional<Bound> lower;
  std::optional<Bound> upper;
};

struct Source {
  enum class Kind { get, index, full_scan, search, empty, union_ };
  Kind kind = Kind::full_scan;
  std::vector<Value> ids;                  // get (root); relation lookups take ids from parent keys
  std::string index;                       // index, full_scan (by_creation_time), search
  std::vector<std::string> index_fields;   // the index key: declared fields, then _creationTime (then _id)
  std::vector<Interval> intervals;         // index: a union of disjoint ranges in index order; empty = whole index
  std::string skip_field;                  // index: a leading field no filter pins, one range per value of its finite domain
  // The skip-scan's values were observed in the data, not given by the
  // schema: the engine re-reads them when it runs the plan (a write may
  // have added one), and a live query re-runs on any write to the table.
  bool skip_observed = false;
  // index: the ranges share their pinned prefix, so read one after another
  // (the last first when descending) they give the index order: one early
  // stop for all of them, no merge (an OR's ranges, notIn's complement).
  bool ranges_in_order = false;
  bool descending = false;
  // search
  std::string search_field;
  std::string search_query;
  std::vector<std::pair<std::string, Value>> search_filters;
  // union_: an OR whose every branch an index (or a get) serves; each row
  // is read once per branch that finds it and returned once.
  std::vector<Source> branches;
};

// How the result order is produced.
enum class OrderSource {
  none,        // no orderBy: the access path's order
  index,       // the index order is exactly the requested order
  index_ties,  // the index orders the first index_order_keys keys; ties are re-sorted (reads the last tie group)
  sort,        // everything matching is read, then sorted
};

// Explain's account of a choice: the rows the chosen access was expected to
// read, on what grounds, and what the other indexes would have read.
struct AccessEstimate {
  enum class Basis { guessed, counted, driven };
  uint64_t rows = kUnbounded;  // kUnbounded: no table size to guess from
  Basis basis = Basis::guessed;
  bool chosen_by_rows = false;  // counted rows overrode the index's score
  struct Alternative {
    std::string index;  // with " (skip-scan)" when it reads a range per leading value
    std::optional<uint64_t> rows;  // counted; nullopt: not counted (a lookup, or past the cap)
  };
  std::vector<Alternative> alternatives;
};

struct TableAccess {
  uint32_t id = 0;  // its number in the plan: explain's "analyze" reports reads per access
  std::string table;
  Source source;
  // For relation lookups: rows are found per parent key on these fields of
  // the table (one, or several for a composite key, in the index's order).
  FieldList key_fields;
  std::vector<PlanFilter> served;           // the filter parts the index range answers (for explain)
  std::optional<PlanFilter> post_filter;    // applied to every row read
  std::vector<OrderKey> order;              // effective order, tie-breakers included; empty = none
  // order_paths[i], when set, reads order[i] through relations (order[i].via).
  std::vector<PlanBox<OrderPath>> order_paths;
  // Set: a relation filter drives this access. Its related rows are read
  // first and the rows here are looked up by the keys they give (key_fields),
  // instead of testing the filter on every row of a scan.
  PlanBox<Driver> driver;
  size_t user_order_keys = 0;               // how many of `order` the client asked for
  // index_ties: how many leading keys of `order` the index gives; rows tying
  // with the limit's last row on them are all read, then re-sorted.
  size_t index_order_keys = 0;
  OrderSource order_source = OrderSource::none;
  std::optional<int64_t> limit;             // per parent for relation lookups
  int64_t offset = 0;
  bool at_most_one_per_range = false;       // the pinned fields cover a unique constraint (or _id)
  uint64_t max_reads = kUnbounded;          // worst case for this access (all parents together)
  AccessEstimate estimate;
  std::vector<std::string> warnings;
  std::string path;                         // request part this access serves
};

struct ReadNode {
  TableAccess access;
  ColumnSelection columns;
  std::vector<RelationStep> with;
};

// Loading (or testing) related rows for a set of parent rows.
struct RelationStep {
  std::string name;
  bool many = false;
  // A one relation declared "optional": false, for a caller who sees every
  // row of its target: no row found is an upstream error, not null. (For a
  // caller whose rules filter the target, a missing row may be one they may
  // not see: they get null, as an error would tell them it exists.)
  bool required = false;
  // `_count` (protocol.md section 11): each parent gets `_count.<name>`, the
  // number of rows this step finds for it (a one relation: 0 or 1); none are loaded.
  bool count = false;
  // The relation's `from` fields, read from each parent row, paired with the
  // lookup's key_fields (the junction's, or the target's).
  FieldList parent_fields;
  // many-to-many: the junction lookup by parent key; its rows give `through_to` keys for `node`.
  std::optional<TableAccess> junction;
  FieldList through_to;
  ReadNode node;  // the target rows, looked up by key on node.access.key_fields
};

// The relations an orderBy key walks, one lookup per relation, from the rows
// being sorted to the rows whose field (aggregated) is the key's value.
struct OrderPath {
  std::vector<RelationStep> steps;
};

// The selective side of a relation filter `{rel: {...}}`, read first.
struct Driver {
  std::string relation;
  ReadNode related;                     // the related rows the filter asks for (its where, the relation's, the role's)
  FieldList related_fields;             // read from each related row: the parent keys, or the junction keys
  std::optional<TableAccess> junction;  // many-to-many: links looked up by related_fields
  FieldList junction_fields;            // read from each link: the parent keys
  uint64_t estimated_reads = 0;         // this way, and by scanning instead (for explain)
  uint64_t estimated_scan = 0;
};

// `op: "aggregate"` (protocol.md section 11): the root access reads every
// row `where` selects; the backend folds them into groups, keeps the groups
// `having` passes, orders them and slices them.
struct AggregateTerm {
  std::string name;
  AggregateFn fn = AggregateFn::count;
  std::string field;    // empty: count rows
  bool int64 = false;   // sum/avg over an int64 field: exact integer arithmetic
  std::string path;     // the function's spec in the request
};

struct GroupPlan {
  std::vector<std::string> group_by;
  std::vector<AggregateTerm> terms;
  std::optional<PlanFilter> having;  // bound on the group rows (group fields and term names)
  std::vector<OrderKey> order;       // the caller's keys, then every group field ascending
  std::optional<int64_t> limit;
  int64_t offset = 0;
};

struct ReadPlan {
  int version = kPlanVersion;
  ReadOp op = ReadOp::find_many;
  ReadNode root;
  GroupPlan group;                       // aggregate
  int64_t num_items = 0;                 // paginate
  std::optional<std::vector<Value>> after;  // paginate: keyset position from the cursor
  std::string fingerprint;               // identifies the query shape for cursors
  uint64_t budget = 32000;
  // The answer's budget: rows (every row at every depth, counted each time
  // it appears) and bytes of JSON (estimated). Backends count while they
  // build the answer and fail the read past either.
  uint64_t answer_rows = 100000;
  uint64_t answer_bytes = 64ull << 20;
  uint64_t max_reads = 0;                // worst case over the whole plan
  std::vector<std::string> warnings;
  uint32_t accesses = 0;                 // how many accesses are numbered (ids 0 .. accesses-1)
  bool analyze = false;                  // explain's "analyze": a backend reports reads per access
};

}  // namespace dc
