// Reads and mutations, built the way Drizzle's relational API reads:
//
//   Db db;
//   db.query("users").find_many({
//       .where = and_(eq("role", "admin"), gt("credits", 100)),
//       .with = {{"posts", {.limit = 5, .order_by = {desc("_creationTime")}}}},
//       .limit = 10});
//   db.insert("users").values({{"name", "Ada"}, {"email", "ada@x.io"}}).returning();
//
// Nothing here talks to a server: each builder produces the request JSON of
// protocol.md (`json()`), which a Client sends. The fields of ReadConfig are
// in the order designated initializers must follow.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "drizzle_convex/filter.hpp"
#include "drizzle_convex/value.hpp"

namespace drizzle_convex {

// `columns` (and `returning`): Drizzle's include or exclude selection.
class Columns {
 public:
  explicit Columns(Json j) : json_(std::move(j)) {}
  const Json& json() const { return json_; }

 private:
  Json json_;
};
Columns include(std::vector<std::string> fields);  // exactly these ({} with relations only: none)
Columns exclude(std::vector<std::string> fields);  // all but these

// One orderBy key: a column of the row, or of a related row (Drizzle 1.0),
// optionally aggregated over a `many` relation.
enum class Aggregate { none, count, min, max, avg, first };
class Order {
 public:
  Order(std::string key, Json value) : key_(std::move(key)), value_(std::move(value)) {}
  const std::string& key() const { return key_; }
  const Json& value() const { return value_; }

 private:
  std::string key_;
  Json value_;
};
Order asc(std::string field);
Order desc(std::string field);
// A column reached through relations: asc({"author"}, "name") → {"author": {"name": "asc"}};
// desc({"posts"}, "views", Aggregate::max) → {"posts": {"views": "desc(max)"}};
// desc({"posts"}, "", Aggregate::count) → {"posts": "desc(count)"}.
Order asc(std::vector<std::string> through, std::string field, Aggregate aggregate = Aggregate::none);
Order desc(std::vector<std::string> through, std::string field, Aggregate aggregate = Aggregate::none);

struct Search {
  std::string index;
  std::string query;
  Json filters = Json::object();  // {field: value} on the index's filter fields
};

struct With;

// `with: {_count: {relation: true | {where}}}` (protocol.md section 11):
// each row gets `_count.<relation>`, the number of related rows.
struct RelationCount {
  std::string relation;
  std::optional<Filter> where = std::nullopt;
};

// A read's configuration; also the configuration of each `with` level.
struct ReadConfig {
  std::optional<Columns> columns = std::nullopt;
  std::optional<Filter> where = std::nullopt;
#if defined(__clang__)
  // With is incomplete here: clang instantiates an initializer at once (and
  // does not ask designated initializers for every member), GCC's -Wextra does.
  std::vector<With> with;
#else
  std::vector<With> with = {};
#endif
  std::optional<std::int64_t> limit = std::nullopt;
  std::optional<std::int64_t> offset = std::nullopt;
  std::vector<Order> order_by = {};
  std::optional<Search> search = std::nullopt;  // root only
  std::vector<RelationCount> count = {};         // sent as with._count
};

// {"relation": true} when the config is empty, else {"relation": CONFIG}.
struct With {
  std::string relation;
  ReadConfig config = {};
};

// `op: "aggregate"` (protocol.md section 11): functions over the rows
// `where` selects, per group of equal `group_by` values:
//   db.query("posts").aggregate({.where = eq("published", true), .group_by = {"authorId"},
//       .aggregates = {{"n", count_rows()}, {"views", sum("views")}},
//       .having = gte("n", 2), .order_by = {desc("n")}, .limit = 10});
// The answer: one object without group_by, else an array of groups, each
// holding its group fields and the functions by name.
class Function {
 public:
  explicit Function(Json spec) : spec_(std::move(spec)) {}
  const Json& json() const { return spec_; }

 private:
  Json spec_;
};
Function count_rows();                        // {"count": true}
Function count_of(std::string field);         // rows where the field is present and not null
Function count_distinct(std::string field);
Function sum(std::string field);              // float64 or int64 fields; an int64 sum stays int64
Function avg(std::string field);
Function min_of(std::string field);           // Convex's value order
Function max_of(std::string field);

struct NamedFunction {
  std::string name;
  Function function;
};

struct AggregateConfig {
  std::optional<Filter> where = std::nullopt;
  std::vector<std::string> group_by = {};
  std::vector<NamedFunction> aggregates = {};
  std::optional<Filter> having = std::nullopt;  // over group fields and function names
  std::vector<Order> order_by = {};             // likewise
  std::optional<std::int64_t> limit = std::nullopt;
  std::optional<std::int64_t> offset = std::nullopt;
};

// A read request: findMany, findFirst, paginate, count or aggregate.
class ReadQuery {
 public:
  explicit ReadQuery(Json j) : json_(std::move(j)) {}
  const Json& json() const { return json_; }
  // paginate: the same query from `cursor` on (a previous continueCursor).
  ReadQuery with_cursor(std::optional<std::string> cursor) const;

 private:
  Json json_;
};

class TableQuery {
 public:
  explicit TableQuery(std::string table) : table_(std::move(table)) {}
  ReadQuery find_many(const ReadConfig& config = {}) const;
  ReadQuery find_first(const ReadConfig& config = {}) const;
  // Takes no limit/offset: `num_items` per page, from `cursor` (none: the first page).
  ReadQuery paginate(std::int64_t num_items, const ReadConfig& config = {},
                     std::optional<std::string> cursor = std::nullopt) const;
  ReadQuery count(std::optional<Filter> where = std::nullopt) const;
  ReadQuery aggregate(const AggregateConfig& config) const;

 private:
  std::string table_;
};

// A mutation request: one op or a transaction.
class Mutation {
 public:
  explicit Mutation(Json j) : json_(std::move(j)) {}
  const Json& json() const { return json_; }

 private:
  Json json_;
};

class Insert {
 public:
  explicit Insert(std::string table);
  Insert values(Json row_or_rows) const;  // an object, or an array of them
  Insert returning() const;
  Insert returning(Columns columns) const;
  Insert on_conflict_do_nothing(std::vector<std::string> target) const;
  Insert on_conflict_do_update(std::vector<std::string> target, Json set) const;
  const Json& json() const { return json_; }
  operator Mutation() const { return Mutation(json_); }  // NOLINT: a finished builder is a mutation

 private:
  Json json_;
};

class Update {
 public:
  explicit Update(std::string table);
  Update set(Json assignments) const;  // {field: value | unset()}
  Update where(Filter f) const;        // required: every_row() to touch every row
  Update returning() const;
  Update returning(Columns columns) const;
  const Json& json() const { return json_; }
  operator Mutation() const { return Mutation(json_); }  // NOLINT

 private:
  Json json_;
};

class Delete {
 public:
  explicit Delete(std::string table);
  Delete where(Filter f) const;
  Delete returning() const;
  Delete returning(Columns columns) const;
  const Json& json() const { return json_; }
  operator Mutation() const { return Mutation(json_); }  // NOLINT

 private:
  Json json_;
};

// The root, like Drizzle's `db`.
class Db {
 public:
  TableQuery query(std::string table) const { return TableQuery(std::move(table)); }
  Insert insert(std::string table) const { return Insert(std::move(table)); }
  Update update(std::string table) const { return Update(std::move(table)); }
  Delete delete_(std::string table) const { return Delete(std::move(table)); }
  // Atomic: every op applies or none does; later ops see earlier ones.
  Mutation transaction(std::vector<Mutation> ops) const;
};

}  // namespace drizzle_convex
