// Typed reads and mutations over a generated schema (dcq codegen):
//
//   blog::Db db;
//   auto q = db.users.find_many(columns(users.name, users.email),
//                               with(users.posts(limit(5))),
//                               where(eq(users.role, blog::users_role::admin)));
//   Result<std::vector<...>> rows = client.query(q);   // rows->at(0).name, .email, .posts
//
// The options are checked against the table at compile time: a column or
// relation of another table, a filter or order on another table, an option
// given twice, or a limit where Drizzle takes none, is a static_assert with
// a message naming the rule. The JSON sent is the untyped builder's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "drizzle_convex/query.hpp"
#include "drizzle_convex/result.hpp"
#include "drizzle_convex/typed/aggregate.hpp"
#include "drizzle_convex/typed/codec.hpp"
#include "drizzle_convex/typed/request.hpp"
#include "drizzle_convex/typed/row.hpp"
#include "drizzle_convex/typed/schema.hpp"

namespace drizzle_convex::typed {

// ---- options --------------------------------------------------------------

template <class... Cols>
struct include_columns {};
template <class... Cols>
struct exclude_columns {};
template <class... Relations>
struct with_relations {
  std::tuple<Relations...> relations;
};
template <class Table>
struct where_option {
  Predicate<Table> predicate;
};
template <class Table>
struct order_option {
  std::vector<Ordering<Table>> orders;
};
struct limit_option {
  std::int64_t n;
};
struct offset_option {
  std::int64_t n;
};
struct search_option {
  Search search;
};

// columns(users.name, users.email): exactly these; columns(): none (with relations only).
template <Column... Cols>
include_columns<Cols...> columns(const Cols&...) {
  return {};
}
// exclude(users.bio): all but these.
template <Column... Cols>
  requires(sizeof...(Cols) > 0)
exclude_columns<Cols...> exclude(const Cols&...) {
  return {};
}

template <class R>
struct as_relation_with {
  static_assert(Relation<R>, "with(...) takes relations of the table, e.g. with(users.posts, users.profile(columns(profiles.bio)))");
  using type = relation_with<R>;
  static type make(const R&) { return {}; }
};
template <class R, class... O>
struct as_relation_with<relation_with<R, O...>> {
  using type = relation_with<R, O...>;
  static type make(const type& w) { return w; }
};
template <class... W>
with_relations<typename as_relation_with<W>::type...> with(const W&... w) {
  return {{as_relation_with<W>::make(w)...}};
}

template <class Table>
where_option<Table> where(Predicate<Table> p) {
  return {std::move(p)};
}
template <class Table, class... More>
  requires(std::is_same_v<More, Ordering<Table>> && ...)
order_option<Table> order_by(Ordering<Table> first, More... more) {
  return {{std::move(first), std::move(more)...}};
}
inline limit_option limit(std::int64_t n) { return {n}; }
inline offset_option offset(std::int64_t n) { return {n}; }
// A full-text search index of the table (rows come in relevance order; no order_by).
inline search_option search(std::string index, std::string query, Json filters = Json::object()) {
  return {Search{std::move(index), std::move(query), std::move(filters)}};
}

// ---- what the options say about the result ---------------------------------

namespace detail {

template <class O>
struct option_kind {
  static constexpr int value = 0;
};
enum : int { k_columns = 1, k_with, k_where, k_order, k_limit, k_offset, k_search };
template <class... C>
struct option_kind<include_columns<C...>> {
  static constexpr int value = k_columns;
};
template <class... C>
struct option_kind<exclude_columns<C...>> {
  static constexpr int value = k_columns;
};
template <class... R>
struct option_kind<with_relations<R...>> {
  static constexpr int value = k_with;
};
template <class T>
struct option_kind<where_option<T>> {
  static constexpr int value = k_where;
};
template <class T>
struct option_kind<order_option<T>> {
  static constexpr int value = k_order;
};
template <>
struct option_kind<limit_option> {
  static constexpr int value = k_limit;
};
template <>
struct option_kind<offset_option> {
  static constexpr int value = k_offset;
};
template <>
struct option_kind<search_option> {
  static constexpr int value = k_search;
};

template <int Kind, class... O>
inline constexpr int count_kind = ((option_kind<O>::value == Kind ? 1 : 0) + ... + 0);

// Does the option refer only to `Table`?
template <class Table, class O>
struct on_table : std::true_type {};
template <class Table, class... C>
struct on_table<Table, include_columns<C...>> : std::bool_constant<(std::is_same_v<typename C::_table, Table> && ...)> {};
template <class Table, class... C>
struct on_table<Table, exclude_columns<C...>> : std::bool_constant<(std::is_same_v<typename C::_table, Table> && ...)> {};
template <class Table, class T>
struct on_table<Table, where_option<T>> : std::is_same<T, Table> {};
template <class Table, class T>
struct on_table<Table, order_option<T>> : std::is_same<T, Table> {};
template <class Table, class... R>
struct relations_on_table : std::bool_constant<(std::is_same_v<typename R::_rel::_source, Table> && ...)> {};
template <class Table, class O>
struct relations_of_table : std::true_type {};
template <class Table, class... R>
struct relations_of_table<Table, with_relations<R...>> : relations_on_table<Table, R...> {};

template <class... Ts>
inline constexpr bool distinct = true;
template <class H, class... T>
inline constexpr bool distinct<H, T...> = (!std::is_same_v<H, T> && ...) && distinct<T...>;

template <class O>
struct columns_distinct : std::true_type {};
template <class... C>
struct columns_distinct<include_columns<C...>> : std::bool_constant<distinct<C...>> {};
template <class... C>
struct columns_distinct<exclude_columns<C...>> : std::bool_constant<distinct<C...>> {};

template <class... Lists>
struct concat {
  using type = type_list<>;
};
template <class... A>
struct concat<type_list<A...>> {
  using type = type_list<A...>;
};
template <class... A, class... B, class... Rest>
struct concat<type_list<A...>, type_list<B...>, Rest...> : concat<type_list<A..., B...>, Rest...> {};

template <class O>
struct relations_in {
  using type = type_list<>;
};
template <class... R>
struct relations_in<with_relations<R...>> {
  using type = type_list<R...>;
};

template <class... O>
struct first_columns {
  using type = void;
};
template <class H, class... T>
struct first_columns<H, T...> {
  using type = std::conditional_t<option_kind<H>::value == k_columns, H, typename first_columns<T...>::type>;
};

template <class H, class Cols>
struct prepend;
template <class H, class... C>
struct prepend<H, include_columns<C...>> {
  using type = include_columns<H, C...>;
};
template <class All, class... Drop>
struct without;
template <class... Drop>
struct without<type_list<>, Drop...> {
  using type = include_columns<>;
};
template <class H, class... T, class... Drop>
struct without<type_list<H, T...>, Drop...> {
  using rest = typename without<type_list<T...>, Drop...>::type;
  using type = std::conditional_t<(std::is_same_v<H, Drop> || ...), rest, typename prepend<H, rest>::type>;
};

template <class R>
struct relation_of {
  using type = typename R::_rel;
};
template <class... R>
inline constexpr bool distinct_relations = distinct<typename relation_of<R>::type...>;
template <class L>
struct distinct_relation_list;
template <class... R>
struct distinct_relation_list<type_list<R...>> : std::bool_constant<distinct_relations<R...>> {};

}  // namespace detail

template <class Table, class ColumnsOption, class Relations>
struct make_row;
template <class Table>
struct make_row<Table, void, type_list<>> {
  using type = typename Table::_row;
};
template <class Table, class R1, class... R>
struct make_row<Table, void, type_list<R1, R...>> {
  using type = extended<typename Table::_row, R1, R...>;
};
template <class Table, class... C, class... R>
struct make_row<Table, include_columns<C...>, type_list<R...>> {
  using type = row<C..., R...>;
};
template <class Table, class... C, class... R>
struct make_row<Table, exclude_columns<C...>, type_list<R...>> {
  using type = typename make_row<Table, typename detail::without<typename Table::_columns, C...>::type, type_list<R...>>::type;
};

// The checks every read level makes, and the row it yields.
template <class Table, class... O>
struct selection {
  static_assert(((detail::option_kind<O>::value != 0) && ...),
                "not a read option: use columns, exclude, with, where, order_by, limit, offset or search");
  static_assert(detail::count_kind<detail::k_columns, O...> <= 1, "columns(...) or exclude(...) may be given once");
  static_assert(detail::count_kind<detail::k_where, O...> <= 1, "where(...) may be given once: combine filters with and_");
  static_assert(detail::count_kind<detail::k_order, O...> <= 1, "order_by(...) may be given once, with every key");
  static_assert(detail::count_kind<detail::k_limit, O...> <= 1, "limit(...) may be given once");
  static_assert(detail::count_kind<detail::k_offset, O...> <= 1, "offset(...) may be given once");
  static_assert(detail::count_kind<detail::k_search, O...> == 0 || detail::count_kind<detail::k_order, O...> == 0,
                "search(...) orders by relevance: it takes no order_by");
  static_assert((detail::on_table<Table, O>::value && ...),
                "columns(...), where(...) or order_by(...) names a column of another table");
  static_assert((detail::relations_of_table<Table, O>::value && ...), "with(...) names a relation of another table");
  static_assert((detail::columns_distinct<O>::value && ...), "a column is listed twice");

  using relations = typename detail::concat<typename detail::relations_in<O>::type...>::type;
  static_assert(detail::distinct_relation_list<relations>::value, "a relation is loaded twice");
  using row_type = typename make_row<Table, typename detail::first_columns<O...>::type, relations>::type;
};

template <class Rel, class... Options>
struct relation_with {
  static_assert(detail::count_kind<detail::k_search, Options...> == 0, "search(...) is for the root read only");
  std::tuple<Options...> options;
  using _rel = Rel;
  static constexpr const char* _key = Rel::_key;
  static constexpr bool _optional = false;
  template <class T>
  using _member = typename Rel::template _member<T>;
  using _row = typename selection<typename Rel::_target, Options...>::row_type;
  // A `many` relation is an array (never null); a `one` relation a row or
  // null, or a row when the schema says it is never null ("optional": false).
  using _member_type =
      std::conditional_t<Rel::_many, std::vector<_row>, std::conditional_t<Rel::_required, _row, std::optional<_row>>>;
};

// ---- options → the untyped ReadConfig ---------------------------------------

namespace detail {

template <class... C>
void apply(ReadConfig& c, const include_columns<C...>&) {
  c.columns = ::drizzle_convex::include(std::vector<std::string>{C::_key...});
}
template <class... C>
void apply(ReadConfig& c, const exclude_columns<C...>&) {
  c.columns = ::drizzle_convex::exclude(std::vector<std::string>{C::_key...});
}
template <class T>
void apply(ReadConfig& c, const where_option<T>& o) {
  c.where = o.predicate.untyped;
}
template <class T>
void apply(ReadConfig& c, const order_option<T>& o) {
  for (const auto& order : o.orders) c.order_by.push_back(order.untyped);
}
inline void apply(ReadConfig& c, const limit_option& o) { c.limit = o.n; }
inline void apply(ReadConfig& c, const offset_option& o) { c.offset = o.n; }
inline void apply(ReadConfig& c, const search_option& o) { c.search = o.search; }

template <class... O>
ReadConfig config_of(const O&... options);

template <class Rel, class... O>
With with_of(const relation_with<Rel, O...>& w) {
  return With{Rel::_key, std::apply([](const auto&... o) { return config_of(o...); }, w.options)};
}
template <class... R>
void apply(ReadConfig& c, const with_relations<R...>& o) {
  std::apply([&c](const auto&... w) { (c.with.push_back(with_of(w)), ...); }, o.relations);
}

template <class... O>
ReadConfig config_of(const O&... options) {
  ReadConfig c;
  (apply(c, options), ...);
  return c;
}

template <class... O>
inline constexpr bool has_kind(int kind) {
  return ((option_kind<O>::value == kind) || ...);
}

}  // namespace detail

// ---- answers ------------------------------------------------------------------

template <class Row>
struct Page {
  std::vector<Row> rows;
  std::string continue_cursor;
  bool is_done = false;
};

// A write without `returning`: how many rows it touched, and an insert's new ids.
template <class Table>
struct WriteSummary {
  std::int64_t rows_affected = 0;
  std::vector<Id<Table>> ids;
};

namespace detail {

inline std::int64_t read_count(const Json& j, const char* key, const Path& p) {
  expect_object(j, p);
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) decode_fail(p.child(key), "an integer", it == j.end() ? Json() : *it);
  return it->get<std::int64_t>();
}

template <class R>
struct answer {
  static void decode(const Json& j, R& out, const Path& p) { codec<R>::decode(j, out, p); }
};
template <class Row>
struct answer<Page<Row>> {
  static void decode(const Json& j, Page<Row>& out, const Path& p) {
    expect_object(j, p);
    decode_field<false>(j, "page", out.rows, p);
    decode_field<false>(j, "isDone", out.is_done, p);
    auto it = j.find("continueCursor");
    if (it != j.end() && it->is_string()) out.continue_cursor = it->get<std::string>();
  }
};
template <class Table>
struct answer<WriteSummary<Table>> {
  static void decode(const Json& j, WriteSummary<Table>& out, const Path& p) {
    out.rows_affected = read_count(j, "rowsAffected", p);
    if (j.contains("ids")) decode_field<false>(j, "ids", out.ids, p);
  }
};
struct count_answer {
  static void decode(const Json& j, std::int64_t& out, const Path& p) { out = read_count(j, "count", p); }
};

template <class R, class Shape>
Result<R> decode_answer(const Json& data) {
  try {
    R out{};
    Shape::decode(data, out, Path{});
    return out;
  } catch (const std::exception& e) {
    return Error{Error::Kind::protocol, 200, "BAD_ANSWER",
                 std::string("the answer does not fit the generated types: ") + e.what(), std::nullopt, std::nullopt};
  }
}

}  // namespace detail

// A typed read: the request, and the type its answer decodes to.
template <class R, class Shape = detail::answer<R>>
class Read {
 public:
  using result_type = R;
  static constexpr bool is_read = true;

  explicit Read(ReadQuery q) : q_(std::move(q)) {}
  const Json& json() const { return q_.json(); }
  const ReadQuery& untyped() const { return q_; }
  // paginate: the same query from a previous page's continue_cursor.
  Read with_cursor(std::optional<std::string> cursor) const { return Read(q_.with_cursor(std::move(cursor))); }
  static Result<R> decode(const Json& data) { return detail::decode_answer<R, Shape>(data); }

 private:
  ReadQuery q_;
};

// ---- mutations ------------------------------------------------------------------

namespace detail {
template <class Table, class... A>
Json set_json(const A&... assignments) {
  static_assert((std::is_same_v<A, Assignment<Table>> && ...),
                "set(...) takes assignments to this table's columns, e.g. users.credits = 5");
  Json j = Json::object();
  ((j[assignments.key] = assignments.value), ...);
  return j;
}
template <class Table, class C>
struct returning_row {
  static_assert(option_kind<C>::value == k_columns, "returning(...) takes columns(...) or exclude(...)");
  static_assert(on_table<Table, C>::value, "returning(...) names a column of another table");
  static_assert(columns_distinct<C>::value, "a column is listed twice");
  using type = typename make_row<Table, C, type_list<>>::type;
};
template <class... C>
Columns columns_json(const include_columns<C...>&) {
  return ::drizzle_convex::include(std::vector<std::string>{C::_key...});
}
template <class... C>
Columns columns_json(const exclude_columns<C...>&) {
  return ::drizzle_convex::exclude(std::vector<std::string>{C::_key...});
}
template <class Table, class Returning>
using write_result = std::conditional_t<std::is_void_v<Returning>, WriteSummary<Table>, std::vector<Returning>>;
}  // namespace detail

// onConflict's target: target(users.email), a unique constraint's columns.
template <class Table>
struct Target {
  std::vector<std::string> fields;
};
template <Column C, Column... More>
  requires(std::is_same_v<typename More::_table, typename C::_table> && ...)
Target<typename C::_table> target(const C&, const More&...) {
  return {{C::_key, More::_key...}};
}

template <class Table, class Returning = void>
class InsertBuilder {
 public:
  using result_type = detail::write_result<Table, Returning>;
  static constexpr bool is_read = false;
  static constexpr bool ready = true;

  explicit InsertBuilder(Insert m) : m_(std::move(m)) {}
  InsertBuilder<Table, typename Table::_row> returning() const {
    return InsertBuilder<Table, typename Table::_row>(m_.returning());
  }
  template <class C>
  InsertBuilder<Table, typename detail::returning_row<Table, C>::type> returning(const C& columns) const {
    return InsertBuilder<Table, typename detail::returning_row<Table, C>::type>(m_.returning(detail::columns_json(columns)));
  }
  InsertBuilder on_conflict_do_nothing(const Target<Table>& t) const { return InsertBuilder(m_.on_conflict_do_nothing(t.fields)); }
  template <class... A>
  InsertBuilder on_conflict_do_update(const Target<Table>& t, const A&... set) const {
    return InsertBuilder(m_.on_conflict_do_update(t.fields, detail::set_json<Table>(set...)));
  }
  const Json& json() const { return m_.json(); }
  operator Mutation() const { return m_; }  // NOLINT: a step of a transaction
  static Result<result_type> decode(const Json& data) { return detail::decode_answer<result_type, detail::answer<result_type>>(data); }

 private:
  Insert m_;
};

namespace detail {
// What update and delete share. `HasWhere` turns true with where(...);
// before that the builder is not a mutation (update().set(...) alone does
// not compile as one).
template <template <class, class, bool> class Builder, class Untyped, class Table, class Returning, bool HasWhere>
class FilteredWrite {
 public:
  using result_type = write_result<Table, Returning>;
  static constexpr bool is_read = false;
  static constexpr bool ready = HasWhere;

  explicit FilteredWrite(Untyped m) : m_(std::move(m)) {}
  Builder<Table, Returning, true> where(const Predicate<Table>& p) const {
    return Builder<Table, Returning, true>(m_.where(p.untyped));
  }
  Builder<Table, typename Table::_row, HasWhere> returning() const {
    return Builder<Table, typename Table::_row, HasWhere>(m_.returning());
  }
  template <class C>
  Builder<Table, typename returning_row<Table, C>::type, HasWhere> returning(const C& columns) const {
    return Builder<Table, typename returning_row<Table, C>::type, HasWhere>(m_.returning(columns_json(columns)));
  }
  const Json& json() const { return m_.json(); }
  operator Mutation() const  // NOLINT: a step of a transaction
    requires HasWhere
  {
    return m_;
  }
  static Result<result_type> decode(const Json& data) { return decode_answer<result_type, answer<result_type>>(data); }

 protected:
  Untyped m_;
};
}  // namespace detail

template <class Table, class Returning = void, bool HasWhere = false>
class UpdateBuilder : public detail::FilteredWrite<UpdateBuilder, Update, Table, Returning, HasWhere> {
 public:
  using detail::FilteredWrite<UpdateBuilder, Update, Table, Returning, HasWhere>::FilteredWrite;
  template <class... A>
  UpdateBuilder set(const A&... assignments) const {
    return UpdateBuilder(this->m_.set(detail::set_json<Table>(assignments...)));
  }
};

template <class Table, class Returning = void, bool HasWhere = false>
class DeleteBuilder : public detail::FilteredWrite<DeleteBuilder, Delete, Table, Returning, HasWhere> {
 public:
  using detail::FilteredWrite<DeleteBuilder, Delete, Table, Returning, HasWhere>::FilteredWrite;
};

// A transaction answers each op's result in order: a tuple of their types.
template <class... Ops>
class TransactionBuilder {
 public:
  using result_type = std::tuple<typename Ops::result_type...>;
  static constexpr bool is_read = false;
  static constexpr bool ready = true;

  explicit TransactionBuilder(const Ops&... ops) : m_(Db().transaction({Mutation(ops)...})) {}
  const Json& json() const { return m_.json(); }
  static Result<result_type> decode(const Json& data) { return detail::decode_answer<result_type, Shape>(data); }

 private:
  struct Shape {
    static void decode(const Json& j, result_type& out, const Path& p) {
      if (!j.is_array() || j.size() != sizeof...(Ops)) decode_fail(p, "an array with one result per op", j);
      decode_each(j, out, p, std::index_sequence_for<Ops...>{});
    }
    template <std::size_t... I>
    static void decode_each(const Json& j, result_type& out, const Path& p, std::index_sequence<I...>) {
      (detail::answer<std::tuple_element_t<I, result_type>>::decode(j[I], std::get<I>(out), p.item(I)), ...);
    }
  };
  Mutation m_;
};

template <class... Ops>
  requires(TypedMutation<Ops> && ...)
TransactionBuilder<Ops...> transaction(const Ops&... ops) {
  return TransactionBuilder<Ops...>(ops...);
}

// ---- aggregates (typed/aggregate.hpp) ----------------------------------------------

namespace detail {

template <class O>
inline constexpr bool is_aggregate_option = is_named_fn<O>::value || is_group_by<O>::value || std::is_same_v<O, having_option> ||
                                            std::is_same_v<O, order_groups_option> || std::is_same_v<O, limit_option> ||
                                            std::is_same_v<O, offset_option> || option_kind<O>::value == k_where;
template <class Table, class T>
struct fits_table<Table, where_option<T>> : std::bool_constant<std::is_same_v<T, Table>> {};

template <class Table>
void apply_aggregate(AggregateConfig& c, const where_option<Table>& w) { c.where = w.predicate.untyped; }
template <class... C>
void apply_aggregate(AggregateConfig& c, const group_by_option<C...>&) { (c.group_by.push_back(C::_key), ...); }
template <fn_name Name, class T, class R>
void apply_aggregate(AggregateConfig& c, const named_fn<Name, T, R>& f) { c.aggregates.push_back({Name.value, f.untyped}); }
inline void apply_aggregate(AggregateConfig& c, const having_option& h) { c.having = h.filter; }
inline void apply_aggregate(AggregateConfig& c, const order_groups_option& o) { c.order_by = o.orders; }
inline void apply_aggregate(AggregateConfig& c, const limit_option& l) { c.limit = l.n; }
inline void apply_aggregate(AggregateConfig& c, const offset_option& o) { c.offset = o.n; }

template <class... O>
inline constexpr int group_by_count = ((is_group_by<O>::value ? 1 : 0) + ... + 0);

}  // namespace detail

// ---- the table's entry point: db.users --------------------------------------------

template <class Table>
struct TableApi {
  template <class... O>
  Read<std::vector<typename selection<Table, O...>::row_type>> find_many(const O&... options) const {
    return Read<std::vector<typename selection<Table, O...>::row_type>>(
        TableQuery(Table::_name).find_many(detail::config_of(options...)));
  }
  // One row or none; Drizzle's findFirst takes no limit.
  template <class... O>
  Read<std::optional<typename selection<Table, O...>::row_type>> find_first(const O&... options) const {
    static_assert(!detail::has_kind<O...>(detail::k_limit), "find_first takes no limit: it reads one row");
    return Read<std::optional<typename selection<Table, O...>::row_type>>(
        TableQuery(Table::_name).find_first(detail::config_of(options...)));
  }
  // `num_items` per page; take the next page with .with_cursor(page.continue_cursor).
  template <class... O>
  Read<Page<typename selection<Table, O...>::row_type>> paginate(std::int64_t num_items, const O&... options) const {
    static_assert(!detail::has_kind<O...>(detail::k_limit) && !detail::has_kind<O...>(detail::k_offset),
                  "paginate takes no limit or offset: num_items and the cursor say which rows");
    return Read<Page<typename selection<Table, O...>::row_type>>(
        TableQuery(Table::_name).paginate(num_items, detail::config_of(options...)));
  }
  Read<std::int64_t, detail::count_answer> count() const {
    return Read<std::int64_t, detail::count_answer>(TableQuery(Table::_name).count());
  }
  Read<std::int64_t, detail::count_answer> count(const where_option<Table>& w) const {
    return Read<std::int64_t, detail::count_answer>(TableQuery(Table::_name).count(w.predicate.untyped));
  }

  // Functions over the rows, per group: a tuple per group (typed/aggregate.hpp says which types).
  template <class... O>
  auto aggregate(const O&... options) const {
    static_assert((detail::is_aggregate_option<O> && ...),
                  "aggregate takes where, group_by, as<\"name\">(function), having, order_groups, limit and offset");
    static_assert((detail::fits_table<Table, O>::value && ...), "an aggregate's where, group_by and functions name this table's columns");
    static_assert(detail::group_by_count<O...> <= 1, "group_by(...) may be given once, with every field");
    using G = typename detail::group_of<O...>::type;
    if constexpr (!std::is_void_v<G>) {
      static_assert([]<class... C>(std::type_identity<group_by_option<C...>>) { return detail::distinct_columns<C...>(); }(std::type_identity<G>{}),
                    "group_by names a column twice");
    }
    using Row = typename detail::aggregate_row<G, O...>::type;
    using R = std::conditional_t<std::is_void_v<G>, Row, std::vector<Row>>;
    AggregateConfig config;
    (detail::apply_aggregate(config, options), ...);
    return Read<R, detail::aggregate_answer<G, R, O...>>(TableQuery(Table::_name).aggregate(config));
  }

  // Drizzle's $inferInsert: required fields required, system fields absent.
  InsertBuilder<Table> insert(const typename Table::_insert& row) const {
    return InsertBuilder<Table>(Insert(Table::_name).values(codec<typename Table::_insert>::encode(row)));
  }
  InsertBuilder<Table> insert(const std::vector<typename Table::_insert>& rows) const {
    return InsertBuilder<Table>(Insert(Table::_name).values(codec<std::vector<typename Table::_insert>>::encode(rows)));
  }
  UpdateBuilder<Table> update() const { return UpdateBuilder<Table>(Update(Table::_name)); }
  DeleteBuilder<Table> delete_() const { return DeleteBuilder<Table>(Delete(Table::_name)); }
};

}  // namespace drizzle_convex::typed
