#include "server/backend/embedded/read_set.hpp"

#include <algorithm>

#include "server/planner/plan_walk.hpp"

namespace dc {

ReadSet::ReadSet(const ReadPlan& plan)
    : root_table_(plan.root.access.table), root_source_(plan.root.access.source), root_driven_(static_cast<bool>(plan.root.access.driver)) {
  // Relation filters read their target tables too (a write there can add or
  // remove a row of the result), and so do order keys read through relations.
  // The root's own table is judged row by row (root_touched).
  walk_accesses(plan.root, [&](const TableAccess& a, AccessRole role) {
    if (role != AccessRole::root) tables_.insert(a.table);
  });
}

bool ReadSet::root_touched(const Document& d, const Store& store) const {
  if (root_driven_) return true;  // looked up by keys its driver finds: any row may be one
  switch (root_source_.kind) {
    case Source::Kind::empty:
      return false;
    case Source::Kind::get:
      return std::any_of(root_source_.ids.begin(), root_source_.ids.end(),
                         [&](const Value& id) { return id.is_string() && id.as_string() == d.id; });
    case Source::Kind::index: {
      // A skip-scan over observed values: a row with a new value joins the ranges.
      if (root_source_.intervals.empty() || root_source_.skip_observed) return true;
      const Table* t = store.table(root_table_);
      const Index* idx = t ? t->index(root_source_.index) : nullptr;
      if (!idx) return true;
      IndexKey key = idx->key_of(d);
      return std::any_of(root_source_.intervals.begin(), root_source_.intervals.end(), [&](const Interval& iv) {
        return !(iv.lower && below_lower(key, *iv.lower)) && !(iv.upper && above_upper(key, *iv.upper));
      });
    }
    case Source::Kind::full_scan:
    case Source::Kind::search:
    case Source::Kind::union_:  // a row leaving a branch may still be in the result through another
      return true;
  }
  return true;
}

std::vector<std::string> ReadSet::tables() const {
  std::vector<std::string> out{root_table_};
  for (const auto& t : tables_)
    if (t != root_table_) out.push_back(t);
  return out;
}

const std::vector<Value>* ReadSet::point_ids() const {
  if (root_driven_ || !tables_.empty() || root_source_.kind != Source::Kind::get) return nullptr;
  return &root_source_.ids;
}

bool ReadSet::affected_by(const Change& c, const Store& store) const {
  if (tables_.count(c.table)) return true;
  if (c.table != root_table_) return false;
  return (c.before && root_touched(*c.before, store)) || (c.after && root_touched(*c.after, store));
}

bool ReadSet::affected_by(const std::vector<Change>& changes, const Store& store) const {
  return std::any_of(changes.begin(), changes.end(), [&](const Change& c) { return affected_by(c, store); });
}

}  // namespace dc
