// Ordering by related rows (Drizzle 1.0): `{"author": {"name": "asc"}}`
// takes the author's name; `{"posts": "desc(count)"}` counts posts;
// `{"posts": {"likes": "desc(max)"}}` aggregates over them. Each sorted row
// walks the key's relations; what it reaches is aggregated the way SQL's
// correlated subquery would (Drizzle writes one): nulls ignored, and no
// related row (or no value) gives null.
#include "server/backend/embedded/executor.hpp"

#include <algorithm>

namespace dc {

namespace {

const Value& field_of(const DocPtr& d, const std::string& field) {
  static const Value null{nullptr};
  const Value* v = lookup_path(d->value, field);
  return v && !v->is_nullish() ? *v : null;
}

// `reached`: the rows one sorted row reached, in the order the lookups gave them.
Value aggregate(const OrderKey& key, const std::vector<const DocPtr*>& reached) {
  if (key.field.empty()) return Value(static_cast<int64_t>(reached.size()));  // "asc(count)" on a relation
  switch (key.aggregate) {
    case OrderAggregate::none:   // through one relations: at most one row
    case OrderAggregate::first:  // the first related row the lookups return
      return reached.empty() ? Value(nullptr) : field_of(*reached[0], key.field);
    case OrderAggregate::count: {
      int64_t n = 0;
      for (const DocPtr* d : reached) n += field_of(*d, key.field).is_null() ? 0 : 1;
      return Value(n);
    }
    case OrderAggregate::min:
    case OrderAggregate::max: {
      const Value* best = nullptr;
      for (const DocPtr* d : reached) {
        const Value& v = field_of(*d, key.field);
        if (v.is_null()) continue;
        int c = best ? compare(v, *best) : 0;
        if (!best || (key.aggregate == OrderAggregate::min ? c < 0 : c > 0)) best = &v;
      }
      return best ? *best : Value(nullptr);
    }
    case OrderAggregate::avg: {
      // Over the numbers; a schema without validators may hold other values here, which do not count.
      double sum = 0;
      int64_t n = 0;
      for (const DocPtr* d : reached) {
        const Value& v = field_of(*d, key.field);
        if (v.kind() == Value::Kind::int64) sum += static_cast<double>(v.as_int64());
        else if (v.kind() == Value::Kind::float64) sum += v.as_float64();
        else continue;
        ++n;
      }
      return n ? Value(sum / static_cast<double>(n)) : Value(nullptr);
    }
  }
  return Value(nullptr);
}

}  // namespace

Executor::Reached Executor::follow(const RelationStep& step, const Reached& from) {
  std::vector<DocPtr> parents;
  parents.reserve(from.size());
  for (const auto& [row, d] : from) parents.push_back(d);
  // Paths multiply through many relations: the join itself is bounded like
  // reads are, counted as the related rows are gathered (never held past it).
  std::vector<std::vector<DocPtr>> kids = related(step, parents, budget_,
                                                   "ordering by related rows joins more than the budget of " + std::to_string(budget_) + " rows");
  Reached out;
  if (failure_) return out;
  for (size_t i = 0; i < from.size(); ++i) {
    for (auto& kid : kids[i]) out.emplace_back(from[i].first, std::move(kid));
  }
  return out;
}

std::vector<Value> Executor::order_values(const OrderKey& key, const OrderPath& path, const std::vector<DocPtr>& rows) {
  Reached reached;
  reached.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) reached.emplace_back(i, rows[i]);
  // Counting the rows of the last relation ("desc(count)" with no field):
  // the index its key leads holds how many each reached row has, so they
  // are counted there instead of read (as `_count` is, answer_shape.cpp).
  bool counts_last = key.field.empty() && !path.steps.empty();
  size_t walked = counts_last ? path.steps.size() - 1 : path.steps.size();
  for (size_t s = 0; s < walked; ++s) {
    reached = follow(path.steps[s], reached);
    if (failure_) return std::vector<Value>(rows.size());
  }
  if (counts_last) {
    std::vector<DocPtr> from;
    from.reserve(reached.size());
    for (const auto& [row, d] : reached) from.push_back(d);
    std::vector<uint64_t> found(from.size(), 0);
    if (counted_by_index(path.steps.back(), from, found)) {
      std::vector<int64_t> per_row(rows.size(), 0);
      bool many = path.steps.back().many;
      for (size_t i = 0; i < reached.size(); ++i) per_row[reached[i].first] += static_cast<int64_t>(many ? found[i] : std::min<uint64_t>(found[i], 1));
      return std::vector<Value>(per_row.begin(), per_row.end());
    }
    reached = follow(path.steps.back(), reached);
    if (failure_) return std::vector<Value>(rows.size());
  }
  std::vector<std::vector<const DocPtr*>> per_row(rows.size());
  for (const auto& [row, d] : reached) per_row[row].push_back(&d);
  std::vector<Value> values;
  values.reserve(rows.size());
  for (const auto& r : per_row) values.push_back(aggregate(key, r));
  return values;
}

}  // namespace dc
