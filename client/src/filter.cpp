#include "drizzle_convex/filter.hpp"

namespace drizzle_convex {

namespace {
Condition op(const char* name, Json arg) { return Condition(Json{{name, std::move(arg)}}); }
Json array(std::vector<Json> values) {
  Json a = Json::array();
  for (auto& v : values) a.push_back(std::move(v));
  return a;
}
Filter on(std::string name, Condition c) {
  Json j = Json::object();
  j[std::move(name)] = c.json();
  return Filter(std::move(j));
}
template <class T>
Json list(const std::vector<T>& items) {
  Json a = Json::array();
  for (const auto& item : items) a.push_back(item.json());
  return a;
}
}  // namespace

Condition eq(Json value) { return op("eq", std::move(value)); }
Condition ne(Json value) { return op("ne", std::move(value)); }
Condition gt(Json value) { return op("gt", std::move(value)); }
Condition gte(Json value) { return op("gte", std::move(value)); }
Condition lt(Json value) { return op("lt", std::move(value)); }
Condition lte(Json value) { return op("lte", std::move(value)); }
Condition in_(std::vector<Json> values) { return op("in", array(std::move(values))); }
Condition not_in(std::vector<Json> values) { return op("notIn", array(std::move(values))); }
Condition is_null() { return op("isNull", true); }
Condition is_not_null() { return op("isNotNull", true); }
Condition like(std::string pattern) { return op("like", std::move(pattern)); }
Condition ilike(std::string pattern) { return op("ilike", std::move(pattern)); }
Condition not_like(std::string pattern) { return op("notLike", std::move(pattern)); }
Condition not_ilike(std::string pattern) { return op("notIlike", std::move(pattern)); }
Condition between(Json low, Json high) { return op("between", Json::array({std::move(low), std::move(high)})); }
Condition not_between(Json low, Json high) { return op("notBetween", Json::array({std::move(low), std::move(high)})); }
Condition starts_with(std::string prefix) { return op("startsWith", std::move(prefix)); }
Condition ends_with(std::string suffix) { return op("endsWith", std::move(suffix)); }
Condition contains(std::string part) { return op("contains", std::move(part)); }
Condition array_contains(std::vector<Json> values) { return op("arrayContains", array(std::move(values))); }
Condition array_contained(std::vector<Json> values) { return op("arrayContained", array(std::move(values))); }
Condition array_overlaps(std::vector<Json> values) { return op("arrayOverlaps", array(std::move(values))); }
Condition and_(std::vector<Condition> all) { return op("AND", list(all)); }
Condition or_(std::vector<Condition> any) { return op("OR", list(any)); }
Condition not_(Condition c) { return op("NOT", c.json()); }

Filter field(std::string name, Condition c) { return on(std::move(name), std::move(c)); }

Filter eq(std::string name, Json value) { return on(std::move(name), eq(std::move(value))); }
Filter ne(std::string name, Json value) { return on(std::move(name), ne(std::move(value))); }
Filter gt(std::string name, Json value) { return on(std::move(name), gt(std::move(value))); }
Filter gte(std::string name, Json value) { return on(std::move(name), gte(std::move(value))); }
Filter lt(std::string name, Json value) { return on(std::move(name), lt(std::move(value))); }
Filter lte(std::string name, Json value) { return on(std::move(name), lte(std::move(value))); }
Filter in_(std::string name, std::vector<Json> values) { return on(std::move(name), in_(std::move(values))); }
Filter not_in(std::string name, std::vector<Json> values) { return on(std::move(name), not_in(std::move(values))); }
Filter is_null(std::string name) { return on(std::move(name), is_null()); }
Filter is_not_null(std::string name) { return on(std::move(name), is_not_null()); }
Filter like(std::string name, std::string pattern) { return on(std::move(name), like(std::move(pattern))); }
Filter ilike(std::string name, std::string pattern) { return on(std::move(name), ilike(std::move(pattern))); }
Filter not_like(std::string name, std::string pattern) { return on(std::move(name), not_like(std::move(pattern))); }
Filter not_ilike(std::string name, std::string pattern) { return on(std::move(name), not_ilike(std::move(pattern))); }
Filter between(std::string name, Json low, Json high) { return on(std::move(name), between(std::move(low), std::move(high))); }
Filter not_between(std::string name, Json low, Json high) {
  return on(std::move(name), not_between(std::move(low), std::move(high)));
}
Filter starts_with(std::string name, std::string prefix) { return on(std::move(name), starts_with(std::move(prefix))); }
Filter ends_with(std::string name, std::string suffix) { return on(std::move(name), ends_with(std::move(suffix))); }
Filter contains(std::string name, std::string part) { return on(std::move(name), contains(std::move(part))); }
Filter array_contains(std::string name, std::vector<Json> values) { return on(std::move(name), array_contains(std::move(values))); }
Filter array_contained(std::string name, std::vector<Json> values) { return on(std::move(name), array_contained(std::move(values))); }
Filter array_overlaps(std::string name, std::vector<Json> values) { return on(std::move(name), array_overlaps(std::move(values))); }

Filter and_(std::vector<Filter> all) { return Filter(Json{{"AND", list(all)}}); }
Filter or_(std::vector<Filter> any) { return Filter(Json{{"OR", list(any)}}); }
Filter not_(Filter f) { return Filter(Json{{"NOT", f.json()}}); }

Filter related(std::string relation, Filter f) {
  Json j = Json::object();
  j[std::move(relation)] = f.json();
  return Filter(std::move(j));
}
Filter has(std::string relation) {
  Json j = Json::object();
  j[std::move(relation)] = true;
  return Filter(std::move(j));
}
Filter has_no(std::string relation) {
  Json j = Json::object();
  j[std::move(relation)] = false;
  return Filter(std::move(j));
}
Filter every_row() { return Filter(Json::object()); }

}  // namespace drizzle_convex
