#include "server/planner/index_choice.hpp"

#include <algorithm>
#include <set>

#include "server/planner/filter_normalize.hpp"

namespace dc {

std::string prefix_successor(const std::string& prefix) {
  std::string s = prefix;
  while (!s.empty()) {
    auto c = static_cast<unsigned char>(s.back());
    if (c < 0xff) {
      s.back() = static_cast<char>(c + 1);
      return s;
    }
    s.pop_back();
  }
  return s;
}

std::optional<std::vector<Value>> finite_domain(const TableDef& table, const std::string& field) {
  constexpr size_t kMaxDomain = 16;  // past this a skip-scan costs more ranges than it saves
  bool optional = false;
  const Validator* type = table.field_type(field, &optional);
  if (!type || optional) return std::nullopt;
  std::vector<Value> values;
  auto collect = [&](auto& self, const Validator& v) -> bool {
    switch (v.kind) {
      case Validator::Kind::boolean: values.emplace_back(false); values.emplace_back(true); return true;
      case Validator::Kind::literal: values.push_back(v.literal); return true;
      case Validator::Kind::null_: values.emplace_back(nullptr); return true;
      case Validator::Kind::union_:
        return std::all_of(v.items.begin(), v.items.end(), [&](const Validator& m) { return self(self, m); });
      default: return false;
    }
  };
  if (!collect(collect, *type)) return std::nullopt;
  std::sort(values.begin(), values.end(), [](const Value& a, const Value& b) { return compare(a, b) < 0; });
  values.erase(std::unique(values.begin(), values.end()), values.end());
  if (values.empty() || values.size() > kMaxDomain) return std::nullopt;
  return values;
}

std::vector<OrderKey> effective_order(const std::vector<OrderKey>& user_order) {
  std::vector<OrderKey> eff = user_order;
  bool has_id = false;
  bool has_ct = false;
  for (const auto& k : eff) {
    has_id = has_id || (k.on_row() && k.field == "_id");
    has_ct = has_ct || (k.on_row() && k.field == "_creationTime");
  }
  if (!has_id) {
    if (!has_ct) eff.push_back(OrderKey{"_creationTime", false, ""});
    eff.push_back(OrderKey{"_id", false, ""});
  }
  return eff;
}

std::string like_prefix(const std::string& pattern) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '%' || c == '_') break;
    if (c == '\\' && i + 1 < pattern.size()) c = pattern[++i];
    out.push_back(c);
  }
  return out;
}

namespace {

bool is_cmp_on(const PlanFilter* c, const std::string& field) {
  return c->kind == PlanFilter::Kind::cmp && c->field == field;
}

// Tightens lower/upper bounds on one index field from one conjunct. Returns
// whether the conjunct is answered exactly by the bounds (else it stays a post-filter).
struct RangeOnField {
  std::optional<std::pair<Value, bool>> lower;  // value, inclusive
  std::optional<std::pair<Value, bool>> upper;
  bool null_only = false;  // isNull: (.., null]
  std::vector<const PlanFilter*> served;
  std::vector<const PlanFilter*> narrowing;  // used for bounds but re-checked after reading

  void tighten_lower(const Value& v, bool inclusive) {
    if (!lower || compare(v, lower->first) > 0 || (compare(v, lower->first) == 0 && !inclusive)) lower = {v, inclusive};
  }
  void tighten_upper(const Value& v, bool inclusive) {
    if (!upper || compare(v, upper->first) < 0 || (compare(v, upper->first) == 0 && !inclusive)) upper = {v, inclusive};
  }
  bool any() const { return lower || upper || null_only; }
};

RangeOnField range_for(const std::string& field, const std::vector<const PlanFilter*>& conj,
                       const std::set<const PlanFilter*>& used) {
  RangeOnField r;
  for (const PlanFilter* c : conj) {
    if (used.count(c) || !is_cmp_on(c, field)) continue;
    switch (c->op) {
      case CmpOp::gt: r.tighten_lower(c->arg, false); r.served.push_back(c); break;
      case CmpOp::gte: r.tighten_lower(c->arg, true); r.served.push_back(c); break;
      case CmpOp::lt: r.tighten_upper(c->arg, false); r.served.push_back(c); break;
      case CmpOp::lte: r.tighten_upper(c->arg, true); r.served.push_back(c); break;
      case CmpOp::between:
        r.tighten_lower(c->arg.as_array()[0], true);
        r.tighten_upper(c->arg.as_array()[1], true);
        r.served.push_back(c);
        break;
      case CmpOp::is_not_null: r.tighten_lower(Value(nullptr), false); r.served.push_back(c); break;
      case CmpOp::starts_with:
      case CmpOp::like: {
        std::string p = c->op == CmpOp::like ? like_prefix(c->arg.as_string()) : c->arg.as_string();
        if (p.empty()) break;
        r.tighten_lower(Value(p), true);
        std::string succ = prefix_successor(p);
        if (!succ.empty()) r.tighten_upper(Value(succ), false);
        r.narrowing.push_back(c);
        break;
      }
      default: break;
    }
  }
  if (!r.any()) {
    for (const PlanFilter* c : conj) {
      if (!used.count(c) && is_cmp_on(c, field) && c->op == CmpOp::is_null) {
        r.null_only = true;
        r.served.push_back(c);
        break;
      }
    }
  }
  return r;
}

// The complement intervals of ne/notIn, above null: (null, v1), (v1, v2), ..., (vn, ∞).
std::vector<Interval> complement_intervals(const std::vector<Value>& prefix, const Array& sorted_values) {
  std::vector<Interval> out;
  Value prev(nullptr);
  for (const Value& v : sorted_values) {
    if (v.is_null()) continue;
    Interval iv;
    auto lo = prefix;
    lo.push_back(prev);
    iv.lower = Bound{lo, false};
    auto hi = prefix;
    hi.push_back(v);
    iv.upper = Bound{hi, false};
    out.push_back(std::move(iv));
    prev = v;
  }
  Interval last;
  auto lo = prefix;
  lo.push_back(prev);
  last.lower = Bound{lo, false};
  if (!prefix.empty()) last.upper = Bound{prefix, true};
  out.push_back(std::move(last));
  return out;
}

struct Candidate {
  const IndexDef* index = nullptr;
  std::vector<std::string> keys;  // index fields + _creationTime
  std::vector<Interval> intervals;
  std::vector<const PlanFilter*> served;
  std::vector<const PlanFilter*> narrowing;
  size_t pinned = 0;  // leading key positions fixed within each interval (key pin, eq, in)
  std::vector<std::string> eq_fields;
  int eq_count = 0;
  bool has_in = false;
  bool has_range = false;
  bool has_complement = false;
  std::string skip_field;  // skip-scan: this leading field takes every value of its domain, one range each
  bool skip_observed = false;  // the domain is the values the data holds now
  int score = 0;
};


// Does the index start with the key fields, in any order?
bool led_by(const IndexDef& idx, const FieldList& key_fields) {
  if (key_fields.empty()) return true;
  if (idx.fields.size() < key_fields.size()) return false;
  return std::is_permutation(key_fields.begin(), key_fields.end(), idx.fields.begin());
}

// `skip`: try a skip-scan over the first field the key and equalities leave
// free; the candidate has no index when that field has no finite domain.
Candidate evaluate(const TableDef& table, const IndexDef& idx, const std::vector<const PlanFilter*>& conj,
                   const FieldList& key_fields, bool skip, const ObservedValues& observed) {
  Candidate cand;
  cand.index = &idx;
  cand.keys = idx.fields;
  cand.keys.push_back("_creationTime");
  std::set<const PlanFilter*> used;
  size_t pos = 0;
  if (!key_fields.empty()) {
    pos = key_fields.size();  // the parent key pins the first fields
    cand.eq_fields.insert(cand.eq_fields.end(), idx.fields.begin(), idx.fields.begin() + static_cast<long>(pos));
  }
  std::vector<std::vector<Value>> prefixes{{}};
  auto take_eqs = [&] {
    while (pos < cand.keys.size()) {
      const PlanFilter* eq = nullptr;
      for (const PlanFilter* c : conj) {
        if (!used.count(c) && is_cmp_on(c, cand.keys[pos]) && c->op == CmpOp::eq) {
          eq = c;
          break;
        }
      }
      if (!eq) break;
      for (auto& p : prefixes) p.push_back(eq->arg);
      used.insert(eq);
      cand.served.push_back(eq);
      cand.eq_fields.push_back(cand.keys[pos]);
      ++cand.eq_count;
      ++pos;
    }
  };
  take_eqs();
  if (skip) {
    // Every value of the field's domain, in index order, each a prefix: the
    // fields after it are then served per value as if it were pinned.
    auto domain = pos + 1 < cand.keys.size() ? finite_domain(table, cand.keys[pos]) : std::nullopt;
    if (!domain && pos == 0 && pos + 1 < cand.keys.size() && observed) {
      // Few values in the data (the engine counts the leading field of every index).
      domain = observed(cand.keys[pos]);
      cand.skip_observed = domain.has_value();
    }
    bool filtered = std::any_of(conj.begin(), conj.end(), [&](const PlanFilter* c) { return is_cmp_on(c, cand.keys[pos]); });
    if (!domain || filtered || prefixes.size() != 1) return Candidate{};  // a filter on it serves better as itself
    std::vector<std::vector<Value>> expanded;
    for (const Value& v : *domain) {
      auto p = prefixes[0];
      p.push_back(v);
      expanded.push_back(std::move(p));
    }
    prefixes = std::move(expanded);
    cand.skip_field = cand.keys[pos];
    cand.eq_fields.push_back(cand.keys[pos]);  // pinned within each range
    ++pos;
    take_eqs();
  }
  if (pos < cand.keys.size()) {
    const std::string& field = cand.keys[pos];
    const PlanFilter* in = nullptr;
    for (const PlanFilter* c : conj) {
      if (!used.count(c) && is_cmp_on(c, field) && c->op == CmpOp::in) {
        in = c;
        break;
      }
    }
    constexpr size_t kMaxRanges = 256;  // a skip-scan's values times the list's
    if (in && (prefixes.size() == 1 || prefixes.size() * in->arg.as_array().size() <= kMaxRanges)) {
      std::vector<std::vector<Value>> expanded;
      for (const auto& prefix : prefixes) {
        for (const Value& v : in->arg.as_array()) {
          if (v.is_null()) continue;  // null never matches `in`
          auto p = prefix;
          p.push_back(v);
          expanded.push_back(std::move(p));
        }
      }
      prefixes = std::move(expanded);
      used.insert(in);
      cand.served.push_back(in);
      cand.eq_fields.push_back(field);  // pinned within each range
      cand.has_in = true;
      ++pos;
      take_eqs();
    }
  }
  cand.pinned = pos;
  if (pos < cand.keys.size() && !prefixes.empty()) {
    const std::string& field = cand.keys[pos];
    RangeOnField r = range_for(field, conj, used);
    if (r.any()) {
      cand.has_range = true;
      for (const auto& prefix : prefixes) {
        Interval iv;
        if (r.null_only) {
          auto hi = prefix;
          hi.push_back(Value(nullptr));
          iv.upper = Bound{hi, true};
          if (!prefix.empty()) iv.lower = Bound{prefix, true};
        } else {
          auto lo = prefix;
          // Comparison ranges never include null or missing (SQL's unknown).
          lo.push_back(r.lower ? r.lower->first : Value(nullptr));
          iv.lower = Bound{lo, r.lower ? r.lower->second : false};
          if (r.upper) {
            auto hi = prefix;
            hi.push_back(r.upper->first);
            iv.upper = Bound{hi, r.upper->second};
          } else if (!prefix.empty()) {
            iv.upper = Bound{prefix, true};
          }
        }
        cand.intervals.push_back(std::move(iv));
      }
      for (auto* c : r.served) cand.served.push_back(c);
      cand.narrowing = r.narrowing;
    } else if (prefixes.size() == 1) {
      // ne / notIn: the complement ranges above null.
      for (const PlanFilter* c : conj) {
        if (used.count(c) || !is_cmp_on(c, field)) continue;
        if (c->op == CmpOp::ne || c->op == CmpOp::not_in) {
          Array values = c->op == CmpOp::ne ? Array{c->arg} : c->arg.as_array();
          cand.intervals = complement_intervals(prefixes[0], values);
          cand.served.push_back(c);
          cand.has_complement = true;
          break;
        }
      }
    }
  }
  if (cand.intervals.empty()) {
    for (const auto& prefix : prefixes) {
      if (prefix.empty()) continue;
      cand.intervals.push_back(Interval{Bound{prefix, true}, Bound{prefix, true}});
    }
  }
  // A relation lookup's key pins the first field like an equality does.
  int key_pin = static_cast<int>(key_fields.size());
  // A skip-scan reads a range per domain value: worth less than the same
  // filter served directly, more than a scan of everything.
  cand.score = 100 * (cand.eq_count + key_pin) + (cand.has_in ? 60 : 0) + (cand.has_range ? 30 : 0) +
               (cand.has_complement ? 10 : 0) + (cand.narrowing.empty() ? 0 : 5) - (cand.skip_field.empty() ? 0 : 15);
  return cand;
}


// Order check: is the effective order a prefix of the index key after the
// pinned positions, in one direction? Runs for every candidate index of every
// query, so it works on views and allocates only small vectors.
void decide_order(AccessChoice& out, const Candidate& cand, const std::vector<OrderKey>& user_order,
                  const std::vector<std::vector<std::string>>& unique = {}) {
  out.user_order_keys = user_order.size();
  if (user_order.empty()) {
    out.order_source = OrderSource::none;
    return;
  }
  struct Key {
    std::string_view field;
    bool descending;
  };
  std::vector<Key> eff;
  eff.reserve(user_order.size() + 2);
  bool has_id = false;
  bool has_ct = false;
  for (const auto& k : user_order) {
    // A key read through relations is no index field: it matches none (an empty name).
    std::string_view field = k.on_row() ? std::string_view(k.field) : std::string_view();
    eff.push_back({field, k.descending});
    has_id = has_id || field == "_id";
    has_ct = has_ct || field == "_creationTime";
  }
  if (!has_id) {
    if (!has_ct) eff.push_back({"_creationTime", false});
    eff.push_back({"_id", false});
  }
  // Keys on fields pinned to one value within an interval do not order anything.
  std::vector<std::string_view> fixed(cand.keys.begin(), cand.keys.begin() + static_cast<long>(cand.pinned));
  auto has = [&](std::string_view f) { return std::find(fixed.begin(), fixed.end(), f) != fixed.end(); };
  std::vector<Key> rest;
  rest.reserve(eff.size());
  size_t user_rest = 0;
  for (size_t i = 0; i < eff.size(); ++i) {
    if (has(eff[i].field)) continue;
    rest.push_back(eff[i]);
    if (i < user_order.size()) ++user_rest;
  }
  auto index_key = [&](size_t i) -> std::string_view {  // the index key after the pinned fields, then _id
    size_t k = cand.pinned + i;
    return k < cand.keys.size() ? std::string_view(cand.keys[k]) : std::string_view("_id");
  };
  size_t index_len = cand.keys.size() - cand.pinned + 1;
  bool desc = rest.empty() ? false : rest[0].descending;
  size_t matched = 0;
  bool unique_reached = false;
  auto covers_unique = [&] {
    for (const auto& u : unique) {
      if (std::all_of(u.begin(), u.end(), [&](const std::string& f) { return has(f); })) return true;
    }
    return false;
  };
  while (!unique_reached && matched < rest.size() && matched < index_len && rest[matched].field == index_key(matched) &&
         rest[matched].descending == desc) {
    // _id is unique, Convex keeps _creationTime strictly increasing per
    // deployment, and a unique constraint fixes one row: each makes the order total.
    std::string_view k = index_key(matched);
    fixed.push_back(k);
    if (k == "_id" || k == "_creationTime" || covers_unique()) unique_reached = true;
    ++matched;
  }
  out.source.descending = desc;
  if (matched == rest.size() || unique_reached) {
    out.order_source = OrderSource::index;
  } else if (matched >= user_rest && user_rest > 0) {
    out.order_source = OrderSource::index_ties;
  } else {
    out.order_source = OrderSource::sort;
    out.source.descending = false;
  }
}

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
// of read whole. `full`: every branch serves the whole order (tie-breakers
// included). nullopt when a branch needs a get or gives up the order.
std::optional<std::pair<Source, bool>> ordered_union(const TableDef& table, const PlanFilter& or_filter,
                                                     const std::vector<OrderKey>& user_order) {
  Source u;
  u.kind = Source::Kind::union_;
  bool full = true;
  for (const PlanFilter& branch : or_filter.children) {
    AccessChoice b = choose_access(table, conjuncts(branch), user_order, {}, false, true);
    if (b.source.kind != Source::Kind::index || b.source.intervals.empty() || b.served.empty()) return std::nullopt;
    if (b.order_source != OrderSource::index && b.order_source != OrderSource::index_ties) return std::nullopt;
    full = full && b.order_source == OrderSource::index;
    u.branches.push_back(std::move(b.source));
  }
  return std::make_pair(std::move(u), full);
}

}  // namespace

AccessChoice choose_access(const TableDef& table, const std::vector<const PlanFilter*>& conj,
                           const std::vector<OrderKey>& user_order, const FieldList& key_fields, bool allow_union,
                           bool stops_early, const ObservedValues& observed) {
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

  Candidate best;
  int best_total = -1;
  for (const IndexDef& idx : table.indexes) {
    if (!led_by(idx, key_fields)) continue;
    for (bool skip : {false, true}) {
      Candidate cand = evaluate(table, idx, conj, key_fields, skip, observed);
      if (!cand.index) continue;
      AccessChoice probe;
      decide_order(probe, cand, user_order, table.unique);
      int order_bonus = probe.order_source == OrderSource::index ? 25 : probe.order_source == OrderSource::index_ties ? 20 : 0;
      if (!stops_early) order_bonus /= 10;  // every match is read anyway: the order only breaks ties
      int total = cand.score + order_bonus;
      if (total <= 0 && idx.name != kByCreationTime) continue;  // serves nothing
      bool better = total > best_total ||
                    (total == best_total && best.index && cand.index->fields.size() < best.index->fields.size());
      if (better) {
        best = std::move(cand);
        best_total = total;
      }
    }
  }

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
      if (out.order.empty()) out.order = effective_order({});  // the scan's order, which the union gives up
      out.order_source = OrderSource::sort;
      out.at_most_one_per_interval = false;
      bool on_rows = std::all_of(user_order.begin(), user_order.end(), [](const OrderKey& k) { return k.on_row(); });
      if (stops_early && !user_order.empty() && on_rows) {
        if (auto ordered = ordered_union(table, *u->second, user_order)) {
          out.source = std::move(ordered->first);
          out.order_source = ordered->second ? OrderSource::index : OrderSource::index_ties;
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
