// What a generated header is made of: column and relation descriptors, and
// the typed pieces of a query built from them (predicates, orders,
// assignments). Each descriptor is an empty struct whose type carries its
// table and value type, so that mixing tables or types is a compile error.
//
// A generated column looks like
//
//   struct credits : column<credits, users_table, double, false> {
//     static constexpr const char* _key = "credits";
//     template <class T> struct _member { T credits; ... };
//     using _column_base::operator=;
//   };
//
// `_member` is what a result row inherits to have a `credits` field (the
// technique sqlpp11 uses for its result rows), so a row has exactly the
// fields a query selected. User fields never start with "_" in Convex, so
// the descriptors' own names cannot collide with them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "drizzle_convex/filter.hpp"
#include "drizzle_convex/query.hpp"
#include "drizzle_convex/typed/codec.hpp"

namespace drizzle_convex::typed {

template <class... Ts>
struct type_list {};

using ::drizzle_convex::Aggregate;  // desc(users.posts, Aggregate::count)

// `users.nickname = undefined` removes an optional field in an update, as
// Convex's patch({nickname: undefined}) does.
struct undefined_t {};
inline constexpr undefined_t undefined{};

// One `set` entry of an update (or of an insert's onConflict update).
template <class Table>
struct Assignment {
  const char* key;
  Json value;
};

template <class T>
struct strip_optional {
  using type = T;
};
template <class T>
struct strip_optional<std::optional<T>> : strip_optional<T> {};

template <class T>
struct vector_element {};
template <class T>
struct vector_element<std::vector<T>> {
  using type = T;
};

template <class Self, class Table, class Value, bool Optional>
struct column {
  using _column_base = column;
  using _table = Table;
  using _value = Value;                         // nullable types are std::optional
  using _compare = typename strip_optional<Value>::type;  // what the column compares with
  static constexpr bool _optional = Optional;  // the field may be missing
  static constexpr bool _nullable = Optional || is_optional<Value>::value;
  using _member_type = std::conditional_t<Optional, std::optional<Value>, Value>;

  template <class V>
    requires std::is_convertible_v<V&&, Value>
  Assignment<Table> operator=(V&& v) const {  // NOLINT: set(users.credits = 5)
    return {Self::_key, codec<Value>::encode(Value(std::forward<V>(v)))};
  }
  Assignment<Table> operator=(undefined_t) const  // NOLINT
    requires Optional
  {
    return {Self::_key, ::drizzle_convex::unset()};
  }
};

template <class Rel, class... Options>
struct relation_with;

// Required: a `one` relation the schema declares "optional": false, which
// the server never answers with null.
template <class Self, class Source, class Target, bool Many, bool Required = false>
struct relation {
  using _source = Source;
  using _target = Target;
  static constexpr bool _many = Many;
  static constexpr bool _required = Required;

  // users.posts(limit(5), columns(posts.title)): the relation's own config.
  template <class... Options>
  relation_with<Self, Options...> operator()(Options... options) const {
    return relation_with<Self, Options...>{{std::move(options)...}};
  }
};

template <class T>
concept Column = requires {
  typename T::_column_base;
  typename T::_table;
  { T::_key } -> std::convertible_to<const char*>;
};
template <class T>
concept Relation = requires {
  typename T::_source;
  typename T::_target;
  { T::_key } -> std::convertible_to<const char*>;
};

// A filter on the rows of `Table`.
template <class Table>
struct Predicate {
  ::drizzle_convex::Filter untyped;
};

// One orderBy key on the rows of `Table`.
template <class Table>
struct Ordering {
  ::drizzle_convex::Order untyped;
};

// An untyped filter or order taken as one on `table`'s rows, for what the
// typed API does not reach (nested object fields such as "address.city").
template <class Table>
Predicate<Table> unchecked(const Table&, ::drizzle_convex::Filter f) {
  return {std::move(f)};
}

namespace detail {
template <class C>
Json value_json(const typename C::_compare& v) {
  return codec<typename C::_compare>::encode(v);
}
template <class C>
std::vector<Json> values_json(const std::vector<typename C::_compare>& vs) {
  std::vector<Json> out;
  out.reserve(vs.size());
  for (const auto& v : vs) out.push_back(codec<typename C::_compare>::encode(v));
  return out;
}
template <class C>
concept StringColumn = Column<C> && std::is_same_v<typename C::_compare, std::string>;
template <class C>
concept ArrayColumn = Column<C> && requires { typename vector_element<typename C::_compare>::type; };
template <class C>
using element_t = typename vector_element<typename C::_compare>::type;
}  // namespace detail

// Comparisons take the column's own type: eq(users.credits, "x") does not compile.
template <Column C>
Predicate<typename C::_table> eq(const C&, const typename C::_compare& v) {
  return {::drizzle_convex::eq(C::_key, detail::value_json<C>(v))};
}
template <Column C>
Predicate<typename C::_table> ne(const C&, const typename C::_compare& v) {
  return {::drizzle_convex::ne(C::_key, detail::value_json<C>(v))};
}
template <Column C>
Predicate<typename C::_table> gt(const C&, const typename C::_compare& v) {
  return {::drizzle_convex::gt(C::_key, detail::value_json<C>(v))};
}
template <Column C>
Predicate<typename C::_table> gte(const C&, const typename C::_compare& v) {
  return {::drizzle_convex::gte(C::_key, detail::value_json<C>(v))};
}
template <Column C>
Predicate<typename C::_table> lt(const C&, const typename C::_compare& v) {
  return {::drizzle_convex::lt(C::_key, detail::value_json<C>(v))};
}
template <Column C>
Predicate<typename C::_table> lte(const C&, const typename C::_compare& v) {
  return {::drizzle_convex::lte(C::_key, detail::value_json<C>(v))};
}
template <Column C>
Predicate<typename C::_table> between(const C&, const typename C::_compare& low, const typename C::_compare& high) {
  return {::drizzle_convex::between(C::_key, detail::value_json<C>(low), detail::value_json<C>(high))};
}
template <Column C>
Predicate<typename C::_table> not_between(const C&, const typename C::_compare& low, const typename C::_compare& high) {
  return {::drizzle_convex::not_between(C::_key, detail::value_json<C>(low), detail::value_json<C>(high))};
}
template <Column C>
Predicate<typename C::_table> in_(const C&, const std::vector<typename C::_compare>& vs) {
  return {::drizzle_convex::in_(C::_key, detail::values_json<C>(vs))};
}
template <Column C>
Predicate<typename C::_table> not_in(const C&, const std::vector<typename C::_compare>& vs) {
  return {::drizzle_convex::not_in(C::_key, detail::values_json<C>(vs))};
}

// Only a column that may be null or missing can be tested for it.
template <Column C>
  requires(C::_nullable)
Predicate<typename C::_table> is_null(const C&) {
  return {::drizzle_convex::is_null(C::_key)};
}
template <Column C>
  requires(C::_nullable)
Predicate<typename C::_table> is_not_null(const C&) {
  return {::drizzle_convex::is_not_null(C::_key)};
}

// Text operators exist only on string columns.
template <detail::StringColumn C>
Predicate<typename C::_table> like(const C&, std::string pattern) {
  return {::drizzle_convex::like(C::_key, std::move(pattern))};
}
template <detail::StringColumn C>
Predicate<typename C::_table> ilike(const C&, std::string pattern) {
  return {::drizzle_convex::ilike(C::_key, std::move(pattern))};
}
template <detail::StringColumn C>
Predicate<typename C::_table> not_like(const C&, std::string pattern) {
  return {::drizzle_convex::not_like(C::_key, std::move(pattern))};
}
template <detail::StringColumn C>
Predicate<typename C::_table> not_ilike(const C&, std::string pattern) {
  return {::drizzle_convex::not_ilike(C::_key, std::move(pattern))};
}
template <detail::StringColumn C>
Predicate<typename C::_table> starts_with(const C&, std::string prefix) {
  return {::drizzle_convex::starts_with(C::_key, std::move(prefix))};
}
template <detail::StringColumn C>
Predicate<typename C::_table> ends_with(const C&, std::string suffix) {
  return {::drizzle_convex::ends_with(C::_key, std::move(suffix))};
}
template <detail::StringColumn C>
Predicate<typename C::_table> contains(const C&, std::string part) {
  return {::drizzle_convex::contains(C::_key, std::move(part))};
}

// Array operators exist only on array columns, with the element's type.
template <detail::ArrayColumn C>
Predicate<typename C::_table> array_contains(const C&, const std::vector<detail::element_t<C>>& vs) {
  return {::drizzle_convex::array_contains(C::_key, codec<std::vector<detail::element_t<C>>>::encode(vs).template get<std::vector<Json>>())};
}
template <detail::ArrayColumn C>
Predicate<typename C::_table> array_contained(const C&, const std::vector<detail::element_t<C>>& vs) {
  return {::drizzle_convex::array_contained(C::_key, codec<std::vector<detail::element_t<C>>>::encode(vs).template get<std::vector<Json>>())};
}
template <detail::ArrayColumn C>
Predicate<typename C::_table> array_overlaps(const C&, const std::vector<detail::element_t<C>>& vs) {
  return {::drizzle_convex::array_overlaps(C::_key, codec<std::vector<detail::element_t<C>>>::encode(vs).template get<std::vector<Json>>())};
}

// and_/or_ combine filters on one table only.
template <class Table, class... More>
  requires(std::is_same_v<More, Predicate<Table>> && ...)
Predicate<Table> and_(Predicate<Table> first, More... more) {
  return {::drizzle_convex::and_(std::vector<::drizzle_convex::Filter>{std::move(first.untyped), std::move(more.untyped)...})};
}
template <class Table, class... More>
  requires(std::is_same_v<More, Predicate<Table>> && ...)
Predicate<Table> or_(Predicate<Table> first, More... more) {
  return {::drizzle_convex::or_(std::vector<::drizzle_convex::Filter>{std::move(first.untyped), std::move(more.untyped)...})};
}
template <class Table>
Predicate<Table> not_(Predicate<Table> p) {
  return {::drizzle_convex::not_(std::move(p.untyped))};
}

// Relation filters: the inner filter is on the relation's target table.
template <Relation R>
Predicate<typename R::_source> related(const R&, Predicate<typename R::_target> p) {
  return {::drizzle_convex::related(R::_key, std::move(p.untyped))};
}
template <Relation R>
Predicate<typename R::_source> has(const R&) {
  return {::drizzle_convex::has(R::_key)};
}
template <Relation R>
Predicate<typename R::_source> has_no(const R&) {
  return {::drizzle_convex::has_no(R::_key)};
}

// Update and delete need a where; this is the explicit "every row".
template <class Table>
Predicate<Table> every_row(const Table&) {
  return {::drizzle_convex::every_row()};
}

template <Column C>
Ordering<typename C::_table> asc(const C&) {
  return {::drizzle_convex::asc(C::_key)};
}
template <Column C>
Ordering<typename C::_table> desc(const C&) {
  return {::drizzle_convex::desc(C::_key)};
}
// Through a relation (Drizzle 1.0): asc(posts.author, users.name); over a
// `many` relation with an aggregate: desc(users.posts, posts.views, Aggregate::max).
template <Relation R, Column C>
  requires std::is_same_v<typename C::_table, typename R::_target>
Ordering<typename R::_source> asc(const R&, const C&, Aggregate aggregate = Aggregate::none) {
  return {::drizzle_convex::asc({R::_key}, C::_key, aggregate)};
}
template <Relation R, Column C>
  requires std::is_same_v<typename C::_table, typename R::_target>
Ordering<typename R::_source> desc(const R&, const C&, Aggregate aggregate = Aggregate::none) {
  return {::drizzle_convex::desc({R::_key}, C::_key, aggregate)};
}
// By how many related rows there are: desc(users.posts, Aggregate::count).
template <Relation R>
Ordering<typename R::_source> asc(const R&, Aggregate aggregate) {
  return {::drizzle_convex::asc({R::_key}, "", aggregate)};
}
template <Relation R>
Ordering<typename R::_source> desc(const R&, Aggregate aggregate) {
  return {::drizzle_convex::desc({R::_key}, "", aggregate)};
}

}  // namespace drizzle_convex::typed
