// The executor's pipeline: the root access read (driven, by id, a union,
// index ranges), the budget and deadline checks every read makes, then
// sorted, sliced and shaped into the answer. The parts live beside it:
// index_scan.cpp (ranges and their merge), search_scan.cpp, relation_lookup.cpp,
// row_order.cpp (sort, slice, cursor keys), relation_order.cpp (orders
// through relations), answer_shape.cpp (the answer and its budget). The
// adapter's read.ts has the same seams.
#include "server/backend/embedded/executor.hpp"

#include <unordered_set>

#include "server/backend/embedded/executor_rows.hpp"
#include "server/backend/embedded/group_fold.hpp"
#include "server/planner/cursor_codec.hpp"

namespace dc {

bool Executor::count_read(const TableAccess& a) {
  if (failure_) return false;
  if (a.id >= reads_by_access_.size()) reads_by_access_.resize(a.id + 1);
  ++reads_by_access_[a.id];
  if (++reads_ > budget_) {
    failure_ = Error::query("the query read more than the budget of " + std::to_string(budget_) + " documents", "");
    return false;
  }
  if (limits_.cancelled && limits_.cancelled->load(std::memory_order_relaxed)) {
    failure_ = Error{ErrorCode::unavailable, "the read was cancelled: its client closed the connection", std::nullopt};
    return false;
  }
  // Every document: a filter over one large document can take milliseconds.
  if (limits_.deadline != Clock::time_point::max() && Clock::now() >= limits_.deadline) {
    failure_ = Error{ErrorCode::upstream_timeout,
                     "the query ran past the request deadline (--request-timeout) after reading " + std::to_string(reads_) + " documents",
                     std::nullopt};
    return false;
  }
  return true;
}

bool Executor::passes(const TableAccess& a, const DocPtr& d) {
  if (!a.post_filter) return true;
  ExistsFn fn = [this](const RelationStep& step, const Value& parent) { return exists(step, parent); };
  bool pass = eval_filter(*a.post_filter, d->value, fn, &matched_bytes_) == Truth::true_;
  if (matched_bytes_ > limits_.match_bytes && !failure_) {
    failure_ = Error::query("the query's string patterns scanned more than the budget of " + std::to_string(limits_.match_bytes) +
                                " bytes of text (--match-budget): narrow it with an indexed condition or fewer patterns",
                            "/where");
  }
  return pass && !failure_;
}

bool Executor::before_deadline() {
  if (failure_) return false;
  if (limits_.deadline == Clock::time_point::max() || Clock::now() < limits_.deadline) return true;
  failure_ = Error{ErrorCode::upstream_timeout,
                   "the query ran past the request deadline (--request-timeout) while its answer was built", std::nullopt};
  return false;
}

void Executor::read_root(const ReadPlan& plan, std::vector<DocPtr>& out, bool* seekable) {
  const TableAccess& a = plan.root.access;
  size_t need = 0;
  if (plan.op == ReadOp::paginate) {
    need = static_cast<size_t>(plan.num_items) + 1;
  } else if (a.limit) {
    need = static_cast<size_t>(*a.limit + a.offset);
  }
  read_access(a, need, plan.after ? &*plan.after : nullptr, seekable, out);
}

void Executor::driven(const TableAccess& a, std::vector<DocPtr>& out) {
  const Driver& d = *a.driver;
  std::vector<DocPtr> related;
  bool seekable = false;
  read_access(d.related.access, 0, nullptr, &seekable, related);
  if (failure_) return;
  DistinctKeys keys;
  keys.add(related, d.related_fields);
  if (d.junction) {
    Groups links;
    lookup(*d.junction, keys.keys, false, links);
    keys = DistinctKeys();
    for (const auto& [k, rows] : links) keys.add(rows, d.junction_fields);
  }
  if (failure_ || keys.keys.empty()) return;
  Groups found;
  lookup(a, keys.keys, false, found);
  for (auto& [k, rows] : found) out.insert(out.end(), rows.begin(), rows.end());
}

void Executor::read_access(const TableAccess& a, size_t need, const std::vector<Value>* after_key, bool* seekable,
                           std::vector<DocPtr>& out) {
  const Table* t = store_.table(a.table);
  if (a.driver) {
    driven(a, out);  // sorted (and a cursor applied) by the caller
    return;
  }
  switch (a.source.kind) {
    case Source::Kind::empty: return;
    case Source::Kind::get:
      for (const Value& id : a.source.ids) {
        DocPtr d = t->get(id.as_string());
        if (!d) continue;
        if (!count_read(a)) return;
        if (passes(a, d)) out.push_back(d);
        if (failure_) return;
      }
      return;
    case Source::Kind::search: search(a, out); return;
    case Source::Kind::union_: {
      if (need && a.order_source != OrderSource::sort && a.order_source != OrderSource::none) {
        // Every branch's ranges are in the requested order: merged, with one early stop.
        std::vector<Index::Cursor> cursors;
        for (const Source& b : a.source.branches) {
          const Index* idx = t->index(b.index);
          for (const Interval& iv : b.intervals) cursors.push_back(idx->cursor(iv, b.descending));
        }
        return merge_scan(a, std::move(cursors), need, after_key, out);
      }
      // Each branch read whole (the caller sorts); a row two branches find is returned once.
      std::unordered_set<const Document*> seen;
      for (const Source& b : a.source.branches) {
        TableAccess branch = a;
        branch.source = b;
        branch.order_source = OrderSource::sort;
        std::vector<DocPtr> rows;
        bool unused = false;
        read_access(branch, 0, after_key, &unused, rows);
        if (failure_) return;
        for (auto& d : rows) {
          if (seen.insert(d.get()).second) out.push_back(std::move(d));
        }
      }
      return;
    }
    case Source::Kind::index:
    case Source::Kind::full_scan: {
      const Index* idx = t->index(a.source.index);
      std::vector<Interval> intervals = a.source.skip_observed ? observed_skip_intervals(a.source, *t) : a.source.intervals;
      if (intervals.empty()) intervals.emplace_back();
      // As the fingerprint says (cursor_codec.cpp seek_index): the cursor then holds this index's key.
      *seekable = a.order_source == OrderSource::index && intervals.size() == 1 && !a.source.skip_observed;
      const std::vector<Value>* after = nullptr;
      if (after_key) {
        if (*seekable) {
          // The cursor holds the index key of the last row: start right after it.
          Bound b{*after_key, false};
          (a.source.descending ? intervals[0].upper : intervals[0].lower) = b;
        } else {
          after = after_key;
        }
      }
      scan(a, *idx, intervals, need, after, out);
      return;
    }
  }
}

Result<std::vector<DocPtr>> Executor::rows(const ReadPlan& plan) {
  std::vector<DocPtr> rows;
  bool seekable = false;
  read_root(plan, rows, &seekable);
  if (failure_) return *failure_;
  sort_rows(plan.root.access, rows);
  slice(plan.root.access, rows);
  return rows;
}

Result<Value> Executor::run(const ReadPlan& plan) {
  const TableAccess& a = plan.root.access;
  answer_rows_ = plan.answer_rows;
  answer_bytes_ = plan.answer_bytes;
  if (auto counted = answered_by_counts(plan)) return std::move(*counted);
  std::vector<DocPtr> rows;
  bool seekable = false;
  bool at_end = plan.after && plan.after->empty();
  if (!at_end) read_root(plan, rows, &seekable);
  if (failure_) return *failure_;
  if (plan.after && !at_end && (a.source.kind == Source::Kind::get || a.source.kind == Source::Kind::union_ || a.driver)) {
    std::erase_if(rows, [&](const DocPtr& d) { return compare_to_after(a.order, *d, *plan.after) <= 0; });
  }
  if (a.source.kind != Source::Kind::search) sort_rows(a, rows);

  switch (plan.op) {
    case ReadOp::aggregate: return fold_groups(plan.group, rows);
    case ReadOp::count: {
      Object o;
      o.emplace_back("count", Value(static_cast<double>(rows.size())));
      return Value(std::move(o));
    }
    case ReadOp::paginate: {
      bool done = rows.size() <= static_cast<size_t>(plan.num_items);
      if (!done) rows.resize(static_cast<size_t>(plan.num_items));
      std::vector<Value> page = shape(plan.root, rows);
      if (failure_) return *failure_;
      std::vector<Value> cursor_key;  // empty: past the end
      if (!done && !rows.empty()) {
        const Document& last = *rows.back();
        cursor_key = seekable ? store_.table(a.table)->index(a.source.index)->key_of(last) : order_key(a.order, last);
      }
      Object o;
      o.emplace_back("page", Value(Array(std::move(page))));
      o.emplace_back("continueCursor", Value(encode_cursor(plan.fingerprint, cursor_key)));
      o.emplace_back("isDone", Value(done));
      return Value(std::move(o));
    }
    case ReadOp::find_first:
    case ReadOp::find_many: {
      slice(a, rows);
      std::vector<Value> shaped = shape(plan.root, rows);
      if (failure_) return *failure_;
      if (plan.op == ReadOp::find_first) return shaped.empty() ? Value(nullptr) : std::move(shaped[0]);
      return Value(Array(std::move(shaped)));
    }
  }
  return Value(nullptr);
}

}  // namespace dc
