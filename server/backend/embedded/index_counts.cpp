// Counts the engine answers without reading documents (protocol.md section
// 11, "read less than the rows"): a `count`, or an aggregate whose every
// function is `count: true`, over rows an index range selects exactly (no
// post-filter, no row rule left to test), summed from the index's per-value
// counts; grouped by one field, from the per-value counts of the index that
// field leads when the whole table is read. Anything else reads its rows.
#include "server/backend/embedded/executor.hpp"
#include "server/backend/embedded/group_fold.hpp"

namespace dc {

namespace {

bool counts_rows_only(const ReadPlan& plan) {
  if (plan.op == ReadOp::count) return true;
  if (plan.op != ReadOp::aggregate || plan.group.group_by.size() > 1) return false;
  for (const auto& t : plan.group.terms) {
    if (t.fn != AggregateFn::count || !t.field.empty()) return false;
  }
  return true;
}

Value count_answer(const ReadPlan& plan, std::vector<std::pair<Value, uint64_t>> counts) {
  if (plan.op == ReadOp::count) {
    Object o;
    o.emplace_back("count", Value(static_cast<double>(counts.empty() ? 0 : counts.front().second)));
    return Value(std::move(o));
  }
  return fold_counted_groups(plan.group, counts);
}

}  // namespace

std::optional<Value> Executor::answered_by_counts(const ReadPlan& plan) const {
  const TableAccess& a = plan.root.access;
  if (!counts_rows_only(plan) || a.post_filter || a.driver || a.limit || a.offset != 0) return std::nullopt;
  const Table* table = store_.table(a.table);
  if (!table) return std::nullopt;
  bool whole_table = a.source.kind == Source::Kind::full_scan ||
                     (a.source.kind == Source::Kind::index && a.source.intervals.empty());
  if (plan.op == ReadOp::aggregate && !plan.group.group_by.empty()) {
    if (!whole_table) return std::nullopt;
    const Index* idx = table->counting(plan.group.group_by[0]);
    if (!idx) return std::nullopt;
    std::vector<std::pair<Value, uint64_t>> counts;
    for (const Value& v : idx->leading_values()) counts.emplace_back(v, idx->leading_count(v));
    return count_answer(plan, std::move(counts));
  }
  uint64_t n = 0;
  if (whole_table) {
    n = table->size();
  } else if (a.source.kind == Source::Kind::index) {
    const Index* idx = table->index(a.source.index);
    if (!idx || !idx->counted()) return std::nullopt;
    for (const auto& iv : a.source.intervals) {
      auto c = idx->count(iv, 0);  // 0: from the per-value counts or not at all
      if (!c) return std::nullopt;
      n += *c;
    }
  } else {
    return std::nullopt;
  }
  return count_answer(plan, {{Value(nullptr), n}});
}

}  // namespace dc
