// Filters as Drizzle's relational API writes them (protocol.md section 4),
// built as the JSON the server reads:
//   and_(eq("role", "admin"), gt("credits", 100))
//   field("age", or_(lt(18), gt(65)))          column-level OR
//   related("posts", eq("published", true))    at least one related row matches
// The builder emits exactly one form per construct (eq is always {"eq": v},
// AND/OR are always arrays), so the JSON is predictable; the server checks
// names and types and answers a 400 with the path of anything wrong.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "drizzle_convex/value.hpp"

namespace drizzle_convex {

// A column-level condition: the object that follows a field name, e.g. {"gt": 5}.
class Condition {
 public:
  explicit Condition(Json j) : json_(std::move(j)) {}
  const Json& json() const { return json_; }

 private:
  Json json_;
};

// A table-level filter: {"field": {...}}, {"AND": [...]}, {"relation": ...}.
class Filter {
 public:
  explicit Filter(Json j) : json_(std::move(j)) {}
  const Json& json() const { return json_; }

 private:
  Json json_;
};

// Column conditions (no field: use inside field(name, ...) or column-level and_/or_/not_).
Condition eq(Json value);
Condition ne(Json value);
Condition gt(Json value);
Condition gte(Json value);
Condition lt(Json value);
Condition lte(Json value);
Condition in_(std::vector<Json> values);
Condition not_in(std::vector<Json> values);
Condition is_null();
Condition is_not_null();
Condition like(std::string pattern);
Condition ilike(std::string pattern);
Condition not_like(std::string pattern);
Condition not_ilike(std::string pattern);
Condition between(Json low, Json high);
Condition not_between(Json low, Json high);
Condition starts_with(std::string prefix);
Condition ends_with(std::string suffix);
Condition contains(std::string part);
Condition array_contains(std::vector<Json> values);
Condition array_contained(std::vector<Json> values);
Condition array_overlaps(std::vector<Json> values);
Condition and_(std::vector<Condition> all);
Condition or_(std::vector<Condition> any);
Condition not_(Condition c);

// A condition on one field (dots address nested object fields: "address.city").
Filter field(std::string name, Condition c);

// The same operators with the field first.
Filter eq(std::string name, Json value);
Filter ne(std::string name, Json value);
Filter gt(std::string name, Json value);
Filter gte(std::string name, Json value);
Filter lt(std::string name, Json value);
Filter lte(std::string name, Json value);
Filter in_(std::string name, std::vector<Json> values);
Filter not_in(std::string name, std::vector<Json> values);
Filter is_null(std::string name);
Filter is_not_null(std::string name);
Filter like(std::string name, std::string pattern);
Filter ilike(std::string name, std::string pattern);
Filter not_like(std::string name, std::string pattern);
Filter not_ilike(std::string name, std::string pattern);
Filter between(std::string name, Json low, Json high);
Filter not_between(std::string name, Json low, Json high);
Filter starts_with(std::string name, std::string prefix);
Filter ends_with(std::string name, std::string suffix);
Filter contains(std::string name, std::string part);
Filter array_contains(std::string name, std::vector<Json> values);
Filter array_contained(std::string name, std::vector<Json> values);
Filter array_overlaps(std::string name, std::vector<Json> values);

Filter and_(std::vector<Filter> all);
Filter or_(std::vector<Filter> any);
Filter not_(Filter f);

// `and_(a, b, c)` reads like Drizzle's and(a, b, c).
template <class... More>
Filter and_(Filter first, Filter second, More... more) {
  return and_(std::vector<Filter>{std::move(first), std::move(second), Filter(std::move(more))...});
}
template <class... More>
Filter or_(Filter first, Filter second, More... more) {
  return or_(std::vector<Filter>{std::move(first), std::move(second), Filter(std::move(more))...});
}
template <class... More>
Condition and_(Condition first, Condition second, More... more) {
  return and_(std::vector<Condition>{std::move(first), std::move(second), Condition(std::move(more))...});
}
template <class... More>
Condition or_(Condition first, Condition second, More... more) {
  return or_(std::vector<Condition>{std::move(first), std::move(second), Condition(std::move(more))...});
}

// Relation filters: a `many` relation has a matching row; a `one` relation's row exists and matches.
Filter related(std::string relation, Filter f);
Filter has(std::string relation);     // {"relation": true}: at least one related row
Filter has_no(std::string relation);  // {"relation": false}: none

// `{}`: every row (update and delete need an explicit where).
Filter every_row();

}  // namespace drizzle_convex
