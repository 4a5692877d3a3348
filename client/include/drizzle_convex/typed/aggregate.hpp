// Typed aggregates (protocol.md section 11) over a generated schema:
//
//   auto q = db.posts.aggregate(where(eq(posts.published, true)), group_by(posts.authorId),
//                               as<"n">(count()), as<"views">(sum(posts.views)), as<"top">(max(posts.title)),
//                               having(drizzle_convex::gte("n", 2)), order_groups(drizzle_convex::desc("n")), limit(10));
//   Result<std::vector<std::tuple<Id<users_table>, std::int64_t, std::optional<double>,
//                                 std::optional<std::string>>>> groups = client.query(q);
//
// Each group is a tuple: its group fields, then the functions in the order
// given, typed from the columns: counts are int64, sum keeps the column's
// number type, avg is a double, min/max the column's type, and every function
// but the counts is optional (a group may hold no values). Without group_by
// the answer is one tuple. sum and avg of a column that is not a number, a
// column of another table, or a group field named twice does not compile.
// having and order_groups name group fields and the functions' names, with
// the untyped filters and orders, qualified (drizzle_convex::gte("n", 2)):
// the names are the caller's strings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "drizzle_convex/query.hpp"
#include "drizzle_convex/typed/codec.hpp"
#include "drizzle_convex/typed/schema.hpp"

namespace drizzle_convex::typed {

// A function over the rows: its JSON spec, the type of its result, and the
// table its column belongs to (void: any table, count of rows).
template <class Table, class R>
struct aggregate_fn {
  using _table = Table;
  using result_type = R;
  ::drizzle_convex::Function untyped;
};

namespace detail {
template <class C>
using column_value = typename C::_compare;
template <class C>
inline constexpr bool is_number_column = std::is_same_v<column_value<C>, double> || std::is_same_v<column_value<C>, std::int64_t>;
}  // namespace detail

inline aggregate_fn<void, std::int64_t> count() { return {::drizzle_convex::count_rows()}; }
template <Column C>
aggregate_fn<typename C::_table, std::int64_t> count(const C&) {
  return {::drizzle_convex::count_of(C::_key)};
}
template <Column C>
aggregate_fn<typename C::_table, std::int64_t> count_distinct(const C&) {
  return {::drizzle_convex::count_distinct(C::_key)};
}
template <Column C>
aggregate_fn<typename C::_table, std::optional<detail::column_value<C>>> sum(const C&) {
  static_assert(detail::is_number_column<C>, "sum takes a column of float64 or int64 numbers");
  return {::drizzle_convex::sum(C::_key)};
}
template <Column C>
aggregate_fn<typename C::_table, std::optional<double>> avg(const C&) {
  static_assert(detail::is_number_column<C>, "avg takes a column of float64 or int64 numbers");
  return {::drizzle_convex::avg(C::_key)};
}
template <Column C>
aggregate_fn<typename C::_table, std::optional<detail::column_value<C>>> min(const C&) {
  return {::drizzle_convex::min_of(C::_key)};
}
template <Column C>
aggregate_fn<typename C::_table, std::optional<detail::column_value<C>>> max(const C&) {
  return {::drizzle_convex::max_of(C::_key)};
}

// A function's name, known at compile time so the answer decodes by it.
template <std::size_t N>
struct fn_name {
  char value[N];
  constexpr fn_name(const char (&s)[N]) {  // NOLINT: as<"n"> takes a string literal
    for (std::size_t i = 0; i < N; ++i) value[i] = s[i];
  }
};

// as<"n">(count()): the function under its name in the answer (and in having/order_groups).
template <fn_name Name, class Table, class R>
struct named_fn {
  using _table = Table;
  using result_type = R;
  static constexpr const char* name() { return Name.value; }
  ::drizzle_convex::Function untyped;
};
template <fn_name Name, class Table, class R>
named_fn<Name, Table, R> as(aggregate_fn<Table, R> f) {
  return {std::move(f.untyped)};
}

template <Column... Cols>
struct group_by_option {};
template <Column... Cols>
group_by_option<Cols...> group_by(const Cols&...) {
  return {};
}
struct having_option {
  ::drizzle_convex::Filter filter;
};
inline having_option having(::drizzle_convex::Filter f) { return {std::move(f)}; }
struct order_groups_option {
  std::vector<::drizzle_convex::Order> orders;
};
template <class... More>
order_groups_option order_groups(::drizzle_convex::Order first, More... more) {
  return {{std::move(first), std::move(more)...}};
}

namespace detail {

template <class T>
struct is_named_fn : std::false_type {};
template <fn_name Name, class Table, class R>
struct is_named_fn<named_fn<Name, Table, R>> : std::true_type {};
template <class T>
struct is_group_by : std::false_type {};
template <class... C>
struct is_group_by<group_by_option<C...>> : std::true_type {};

template <class T>
struct group_fields {
  using type = std::tuple<>;
};
template <class... C>
struct group_fields<group_by_option<C...>> {
  // A missing or null field groups as null.
  using type = std::tuple<std::conditional_t<C::_nullable, std::optional<column_value<C>>, column_value<C>>...>;
};
template <class O>
struct fn_result {
  using type = std::tuple<>;
};
template <fn_name Name, class Table, class R>
struct fn_result<named_fn<Name, Table, R>> {
  using type = std::tuple<R>;
};

template <class... T>
using tuple_cat_t = decltype(std::tuple_cat(std::declval<T>()...));

template <class... C>
constexpr bool distinct_columns() {
  if constexpr (sizeof...(C) <= 1) {
    return true;
  } else {
    return [] <class First, class... Rest>(std::type_identity<First>, std::type_identity<Rest>...) {
      return (!std::is_same_v<First, Rest> && ...) && distinct_columns<Rest...>();
    }(std::type_identity<C>{}...);
  }
}

// Does option O belong to a query on Table (its columns, its functions' columns)?
template <class Table, class O>
struct fits_table : std::true_type {};
template <class Table, fn_name Name, class T, class R>
struct fits_table<Table, named_fn<Name, T, R>> : std::bool_constant<std::is_void_v<T> || std::is_same_v<T, Table>> {};
template <class Table, class... C>
struct fits_table<Table, group_by_option<C...>> : std::bool_constant<(std::is_same_v<typename C::_table, Table> && ...)> {};

// A count arrives as a JSON number; the rest in their Convex encodings.
template <class R>
void decode_result(const Json& j, R& out, const Path& p) {
  if constexpr (std::is_same_v<R, std::int64_t>) {
    if (!j.is_number_integer()) decode_fail(p, "a count", j);
    out = j.get<std::int64_t>();
  } else {
    codec<R>::decode(j, out, p);
  }
}

// The group_by among the options (at most one), or none.
template <class... O>
struct group_of {
  using type = void;
};
template <class First, class... Rest>
struct group_of<First, Rest...> {
  using type = std::conditional_t<is_group_by<First>::value, First, typename group_of<Rest...>::type>;
};

template <class G, class... O>
struct aggregate_row {
  using type = tuple_cat_t<typename group_fields<G>::type, typename fn_result<O>::type...>;
};

// One group object: its group fields by their keys, then each function by its name.
template <class G, class... O>
struct aggregate_shape;
template <class... Cols, class... O>
struct aggregate_shape<group_by_option<Cols...>, O...> {
  using row = typename aggregate_row<group_by_option<Cols...>, O...>::type;
  static void decode_row(const Json& j, row& out, const Path& p) {
    expect_object(j, p);
    decode_at<0>(j, out, p, std::type_identity<Cols>{}..., std::type_identity<O>{}...);
  }

 private:
  template <std::size_t I, class T, class... Rest>
  static void decode_at(const Json& j, row& out, const Path& p, std::type_identity<T>, Rest... rest) {
    if constexpr (is_named_fn<T>::value) {
      const char* key = T::name();
      auto it = j.find(key);
      decode_result(it == j.end() ? Json() : *it, std::get<I>(out), p.child(key));
      decode_at<I + 1>(j, out, p, rest...);
    } else if constexpr (Column<T>) {
      auto it = j.find(T::_key);
      codec<std::tuple_element_t<I, row>>::decode(it == j.end() ? Json() : *it, std::get<I>(out), p.child(T::_key));
      decode_at<I + 1>(j, out, p, rest...);
    } else {
      decode_at<I>(j, out, p, rest...);  // where, having, limit...: nothing in the answer
    }
  }
  template <std::size_t I>
  static void decode_at(const Json&, row&, const Path&) {}
};
template <class... O>
struct aggregate_shape<void, O...> : aggregate_shape<group_by_option<>, O...> {};

template <class G, class Row, class... O>
struct aggregate_answer {
  static void decode(const Json& j, Row& out, const Path& p) {
    if constexpr (std::is_void_v<G>) {
      aggregate_shape<void, O...>::decode_row(j, out, p);
    } else {
      if (!j.is_array()) decode_fail(p, "an array of groups", j);
      out.resize(j.size());
      for (std::size_t i = 0; i < j.size(); ++i) aggregate_shape<G, O...>::decode_row(j[i], out[i], p.item(i));
    }
  }
};

}  // namespace detail

}  // namespace drizzle_convex::typed
