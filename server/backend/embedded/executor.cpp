#include "server/backend/embedded/executor.hpp"

#include <algorithm>
#include <numeric>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "protocol/value_json.hpp"
#include "server/backend/embedded/relation_key.hpp"
#include "server/planner/planner.hpp"
#include "server/planner/cursor_codec.hpp"

namespace dc {

namespace {

const Value& field_or_undefined(const Document& d, const std::string& field) {
  static const Value undefined;
  const Value* v = lookup_path(d.value, field);
  return v ? *v : undefined;
}

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

int compare_order(const std::vector<OrderKey>& order, const Document& a, const Document& b) {
  for (const auto& k : order) {
    int c = compare(field_or_undefined(a, k.field), field_or_undefined(b, k.field));
    if (c != 0) return k.descending ? -c : c;
  }
  return 0;
}

std::vector<Value> order_key(const std::vector<OrderKey>& order, const Document& d) {
  std::vector<Value> k;
  k.reserve(order.size());
  for (const auto& o : order) k.push_back(field_or_undefined(d, o.field));
  return k;
}

// Position of a row relative to a keyset cursor in the effective order.
int compare_to_after(const std::vector<OrderKey>& order, const Document& d, const std::vector<Value>& after) {
  for (size_t i = 0; i < order.size() && i < after.size(); ++i) {
    int c = compare(field_or_undefined(d, order[i].field), after[i]);
    if (c != 0) return order[i].descending ? -c : c;
  }
  return 0;
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

std::vector<std::string> tokenize(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : fold_case(text)) {
    auto c = static_cast<unsigned char>(ch);
    bool word = c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '_';
    if (word) {
      cur.push_back(ch);
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  for (auto& t : out) {
    if (t.size() > 32) t.resize(32);
  }
  return out;
}

}  // namespace

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

void Executor::scan(const TableAccess& a, const Index& idx, const std::vector<Interval>& intervals, size_t need,
                    const std::vector<Value>* after, std::vector<DocPtr>& out) {
  bool ordered = a.order_source == OrderSource::index || a.order_source == OrderSource::index_ties;
  if (need && ordered && intervals.size() > 1) {
    std::vector<Index::Cursor> cursors;
    for (const Interval& iv : intervals) cursors.push_back(idx.cursor(iv, a.source.descending));
    return merge_scan(a, std::move(cursors), need, after, out);
  }
  // index_ties: the keys the index gives; the rows tying with the boundary on them are all read.
  size_t tie_keys = std::min(a.index_order_keys, a.order.size());
  std::vector<OrderKey> tie_order(a.order.begin(), a.order.begin() + static_cast<long>(tie_keys));
  for (const Interval& iv : intervals) {
    size_t taken = 0;
    DocPtr boundary;  // index_ties: the need-th row, whose ties must all be read
    idx.scan(iv, a.source.descending, [&](const DocPtr& d) {
      if (!count_read(a)) return false;
      if (boundary && compare_order(tie_order, *d, *boundary) != 0) return false;
      if (!passes(a, d)) return !failure_;
      if (after && compare_to_after(a.order, *d, *after) <= 0) return true;
      out.push_back(d);
      ++taken;
      if (need == 0) return true;
      switch (a.order_source) {
        case OrderSource::none: return out.size() < need;
        case OrderSource::index: return taken < need;
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

void Executor::search(const TableAccess& a, std::vector<DocPtr>& out) {
  const Table* t = store_.table(a.table);
  std::vector<std::string> terms = tokenize(a.source.search_query);
  if (terms.size() > 16) terms.resize(16);
  std::vector<std::pair<size_t, DocPtr>> scored;
  t->scan_all([&](const DocPtr& d) {
    if (!count_read(a)) return false;
    for (const auto& [f, v] : a.source.search_filters) {
      const Value& have = field_or_undefined(*d, f);
      if (v.is_null() ? !have.is_nullish() : compare(have, v) != 0) return true;
    }
    const Value& text = field_or_undefined(*d, a.source.search_field);
    if (!text.is_string()) return true;
    std::vector<std::string> words = tokenize(text.as_string());
    size_t score = 0;
    for (size_t i = 0; i < terms.size(); ++i) {
      bool last = i + 1 == terms.size();
      for (const auto& w : words) {
        if (w == terms[i] || (last && w.starts_with(terms[i]))) {
          ++score;
          break;
        }
      }
    }
    if (score > 0 && passes(a, d)) scored.emplace_back(score, d);
    return !failure_;
  });
  // Relevance: more matched terms first; ties newest first (as Convex does).
  std::stable_sort(scored.begin(), scored.end(), [](const auto& x, const auto& y) {
    if (x.first != y.first) return x.first > y.first;
    return x.second->creation_time > y.second->creation_time;
  });
  if (scored.size() > 1024) scored.resize(1024);
  for (auto& [s, d] : scored) out.push_back(d);
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
      *seekable = a.order_source == OrderSource::index && intervals.size() == 1;
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

void Executor::sort_rows(const TableAccess& a, std::vector<DocPtr>& rows) {
  if (a.order.empty() || rows.size() < 2) return;
  if (a.order_paths.empty()) {
    std::stable_sort(rows.begin(), rows.end(),
                     [&](const DocPtr& x, const DocPtr& y) { return compare_order(a.order, *x, *y) < 0; });
    return;
  }
  // Keys read through relations: computed once per row, then a sort of positions.
  std::vector<std::vector<Value>> computed(a.order_paths.size());
  for (size_t k = 0; k < a.order_paths.size() && k < a.order.size(); ++k) {
    if (a.order_paths[k]) computed[k] = order_values(a.order[k], *a.order_paths[k], rows);
    if (failure_) return;
  }
  auto key = [&](size_t k, size_t row) -> const Value& {
    return k < computed.size() && a.order_paths[k] ? computed[k][row] : field_or_undefined(*rows[row], a.order[k].field);
  };
  std::vector<size_t> at(rows.size());
  std::iota(at.begin(), at.end(), size_t{0});
  std::stable_sort(at.begin(), at.end(), [&](size_t x, size_t y) {
    for (size_t k = 0; k < a.order.size(); ++k) {
      int c = compare(key(k, x), key(k, y));
      if (c != 0) return a.order[k].descending ? c > 0 : c < 0;
    }
    return false;
  });
  std::vector<DocPtr> sorted;
  sorted.reserve(rows.size());
  for (size_t i : at) sorted.push_back(std::move(rows[i]));
  rows = std::move(sorted);
}

void Executor::slice(const TableAccess& a, std::vector<DocPtr>& rows) const {
  auto off = static_cast<size_t>(a.offset);
  if (off >= rows.size()) {
    rows.clear();
    return;
  }
  rows.erase(rows.begin(), rows.begin() + static_cast<long>(off));
  if (a.limit && rows.size() > static_cast<size_t>(*a.limit)) rows.resize(static_cast<size_t>(*a.limit));
}

void Executor::lookup(const TableAccess& a, const std::vector<Value>& keys, bool do_slice, Groups& out) {
  const Table* t = store_.table(a.table);
  size_t need = (do_slice && a.limit) ? static_cast<size_t>(*a.limit + a.offset) : 0;
  switch (a.source.kind) {
    case Source::Kind::get:
      for (const Value& key : keys) {
        if (!key.is_string()) continue;
        DocPtr d = t->get(key.as_string());
        if (!d) continue;
        if (!count_read(a)) return;
        if (passes(a, d)) out[key].push_back(d);
        if (failure_) return;
      }
      break;
    case Source::Kind::index: {
      const Index* idx = t->index(a.source.index);
      for (const Value& key : keys) {
        std::vector<Interval> intervals;
        if (a.source.intervals.empty()) {
          intervals.push_back(with_key(Interval{}, key, a.key_fields.size()));
        } else {
          for (const auto& iv : a.source.intervals) intervals.push_back(with_key(iv, key, a.key_fields.size()));
        }
        std::vector<DocPtr> rows;
        scan(a, *idx, intervals, need, nullptr, rows);
        if (failure_) return;
        if (!rows.empty()) out[key] = std::move(rows);
      }
      break;
    }
    case Source::Kind::full_scan: {
      std::set<Value, ValueLess> wanted(keys.begin(), keys.end());
      t->scan_all([&](const DocPtr& d) {
        if (!count_read(a)) return false;
        Value k = relation_key(d->value, a.key_fields);
        if (!k.is_nullish() && wanted.count(k) && passes(a, d)) out[k].push_back(d);
        return !failure_;
      });
      break;
    }
    case Source::Kind::search:
    case Source::Kind::empty:
    case Source::Kind::union_: break;  // never planned for lookups
  }
  for (auto& [k, rows] : out) {
    sort_rows(a, rows);
    if (do_slice) slice(a, rows);
  }
}

bool Executor::exists(const RelationStep& step, const Value& parent) {
  if (failure_) return false;
  Value key = relation_key(parent, step.parent_fields);
  if (key.is_nullish()) return false;
  auto cache_key = std::make_pair(&step, key);
  if (auto it = exists_cache_.find(cache_key); it != exists_cache_.end()) return it->second;
  bool found = false;
  if (step.junction) {
    Groups links;
    lookup(*step.junction, {key}, false, links);
    std::vector<Value> targets;
    for (const auto& [k, rows] : links) {
      for (const auto& r : rows) {
        Value t = relation_key(r->value, step.through_to);
        if (!t.is_nullish()) targets.push_back(std::move(t));
      }
    }
    Groups hits;
    if (!targets.empty()) lookup(step.node.access, targets, false, hits);
    found = !hits.empty();
  } else {
    Groups hits;
    lookup(step.node.access, {key}, true, hits);
    found = !hits.empty();
  }
  exists_cache_.emplace(std::move(cache_key), found);
  return found;
}

void Executor::DistinctKeys::add(const std::vector<DocPtr>& rows, const FieldList& fields) {
  for (const auto& r : rows) {
    Value k = relation_key(r->value, fields);
    if (!k.is_nullish() && seen.insert(k).second) keys.push_back(std::move(k));
  }
}

std::vector<std::vector<DocPtr>> Executor::related(const RelationStep& step, const std::vector<DocPtr>& parents,
                                                   uint64_t at_most, const std::string& refusal) {
  DistinctKeys keys;  // deduplicated across every parent
  keys.add(parents, step.parent_fields);
  std::vector<std::vector<DocPtr>> kids(parents.size());
  uint64_t held = 0;
  // Lists are counted before they are copied: parents that share their
  // related rows multiply them (each parent holds its own list).
  auto hold = [&](uint64_t n) {
    held += n;
    if (held <= at_most) return true;
    failure_ = Error::query(refusal, step.node.access.path);
    return false;
  };
  Groups found;
  if (!step.junction) {
    lookup(step.node.access, keys.keys, true, found);
    for (size_t i = 0; i < parents.size() && !failure_; ++i) {
      auto it = found.find(relation_key(parents[i]->value, step.parent_fields));
      if (it != found.end() && hold(it->second.size())) kids[i] = it->second;
    }
    return kids;
  }
  Groups links;
  lookup(*step.junction, keys.keys, false, links);
  DistinctKeys targets;
  for (const auto& [k, rows] : links) targets.add(rows, step.through_to);
  if (!targets.keys.empty()) lookup(step.node.access, targets.keys, false, found);
  for (size_t i = 0; i < parents.size() && !failure_; ++i) {
    auto it = links.find(relation_key(parents[i]->value, step.parent_fields));
    if (it == links.end()) continue;
    // One parent's rows before its limit are bounded by the links read (the
    // read budget); they count once sliced, as the answer will hold them.
    for (const auto& link : it->second) {
      auto f = found.find(relation_key(link->value, step.through_to));
      if (f != found.end()) kids[i].insert(kids[i].end(), f->second.begin(), f->second.end());
    }
    sort_rows(step.node.access, kids[i]);
    slice(step.node.access, kids[i]);
    if (!hold(kids[i].size())) return kids;
  }
  return kids;
}

std::string Executor::answer_rows_refusal() const {
  return "the answer would hold more than its budget of " + std::to_string(answer_rows_) +
         " rows, nested rows included (--answer-rows): add limits or fewer relations";
}

bool Executor::fits_answer(const Weight& w, const std::string& path) {
  if (failure_) return false;
  if (w.rows > answer_rows_) {
    failure_ = Error::query(answer_rows_refusal(), path);
  } else if (w.bytes > answer_bytes_) {
    failure_ = Error::query("the answer would be larger than its budget of " + std::to_string(answer_bytes_) +
                                " bytes (--answer-bytes): select fewer columns or rows",
                            path);
  }
  return !failure_;
}

bool Executor::before_deadline() {
  if (failure_) return false;
  if (limits_.deadline == Clock::time_point::max() || Clock::now() < limits_.deadline) return true;
  failure_ = Error{ErrorCode::upstream_timeout,
                   "the query ran past the request deadline (--request-timeout) while its answer was built", std::nullopt};
  return false;
}

std::vector<Value> Executor::shape(const ReadNode& n, const std::vector<DocPtr>& docs) {
  std::vector<Weight> weights;
  return shape(n, docs, weights);
}

std::vector<Value> Executor::shape(const ReadNode& n, const std::vector<DocPtr>& docs, std::vector<Weight>& weights) {
  std::vector<Value> out;
  out.reserve(docs.size());
  weights.assign(docs.size(), Weight{});
  Weight level;
  for (size_t i = 0; i < docs.size(); ++i) {
    out.push_back(project(*docs[i], n.columns));
    weights[i] = Weight{1, json_size_estimate(out.back())};
    level.rows += 1;
    level.bytes += weights[i].bytes;
  }
  if (!fits_answer(level, n.access.path) || !before_deadline()) return out;
  for (const RelationStep& step : n.with) {
    std::vector<std::vector<DocPtr>> kids =
        related(step, docs, answer_rows_, answer_rows_refusal());
    if (failure_) return out;
    // Shape each distinct child once, then attach it to every parent that has it.
    std::vector<DocPtr> unique_kids;
    std::unordered_map<const Document*, size_t> pos;
    for (const auto& list : kids) {
      for (const auto& k : list) {
        if (pos.emplace(k.get(), unique_kids.size()).second) unique_kids.push_back(k);
      }
    }
    std::vector<Weight> kid_weights;
    std::vector<Value> shaped = shape(step.node, unique_kids, kid_weights);
    if (failure_) return out;
    // Each parent appears in the answer at least once, so these rows together
    // weigh no more than the answer: weigh them before any copy is made.
    uint64_t key_bytes = step.name.size() + 4;
    for (size_t i = 0; i < docs.size(); ++i) {
      Weight add{0, key_bytes + (step.many ? 2 : 0)};
      if (!step.many && kids[i].empty()) add.bytes += 4;
      for (size_t k = 0; k < kids[i].size() && (step.many || k == 0); ++k) {
        const Weight& kw = kid_weights[pos[kids[i][k].get()]];
        add.rows += kw.rows;
        add.bytes += kw.bytes + 1;
      }
      weights[i].rows += add.rows;
      weights[i].bytes += add.bytes;
      level.rows += add.rows;
      level.bytes += add.bytes;
    }
    if (!fits_answer(level, step.node.access.path) || !before_deadline()) return out;
    for (size_t i = 0; i < docs.size(); ++i) {
      if (step.many) {
        Array arr;
        arr.reserve(kids[i].size());
        for (const auto& k : kids[i]) arr.push_back(shaped[pos[k.get()]]);
        out[i].set_field(step.name, Value(std::move(arr)));
      } else {
        out[i].set_field(step.name, kids[i].empty() ? Value(nullptr) : shaped[pos[kids[i][0].get()]]);
      }
    }
  }
  return out;
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
