// Bounds: the most documents each access, and the whole plan, may read, from
// exact table sizes. A plan over the read budget is refused before it runs;
// without sizes (Convex) the backend counts while it runs instead.
#include <algorithm>

#include "server/planner/planner_stages.hpp"

namespace dc {

uint64_t Planner::estimate_access(TableAccess& a, uint64_t parents, bool is_lookup, int64_t extra_rows) {
  uint64_t table_rows = rows(a.table);
  uint64_t reads = table_rows;
  uint64_t intervals = std::max<uint64_t>(1, a.source.intervals.size());
  bool early_stop = a.limit && !a.post_filter &&
                    (a.order_source == OrderSource::none || a.order_source == OrderSource::index);
  uint64_t per_interval = early_stop ? static_cast<uint64_t>(*a.limit + a.offset + extra_rows) : kUnbounded;
  if (a.at_most_one_per_range) per_interval = 1;
  switch (a.source.kind) {
    case Source::Kind::empty: reads = 0; break;
    case Source::Kind::union_: {
      reads = 0;
      for (const Source& b : a.source.branches) {
        uint64_t branch = b.kind == Source::Kind::get ? b.ids.size() : sat_mul(std::max<size_t>(1, b.intervals.size()), kUnbounded);
        reads = sat_add(reads, std::min(table_rows, branch));
      }
      break;
    }
    case Source::Kind::get:
      reads = std::min(table_rows, is_lookup ? parents : static_cast<uint64_t>(a.source.ids.size()));
      break;
    case Source::Kind::search: reads = std::min<uint64_t>(table_rows, 1024); break;
    case Source::Kind::index:
    case Source::Kind::full_scan: {
      uint64_t lookups = is_lookup ? parents : 1;
      if (is_lookup && a.source.kind == Source::Kind::full_scan) {
        reads = table_rows;  // one scan, grouped by key
        break;
      }
      uint64_t per_lookup = sat_mul(intervals, per_interval);
      if (early_stop && intervals > 1 && a.order_source == OrderSource::index && !a.at_most_one_per_range) {
        per_lookup = std::min(per_lookup, sat_add(per_interval, intervals - 1));  // merged: one look-ahead per range
      }
      reads = std::min(table_rows, sat_mul(lookups, per_lookup));
      break;
    }
  }
  a.max_reads = reads;
  if (a.post_filter) reads = sat_add(reads, estimate_filter(*a.post_filter, reads));
  return reads;
}

uint64_t Planner::estimate_step(RelationStep& step, uint64_t parents) {
  uint64_t total = 0;
  uint64_t keys = parents;
  if (step.junction) {
    total = estimate_access(*step.junction, parents, true, 0);
    keys = step.junction->max_reads;
  }
  return sat_add(total, estimate(step.node, keys, true, 0));
}

uint64_t Planner::estimate_filter(PlanFilter& f, uint64_t parents) {
  if (f.kind == PlanFilter::Kind::exists && f.relation) return estimate_step(*f.relation, parents);
  uint64_t total = 0;
  for (auto& c : f.children) total = sat_add(total, estimate_filter(c, parents));
  return total;
}

uint64_t Planner::estimate(ReadNode& n, uint64_t parents, bool is_lookup, int64_t extra_rows) {
  uint64_t reads = 0;
  if (n.access.driver) {
    // The related rows first, their links, then a lookup per key they give.
    Driver& dr = *n.access.driver;
    reads = estimate(dr.related, 1, false, 0);
    uint64_t keys = dr.related.access.max_reads;
    if (dr.junction) {
      reads = sat_add(reads, estimate_access(*dr.junction, keys, true, 0));
      keys = dr.junction->max_reads;
    }
    reads = sat_add(reads, estimate_access(n.access, keys, true, 0));
  } else {
    reads = estimate_access(n.access, parents, is_lookup, extra_rows);
  }
  if (reads > worst.reads || worst.path.empty()) {
    worst.reads = reads;
    worst.path = n.access.path.empty() ? "/where" : n.access.path;
    worst.hint = n.access.warnings.empty() ? "" : n.access.warnings.front();
  }
  uint64_t returned = n.access.max_reads;
  if (n.access.limit) {
    uint64_t per = static_cast<uint64_t>(*n.access.limit + extra_rows);
    returned = std::min(returned, sat_mul(is_lookup ? parents : 1, per));
  }
  for (auto& step : n.with) reads = sat_add(reads, estimate_step(step, returned));
  for (auto& path : n.access.order_paths) {
    if (!path) continue;
    // Every row the access reads is sorted, so each one walks the relations.
    uint64_t keys = n.access.max_reads;
    for (auto& step : path->steps) {
      reads = sat_add(reads, estimate_step(step, keys));
      keys = step.node.access.max_reads;
    }
  }
  return reads;
}

}  // namespace dc
