// Index ranges read in order with the access's early stop: one range after
// another, or several merged by the requested order (an `in` list, a
// skip-scan, a union's branches, an OR's ranges) stopping together.
#include "server/backend/embedded/executor.hpp"

#include <unordered_set>

#include "server/backend/embedded/executor_rows.hpp"

namespace dc {

// A skip-scan over leading values the planner observed: the values the
// index holds now (a write may have added one since), each with the ranges
// the plan gives its first value.
std::vector<Interval> observed_skip_intervals(const Source& src, const Table& t) {
  const Index* counting = t.counting(src.skip_field);
  if (!counting || src.intervals.empty() || !src.intervals[0].lower || src.intervals[0].lower->key.empty()) return src.intervals;
  const Value& first = src.intervals[0].lower->key[0];
  std::vector<Interval> shape;
  for (const Interval& iv : src.intervals) {
    if (iv.lower && !iv.lower->key.empty() && compare(iv.lower->key[0], first) == 0) shape.push_back(iv);
  }
  std::vector<Interval> out;
  for (const Value& v : counting->leading_values()) {
    for (Interval iv : shape) {
      iv.lower->key[0] = v;
      if (iv.upper && !iv.upper->key.empty()) iv.upper->key[0] = v;
      out.push_back(std::move(iv));
    }
  }
  return out;
}

// An interval of the lookup's index with the parent's key in front
// (`arity` fields: a composite key is the array relation_key made).
Interval with_key(const Interval& iv, const Value& key, size_t arity) {
  Interval out;
  std::vector<Value> k;
  if (arity > 1) k = key.as_array();
  else k.push_back(key);
  auto prefixed = [&](const std::optional<Bound>& b) {
    if (!b) return Bound{k, true};
    Bound nb{k, b->inclusive};
    nb.key.insert(nb.key.end(), b->key.begin(), b->key.end());
    return nb;
  };
  out.lower = prefixed(iv.lower);
  out.upper = prefixed(iv.upper);
  return out;
}

void Executor::scan(const TableAccess& a, const Index& idx, const std::vector<Interval>& intervals, size_t need,
                    const std::vector<Value>* after, std::vector<DocPtr>& out) {
  bool ordered = a.order_source == OrderSource::index || a.order_source == OrderSource::index_ties;
  bool in_sequence = a.source.ranges_in_order;
  if (need && ordered && intervals.size() > 1 && !in_sequence) {
    std::vector<Index::Cursor> cursors;
    for (const Interval& iv : intervals) cursors.push_back(idx.cursor(iv, a.source.descending));
    return merge_scan(a, std::move(cursors), need, after, out);
  }
  // index_ties: the keys the index gives; the rows tying with the boundary on them are all read.
  size_t tie_keys = std::min(a.index_order_keys, a.order.size());
  std::vector<OrderKey> tie_order(a.order.begin(), a.order.begin() + static_cast<long>(tie_keys));
  // In sequence the ranges share one early stop: the count and the boundary carry over.
  size_t taken = 0;
  DocPtr boundary;  // index_ties: the need-th row, whose ties must all be read
  bool stopped = false;
  for (size_t i = 0; i < intervals.size() && !stopped; ++i) {
    const Interval& iv = in_sequence && a.source.descending ? intervals[intervals.size() - 1 - i] : intervals[i];
    if (!in_sequence) {
      taken = 0;
      boundary = nullptr;
    }
    idx.scan(iv, a.source.descending, [&](const DocPtr& d) {
      if (!count_read(a)) return false;
      if (boundary && compare_order(tie_order, *d, *boundary) != 0) {
        stopped = true;  // past the boundary's tie group
        return false;
      }
      if (!passes(a, d)) return !failure_;
      if (after && compare_to_after(a.order, *d, *after) <= 0) return true;
      out.push_back(d);
      ++taken;
      if (need == 0) return true;
      switch (a.order_source) {
        case OrderSource::none: return out.size() < need;
        case OrderSource::index:
          stopped = taken >= need;
          return !stopped;
        case OrderSource::index_ties:
          if (taken == need) boundary = d;
          return true;
        case OrderSource::sort: return true;
      }
      return true;
    });
    if (failure_) return;
    if (a.order_source == OrderSource::none && need && out.size() >= need) return;
  }
}

// Each range is in the requested order (skip-scan, `in`, the branches of
// an ordered union): a k-way merge by that order stops after `need` rows of
// all of them together (and, for index_ties, the boundary's tie group)
// instead of `need` rows of each. A range's next row is read only when its
// current one is taken, so the reads are the rows returned plus one
// look-ahead per range (and, in a union, rows two branches find). The
// adapter's Reader.mergeScan reads the same rows.
void Executor::merge_scan(const TableAccess& a, std::vector<Index::Cursor> cursors, size_t need,
                          const std::vector<Value>* after, std::vector<DocPtr>& out) {
  size_t by_keys = a.order_source == OrderSource::index ? a.order.size() : std::min(a.index_order_keys, a.order.size());
  std::vector<OrderKey> by(a.order.begin(), a.order.begin() + static_cast<long>(by_keys));
  std::vector<DocPtr> heads(cursors.size());
  std::unordered_set<const Document*> seen;  // a union's branches may find a row twice
  bool dedupe = a.source.kind == Source::Kind::union_;
  auto advance = [&](size_t i) {  // false on failure
    heads[i] = nullptr;
    while (DocPtr d = cursors[i].next()) {
      if (!count_read(a)) return false;
      if (!passes(a, d)) {
        if (failure_) return false;
        continue;
      }
      if (after && compare_to_after(a.order, *d, *after) <= 0) continue;
      heads[i] = std::move(d);
      return true;
    }
    return true;
  };
  // A min-heap of ranges by their current row; equal rows by range number.
  auto later = [&](size_t x, size_t y) {
    int c = compare_order(by, *heads[x], *heads[y]);
    return c != 0 ? c > 0 : x > y;
  };
  std::vector<size_t> heap;
  for (size_t i = 0; i < cursors.size(); ++i) {
    if (!advance(i)) return;
    if (heads[i]) heap.push_back(i);
  }
  std::make_heap(heap.begin(), heap.end(), later);
  DocPtr boundary;  // index_ties: the need-th row, whose ties are all returned
  size_t taken = 0;
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), later);
    size_t i = heap.back();
    heap.pop_back();
    if (boundary && compare_order(by, *heads[i], *boundary) != 0) return;
    bool again = dedupe && !seen.insert(heads[i].get()).second;
    if (!again) out.push_back(heads[i]);
    if (!again && ++taken == need) {
      if (a.order_source == OrderSource::index) return;
      boundary = heads[i];
    }
    if (!advance(i)) return;
    if (heads[i]) {
      heap.push_back(i);
      std::push_heap(heap.begin(), heap.end(), later);
    }
  }
}

}  // namespace dc
