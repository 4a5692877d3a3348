#include "server/backend/embedded/group_fold.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "server/backend/embedded/exact_sum.hpp"
#include "server/backend/embedded/filter_eval.hpp"

namespace dc {

namespace {

// Room for any int64 sum of the rows a budget allows, checked once at the end.
__extension__ typedef __int128 WideSum;

// -0 and 0 are one group and one distinct value, at any depth.
Value grouping_form(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::undefined: return Value(nullptr);
    case Value::Kind::float64: return v.as_float64() == 0 ? Value(0.0) : v;
    case Value::Kind::array: {
      Array a;
      for (const auto& x : v.as_array()) a.push_back(grouping_form(x));
      return Value(std::move(a));
    }
    case Value::Kind::object: {
      Object o;
      for (const auto& [k, x] : v.as_object()) o.emplace_back(k, grouping_form(x));
      return Value(std::move(o));
    }
    default: return v;
  }
}

struct DistinctLess {
  bool operator()(const Value& a, const Value& b) const { return compare(a, b) < 0; }
};

struct GroupKeyLess {
  bool operator()(const std::vector<Value>& a, const std::vector<Value>& b) const {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), DistinctLess{});
  }
};

// One function's running state over one group.
struct Accumulator {
  uint64_t count = 0;            // values (rows for count: true)
  std::set<Value, DistinctLess> distinct;
  WideSum int_sum = 0;
  ExactSum float_sum;
  std::optional<Value> best;     // min / max

  void add(const AggregateTerm& t, const Value* v) {
    if (t.field.empty()) {
      ++count;
      return;
    }
    if (!v || v->is_null() || v->kind() == Value::Kind::undefined) return;  // SQL: nulls are ignored
    switch (t.fn) {
      case AggregateFn::count: ++count; return;
      case AggregateFn::count_distinct: distinct.insert(grouping_form(*v)); return;
      case AggregateFn::sum:
      case AggregateFn::avg:
        if (t.int64 && v->kind() == Value::Kind::int64) int_sum += v->as_int64();
        else if (!t.int64 && v->kind() == Value::Kind::float64) float_sum.add(v->as_float64());
        else return;  // the validator admits only the one kind
        ++count;
        return;
      case AggregateFn::min:
      case AggregateFn::max: {
        bool better = !best || (t.fn == AggregateFn::min ? compare(*v, *best) < 0 : compare(*v, *best) > 0);
        if (better) best = *v;
        return;
      }
    }
  }

  Result<Value> result(const AggregateTerm& t) const {
    switch (t.fn) {
      case AggregateFn::count: return Value(static_cast<double>(count));
      case AggregateFn::count_distinct: return Value(static_cast<double>(distinct.size()));
      case AggregateFn::sum:
        if (count == 0) return Value(nullptr);
        if (!t.int64) return Value(float_sum.value());
        if (int_sum > std::numeric_limits<int64_t>::max() || int_sum < std::numeric_limits<int64_t>::min()) {
          return Error::query("the sum of '" + t.field + "' overflows int64", t.path);
        }
        return Value(static_cast<int64_t>(int_sum));
      case AggregateFn::avg:
        if (count == 0) return Value(nullptr);
        // One rounding for the sum, one for the division: both runners' bits.
        return Value((t.int64 ? static_cast<double>(int_sum) : float_sum.value()) / static_cast<double>(count));
      case AggregateFn::min:
      case AggregateFn::max: return best ? *best : Value(nullptr);
    }
    return Value(nullptr);
  }
};

bool no_exists(const RelationStep&, const Value&) { return false; }  // group rows have no relations

bool kept(const GroupPlan& g, const Value& row) {
  return !g.having || eval_filter(*g.having, row, no_exists) == Truth::true_;
}

// The groups `having` kept, ordered and sliced; without groupBy, the one object.
Value finish(const GroupPlan& g, std::vector<Value> answer) {
  if (g.group_by.empty()) return std::move(answer.front());
  auto field = [](const Value& row, const std::string& name) -> const Value& { return *lookup_path(row, name); };
  std::stable_sort(answer.begin(), answer.end(), [&](const Value& a, const Value& b) {
    for (const auto& k : g.order) {
      int c = compare(field(a, k.field), field(b, k.field));
      if (c != 0) return k.descending ? c > 0 : c < 0;
    }
    return false;
  });
  size_t from = std::min(answer.size(), static_cast<size_t>(g.offset));
  size_t to = g.limit ? std::min(answer.size(), from + static_cast<size_t>(*g.limit)) : answer.size();
  return Value(Array(std::make_move_iterator(answer.begin() + static_cast<std::ptrdiff_t>(from)),
                     std::make_move_iterator(answer.begin() + static_cast<std::ptrdiff_t>(to))));
}

}  // namespace

Result<Value> fold_groups(const GroupPlan& g, const std::vector<DocPtr>& rows) {
  std::map<std::vector<Value>, std::vector<Accumulator>, GroupKeyLess> groups;
  if (g.group_by.empty()) groups[{}].resize(g.terms.size());  // no rows still answer one object
  for (const DocPtr& d : rows) {
    std::vector<Value> key;
    key.reserve(g.group_by.size());
    for (const auto& f : g.group_by) {
      const Value* v = lookup_path(d->value, f);
      key.push_back(v ? grouping_form(*v) : Value(nullptr));
    }
    auto& acc = groups[std::move(key)];
    acc.resize(g.terms.size());
    for (size_t i = 0; i < g.terms.size(); ++i) {
      acc[i].add(g.terms[i], g.terms[i].field.empty() ? nullptr : lookup_path(d->value, g.terms[i].field));
    }
  }
  std::vector<Value> answer;
  for (const auto& [key, acc] : groups) {
    Object o;
    for (size_t i = 0; i < key.size(); ++i) o.emplace_back(g.group_by[i], key[i]);
    for (size_t i = 0; i < g.terms.size(); ++i) {
      auto r = acc[i].result(g.terms[i]);
      if (!r) return std::move(r).error();
      o.emplace_back(g.terms[i].name, std::move(r).value());
    }
    Value row(std::move(o));
    if (kept(g, row)) answer.push_back(std::move(row));
  }
  return finish(g, std::move(answer));
}

Value fold_counted_groups(const GroupPlan& g, const std::vector<std::pair<Value, uint64_t>>& counts) {
  // Missing and null are one group; the counts may hold both.
  std::map<Value, uint64_t, DistinctLess> merged;
  for (const auto& [value, n] : counts) merged[g.group_by.empty() ? Value(nullptr) : grouping_form(value)] += n;
  if (g.group_by.empty()) merged.try_emplace(Value(nullptr), 0);
  std::vector<Value> answer;
  for (const auto& [value, n] : merged) {
    if (n == 0 && !g.group_by.empty()) continue;  // a value no row holds any more
    Object o;
    if (!g.group_by.empty()) o.emplace_back(g.group_by[0], value);
    for (const auto& t : g.terms) o.emplace_back(t.name, Value(static_cast<double>(n)));
    Value row(std::move(o));
    if (kept(g, row)) answer.push_back(std::move(row));
  }
  return finish(g, std::move(answer));
}

}  // namespace dc
