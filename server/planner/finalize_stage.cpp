// Finalize: what a plan needs once every access is chosen. Ids for explain's
// per-access reads, a paginate's total order and cursor position, the worst
// case against the read budget, and the warnings of every access.
#include "server/planner/cursor_codec.hpp"
#include "server/planner/plan_walk.hpp"
#include "server/planner/planner_stages.hpp"

namespace dc {

namespace {

// Paginate needs a total order so that pages neither skip nor repeat rows.
void give_total_order(TableAccess& a) {
  if (!a.order.empty() || a.source.kind == Source::Kind::search) return;
  a.order = effective_order({});
  bool served = a.source.kind == Source::Kind::full_scan ||
                (a.source.kind == Source::Kind::index && a.source.intervals.size() <= 1 && a.source.index == kByCreationTime);
  a.order_source = served ? OrderSource::index : OrderSource::sort;
}

}  // namespace

Status finalize_plan(ReadPlan& plan, Planner& planner, const ReadQuery& q) {
  plan.accesses = 0;
  walk_accesses(plan.root, [&](TableAccess& a, AccessRole) { a.id = plan.accesses++; });
  if (q.op == ReadOp::paginate) {
    give_total_order(plan.root.access);
    // Cursors are only valid for the query shape they came from.
    plan.fingerprint = plan_fingerprint(plan.root.access.table, planner.root_where, plan.root.access.order,
                                        seek_index(plan.root.access));
  }
  if (q.cursor) {
    auto after = decode_cursor(*q.cursor, plan.fingerprint);
    if (!after) return std::move(after).error();
    plan.after = std::move(after).value();
  }
  int64_t extra = 0;
  if (q.op == ReadOp::paginate) {
    plan.root.access.limit = q.num_items;
    extra = 1;  // one more row tells whether the page is the last
  }
  plan.max_reads = planner.estimate(plan.root, 1, false, extra);
  if (q.op == ReadOp::paginate) plan.root.access.limit.reset();
  walk_accesses(std::as_const(plan.root), [&](const TableAccess& a, AccessRole) {
    for (const auto& w : a.warnings) plan.warnings.push_back(a.table + ": " + w);
  });
  if (plan.max_reads == kUnbounded && planner.unknown_sizes) {
    // No bound can be proven without table sizes; the backend counts reads
    // while the plan runs and fails it past the budget instead.
    plan.warnings.push_back("table sizes are unknown to this backend: the read budget of " + std::to_string(plan.budget) +
                            " is enforced while the plan runs");
  } else if (plan.max_reads > plan.budget) {
    std::string reads = plan.max_reads == kUnbounded ? "an unbounded number of" : "up to " + std::to_string(plan.max_reads);
    std::string msg = "query may read " + reads + " documents, over the read budget of " + std::to_string(plan.budget);
    if (!planner.worst.hint.empty()) msg += "; " + planner.worst.hint;
    return Error::query(msg, planner.worst.path);
  }
  return Ok{};
}

}  // namespace dc
