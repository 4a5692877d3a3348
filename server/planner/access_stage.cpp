// Access: how one node's rows are found. The filter's conjuncts go to
// index_choice, which weighs the indexes; what the chosen ranges answer is
// `served`, the rest is checked on every row read (`post_filter`). A
// relation filter may then take over as the driver (drive_stage.cpp).
#include <algorithm>

#include "server/planner/filter_normalize.hpp"
#include "server/planner/planner_stages.hpp"
#include "server/schema/coerce.hpp"

namespace dc {

namespace {

// A skip-scan over values observed in the data: as few as a schema domain may have.
constexpr size_t kMaxObservedSkip = 16;

Status plan_search(TableAccess& a, const TableDef& table, const SearchSpec& s) {
  const SearchIndexDef* idx = table.search_index(s.index);
  if (!idx) return Error::query("unknown search index '" + s.index + "' on table '" + table.name + "'", s.path + "/index");
  a.source.kind = Source::Kind::search;
  a.source.index = s.index;
  a.source.search_field = idx->search_field;
  a.source.search_query = s.query;
  for (const auto& [f, v] : s.filters) {
    if (std::find(idx->filter_fields.begin(), idx->filter_fields.end(), f) == idx->filter_fields.end()) {
      return Error::query("'" + f + "' is not a filter field of search index '" + s.index + "'",
                          pointer_append(s.path + "/filters", f));
    }
    Value arg = v;
    if (!coerce_to(*table.field_type(f), arg) && !arg.is_null()) {
      return Error::query("wrong argument type for field '" + f + "', which holds " + table.field_type(f)->describe(),
                          pointer_append(s.path + "/filters", f));
    }
    a.source.search_filters.emplace_back(f, std::move(arg));
  }
  return Ok{};
}

}  // namespace

Status Planner::choose(ReadNode& n, const TableDef& table, const ReadConfig& cfg, const std::optional<SearchSpec>& search,
                       const std::optional<PlanFilter>& where, const std::vector<Drivable>& drivable) {
  TableAccess& a = n.access;
  if (where && where->kind == PlanFilter::Kind::constant && !where->constant) {
    a.source.kind = Source::Kind::empty;  // the filter is false for every row: read nothing
    a.warnings.push_back("the filter can never be true; nothing is read");
    return Ok{};
  }
  if (cfg.limit == 0 && &cfg != paginated_ && !search) {
    a.source.kind = Source::Kind::empty;  // the caller wants no row
    a.warnings.push_back("limit 0: nothing is read");
    return Ok{};
  }
  if (search) {
    if (auto st = plan_search(a, table, *search); !st) return st;
    a.post_filter = where;
    return Ok{};
  }
  std::vector<const PlanFilter*> conj;
  if (where) conj = conjuncts(*where);
  if (std::any_of(conj.begin(), conj.end(), [](const PlanFilter* c) { return never_true(*c); })) {
    a.source.kind = Source::Kind::empty;
    a.warnings.push_back("the filter can never be true (a list of nulls, or notIn a list holding null); nothing is read");
    return Ok{};
  }
  bool stops_early = cfg.limit.has_value() || &cfg == paginated_;
  ObservedValues observed = [&](std::string_view field) { return stats_.leading_values(table.name, field, kMaxObservedSkip); };
  CountRanges count = [&](const IndexDef& idx, const std::vector<Interval>& ranges) {
    return count_ranges(table.name, idx.name, ranges);
  };
  AccessChoice choice = choose_access(table, conj, cfg.order_by, a.key_fields, true, stops_early, observed, count);
  if (choice.source.kind == Source::Kind::union_) {
    // A union's worst case reads the table once per branch: keep the scan
    // where that could cross the budget and the scan would not.
    uint64_t rows_now = rows(table.name);
    if (rows_now != kUnbounded && rows_now <= budget_ && sat_mul(rows_now, choice.source.branches.size()) > budget_) {
      choice = choose_access(table, conj, cfg.order_by, a.key_fields, false, stops_early, observed, count);
    }
  }
  if (!choice.key_fields.empty()) a.key_fields = std::move(choice.key_fields);
  a.source = std::move(choice.source);
  a.order = std::move(choice.order);
  a.user_order_keys = choice.user_order_keys;
  a.index_order_keys = choice.index_order_keys;
  a.order_source = choice.order_source;
  a.warnings = std::move(choice.warnings);
  std::vector<PlanFilter> rest;
  for (const PlanFilter* c : conj) {
    if (std::find(choice.served.begin(), choice.served.end(), c) != choice.served.end()) {
      a.served.push_back(*c);
    } else {
      rest.push_back(*c);
    }
  }
  a.post_filter = and_of(std::move(rest));
  a.at_most_one_per_range = choice.at_most_one_per_interval;
  if (choice.at_most_one_per_interval) a.warnings.clear();
  bool indexed = a.source.kind == Source::Kind::index && !a.at_most_one_per_range;
  if (!drivable.empty() && (a.source.kind == Source::Kind::full_scan || indexed)) drive(a, table, conj, cfg, drivable);
  a.estimate.alternatives = std::move(choice.alternatives);
  a.estimate.chosen_by_rows = choice.chosen_by_rows;
  bool counted = false;
  a.estimate.rows = matching_rows(a, &counted);
  a.estimate.basis = a.driver ? AccessEstimate::Basis::driven
                     : a.source.kind == Source::Kind::get || counted ? AccessEstimate::Basis::counted
                                                                     : AccessEstimate::Basis::guessed;
  if (a.driver) a.estimate.alternatives.clear();  // the driver's estimate says what the scan would have read
  return Ok{};
}

}  // namespace dc
