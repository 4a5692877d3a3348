// Relations: lookups by each parent's key (deduplicated across parents),
// EXISTS probes for relation filters (cached per key), and the related rows
// of `with`, sorted and sliced per parent.
#include "server/backend/embedded/executor.hpp"

#include <algorithm>

#include "server/backend/embedded/executor_rows.hpp"
#include "server/backend/embedded/relation_key.hpp"

namespace dc {

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
  AccessKey cache_key{step.node.access.id, key};
  if (auto it = exists_cache_.find(cache_key); it != exists_cache_.end()) return it->second;
  bool found = false;
  if (step.junction) {
    found = exists_through(step, key);
  } else if (auto n = counted_lookup(step.node.access, key, 1)) {
    found = *n > 0;  // the foreign-key index's count says, no row read (the adapter reads one)
  } else {
    Groups hits;
    lookup(step.node.access, {key}, true, hits);
    found = !hits.empty();
  }
  exists_cache_.emplace(std::move(cache_key), found);
  return found;
}

// Through a junction the links are read one at a time, in index order, and
// the first whose target exists answers: a parent with a hundred links reads
// one link and one target, not a hundred of each. Targets are probed once
// per relation (parents share them). The adapter's existsThrough reads the
// same documents.
bool Executor::exists_through(const RelationStep& step, const Value& key) {
  const TableAccess& links = *step.junction;
  auto target_exists = [&](const Value& target) {
    AccessKey probe{step.node.access.id, target};
    if (auto it = target_cache_.find(probe); it != target_cache_.end()) return it->second;
    Groups hits;
    lookup(step.node.access, {target}, false, hits);
    target_cache_.emplace(std::move(probe), !hits.empty());
    return !hits.empty();
  };
  const Index* idx = links.source.kind == Source::Kind::index ? store_.table(links.table)->index(links.source.index) : nullptr;
  if (!idx) {  // links without an index on their key: read whole, as a lookup does
    Groups found;
    lookup(links, {key}, false, found);
    for (const auto& [k, rows] : found) {
      for (const auto& r : rows) {
        Value t = relation_key(r->value, step.through_to);
        if (!t.is_nullish() && target_exists(t)) return true;
        if (failure_) return false;
      }
    }
    return false;
  }
  std::vector<Interval> intervals;
  if (links.source.intervals.empty()) intervals.push_back(with_key(Interval{}, key, links.key_fields.size()));
  for (const auto& iv : links.source.intervals) intervals.push_back(with_key(iv, key, links.key_fields.size()));
  for (const Interval& iv : intervals) {
    Index::Cursor cursor = idx->cursor(iv, links.source.descending);
    while (DocPtr link = cursor.next()) {
      if (!count_read(links)) return false;
      if (!passes(links, link)) {
        if (failure_) return false;
        continue;
      }
      Value t = relation_key(link->value, step.through_to);
      if (!t.is_nullish() && target_exists(t)) return true;
      if (failure_) return false;
    }
  }
  return false;
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

}  // namespace dc
