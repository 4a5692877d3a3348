// The embedded engine's storage: tables of immutable documents with ordered
// indexes (declared ones plus by_creation_time), each key ending with
// _creationTime and _id as in Convex. Pure data structure, no locking: the
// EmbeddedBackend owns it and guards it with a reader/writer lock.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "protocol/error.hpp"
#include "protocol/value.hpp"
#include "server/planner/plan.hpp"
#include "server/schema/model.hpp"

namespace dc {

struct Document {
  std::string id;
  double creation_time = 0;
  Value value;  // the whole document, _id and _creationTime included
};
using DocPtr = std::shared_ptr<const Document>;
using IndexKey = std::vector<Value>;

// A document's fields as `columns` selects them (all, include or exclude).
Value project(const Document& d, const ColumnSelection& columns);

// Compares the first bound.size() parts of `key` with `bound`.
int compare_prefix(const IndexKey& key, const std::vector<Value>& bound);

bool below_lower(const IndexKey& k, const Bound& b);
bool above_upper(const IndexKey& k, const Bound& b);

// Probes for map::lower_bound: the keys "less" than a probe are those before
// an interval's lower end (LowerProbe) or not past its upper end (UpperProbe).
struct LowerProbe {
  const Bound* bound;
};
struct UpperProbe {
  const Bound* bound;
};

struct KeyLess {
  using is_transparent = void;
  bool operator()(const IndexKey& a, const IndexKey& b) const;
  bool operator()(const IndexKey& k, const LowerProbe& p) const { return below_lower(k, *p.bound); }
  bool operator()(const LowerProbe& p, const IndexKey& k) const { return !below_lower(k, *p.bound); }
  bool operator()(const IndexKey& k, const UpperProbe& p) const { return !above_upper(k, *p.bound); }
  bool operator()(const UpperProbe& p, const IndexKey& k) const { return above_upper(k, *p.bound); }
};

struct ValueOrder {
  bool operator()(const Value& a, const Value& b) const { return compare(a, b) < 0; }
};

class Index {
 public:
  // `counted`: keep a count of rows per value of the leading field (the
  // planner's statistics); off for by_creation_time and unique fields, whose
  // values are all distinct. Past kMaxCounted distinct values the counts are
  // dropped for good: they cost a map node per value on every write and
  // steer few plans (the planner then guesses).
  static constexpr size_t kMaxCounted = 4096;
  Index(std::string name, std::vector<std::string> fields, bool counted)
      : name_(std::move(name)), fields_(std::move(fields)), counted_(counted) {}
  const std::string& name() const { return name_; }
  const std::vector<std::string>& fields() const { return fields_; }
  bool counted() const { return counted_; }
  IndexKey key_of(const Document& d) const;
  void insert(const DocPtr& d);
  void erase(const Document& d);
  // Rows whose leading field holds `v` (undefined: missing); needs counted().
  uint64_t leading_count(const Value& v) const;
  // The leading field's distinct values in index order (undefined first, for
  // rows missing it); needs counted().
  size_t leading_distinct() const { return leading_.size(); }
  std::vector<Value> leading_values() const;
  // Rows whose leading field lies between the bounds (nullopt: open end;
  // null and missing sort lowest). Summed from the counts when counted(),
  // else counted entry by entry: nullopt past `cap` entries.
  std::optional<uint64_t> leading_range_count(const std::optional<Value>& lower, bool lower_inclusive,
                                              const std::optional<Value>& upper, bool upper_inclusive,
                                              uint64_t cap) const;
  using Entries = std::map<IndexKey, DocPtr, KeyLess>;
  // The documents inside one interval, handed out one at a time in index
  // order (or reverse), so that a merge can interleave several intervals.
  // Valid while the index is not written (readers hold the store's lock).
  class Cursor {
   public:
    DocPtr next();  // null past the end

   private:
    friend class Index;
    Entries::const_iterator first_, last_;
    bool descending_ = false;
  };
  Cursor cursor(const Interval& iv, bool descending) const;
  // Entries inside `iv`: from the per-value counts when `iv` bounds the
  // leading field alone (exact at any size), else one by one, nullopt past `cap`.
  std::optional<uint64_t> count(const Interval& iv, uint64_t cap) const;
  // Visits documents inside `iv` in index order (or reverse); stops when `visit` returns false.
  void scan(const Interval& iv, bool descending, const std::function<bool(const DocPtr&)>& visit) const;

 private:
  std::string name_;
  std::vector<std::string> fields_;  // declared fields; the key adds _creationTime and _id
  Entries entries_;
  bool counted_;
  std::map<Value, uint64_t, ValueOrder> leading_;  // rows per leading value, when counted_
};

class Table {
 public:
  Table(const TableDef& def, uint32_t number);
  const TableDef& def() const { return *def_; }
  uint32_t number() const { return number_; }
  size_t size() const { return by_id_.size(); }
  DocPtr get(const std::string& id) const;
  const Index* index(std::string_view name) const;
  // An index that counts rows per value of `field` (one it leads); null if none.
  const Index* counting(std::string_view field) const;
  // An index `field` leads, the counting one first; null if none.
  const Index* led_by(std::string_view field) const;
  void insert(DocPtr d);
  void erase(const DocPtr& d);
  // Every document in creation order.
  void scan_all(const std::function<bool(const DocPtr&)>& visit) const;

 private:
  const TableDef* def_;
  uint32_t number_;
  std::unordered_map<std::string, DocPtr> by_id_;
  std::vector<Index> indexes_;
};

class Store {
 public:
  explicit Store(const Schema& schema);
  const Schema& schema() const { return schema_; }
  Table* table(std::string_view name);
  const Table* table(std::string_view name) const;
  // A creation time at or after `now` and above every one stored so far, so
  // creation times stay strictly increasing as in Convex.
  double next_creation_time(double now = 0);
  // Adds a document to a table that exists; the only way documents enter the store.
  void insert(Table& table, DocPtr d);
  // Replaces `before` by `after` (same _id), or inserts (no before) or removes (no after).
  void put(Table& table, const DocPtr& before, const DocPtr& after);

 private:
  const Schema& schema_;
  double max_creation_time_ = 0;
  std::map<std::string, Table, std::less<>> tables_;
};

}  // namespace dc
