#include "server/backend/embedded/fresh_reads.hpp"

#include <algorithm>

namespace dc {

namespace {
// A list is swept when it reaches this many entries, then again when it has
// doubled: a table never written keeps at most about twice the entries the
// cache still holds for it, and a sweep costs O(1) per registration.
constexpr size_t kFirstSweep = 64;
}  // namespace

void FreshReads::sweep(List& list) {
  size_t before = list.kept.size();
  list.kept.erase(std::remove_if(list.kept.begin(), list.kept.end(),
                                 [](const KeptPtr& k) {
                                   auto f = k->fresh.lock();
                                   return !f || !f->holds();
                                 }),
                  list.kept.end());
  entries_.fetch_sub(before - list.kept.size(), std::memory_order_release);
  list.sweep_at = std::max(kFirstSweep, 2 * list.kept.size());
}

std::shared_ptr<const Freshness> FreshReads::keep(const ReadPlan& plan) {
  auto fresh = std::make_shared<Freshness>();
  auto kept = std::make_shared<Kept>(Kept{ReadSet(plan), fresh});
  auto tables = kept->reads.tables();
  std::lock_guard lock(mu_);
  for (const auto& table : tables) {
    auto [it, fresh_list] = by_table_.try_emplace(table, List{{}, kFirstSweep});
    List& list = it->second;
    if (list.kept.size() >= list.sweep_at) sweep(list);
    list.kept.push_back(kept);
    entries_.fetch_add(1, std::memory_order_release);
  }
  return fresh;
}

void FreshReads::changed(const std::vector<Change>& changes, const Store& store) {
  if (!any() || changes.empty()) return;
  std::lock_guard lock(mu_);
  for (const auto& change : changes) {
    auto it = by_table_.find(change.table);
    if (it == by_table_.end() || it->second.kept.empty()) continue;
    for (const auto& kept : it->second.kept) {
      auto fresh = kept->fresh.lock();
      if (fresh && fresh->holds() && kept->reads.affected_by(change, store)) fresh->stale.store(true, std::memory_order_release);
    }
  }
  // The written tables' lists lose what went stale now or was evicted.
  std::vector<std::string_view> swept;
  for (const auto& change : changes) {
    if (std::find(swept.begin(), swept.end(), change.table) != swept.end()) continue;
    swept.push_back(change.table);
    auto it = by_table_.find(change.table);
    if (it != by_table_.end()) sweep(it->second);
  }
}

}  // namespace dc

namespace dc {

void FreshReads::stale_all() {
  std::lock_guard lock(mu_);
  for (auto& [table, list] : by_table_) {
    for (const auto& kept : list.kept)
      if (auto fresh = kept->fresh.lock()) fresh->stale.store(true, std::memory_order_release);
  }
}

}  // namespace dc
