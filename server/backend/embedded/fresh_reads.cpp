#include "server/backend/embedded/fresh_reads.hpp"

#include <algorithm>

namespace dc {

namespace {
// A list is swept when it reaches this many entries, then again when it has
// doubled: a table never written keeps at most about twice the entries the
// cache still holds for it, and a sweep costs O(1) per registration.
constexpr size_t kFirstSweep = 64;
}  // namespace

void FreshReads::mark_stale(const KeptPtr& k) {
  if (auto f = k->fresh.lock()) f->stale.store(true, std::memory_order_release);
}

bool FreshReads::gone(const KeptPtr& k) {
  auto f = k->fresh.lock();
  return !f || !f->holds();
}

void FreshReads::sweep(List& list) {
  size_t before = list.kept.size();
  list.kept.erase(std::remove_if(list.kept.begin(), list.kept.end(), gone), list.kept.end());
  entries_.fetch_sub(before - list.kept.size(), std::memory_order_release);
  list.sweep_at = std::max(kFirstSweep, 2 * list.kept.size());
}

void FreshReads::sweep(Points& points) {
  size_t before = points.count;
  points.count = 0;
  for (auto it = points.rows.begin(); it != points.rows.end();) {
    auto& list = it->second;
    list.erase(std::remove_if(list.begin(), list.end(), gone), list.end());
    points.count += list.size();
    it = list.empty() ? points.rows.erase(it) : std::next(it);
  }
  entries_.fetch_sub(before - points.count, std::memory_order_release);
  points.sweep_at = std::max(kFirstSweep, 2 * points.count);
}

std::shared_ptr<const Freshness> FreshReads::keep(const ReadPlan& plan) {
  auto fresh = std::make_shared<Freshness>();
  auto kept = std::make_shared<Kept>(Kept{ReadSet(plan), fresh});
  std::lock_guard lock(mu_);
  if (const auto* ids = kept->reads.point_ids()) {
    Points& points = by_id_.try_emplace(plan.root.access.table, Points{{}, 0, kFirstSweep}).first->second;
    if (points.count >= points.sweep_at) sweep(points);
    for (const auto& id : *ids) {
      if (!id.is_string()) continue;  // not an id: it finds nothing, and no write makes it find something
      points.rows[id.as_string()].push_back(kept);
      ++points.count;
      entries_.fetch_add(1, std::memory_order_release);
    }
    return fresh;
  }
  auto tables = kept->reads.tables();
  for (const auto& table : tables) {
    List& list = by_table_.try_emplace(table, List{{}, kFirstSweep}).first->second;
    // A full list is swept before a read is refused: the cache may have let
    // some of its reads go since (bounded: at most kRangeReadsPerTable checks).
    if (list.kept.size() >= std::min(list.sweep_at, kRangeReadsPerTable)) sweep(list);
    if (list.kept.size() >= kRangeReadsPerTable) return nullptr;  // not kept: nothing was registered
  }
  for (const auto& table : tables) {
    by_table_[table].kept.push_back(kept);
    entries_.fetch_add(1, std::memory_order_release);
  }
  return fresh;
}

void FreshReads::changed(const std::vector<const std::vector<Change>*>& group, const Store& store) {
  if (!any()) return;
  std::lock_guard lock(mu_);
  // The group's changes by table.
  std::unordered_map<std::string_view, std::vector<const Change*>> by_table;
  for (const auto* changes : group)
    for (const auto& c : *changes) by_table[c.table].push_back(&c);
  for (const auto& [table, changes] : by_table) {
    // Point reads of the changed rows.
    if (auto points = by_id_.find(std::string(table)); points != by_id_.end()) {
      for (const Change* c : changes) {
        auto it = points->second.rows.find(c->id);
        if (it == points->second.rows.end()) continue;
        std::for_each(it->second.begin(), it->second.end(), mark_stale);
        points->second.count -= it->second.size();
        entries_.fetch_sub(it->second.size(), std::memory_order_release);
        points->second.rows.erase(it);
      }
    }
    // Other reads of the table: tested, or all stale when that would cost more.
    auto it = by_table_.find(std::string(table));
    if (it == by_table_.end()) continue;
    List& list = it->second;
    bool all = changes.size() * list.kept.size() > kTestsPerTable;
    for (const auto& kept : list.kept) {
      auto f = kept->fresh.lock();
      if (!f || !f->holds()) continue;
      bool hit = all || std::any_of(changes.begin(), changes.end(), [&](const Change* c) { return kept->reads.affected_by(*c, store); });
      if (hit) f->stale.store(true, std::memory_order_release);
    }
    sweep(list);
  }
}

void FreshReads::stale_all() {
  std::lock_guard lock(mu_);
  for (auto& [table, list] : by_table_) std::for_each(list.kept.begin(), list.kept.end(), mark_stale);
  for (auto& [table, points] : by_id_)
    for (auto& [id, list] : points.rows) std::for_each(list.begin(), list.end(), mark_stale);
}

}  // namespace dc
