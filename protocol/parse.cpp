#include "protocol/parse.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "protocol/json_read.hpp"

namespace dc {

std::string_view op_name(CmpOp op) {
  switch (op) {
    case CmpOp::eq: return "eq";
    case CmpOp::ne: return "ne";
    case CmpOp::gt: return "gt";
    case CmpOp::gte: return "gte";
    case CmpOp::lt: return "lt";
    case CmpOp::lte: return "lte";
    case CmpOp::in: return "in";
    case CmpOp::not_in: return "notIn";
    case CmpOp::is_null: return "isNull";
    case CmpOp::is_not_null: return "isNotNull";
    case CmpOp::like: return "like";
    case CmpOp::ilike: return "ilike";
    case CmpOp::not_like: return "notLike";
    case CmpOp::not_ilike: return "notIlike";
    case CmpOp::between: return "between";
    case CmpOp::not_between: return "notBetween";
    case CmpOp::starts_with: return "startsWith";
    case CmpOp::ends_with: return "endsWith";
    case CmpOp::contains: return "contains";
    case CmpOp::array_contains: return "arrayContains";
    case CmpOp::array_contained: return "arrayContained";
    case CmpOp::array_overlaps: return "arrayOverlaps";
  }
  return "?";
}

std::string_view read_op_name(ReadOp op) {
  switch (op) {
    case ReadOp::find_many: return "findMany";
    case ReadOp::find_first: return "findFirst";
    case ReadOp::paginate: return "paginate";
    case ReadOp::count: return "count";
    case ReadOp::aggregate: return "aggregate";
  }
  return "?";
}

std::string_view aggregate_fn_name(AggregateFn fn) {
  switch (fn) {
    case AggregateFn::count: return "count";
    case AggregateFn::count_distinct: return "countDistinct";
    case AggregateFn::sum: return "sum";
    case AggregateFn::avg: return "avg";
    case AggregateFn::min: return "min";
    case AggregateFn::max: return "max";
  }
  return "?";
}

std::string_view aggregate_name(OrderAggregate a) {
  switch (a) {
    case OrderAggregate::none: return "";
    case OrderAggregate::count: return "count";
    case OrderAggregate::min: return "min";
    case OrderAggregate::max: return "max";
    case OrderAggregate::avg: return "avg";
    case OrderAggregate::first: return "first";
  }
  return "?";
}

bool is_read_op(std::string_view op) {
  return op == "findMany" || op == "findFirst" || op == "paginate" || op == "count" || op == "aggregate";
}

namespace {

constexpr std::array kOps = {
    CmpOp::eq, CmpOp::ne, CmpOp::gt, CmpOp::gte, CmpOp::lt, CmpOp::lte,
    CmpOp::in, CmpOp::not_in, CmpOp::is_null, CmpOp::is_not_null,
    CmpOp::like, CmpOp::ilike, CmpOp::not_like, CmpOp::not_ilike,
    CmpOp::between, CmpOp::not_between, CmpOp::starts_with, CmpOp::ends_with, CmpOp::contains,
    CmpOp::array_contains, CmpOp::array_contained, CmpOp::array_overlaps,
};


std::string type_name(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: return "number";
    case Json::value_t::string: return "string";
    case Json::value_t::array: return "array";
    case Json::value_t::object: return "object";
    default: return "value";
  }
}

bool is_special_value(const Json& j) {
  if (!j.is_object() || j.size() != 1) return false;
  const std::string& key = j.begin().key();
  return key == "$integer" || key == "$float" || key == "$bytes";
}

// JavaScript's falsy values that JSON can carry: Drizzle skips `with` and
// `orderBy` entries holding one.
bool is_falsy(const Json& j) {
  return j.is_null() || (j.is_boolean() && !j.get<bool>()) || (j.is_number() && j.get<double>() == 0) ||
         (j.is_string() && j.get_ref<const std::string&>().empty());
}

// `strategy` ("basic" | "optimized"), `comment` (a string or an object of
// scalars: sqlcommenter tags) and `withCache` (a boolean).
Status sql_option(const std::string& key, const Json& v, const std::string& path) {
  if (key == "strategy" && !(v.is_string() && (v == "basic" || v == "optimized"))) {
    return Error::query("strategy is \"basic\" or \"optimized\" (it shapes Drizzle's SQL; it has no effect here)", path);
  }
  if (key == "withCache" && !v.is_boolean()) return Error::query("withCache takes true or false", path);
  if (key == "comment") {
    bool ok = v.is_string() || (v.is_object() && std::all_of(v.begin(), v.end(), [](const Json& x) { return x.is_primitive(); }));
    if (!ok) return Error::query("comment is a string or an object of strings, numbers and booleans", path);
  }
  return Ok{};
}

// The keys of an aggregate besides `where` (protocol.md section 11).
bool is_group_key(const std::string& key) {
  return key == "groupBy" || key == "aggregates" || key == "having" || key == "orderBy" || key == "limit" || key == "offset";
}

constexpr size_t kMaxGroupFields = 8;
// Every function runs over every row read and keeps state per group: the
// cost of one aggregate is rows × functions, so the functions are bounded.
constexpr size_t kMaxAggregates = 64;

// A group row holds fields only: no name in `having` or `orderBy` is a relation.
class NoRelations : public RelationResolver {
 public:
  std::optional<std::string> relation_target(std::string_view, std::string_view) const override { return std::nullopt; }
  bool has_table(std::string_view) const override { return true; }
};

// Shared state of one parse: limits and the filter-node budget.
class Parser {
 public:
  Parser(const RelationResolver& schema, const ParseLimits& limits) : schema_(schema), limits_(limits) {}

  Result<FilterNode> table_filter(const Json& j, std::string_view table, const std::string& path);
  Result<ReadConfig> config(const Json& j, std::string_view table, ReadOp op, const std::string& path,
                            size_t with_depth);
  Result<std::optional<int64_t>> non_negative(const Json& j, const std::string& path, const char* what,
                                              bool cap_at_max);
  Status relation_counts(const Json& j, std::string_view table, const std::string& path, ReadConfig& cfg);
  // An aggregate's groupBy, aggregates, having, orderBy, limit and offset.
  Status group(const Json& j, GroupQuery& out);

 private:
  // The target table of `rel` on `table`, or the 400 naming it at `path`.
  Result<std::string> relation_target(std::string_view table, const std::string& rel, const std::string& path) const {
    auto target = schema_.relation_target(table, rel);
    if (!target) return Error::query("unknown relation '" + rel + "' on table '" + std::string(table) + "'", path);
    return *target;
  }

  Status count_node(const std::string& path) {
    if (++nodes_ > limits_.max_filter_nodes) {
      return Error::query("filter has more than " + std::to_string(limits_.max_filter_nodes) + " nodes", path);
    }
    return Ok{};
  }
  Result<FilterNode> column_filter(const Json& j, const std::string& field, const std::string& path);
  // "AND"/"OR": a non-empty array whose items `child` parses. Drizzle 1.0
  // refuses an empty one (is it true or false?): so do we.
  template <class ParseChild>
  Result<std::optional<FilterNode>> connective(const std::string& key, const Json& items, const std::string& path,
                                               const char* what, ParseChild&& child) {
    if (!items.is_array()) return Error::query(key + " takes an array of " + what, path);
    if (items.empty()) return Error::query(key + " takes a non-empty array of " + what + "; leave the key out to filter nothing", path);
    FilterNode n;
    n.kind = key == "AND" ? FilterNode::Kind::and_ : FilterNode::Kind::or_;
    n.path = path;
    for (size_t i = 0; i < items.size(); ++i) {
      Result<FilterNode> f = child(items[i], pointer_append(path, i));
      if (!f) return std::move(f).error();
      n.children.push_back(std::move(f).value());
    }
    if (n.children.empty()) return std::optional<FilterNode>();
    return std::optional<FilterNode>(std::move(n));
  }
  Result<FilterNode> column_op(CmpOp op, const Json& arg, const std::string& field, const std::string& path);
  Result<std::vector<OrderKey>> order_by(const Json& j, std::string_view table, const std::string& path);
  // One orderBy entry `key: dir` on `table`, reached from the queried row through `via`.
  Status order_entry(std::vector<OrderKey>& keys, std::string_view table, const std::vector<std::string>& via,
                     const std::string& key, const Json& dir, const std::string& path);

  const RelationResolver& schema_;
  const ParseLimits& limits_;
  size_t nodes_ = 0;
};

FilterNode make_cmp(CmpOp op, std::string field, Value arg, std::string path) {
  FilterNode n;
  n.kind = FilterNode::Kind::cmp;
  n.op = op;
  n.field = std::move(field);
  n.arg = std::move(arg);
  n.path = std::move(path);
  return n;
}

FilterNode make_not(FilterNode child, std::string path) {
  FilterNode n;
  n.kind = FilterNode::Kind::not_;
  n.children.push_back(std::move(child));
  n.path = std::move(path);
  return n;
}

// `_count: {relation: true | {"where": FILTER}}` (protocol.md section 11).
Status Parser::relation_counts(const Json& j, std::string_view table, const std::string& path, ReadConfig& cfg) {
  if (!j.is_object()) return Error::query("_count takes an object of relation: true | {\"where\": filter}", path);
  for (const auto& [rel, spec] : j.items()) {
    std::string rp = pointer_append(path, rel);
    auto target = relation_target(table, rel, rp);
    if (!target) return std::move(target).error();
    auto c = std::make_shared<ReadConfig>();
    c->path = rp;
    if (spec.is_object()) {
      for (const auto& [key, val] : spec.items()) {
        std::string kp = pointer_append(rp, key);
        if (key != "where") return Error::query("a _count entry takes only 'where'", kp);
        auto f = table_filter(val, *target, kp);
        if (!f) return std::move(f).error();
        c->where = std::move(f).value();
      }
    } else if (!(spec.is_boolean() && spec.get<bool>())) {
      return Error::query("a _count entry is true or {\"where\": filter}", rp);
    }
    cfg.with.push_back(RelationLoad{rel, std::move(c), rp, true});
  }
  return Ok{};
}

Result<FilterNode> Parser::table_filter(const Json& j, std::string_view table, const std::string& path) {
  if (!j.is_object()) return Error::query("a filter must be an object, got " + type_name(j), path);
  if (auto st = count_node(path); !st) return std::move(st).error();
  std::vector<FilterNode> parts;
  for (const auto& [key, val] : j.items()) {
    std::string p = pointer_append(path, key);
    if (key == "AND" || key == "OR") {
      auto n = connective(key, val, p, "filters",
                          [&](const Json& child, const std::string& cp) { return table_filter(child, table, cp); });
      if (!n) return std::move(n).error();
      if (n->has_value()) parts.push_back(std::move(**n));
    } else if (key == "NOT") {
      auto f = table_filter(val, table, p);
      if (!f) return std::move(f).error();
      parts.push_back(make_not(std::move(f).value(), p));
    } else if (key == "RAW") {
      return Error::query("RAW (SQL) filters have no JSON form", p);
    } else if (auto target = schema_.relation_target(table, key)) {
      if (auto st = count_node(p); !st) return std::move(st).error();
      FilterNode n;
      n.kind = FilterNode::Kind::relation;
      n.relation = key;
      n.path = p;
      if (val.is_boolean()) {
        n.exists = val.get<bool>();
      } else if (val.is_object()) {
        auto f = table_filter(val, *target, p);
        if (!f) return std::move(f).error();
        n.children.push_back(std::move(f).value());
      } else {
        return Error::query("a relation filter takes true, false or a filter object, got " + type_name(val), p);
      }
      parts.push_back(std::move(n));
    } else {
      auto f = column_filter(val, key, p);
      if (!f) return std::move(f).error();
      parts.push_back(std::move(f).value());
    }
  }
  if (parts.size() == 1) return std::move(parts[0]);
  return FilterNode::make_and(std::move(parts), path);
}

Result<FilterNode> Parser::column_filter(const Json& j, const std::string& field, const std::string& path) {
  if (field.empty()) return Error::query("empty field name", path);
  if (!j.is_object() || is_special_value(j)) {
    // Shorthand equality; a JSON null means isNull (null or missing).
    if (auto st = count_node(path); !st) return std::move(st).error();
    if (j.is_null()) return make_cmp(CmpOp::is_null, field, Value(), path);
    auto v = value_from_json(j, path);
    if (!v) return std::move(v).error();
    return make_cmp(CmpOp::eq, field, std::move(v).value(), path);
  }
  std::vector<FilterNode> parts;
  for (const auto& [key, arg] : j.items()) {
    std::string p = pointer_append(path, key);
    if (key == "AND" || key == "OR") {
      // Each item is a column filter like the column's own value: a bare value means eq.
      auto n = connective(key, arg, p, "column filters",
                          [&](const Json& child, const std::string& cp) { return column_filter(child, field, cp); });
      if (!n) return std::move(n).error();
      if (n->has_value()) parts.push_back(std::move(**n));
    } else if (key == "NOT") {
      auto f = column_filter(arg, field, p);
      if (!f) return std::move(f).error();
      parts.push_back(make_not(std::move(f).value(), p));
    } else if (auto op = op_from_name(key)) {
      auto f = column_op(*op, arg, field, p);
      if (!f) return std::move(f).error();
      parts.push_back(std::move(f).value());
    } else {
      return Error::query("unknown operator '" + key + "'", p);
    }
  }
  if (parts.empty()) return FilterNode::make_const(true, path);  // {} filters nothing out
  if (parts.size() == 1) return std::move(parts[0]);
  return FilterNode::make_and(std::move(parts), path);
}

Result<FilterNode> Parser::column_op(CmpOp op, const Json& arg, const std::string& field, const std::string& path) {
  if (auto st = count_node(path); !st) return std::move(st).error();
  auto value_list = [&](size_t exact) -> Result<Value> {
    if (!arg.is_array()) return Error::query(std::string(op_name(op)) + " takes an array, got " + type_name(arg), path);
    if (exact && arg.size() != exact) {
      return Error::query(std::string(op_name(op)) + " takes exactly " + std::to_string(exact) + " values", path);
    }
    if (arg.size() > limits_.max_in_values) {
      return Error::query(std::string(op_name(op)) + " has " + std::to_string(arg.size()) + " values; the limit is " +
                              std::to_string(limits_.max_in_values),
                          path);
    }
    return value_from_json(arg, path);
  };
  switch (op) {
    case CmpOp::eq:
    case CmpOp::ne: {
      if (arg.is_null()) return make_cmp(op == CmpOp::eq ? CmpOp::is_null : CmpOp::is_not_null, field, Value(), path);
      auto v = value_from_json(arg, path);
      if (!v) return std::move(v).error();
      return make_cmp(op, field, std::move(v).value(), path);
    }
    case CmpOp::gt:
    case CmpOp::gte:
    case CmpOp::lt:
    case CmpOp::lte: {
      if (arg.is_null()) return Error::query(std::string(op_name(op)) + " cannot compare with null; use isNull", path);
      auto v = value_from_json(arg, path);
      if (!v) return std::move(v).error();
      return make_cmp(op, field, std::move(v).value(), path);
    }
    case CmpOp::in:
    case CmpOp::not_in:
    case CmpOp::array_contains:
    case CmpOp::array_contained:
    case CmpOp::array_overlaps: {
      auto v = value_list(0);
      if (!v) return std::move(v).error();
      return make_cmp(op, field, std::move(v).value(), path);
    }
    case CmpOp::between:
    case CmpOp::not_between: {
      auto v = value_list(2);
      if (!v) return std::move(v).error();
      for (size_t i = 0; i < 2; ++i) {
        if (v->as_array()[i].is_null()) {
          return Error::query(std::string(op_name(op)) + " bounds cannot be null", pointer_append(path, i));
        }
      }
      return make_cmp(op, field, std::move(v).value(), path);
    }
    case CmpOp::is_null:
    case CmpOp::is_not_null: {
      if (!arg.is_boolean()) return Error::query(std::string(op_name(op)) + " takes true", path);
      if (!arg.get<bool>()) return FilterNode::make_const(true, path);  // Drizzle ignores a falsy flag
      return make_cmp(op, field, Value(), path);
    }
    case CmpOp::like:
    case CmpOp::ilike:
    case CmpOp::not_like:
    case CmpOp::not_ilike:
    case CmpOp::starts_with:
    case CmpOp::ends_with:
    case CmpOp::contains: {
      if (!arg.is_string()) return Error::query(std::string(op_name(op)) + " takes a string, got " + type_name(arg), path);
      const auto& text = arg.get_ref<const std::string&>();
      if (text.size() > limits_.max_pattern_bytes) {
        return Error::query(std::string(op_name(op)) + " takes at most " + std::to_string(limits_.max_pattern_bytes) +
                                " bytes (this one has " + std::to_string(text.size()) + "): matching costs the text's length times the pattern's",
                            path);
      }
      return make_cmp(op, field, Value(text), path);
    }
  }
  return Error::query("unknown operator", path);
}

// "asc", "desc", or with an aggregate over related rows: "desc(max)".
std::optional<std::pair<bool, OrderAggregate>> order_direction(const Json& dir) {
  if (!dir.is_string()) return std::nullopt;
  const auto& s = dir.get_ref<const std::string&>();
  bool desc = s.rfind("desc", 0) == 0;
  if (!desc && s.rfind("asc", 0) != 0) return std::nullopt;
  std::string_view rest = std::string_view(s).substr(desc ? 4 : 3);
  if (rest.empty()) return std::pair{desc, OrderAggregate::none};
  for (auto a : {OrderAggregate::count, OrderAggregate::min, OrderAggregate::max, OrderAggregate::avg, OrderAggregate::first}) {
    if (rest == "(" + std::string(aggregate_name(a)) + ")") return std::pair{desc, a};
  }
  return std::nullopt;
}

Status Parser::order_entry(std::vector<OrderKey>& keys, std::string_view table, const std::vector<std::string>& via,
                           const std::string& key, const Json& dir, const std::string& path) {
  if (is_falsy(dir)) return Ok{};  // Drizzle skips an entry whose value is falsy
  if (auto target = schema_.relation_target(table, key)) {
    // Ordering by related rows: their columns (an object), or their number.
    if (via.size() >= limits_.max_with_depth) {
      return Error::query("orderBy goes through more than " + std::to_string(limits_.max_with_depth) + " relations", path);
    }
    std::vector<std::string> deeper = via;
    deeper.push_back(key);
    if (dir.is_object()) {
      for (const auto& [k, v] : dir.items()) {
        if (auto st = order_entry(keys, *target, deeper, k, v, pointer_append(path, k)); !st) return st;
      }
      return Ok{};
    }
    auto d = order_direction(dir);
    if (!d || d->second != OrderAggregate::count) {
      return Error::query("ordering by relation '" + key +
                              "' takes an object of its columns ({\"name\": \"asc\"}), or \"asc(count)\" / \"desc(count)\" for a many relation",
                          path);
    }
    keys.push_back(OrderKey{"", d->first, path, std::move(deeper), OrderAggregate::count});
    return Ok{};
  }
  auto d = order_direction(dir);
  if (!d || (via.empty() && d->second != OrderAggregate::none)) {
    return Error::query(via.empty() ? "orderBy direction must be \"asc\" or \"desc\""
                                    : "orderBy direction must be \"asc\" or \"desc\", or over a many relation's rows "
                                      "\"asc(<aggregate>)\" / \"desc(<aggregate>)\" with count, min, max, avg or first",
                        path);
  }
  if (via.empty()) {
    for (const auto& k : keys) {
      if (k.on_row() && k.field == key) return Error::query("orderBy names '" + key + "' twice", path);
    }
  }
  keys.push_back(OrderKey{key, d->first, path, via, d->second});
  return Ok{};
}

Result<std::vector<OrderKey>> Parser::order_by(const Json& j, std::string_view table, const std::string& path) {
  std::vector<OrderKey> keys;
  if (j.is_object()) {
    for (const auto& [key, dir] : j.items()) {
      if (auto st = order_entry(keys, table, {}, key, dir, pointer_append(path, key)); !st) return std::move(st).error();
    }
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) {
      std::string ip = pointer_append(path, i);
      if (!j[i].is_object() || j[i].size() != 1) return Error::query("each orderBy entry must be {field: dir}", ip);
      auto only = j[i].begin();
      if (auto st = order_entry(keys, table, {}, only.key(), only.value(), pointer_append(ip, only.key())); !st) {
        return std::move(st).error();
      }
    }
  } else {
    return Error::query("orderBy must be an object or an array", path);
  }
  return keys;
}

Result<std::optional<int64_t>> Parser::non_negative(const Json& j, const std::string& path, const char* what,
                                                    bool cap_at_max) {
  if (!j.is_number()) return Error::query(std::string(what) + " must be a non-negative integer", path);
  double d = j.get<double>();
  if (!(d >= 0) || std::floor(d) != d) return Error::query(std::string(what) + " must be a non-negative integer", path);
  if (cap_at_max && d > static_cast<double>(limits_.max_limit)) {
    // The number as the client wrote it: a cast of a huge double to int64 would be undefined.
    return Error::query(std::string(what) + " " + j.dump() + " is above the maximum " +
                            std::to_string(limits_.max_limit),
                        path);
  }
  if (d > 9e15) return Error::query(std::string(what) + " is too large", path);
  return std::optional<int64_t>(static_cast<int64_t>(d));
}

Result<ReadConfig> Parser::config(const Json& j, std::string_view table, ReadOp op, const std::string& path,
                                  size_t with_depth) {
  ReadConfig cfg;
  cfg.path = path;
  bool root = with_depth == 0;
  for (const auto& [key, val] : j.items()) {
    std::string p = pointer_append(path, key);
    if (root && (key == "table" || key == "op" || key == "search" || key == "numItems" || key == "cursor")) {
      continue;  // handled by the caller
    }
    if (root && op == ReadOp::aggregate && is_group_key(key)) continue;  // Parser::group
    if (root && (key == "strategy" || key == "comment" || key == "withCache")) {
      // Drizzle 1.0's root options about the SQL it builds and its cache:
      // accepted so calls move over unchanged, checked, and without effect here.
      if (auto st = sql_option(key, val, p); !st) return std::move(st).error();
      continue;
    }
    bool allowed = true;
    if (op == ReadOp::count || op == ReadOp::aggregate) allowed = key == "where";
    if (op == ReadOp::paginate && (key == "limit" || key == "offset")) allowed = false;
    if (op == ReadOp::find_first && key == "limit") allowed = false;
    if (!allowed) {
      return Error::query("'" + key + "' is not allowed in " + std::string(read_op_name(op)), p);
    }
    if (key == "columns") {
      auto c = parse_columns(val, p, "columns");
      if (!c) return std::move(c).error();
      cfg.columns = std::move(c).value();
    } else if (key == "where") {
      auto f = table_filter(val, table, p);
      if (!f) return std::move(f).error();
      cfg.where = std::move(f).value();
    } else if (key == "orderBy") {
      auto o = order_by(val, table, p);
      if (!o) return std::move(o).error();
      cfg.order_by = std::move(o).value();
    } else if (key == "limit" || key == "offset") {
      auto n = non_negative(val, p, key.c_str(), key == "limit");
      if (!n) return std::move(n).error();
      (key == "limit" ? cfg.limit : cfg.offset) = *n.value();
    } else if (key == "with") {
      if (!val.is_object()) return Error::query("with must be an object of relation: true|config", p);
      if (with_depth + 1 > limits_.max_with_depth) {
        return Error::query("with is nested deeper than " + std::to_string(limits_.max_with_depth) + " levels", p);
      }
      for (const auto& [rel, sub] : val.items()) {
        std::string rp = pointer_append(p, rel);
        if (rel == "_count") {
          if (auto st = relation_counts(sub, table, rp, cfg); !st) return std::move(st).error();
          continue;
        }
        auto target = relation_target(table, rel, rp);
        if (!target) return std::move(target).error();
        if (is_falsy(sub)) continue;  // Drizzle skips falsy entries
        if (sub.is_boolean()) {
          auto c = std::make_shared<ReadConfig>();
          c->path = rp;
          cfg.with.push_back(RelationLoad{rel, std::move(c), rp});
        } else if (sub.is_object()) {
          auto c = config(sub, *target, ReadOp::find_many, rp, with_depth + 1);
          if (!c) return std::move(c).error();
          cfg.with.push_back(RelationLoad{rel, std::make_shared<ReadConfig>(std::move(c).value()), rp});
        } else {
          return Error::query("a with entry takes true or a config object", rp);
        }
      }
    } else if (key == "extras") {
      return Error::query("extras (SQL expressions) have no JSON form", p);
    } else {
      return Error::query("unknown key '" + key + "'", p);
    }
  }
  // Drizzle refuses a level that selects nothing ("No fields selected"); with
  // relations loaded, `columns: {}` means rows holding only those.
  if (op != ReadOp::count && op != ReadOp::aggregate && cfg.columns.mode == ColumnSelection::Mode::include && cfg.columns.fields.empty() &&
      cfg.with.empty() && j.contains("columns")) {  // `_count` entries are in `with` too
    return Error::query("no fields selected: columns selects nothing and nothing is loaded with 'with'; "
                        "select at least one column or relation",
                        pointer_append(path, "columns"));
  }
  return cfg;
}


Status Parser::group(const Json& j, GroupQuery& out) {
  if (auto g = j.find("groupBy"); g != j.end()) {
    bool one = g->is_string();  // "groupBy": "category" is one field
    const Json list = one ? Json::array({*g}) : *g;
    if (!list.is_array()) return Error::query("groupBy takes an array of field names", "/groupBy");
    if (list.size() > kMaxGroupFields) {
      return Error::query("groupBy takes at most " + std::to_string(kMaxGroupFields) + " fields", "/groupBy");
    }
    for (size_t i = 0; i < list.size(); ++i) {
      std::string p = one ? "/groupBy" : pointer_append("/groupBy", i);
      if (!list[i].is_string() || list[i].get_ref<const std::string&>().empty()) {
        return Error::query("groupBy takes field names", p);
      }
      const auto& name = list[i].get_ref<const std::string&>();
      if (std::find(out.group_by.begin(), out.group_by.end(), name) != out.group_by.end()) {
        return Error::query("groupBy names '" + name + "' twice", p);
      }
      out.group_by.push_back(name);
      out.group_paths.push_back(std::move(p));
    }
  }
  if (auto a = j.find("aggregates"); a != j.end()) {
    if (!a->is_object()) return Error::query("aggregates takes an object of name: {function: field}", "/aggregates");
    if (a->size() > kMaxAggregates) {
      return Error::query("aggregates takes at most " + std::to_string(kMaxAggregates) + " functions", "/aggregates");
    }
    for (const auto& [name, spec] : a->items()) {
      std::string p = pointer_append("/aggregates", name);
      if (name.empty() || name[0] == '$' || name[0] == '_' || name.find('.') != std::string::npos) {
        return Error::query("an aggregate name may not be empty, start with '$' or '_', or contain a dot", p);
      }
      if (std::find(out.group_by.begin(), out.group_by.end(), name) != out.group_by.end()) {
        return Error::query("aggregate name '" + name + "' is also a groupBy field", p);
      }
      if (!spec.is_object() || spec.size() != 1) {
        return Error::query("an aggregate is an object with exactly one function: count, countDistinct, sum, avg, min or max", p);
      }
      // The iterator, not a structured binding of *items().begin(): that one
      // refers into a temporary iteration proxy (ASan: stack-use-after-scope).
      const auto only = spec.begin();
      const std::string& fn_name = only.key();
      const Json& arg = only.value();
      std::string fp = pointer_append(p, fn_name);
      std::optional<AggregateFn> fn;
      for (auto f : {AggregateFn::count, AggregateFn::count_distinct, AggregateFn::sum, AggregateFn::avg, AggregateFn::min, AggregateFn::max}) {
        if (aggregate_fn_name(f) == fn_name) fn = f;
      }
      if (!fn) return Error::query("unknown function '" + fn_name + "': count, countDistinct, sum, avg, min or max", fp);
      AggregateSpec as{name, *fn, "", fp};
      if (*fn == AggregateFn::count && arg.is_boolean() && arg.get<bool>()) {
        // count: true counts rows
      } else if (arg.is_string() && !arg.get_ref<const std::string&>().empty()) {
        as.field = arg.get<std::string>();
      } else {
        return Error::query(*fn == AggregateFn::count ? "count takes true (rows) or a field name" : std::string(fn_name) + " takes a field name", fp);
      }
      out.aggregates.push_back(std::move(as));
    }
  }
  if (out.group_by.empty() && !j.contains("aggregates")) {
    return Error::query("an aggregate takes aggregates, groupBy or both", "/aggregates");
  }
  NoRelations names;
  Parser over_groups(names, limits_);
  for (const auto& [key, val] : j.items()) {
    if (!is_group_key(key) || key == "groupBy" || key == "aggregates") continue;
    std::string p = pointer_append("", key);
    if (out.group_by.empty()) {
      return Error::query("'" + key + "' needs groupBy: without it an aggregate answers one object", p);
    }
    if (key == "having") {
      auto f = over_groups.table_filter(val, "", p);
      if (!f) return std::move(f).error();
      out.having = std::move(f).value();
    } else if (key == "orderBy") {
      auto o = over_groups.order_by(val, "", p);
      if (!o) return std::move(o).error();
      out.order_by = std::move(o).value();
    } else {
      auto n = non_negative(val, p, key.c_str(), key == "limit");
      if (!n) return std::move(n).error();
      (key == "limit" ? out.limit : out.offset) = *n.value();
    }
  }
  return Ok{};
}

}  // namespace

std::optional<CmpOp> op_from_name(std::string_view name) {
  for (CmpOp op : kOps) {
    if (op_name(op) == name) return op;
  }
  return std::nullopt;
}

Result<ColumnSelection> parse_columns(const Json& j, const std::string& path, const char* what) {
  if (!j.is_object()) return Error::query(std::string(what) + " must be an object of field: true|false", path);
  ColumnSelection sel;
  bool any_true = false;
  for (const auto& [key, val] : j.items()) {
    if (!val.is_boolean()) return Error::query(std::string(what) + " values must be true or false", pointer_append(path, key));
    any_true = any_true || val.get<bool>();
  }
  // Drizzle: any true → include exactly the true ones; all false → exclude; {} → nothing.
  sel.mode = (any_true || j.empty()) ? ColumnSelection::Mode::include : ColumnSelection::Mode::exclude;
  for (const auto& [key, val] : j.items()) {
    if (val.get<bool>() == any_true) {
      sel.fields.push_back(key);
      sel.paths.push_back(pointer_append(path, key));
    }
  }
  return sel;
}

Result<Json> parse_json_body(std::string_view body, const ParseLimits& limits) {
  JsonLimits json;
  json.max_depth = limits.max_json_depth;
  return read_json(body, json, "request JSON");
}

Result<FilterNode> parse_filter(const Json& j, std::string_view table, const RelationResolver& schema,
                                const ParseLimits& limits, const std::string& path) {
  Parser parser(schema, limits);
  return parser.table_filter(j, table, path);
}

Result<ReadQuery> parse_read_query(const Json& j, const RelationResolver& schema, const ParseLimits& limits) {
  if (!j.is_object()) return Error::query("a query must be a JSON object", "");
  ReadQuery q;
  auto table = j.find("table");
  if (table == j.end() || !table->is_string()) return Error::query("'table' must name a table", "/table");
  q.table = table->get<std::string>();
  if (!schema.has_table(q.table)) return Error::query("unknown table '" + q.table + "'", "/table");
  auto op = j.find("op");
  if (op != j.end()) {
    if (!op->is_string()) return Error::query("'op' must be a string", "/op");
    const auto& name = op->get_ref<const std::string&>();
    if (name == "findMany") q.op = ReadOp::find_many;
    else if (name == "findFirst") q.op = ReadOp::find_first;
    else if (name == "paginate") q.op = ReadOp::paginate;
    else if (name == "count") q.op = ReadOp::count;
    else if (name == "aggregate") q.op = ReadOp::aggregate;
    else return Error::query("unknown op '" + name + "'", "/op");
  }
  Parser parser(schema, limits);
  auto cfg = parser.config(j, q.table, q.op, "", 0);
  if (!cfg) return std::move(cfg).error();
  q.config = std::move(cfg).value();
  if (q.op == ReadOp::find_first) q.config.limit = 1;
  if (q.op == ReadOp::aggregate) {
    if (auto st = parser.group(j, q.group); !st) return std::move(st).error();
  }

  if (auto s = j.find("search"); s != j.end()) {
    if (q.op == ReadOp::count || q.op == ReadOp::aggregate) {
      return Error::query("'search' is not allowed in " + std::string(read_op_name(q.op)), "/search");
    }
    if (!s->is_object()) return Error::query("search must be {index, query, filters?}", "/search");
    SearchSpec spec;
    spec.path = "/search";
    for (const auto& [key, val] : s->items()) {
      std::string p = pointer_append("/search", key);
      if (key == "index" || key == "query") {
        if (!val.is_string()) return Error::query("search." + key + " must be a string", p);
        (key == "index" ? spec.index : spec.query) = val.get<std::string>();
      } else if (key == "filters") {
        if (!val.is_object()) return Error::query("search.filters must be an object of field: value", p);
        for (const auto& [f, fv] : val.items()) {
          auto v = value_from_json(fv, pointer_append(p, f));
          if (!v) return std::move(v).error();
          spec.filters.emplace_back(f, std::move(v).value());
        }
      } else {
        return Error::query("unknown key '" + key + "' in search", p);
      }
    }
    if (spec.index.empty()) return Error::query("search.index is required", "/search/index");
    if (!q.config.order_by.empty()) return Error::query("orderBy is not allowed with search (relevance order)", "/orderBy");
    q.search = std::move(spec);
  }

  if (q.op == ReadOp::paginate) {
    auto n = j.find("numItems");
    if (n == j.end()) return Error::query("paginate requires numItems", "/numItems");
    auto v = parser.non_negative(*n, "/numItems", "numItems", true);
    if (!v) return std::move(v).error();
    if (**v == 0) return Error::query("numItems must be at least 1", "/numItems");
    q.num_items = **v;
    if (auto c = j.find("cursor"); c != j.end() && !c->is_null()) {
      if (!c->is_string()) return Error::query("cursor must be null or a continueCursor string", "/cursor");
      q.cursor = c->get<std::string>();
    }
  } else {
    for (const char* key : {"numItems", "cursor"}) {
      if (j.contains(key)) {
        return Error::query(std::string("'") + key + "' is only for paginate", pointer_append("", key));
      }
    }
  }
  return q;
}

}  // namespace dc
