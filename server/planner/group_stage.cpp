// Group: an aggregate's fields and functions checked against the table and
// the caller's columns, and `having`/`orderBy` bound against the group rows
// it answers (protocol.md section 11), so both runners evaluate them with the
// filter code every read uses.
#include <algorithm>

#include "server/planner/binder.hpp"
#include "server/planner/planner_stages.hpp"

namespace dc {

namespace {

// The one number kind (int64 or float64) a field holds, null aside; nullopt
// when it may hold anything else.
std::optional<Value::Kind> numeric_kind(const Validator& v) {
  std::optional<Value::Kind> only;
  for (auto k : {Value::Kind::int64, Value::Kind::float64, Value::Kind::boolean, Value::Kind::string, Value::Kind::bytes,
                 Value::Kind::array, Value::Kind::object}) {
    if (!v.admits_kind(k)) continue;
    if (only || (k != Value::Kind::int64 && k != Value::Kind::float64)) return std::nullopt;
    only = k;
  }
  return only;
}

Validator of_kind(Validator::Kind k) {
  Validator v;
  v.kind = k;
  return v;
}

Validator or_null(Validator v) {
  Validator u = of_kind(Validator::Kind::union_);
  u.items = {std::move(v), of_kind(Validator::Kind::null_)};
  return u;
}

// The first comparison in `f` on a name that is not a group row's field.
const FilterNode* foreign_name(const FilterNode& f, const TableDef& rows) {
  if (f.kind == FilterNode::Kind::cmp) {
    const auto& fields = rows.document.fields;
    bool known = std::any_of(fields.begin(), fields.end(), [&](const FieldDef& d) { return d.name == f.field; });
    return known ? nullptr : &f;
  }
  for (const auto& c : f.children) {
    if (const FilterNode* x = foreign_name(c, rows)) return x;
  }
  return nullptr;
}

FieldDef group_field(std::string name, Validator type, bool optional) {
  FieldDef f;
  f.name = std::move(name);
  f.type = std::move(type);
  f.optional = optional;
  return f;
}

}  // namespace

Result<GroupPlan> Planner::group(const TableDef& table, const GroupQuery& q) const {
  GroupPlan g;
  const std::set<std::string>* visible = nullptr;
  if (rules_) {
    auto r = read_rule(table, "");
    if (!r) return std::move(r).error();
    if ((*r)->columns) visible = &*(*r)->columns;
  }
  auto readable = [&](const std::string& field, const std::string& path) -> Status {
    std::string top = field.substr(0, field.find('.'));
    if (visible && !visible->count(top)) {
      return forbidden("role '" + rules_->role + "' may not read column '" + top + "' of table '" + table.name + "'", path);
    }
    return Ok{};
  };
  // The group rows as a table: what `having` and `orderBy` may name, typed.
  TableDef rows;
  rows.name = table.name + " groups";
  rows.document = of_kind(Validator::Kind::object);
  for (size_t i = 0; i < q.group_by.size(); ++i) {
    const auto& f = q.group_by[i];
    const Validator* type = f.find('.') == std::string::npos ? table.field_type(f) : nullptr;
    if (!type) return Error::query("groupBy takes top-level fields of '" + table.name + "'; '" + f + "' is not one", q.group_paths[i]);
    if (auto st = readable(f, q.group_paths[i]); !st) return std::move(st).error();
    g.group_by.push_back(f);
    rows.document.fields.push_back(group_field(f, or_null(*type), true));  // a missing field groups as null
  }
  for (const auto& a : q.aggregates) {
    AggregateTerm t{a.name, a.fn, a.field, false, a.path};
    Validator result = of_kind(Validator::Kind::float64);  // count, countDistinct, avg
    if (!a.field.empty()) {
      const Validator* type = table.field_type(a.field);
      if (!type) return Error::query("unknown field '" + a.field + "' on table '" + table.name + "'", a.path);
      if (auto st = readable(a.field, a.path); !st) return std::move(st).error();
      if (a.fn == AggregateFn::sum || a.fn == AggregateFn::avg) {
        auto kind = numeric_kind(*type);
        if (!kind) {
          return Error::query(std::string(aggregate_fn_name(a.fn)) + " takes a field that holds only float64 or only int64 numbers; '" + a.field +
                                  "' is " + type->describe(),
                              a.path);
        }
        t.int64 = *kind == Value::Kind::int64;
        if (a.fn == AggregateFn::sum) result = of_kind(t.int64 ? Validator::Kind::int64 : Validator::Kind::float64);
      } else if (a.fn == AggregateFn::min || a.fn == AggregateFn::max) {
        result = *type;
      }
    }
    bool never_null = a.fn == AggregateFn::count || a.fn == AggregateFn::count_distinct;
    rows.document.fields.push_back(group_field(a.name, never_null ? result : or_null(std::move(result)), false));
    g.terms.push_back(std::move(t));
  }
  if (q.having) {
    if (const FilterNode* x = foreign_name(*q.having, rows)) {
      return Error::query("having names '" + x->field + "', which is neither a groupBy field nor an aggregate", x->path);
    }
    auto b = bind_filter(*q.having, schema_, rows);
    if (!b) return std::move(b).error();
    g.having = std::move(b).value();
  }
  for (const auto& k : q.order_by) {
    const auto& fields = rows.document.fields;
    if (std::none_of(fields.begin(), fields.end(), [&](const FieldDef& d) { return d.name == k.field; })) {
      return Error::query("orderBy names '" + k.field + "', which is neither a groupBy field nor an aggregate", k.path);
    }
    g.order.push_back(k);
  }
  // Then the group fields ascending: every answer order is deterministic.
  for (size_t i = 0; i < g.group_by.size(); ++i) {
    const auto& f = g.group_by[i];
    bool named = std::any_of(g.order.begin(), g.order.end(), [&](const OrderKey& k) { return k.field == f; });
    if (!named) g.order.push_back(OrderKey{f, false, q.group_paths[i]});
  }
  g.limit = q.limit;
  g.offset = q.offset.value_or(0);
  return g;
}

}  // namespace dc
