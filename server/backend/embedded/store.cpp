#include "server/backend/embedded/store.hpp"

#include <algorithm>

namespace dc {

int compare_prefix(const IndexKey& key, const std::vector<Value>& bound) {
  size_t n = std::min(key.size(), bound.size());
  for (size_t i = 0; i < n; ++i) {
    if (int c = compare(key[i], bound[i])) return c;
  }
  return 0;
}

bool KeyLess::operator()(const IndexKey& a, const IndexKey& b) const {
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (int c = compare(a[i], b[i])) return c < 0;
  }
  return a.size() < b.size();
}

IndexKey Index::key_of(const Document& d) const {
  IndexKey k;
  k.reserve(fields_.size() + 2);
  for (const auto& f : fields_) {
    const Value* v = lookup_path(d.value, f);
    k.push_back(v ? *v : Value());
  }
  k.emplace_back(d.creation_time);
  k.emplace_back(d.id);
  return k;
}

void Index::insert(const DocPtr& d) {
  auto [it, added] = entries_.emplace(key_of(*d), d);
  if (!added || !counted_) return;
  ++leading_[it->first.front()];
  if (leading_.size() > kMaxCounted) {
    counted_ = false;
    leading_.clear();
  }
}

void Index::erase(const Document& d) {
  auto it = entries_.find(key_of(d));
  if (it == entries_.end()) return;
  if (counted_) {
    auto c = leading_.find(it->first.front());
    if (c != leading_.end() && --c->second == 0) leading_.erase(c);
  }
  entries_.erase(it);
}

std::vector<Value> Index::leading_values() const {
  std::vector<Value> out;
  out.reserve(leading_.size());
  for (const auto& [v, n] : leading_) out.push_back(v);
  return out;
}

uint64_t Index::leading_count(const Value& v) const {
  auto it = leading_.find(v);
  return it == leading_.end() ? 0 : it->second;
}

std::optional<uint64_t> Index::leading_range_count(const std::optional<Value>& lower, bool lower_inclusive,
                                                   const std::optional<Value>& upper, bool upper_inclusive,
                                                   uint64_t cap) const {
  if (counted_) {
    auto it = !lower ? leading_.begin() : lower_inclusive ? leading_.lower_bound(*lower) : leading_.upper_bound(*lower);
    auto end = !upper ? leading_.end() : upper_inclusive ? leading_.upper_bound(*upper) : leading_.lower_bound(*upper);
    if (lower && upper) {
      int c = compare(*lower, *upper);
      if (c > 0 || (c == 0 && !(lower_inclusive && upper_inclusive))) return 0;  // crossed: nothing between
    }
    uint64_t n = 0;
    for (; it != end && it != leading_.end(); ++it) n += it->second;
    return n;
  }
  Interval iv;
  if (lower) iv.lower = Bound{{*lower}, lower_inclusive};
  if (upper) iv.upper = Bound{{*upper}, upper_inclusive};
  return count(iv, cap);
}

std::optional<uint64_t> Index::count(const Interval& iv, uint64_t cap) const {
  if (!iv.lower && !iv.upper) return entries_.size();  // the whole index
  // Bounds on the leading field alone: summed from the per-value counts,
  // exact at any size (a bound of one value compares that field only).
  bool leading_only = (!iv.lower || iv.lower->key.size() == 1) && (!iv.upper || iv.upper->key.size() == 1) && (iv.lower || iv.upper);
  if (counted_ && leading_only) {
    return leading_range_count(iv.lower ? std::optional<Value>(iv.lower->key[0]) : std::nullopt, iv.lower && iv.lower->inclusive,
                               iv.upper ? std::optional<Value>(iv.upper->key[0]) : std::nullopt, iv.upper && iv.upper->inclusive, cap);
  }
  Cursor c = cursor(iv, false);
  uint64_t n = 0;
  for (auto it = c.first_; it != c.last_; ++it) {
    if (++n > cap) return std::nullopt;
  }
  return n;
}

bool below_lower(const IndexKey& k, const Bound& b) {
  int c = compare_prefix(k, b.key);
  return c < 0 || (c == 0 && !b.inclusive);
}

bool above_upper(const IndexKey& k, const Bound& b) {
  int c = compare_prefix(k, b.key);
  return c > 0 || (c == 0 && !b.inclusive);
}

Index::Cursor Index::cursor(const Interval& iv, bool descending) const {
  // Keys below the lower bound form a prefix of the map, as do keys not above
  // the upper bound, so both ends are found by binary search.
  Cursor c;
  c.descending_ = descending;
  c.first_ = iv.lower ? entries_.lower_bound(LowerProbe{&*iv.lower}) : entries_.begin();
  c.last_ = iv.upper ? entries_.lower_bound(UpperProbe{&*iv.upper}) : entries_.end();
  // An empty interval (lower end past the upper end) holds nothing.
  if (c.first_ == entries_.end() || (c.last_ != entries_.end() && !KeyLess{}(c.first_->first, c.last_->first))) {
    c.first_ = c.last_ = entries_.end();
  }
  return c;
}

DocPtr Index::Cursor::next() {
  if (first_ == last_) return nullptr;
  if (descending_) return (--last_)->second;
  return (first_++)->second;
}

void Index::scan(const Interval& iv, bool descending, const std::function<bool(const DocPtr&)>& visit) const {
  Cursor c = cursor(iv, descending);
  while (DocPtr d = c.next()) {
    if (!visit(d)) return;
  }
}

Table::Table(const TableDef& def, uint32_t number) : def_(&def), number_(number) {
  for (const auto& idx : def.indexes) {
    // One counting index per leading field is enough.
    bool unique = !idx.fields.empty() && std::find(def.unique.begin(), def.unique.end(), std::vector<std::string>{idx.fields.front()}) != def.unique.end();
    bool counted = idx.name != kByCreationTime && !idx.fields.empty() && !unique && !counting(idx.fields.front());
    indexes_.emplace_back(idx.name, idx.fields, counted);
  }
}

const Index* Table::counting(std::string_view field) const {
  for (const auto& i : indexes_) {
    if (i.counted() && i.fields().front() == field) return &i;
  }
  return nullptr;
}

const Index* Table::led_by(std::string_view field) const {
  if (const Index* c = counting(field)) return c;
  for (const auto& i : indexes_) {
    if (!i.fields().empty() && i.fields().front() == field) return &i;
  }
  return nullptr;
}

DocPtr Table::get(const std::string& id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

const Index* Table::index(std::string_view name) const {
  for (const auto& i : indexes_) {
    if (i.name() == name) return &i;
  }
  return nullptr;
}

void Table::insert(DocPtr d) {
  for (auto& i : indexes_) i.insert(d);
  by_id_.emplace(d->id, std::move(d));
}

void Table::erase(const DocPtr& d) {
  for (auto& i : indexes_) i.erase(*d);
  by_id_.erase(d->id);
}

void Table::scan_all(const std::function<bool(const DocPtr&)>& visit) const {
  index(kByCreationTime)->scan(Interval{}, false, visit);
}

Store::Store(const Schema& schema) : schema_(schema) {
  uint32_t number = 10001;  // Convex numbers user tables from 10001
  for (const auto& [name, def] : schema.tables) tables_.emplace(name, Table(def, number++));
}

double Store::next_creation_time(double now) { return std::max(now, max_creation_time_ + 0.001); }

Value project(const Document& d, const ColumnSelection& cols) {
  if (cols.mode == ColumnSelection::Mode::all) return d.value;
  Object out;
  for (const auto& [name, v] : d.value.as_object()) {
    bool listed = std::find(cols.fields.begin(), cols.fields.end(), name) != cols.fields.end();
    if (listed == (cols.mode == ColumnSelection::Mode::include)) out.emplace_back(name, v);
  }
  return Value(std::move(out));
}

void Store::insert(Table& table, DocPtr d) {
  max_creation_time_ = std::max(max_creation_time_, d->creation_time);
  table.insert(std::move(d));
}

void Store::put(Table& table, const DocPtr& before, const DocPtr& after) {
  if (before) table.erase(before);
  if (after) insert(table, after);
}

Table* Store::table(std::string_view name) {
  auto it = tables_.find(name);
  return it == tables_.end() ? nullptr : &it->second;
}

const Table* Store::table(std::string_view name) const {
  auto it = tables_.find(name);
  return it == tables_.end() ? nullptr : &it->second;
}

}  // namespace dc
