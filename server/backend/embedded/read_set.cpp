#include "server/backend/embedded/read_set.hpp"

#include <algorithm>

namespace dc {

namespace {

void collect_relations(const ReadNode& node, std::set<std::string, std::less<>>& tables);

void collect_access(const TableAccess& a, std::set<std::string, std::less<>>& tables);

void collect_step(const RelationStep& step, std::set<std::string, std::less<>>& tables) {
  if (step.junction) {
    tables.insert(step.junction->table);
    collect_access(*step.junction, tables);
  }
  tables.insert(step.node.access.table);
  collect_relations(step.node, tables);
}

// Relation filters (EXISTS / NOT EXISTS) read their target tables too: a
// write there can add or remove a row of the result.
void collect_filter(const PlanFilter& f, std::set<std::string, std::less<>>& tables) {
  if (f.kind == PlanFilter::Kind::exists && f.relation) collect_step(*f.relation, tables);
  for (const auto& c : f.children) collect_filter(c, tables);
}

// So do keys of the order read through relations: a write there can reorder the rows.
void collect_access(const TableAccess& a, std::set<std::string, std::less<>>& tables) {
  if (a.post_filter) collect_filter(*a.post_filter, tables);
  for (const auto& f : a.served) collect_filter(f, tables);
  for (const auto& path : a.order_paths) {
    if (!path) continue;
    for (const auto& step : path->steps) collect_step(step, tables);
  }
  if (const auto& d = a.driver) {
    tables.insert(d->related.access.table);
    collect_relations(d->related, tables);
    if (d->junction) {
      tables.insert(d->junction->table);
      collect_access(*d->junction, tables);
    }
  }
}

void collect_relations(const ReadNode& node, std::set<std::string, std::less<>>& tables) {
  collect_access(node.access, tables);
  for (const auto& step : node.with) collect_step(step, tables);
}

}  // namespace

ReadSet::ReadSet(const ReadPlan& plan)
    : root_table_(plan.root.access.table), root_source_(plan.root.access.source), root_driven_(plan.root.access.driver != nullptr) {
  collect_relations(plan.root, tables_);
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

bool ReadSet::affected_by(const std::vector<Change>& changes, const Store& store) const {
  for (const auto& c : changes) {
    if (tables_.count(c.table)) return true;
    if (c.table != root_table_) continue;
    if ((c.before && root_touched(*c.before, store)) || (c.after && root_touched(*c.after, store))) return true;
  }
  return false;
}

}  // namespace dc
