#include "server/planner/index_choice.hpp"

#include <algorithm>
#include <cstdint>

#include "server/planner/filter_normalize.hpp"
#include "server/planner/index_candidate.hpp"

namespace dc {

namespace {

std::string describe_fields(const std::vector<std::string>& fields) {
  std::string s;
  for (const auto& f : fields) {
    if (!s.empty()) s += ", ";
    s += f;
  }
  return s;
}

}  // namespace

namespace {

// An OR conjunct whose every branch an index range or a get serves, as the
// union of those sources (and that OR); nullopt when a branch would need a scan.
std::optional<std::pair<Source, const PlanFilter*>> index_union(const TableDef& table, const std::vector<const PlanFilter*>& conj) {
  for (const PlanFilter* c : conj) {
    if (c->kind != PlanFilter::Kind::or_ || c->children.size() < 2) continue;
    Source u;
    u.kind = Source::Kind::union_;
    for (const PlanFilter& branch : c->children) {
      AccessChoice b = choose_access(table, conjuncts(branch), {}, {}, false);
      bool indexed = b.source.kind == Source::Kind::get || (b.source.kind == Source::Kind::index && !b.source.intervals.empty());
      if (!indexed) break;
      u.branches.push_back(std::move(b.source));
    }
    if (u.branches.size() == c->children.size()) return std::make_pair(std::move(u), c);
  }
  return std::nullopt;
}

// The union's branches again, each chosen under the requested order, when
// every one is then an index range whose ranges are each in that order:
// the rows can be merged by the order with an early stop (a limit) instead
// of read whole. With the leading keys of the order every branch gives
// (all of them: the whole order, tie-breakers included). nullopt when a
// branch needs a get or gives up the order.
std::optional<std::pair<Source, size_t>> ordered_union(const TableDef& table, const PlanFilter& or_filter,
                                                       const std::vector<OrderKey>& user_order) {
  Source u;
  u.kind = Source::Kind::union_;
  size_t keys = SIZE_MAX;
  for (const PlanFilter& branch : or_filter.children) {
    AccessChoice b = choose_access(table, conjuncts(branch), user_order, {}, false, true);
    if (b.source.kind != Source::Kind::index || b.source.intervals.empty() || b.served.empty()) return std::nullopt;
    if (b.order_source != OrderSource::index && b.order_source != OrderSource::index_ties) return std::nullopt;
    keys = std::min(keys, b.index_order_keys);
    u.branches.push_back(std::move(b.source));
  }
  return std::make_pair(std::move(u), keys);
}

// A candidate index with how well it serves the order and, when counted, its rows.
struct Weighed {
  Candidate cand;
  int order_rank;
  std::optional<uint64_t> rows;
};

// How much of the order an index gives, where an early stop makes it count.
int order_rank(OrderSource s, bool stops_early) {
  if (!stops_early) return 0;
  return s == OrderSource::index ? 2 : s == OrderSource::index_ties ? 1 : 0;
}

}  // namespace

AccessChoice choose_access(const TableDef& table, const std::vector<const PlanFilter*>& conj,
                           const std::vector<OrderKey>& user_order, const FieldList& key_fields, bool allow_union,
                           bool stops_early, const ObservedValues& observed, const CountRanges& count) {
  AccessChoice out;
  // get by _id: for a relation keyed on _id, or an _id equality / in list.
  const PlanFilter* id_conj = nullptr;
  if (key_fields.empty()) {
    for (const PlanFilter* c : conj) {
      if (is_cmp_on(c, "_id") && (c->op == CmpOp::eq || c->op == CmpOp::in)) {
        id_conj = c;
        break;
      }
    }
  }
  if (key_fields == FieldList{"_id"} || id_conj) {
    out.key_fields = key_fields;
    out.source.kind = Source::Kind::get;
    if (id_conj) {
      out.served.push_back(id_conj);
      if (id_conj->op == CmpOp::eq) {
        out.source.ids.push_back(id_conj->arg);
      } else {
        for (const auto& v : id_conj->arg.as_array()) {
          if (v.is_string()) out.source.ids.push_back(v);
        }
      }
    }
    out.at_most_one_per_interval = true;
    Candidate none;
    decide_order(out, none, user_order);
    if (!user_order.empty()) out.order = effective_order(user_order);
    if (out.order_source != OrderSource::none) out.order_source = OrderSource::sort;
    return out;
  }

  std::vector<Weighed> weighed;
  size_t best_at = 0;
  int best_total = -1;
  for (const IndexDef& idx : table.indexes) {
    if (!led_by(idx, key_fields)) continue;
    for (bool skip : {false, true}) {
      Candidate cand = evaluate(table, idx, conj, key_fields, skip, observed);
      if (!cand.index) continue;
      AccessChoice probe;
      decide_order(probe, cand, user_order, table.unique);
      // The whole order, the requested keys with ties re-sorted, or only their first keys.
      int order_bonus = probe.order_source == OrderSource::index ? 25 : 0;
      if (probe.order_source == OrderSource::index_ties) order_bonus = probe.index_order_keys >= user_order.size() ? 20 : 12;
      if (!stops_early) order_bonus /= 10;  // every match is read anyway: the order only breaks ties
      int total = cand.score + order_bonus;
      if (total <= 0 && idx.name != kByCreationTime) continue;  // serves nothing
      const Candidate* best = weighed.empty() ? nullptr : &weighed[best_at].cand;
      bool better = total > best_total ||
                    (total == best_total && best && cand.index->fields.size() < best->index->fields.size());
      if (better) {
        best_at = weighed.size();
        best_total = total;
      }
      weighed.push_back({std::move(cand), order_rank(probe.order_source, stops_early), std::nullopt});
    }
  }
  bool chosen_by_rows = false;
  if (count && key_fields.empty() && weighed.size() > 1) {
    for (auto& w : weighed) w.rows = count(*w.cand.index, w.cand.intervals);
    const size_t scored = best_at;
    for (size_t i = 0; i < weighed.size(); ++i) {
      const Weighed& w = weighed[i];
      const Weighed& s = weighed[scored];
      // Counts on both sides, under half the rows, and the order the early stop needs kept.
      if (!w.rows || !s.rows || w.order_rank < s.order_rank || *w.rows * 2 >= *s.rows) continue;
      if (best_at == scored || *w.rows < *weighed[best_at].rows) best_at = i;
    }
    chosen_by_rows = best_at != scored;
  }
  Candidate best;
  if (!weighed.empty()) {
    for (size_t i = 0; i < weighed.size(); ++i) {
      if (i == best_at) continue;
      const Candidate& c = weighed[i].cand;
      out.alternatives.push_back({c.index->name + (c.skip_field.empty() ? "" : " (skip-scan)"), weighed[i].rows});
    }
    best = std::move(weighed[best_at].cand);
  }
  out.chosen_by_rows = chosen_by_rows;

  if (!best.index) {
    // Relation lookup with no index led by the key: scan once and group by key.
    out.source.kind = Source::Kind::full_scan;
    out.source.index = std::string(kByCreationTime);
    out.source.index_fields = {"_creationTime"};
    std::string key = describe_fields(key_fields);
    out.key_fields = key_fields;
    out.warnings.push_back("no index on " + table.name + "(" + key + "): the whole table is scanned once; an index on " +
                           table.name + "(" + key + ") would serve it");
    Candidate scan;
    scan.keys = {"_creationTime"};
    decide_order(out, scan, user_order);
    if (!user_order.empty()) out.order = effective_order(user_order);
    if (out.order_source != OrderSource::none) out.order_source = OrderSource::sort;
    return out;
  }

  out.source.kind = best.index->name == kByCreationTime && best.intervals.empty() ? Source::Kind::full_scan
                                                                                   : Source::Kind::index;
  out.source.index = best.index->name;
  out.source.index_fields = best.keys;
  out.source.intervals = best.intervals;
  out.source.skip_field = best.skip_field;
  out.source.skip_observed = best.skip_observed;
  out.source.ranges_in_order = best.ranges_in_order;
  // The key in the index's order: the planner pairs the parent's fields to it.
  out.key_fields.assign(best.index->fields.begin(), best.index->fields.begin() + static_cast<long>(key_fields.size()));
  out.served = best.served;
  decide_order(out, best, user_order, table.unique);
  if (!user_order.empty()) out.order = effective_order(user_order);
  for (const auto& u : table.unique) {
    bool covered = std::all_of(u.begin(), u.end(), [&](const std::string& f) {
      return std::find(best.eq_fields.begin(), best.eq_fields.end(), f) != best.eq_fields.end();
    });
    if (covered) out.at_most_one_per_interval = true;
  }
  if (out.source.kind == Source::Kind::full_scan && !conj.empty()) {
    std::vector<std::string> fields;
    for (const PlanFilter* c : conj) {
      if (c->kind == PlanFilter::Kind::cmp && c->field != "_id" &&
          std::find(fields.begin(), fields.end(), c->field) == fields.end()) {
        fields.push_back(c->field);
      }
    }
    if (!fields.empty()) {
      out.warnings.push_back("full scan of " + table.name + "; an index on " + table.name + "(" + describe_fields(fields) +
                             ") would serve this filter");
    } else {
      out.warnings.push_back("full scan of " + table.name + "; the filter cannot use an index");
    }
  }
  // Considered where the access would read everything, or serve only the order.
  if (allow_union && key_fields.empty() && (out.source.kind == Source::Kind::full_scan || out.served.empty())) {
    if (auto u = index_union(table, conj)) {
      // The branches' ranges instead of the table; the OR itself stays a
      // post-filter, which every row a branch reads is checked against.
      out.source = std::move(u->first);
      out.served.clear();
      out.warnings.clear();
      out.alternatives.clear();  // they were weighed against the index the union replaces
      out.chosen_by_rows = false;
      if (out.order.empty()) out.order = effective_order({});  // the scan's order, which the union gives up
      out.order_source = OrderSource::sort;
      out.at_most_one_per_interval = false;
      bool on_rows = std::all_of(user_order.begin(), user_order.end(), [](const OrderKey& k) { return k.on_row(); });
      if (stops_early && !user_order.empty() && on_rows) {
        if (auto ordered = ordered_union(table, *u->second, user_order)) {
          out.source = std::move(ordered->first);
          out.index_order_keys = std::min(ordered->second, out.order.size());
          out.order_source = out.index_order_keys == out.order.size() ? OrderSource::index : OrderSource::index_ties;
        }
      }
      return out;
    }
  }
  if (out.order_source == OrderSource::sort && !user_order.empty()) {
    std::vector<std::string> fields = best.eq_fields;
    for (const auto& k : user_order) fields.push_back(k.field);
    if (std::all_of(user_order.begin(), user_order.end(), [](const OrderKey& k) { return k.on_row(); })) {
      out.warnings.push_back("in-memory sort of every matching row; an index on " + table.name + "(" + describe_fields(fields) +
                             ") would serve the order");
    } else {
      out.warnings.push_back("in-memory sort of every matching row: the order is read from related rows, which no index of " +
                             table.name + " holds");
    }
  }
  return out;
}

}  // namespace dc