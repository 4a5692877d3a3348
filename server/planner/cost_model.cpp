// Cost: how many rows an access leaves. Counted where the backend counts
// (the engine counts every value and every range of a field that leads an
// index; Convex remembers what earlier reads found), else default
// selectivities as System R's: an equality keeps 1/10 of the rows (1/n for
// a field of n known values), a range 1/3. Weighs plans, never refuses one.
#include <algorithm>
#include <cmath>

#include "server/planner/filter_normalize.hpp"
#include "server/planner/planner_stages.hpp"

namespace dc {

namespace {

// Rows holding any of `values` in `field`, when the backend counts every one.
std::optional<uint64_t> counted_rows(const TableStats& stats, const TableDef& table, const std::string& field,
                                     const std::vector<Value>& values) {
  constexpr size_t kMaxProbes = 64;  // planning stays cheap for a long `in` list
  if (values.size() > kMaxProbes) return std::nullopt;
  uint64_t total = 0;
  for (const Value& v : values) {
    auto n = stats.value_count(table.name, field, v);
    if (!n) return std::nullopt;
    total += *n;
  }
  return total;
}

// Rows a comparison range keeps, when the backend counts index ranges.
// Ranges never hold null or a missing field (SQL's unknown): the lower end
// is at least "above null".
std::optional<uint64_t> counted_range(const TableStats& stats, const TableDef& table, const PlanFilter& c) {
  std::optional<Value> lower = Value(nullptr);
  bool lower_in = false;
  std::optional<Value> upper;
  bool upper_in = false;
  switch (c.op) {
    case CmpOp::gt: lower = c.arg; break;
    case CmpOp::gte: lower = c.arg; lower_in = true; break;
    case CmpOp::lt: upper = c.arg; break;
    case CmpOp::lte: upper = c.arg; upper_in = true; break;
    case CmpOp::between:
      lower = c.arg.as_array()[0];
      upper = c.arg.as_array()[1];
      lower_in = upper_in = true;
      break;
    case CmpOp::is_not_null: break;
    default: return std::nullopt;
  }
  return stats.range_count(table.name, c.field, lower, lower_in, upper, upper_in);
}

}  // namespace

double selectivity(const TableStats& stats, const TableDef& table, const PlanFilter& c, uint64_t n) {
  if (c.kind != PlanFilter::Kind::cmp) return 1.0;
  if (n > 0) {
    const std::vector<Value> nulls{Value(nullptr), Value()};  // null, and the field missing
    std::vector<Value> values;
    switch (c.op) {
      case CmpOp::eq: case CmpOp::ne: values = {c.arg}; break;
      case CmpOp::in: case CmpOp::not_in:
        for (const Value& v : c.arg.as_array()) {
          if (!v.is_nullish()) values.push_back(v);
        }
        break;
      default: break;
    }
    auto share = [&](std::optional<uint64_t> rows) { return std::min(1.0, static_cast<double>(*rows) / static_cast<double>(n)); };
    switch (c.op) {
      case CmpOp::eq:
      case CmpOp::in:
        if (auto k = counted_rows(stats, table, c.field, values)) return share(k);
        break;
      case CmpOp::is_null:
        if (auto k = counted_rows(stats, table, c.field, nulls)) return share(k);
        break;
      case CmpOp::is_not_null:
        if (auto k = counted_rows(stats, table, c.field, nulls)) return 1.0 - share(k);
        break;
      case CmpOp::ne:
      case CmpOp::not_in: {
        // Neither the values nor null (SQL's unknown) pass.
        for (const Value& v : nulls) values.push_back(v);
        if (auto k = counted_rows(stats, table, c.field, values)) return 1.0 - share(k);
        break;
      }
      case CmpOp::gt: case CmpOp::gte: case CmpOp::lt: case CmpOp::lte: case CmpOp::between:
        if (auto k = counted_range(stats, table, c)) return share(k);
        break;
      default: break;
    }
  }
  auto domain = finite_domain(table, c.field);
  double eq = domain ? 1.0 / static_cast<double>(domain->size()) : 0.1;
  switch (c.op) {
    case CmpOp::eq: return eq;
    case CmpOp::in: return std::min(1.0, eq * static_cast<double>(c.arg.as_array().size()));
    case CmpOp::is_null: return 0.1;
    case CmpOp::ne:
    case CmpOp::not_in: return 0.9;
    case CmpOp::gt: case CmpOp::gte: case CmpOp::lt: case CmpOp::lte: case CmpOp::between:
    case CmpOp::is_not_null: case CmpOp::like: case CmpOp::starts_with: return 1.0 / 3;
    default: return 1.0;
  }
}

// The rows an index's ranges hold (all of it: no ranges), when the backend
// counts each (the engine, up to a cap).
std::optional<uint64_t> Planner::count_ranges(const std::string& table, const std::string& index,
                                              const std::vector<Interval>& ranges) const {
  constexpr uint64_t kMaxCounted = 1024;  // planning stays cheap; past it a range is no rare one
  // A caller whose rules hide rows could learn how many lie in a range from
  // the plan counts choose (explain, reads): such a caller's plans are guessed.
  if (rules_ && rules_->hides_rows_or_columns()) return std::nullopt;
  if (ranges.empty()) return stats_.interval_count(table, index, Interval{}, kMaxCounted);
  uint64_t total = 0;
  for (const Interval& iv : ranges) {
    auto n = stats_.interval_count(table, index, iv, total >= kMaxCounted ? 0 : kMaxCounted - total);
    if (!n) return std::nullopt;
    total += *n;
  }
  return total;
}

// Exactly what an access's served conjuncts keep, when its ranges are
// counted. Not for lookups, whose ranges take a parent's key in front at run time.
std::optional<uint64_t> Planner::counted_intervals(const TableAccess& a) const {
  if (a.source.kind != Source::Kind::index || !a.key_fields.empty() || a.source.intervals.empty()) return std::nullopt;
  return count_ranges(a.table, a.source.index, a.source.intervals);
}

// The rows a scan keeps after its post-filter: its top-level comparisons
// weighed as if served (a guess: a `like` keeps a third).
uint64_t Planner::related_matches(const TableAccess& a) const {
  uint64_t n = estimated_rows(a.table);
  if (n == kUnbounded || !a.post_filter) return n;
  const TableDef& table = *schema_.table(a.table);
  double sel = 1.0;
  for (const PlanFilter* c : conjuncts(*a.post_filter)) sel *= selectivity(stats_, table, *c, n);
  return static_cast<uint64_t>(std::ceil(static_cast<double>(n) * sel));
}

uint64_t Planner::matching_rows(const TableAccess& a, bool* counted) const {
  uint64_t n = estimated_rows(a.table);
  if (n == kUnbounded) return kUnbounded;
  if (a.source.kind == Source::Kind::get) return std::min<uint64_t>(n, a.source.ids.size());
  if (a.driver) return std::min(n, matching_rows(a.driver->related.access));
  if (auto rows = counted_intervals(a)) {
    if (counted) *counted = true;
    return std::min(n, *rows);
  }
  const TableDef& table = *schema_.table(a.table);
  double sel = 1.0;
  for (const auto& c : a.served) sel *= selectivity(stats_, table, c, n);
  return static_cast<uint64_t>(std::ceil(static_cast<double>(n) * sel));
}

}  // namespace dc
