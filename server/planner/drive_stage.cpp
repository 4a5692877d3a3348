// Drive: a relation filter `{rel: {...}}` read from its selective side. The
// related rows (and their links) come first and the rows here are looked
// up by the keys they give, instead of probing the relation for every row
// of a scan. Chosen by cost; without table sizes only to replace a scan.
#include <algorithm>

#include "server/planner/filter_normalize.hpp"
#include "server/planner/planner_stages.hpp"

namespace dc {

namespace {

// Without table sizes (Convex), only an equality or `in` on a field of
// unbounded domain (an id, a name) counts as selective.
bool selective_without_sizes(const TableDef& table, const TableAccess& a) {
  if (a.source.kind == Source::Kind::get || a.driver) return true;
  return std::any_of(a.served.begin(), a.served.end(), [&](const PlanFilter& c) {
    return c.kind == PlanFilter::Kind::cmp && (c.op == CmpOp::eq || c.op == CmpOp::in) && !finite_domain(table, c.field);
  });
}

}  // namespace

// Top-level EXISTS conjuncts, kept with their related-row filter before
// plan_exists turns them into per-row probes.
std::vector<Drivable> Planner::drivable_relations(const std::optional<PlanFilter>& where) {
  std::vector<Drivable> out;
  if (!where) return out;
  auto conj = conjuncts(*where);
  for (size_t i = 0; i < conj.size(); ++i) {
    const PlanFilter* c = conj[i];
    if (c->kind != PlanFilter::Kind::exists || c->negate) continue;
    out.push_back({i, c->relation_def, c->children.empty() ? std::nullopt : std::optional<PlanFilter>(c->children[0]), c->path});
  }
  return out;
}

PlanBox<Driver> Planner::driver(const RelationDef& rel, std::optional<PlanFilter> related_filter, const std::string& path) {
  Driver d;
  d.relation = rel.name;
  ReadConfig cfg;
  cfg.path = path;
  // The same rows the EXISTS probe would accept: the filter, the relation's where, the role's rule.
  auto n = node(*schema_.table(rel.target), cfg, {}, std::nullopt, std::move(related_filter), &rel);
  if (!n) return nullptr;  // the probe was planned already: keep it
  d.related = std::move(n).value();
  if (rel.through) {
    auto j = junction_access(*rel.through, rel.through->to, path);
    if (!j) return nullptr;
    d.junction = std::move(j).value();
    d.related_fields = paired(rel.through->to, rel.to, d.junction->key_fields);
  }
  return PlanBox<Driver>(std::move(d));
}

uint64_t Planner::links_per_row(const RelationDef& rel) {
  uint64_t links = estimated_rows(rel.through->table);
  uint64_t targets = estimated_rows(rel.target);
  if (links == kUnbounded || targets == kUnbounded) return 2;
  if (targets == 0) return 1;
  return std::max<uint64_t>(1, (links + targets - 1) / targets);
}

void Planner::drive(TableAccess& a, const TableDef& table, const std::vector<const PlanFilter*>& conj, const ReadConfig& cfg,
                    const std::vector<Drivable>& drivable) {
  uint64_t table_rows = estimated_rows(table.name);
  bool scan = a.source.kind == Source::Kind::full_scan;
  if (!scan && table_rows == kUnbounded) return;  // without sizes only a scan is worth replacing
  // The access reads its matching rows and probes the relation for each (at
  // least one read per probe that finds a row); with an early stop, only
  // until `need` rows pass the relation filter.
  uint64_t own_rows = scan ? table_rows : matching_rows(a);
  bool stops_early = !scan && a.limit && a.order_source != OrderSource::sort;
  uint64_t need = stops_early ? static_cast<uint64_t>(*a.limit + a.offset) : 0;
  auto own_cost = [&](uint64_t parent_keys) {
    uint64_t read = own_rows;
    if (stops_early && parent_keys > 0 && parent_keys != kUnbounded) {
      // The share of rows the relation filter keeps: the parents the related side reaches.
      read = std::min(read, sat_mul(need, table_rows) / std::min(parent_keys, table_rows));
    }
    return sat_add(read, read);
  };
  uint64_t scan_cost = own_cost(kUnbounded);
  PlanBox<Driver> best;
  const Drivable* chosen = nullptr;
  uint64_t best_cost = kUnbounded;
  uint64_t best_own = scan_cost;
  for (const auto& d : drivable) {
    auto dr = driver(*d.rel, d.related_filter, d.path);
    if (!dr) continue;
    const TableAccess& ra = dr->related.access;
    if (ra.source.kind == Source::Kind::search) continue;
    // A related side no index serves is scanned once and joined: worth it
    // where the table is small next to the probes (one per row here).
    bool scanned = ra.source.kind == Source::Kind::full_scan;
    uint64_t related = scanned ? related_matches(ra) : matching_rows(ra);
    uint64_t related_read = scanned ? estimated_rows(ra.table) : related;
    uint64_t cost = kUnbounded;
    if (related == kUnbounded || table_rows == kUnbounded || related_read == kUnbounded) {
      if (scanned || !selective_without_sizes(*schema_.table(ra.table), ra)) continue;
    } else {
      // The related rows, their links, one lookup per parent key. Links per
      // related row: the junction's rows over the related table's where both
      // sizes are known (a tag on 20 posts has 20 links), else a guess of two.
      uint64_t keys = d.rel->through ? sat_mul(related, links_per_row(*d.rel)) : related;
      cost = sat_add(sat_add(related_read, d.rel->through ? keys : 0), keys);
      // Selectivities are guesses: drive only when the guess wins by half, so a
      // wrong one (a boolean true for most rows) still rarely reads more than the scan.
      uint64_t own = own_cost(keys);
      if (sat_mul(cost, 2) > own) continue;
      if (!best || cost < best_cost) best_own = own;
    }
    if (!best || cost < best_cost) {
      best = std::move(dr);
      best_cost = cost;
      chosen = &d;
    }
  }
  if (!best) return;
  const RelationDef& rel = *chosen->rel;
  std::vector<const PlanFilter*> rest_conj;
  for (size_t i = 0; i < conj.size(); ++i) {
    if (i != chosen->conjunct) rest_conj.push_back(conj[i]);  // the EXISTS holds by construction
  }
  AccessChoice lookup = choose_access(table, rest_conj, cfg.order_by, rel.from);
  a.key_fields = std::move(lookup.key_fields);
  a.source = std::move(lookup.source);
  a.order = std::move(lookup.order);
  a.user_order_keys = lookup.user_order_keys;
  a.index_order_keys = 0;
  if (a.order.empty()) a.order = effective_order({});  // the scan's order: the tie-breakers alone
  a.order_source = OrderSource::sort;  // rows come grouped by key
  a.warnings = std::move(lookup.warnings);
  a.served.clear();
  std::vector<PlanFilter> rest;
  for (const PlanFilter* c : rest_conj) {
    if (std::find(lookup.served.begin(), lookup.served.end(), c) != lookup.served.end()) a.served.push_back(*c);
    else rest.push_back(*c);
  }
  a.post_filter = and_of(std::move(rest));
  a.at_most_one_per_range = lookup.at_most_one_per_interval;
  if (rel.through) best->junction_fields = paired(rel.from, rel.through->from, a.key_fields);
  else best->related_fields = paired(rel.from, rel.to, a.key_fields);
  best->estimated_reads = best_cost;
  best->estimated_scan = best_own;
  a.driver = std::move(best);
}

}  // namespace dc
