// Index ranges: the intervals of one index that a filter's conjuncts pin
// (equalities, `in`, a skip-scan over a few values, then one range or the
// complement of `ne`/`notIn` on the next field), and what they answer.
#include <algorithm>
#include <set>

#include "server/planner/filter_normalize.hpp"
#include "server/planner/index_candidate.hpp"

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

// One interval of the index: the prefix, then the field's bounds.
Interval interval_of(const std::vector<Value>& prefix, const RangeOnField& r) {
  Interval iv;
  if (r.null_only) {
    auto hi = prefix;
    hi.push_back(Value(nullptr));
    iv.upper = Bound{hi, true};
    if (!prefix.empty()) iv.lower = Bound{prefix, true};
    return iv;
  }
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
  return iv;
}

// The ranges an OR of bounds on one field reads (`views < 100 OR views > 800`,
// each branch a comparison or an AND of them): ascending, overlaps merged.
struct RangesOfOr {
  const PlanFilter* filter = nullptr;
  std::vector<RangeOnField> parts;
  bool exact = true;  // no branch is only narrowed (a `like`): the ranges answer the OR
};

// Where a part starts and ends, null_only and open ends included: -1, 0, 1.
int compare_lower(const RangeOnField& a, const RangeOnField& b) {
  if (a.null_only || b.null_only) return (b.null_only ? 1 : 0) - (a.null_only ? 1 : 0);
  if (!a.lower || !b.lower) return (b.lower ? -1 : 0) + (a.lower ? 1 : 0);
  int c = compare(a.lower->first, b.lower->first);
  if (c != 0) return c;
  return (b.lower->second ? 1 : 0) - (a.lower->second ? 1 : 0);  // inclusive starts first
}

// A part whose lower end lies above its upper end.
bool holds_nothing(const RangeOnField& p) {
  if (p.null_only || !p.lower || !p.upper) return false;
  int c = compare(p.lower->first, p.upper->first);
  return c > 0 || (c == 0 && !(p.lower->second && p.upper->second));
}

// Does `b` (starting at or after `a`) touch or overlap `a`?
bool reaches(const RangeOnField& a, const RangeOnField& b) {
  if (a.null_only) return b.null_only;
  if (!a.upper) return true;
  if (!b.lower) return true;
  int c = compare(a.upper->first, b.lower->first);
  return c > 0 || (c == 0 && (a.upper->second || b.lower->second));
}

std::optional<RangesOfOr> ranges_of_or(const std::string& field, const std::vector<const PlanFilter*>& conj,
                                       const std::set<const PlanFilter*>& used, size_t max_parts) {
  for (const PlanFilter* c : conj) {
    if (used.count(c) || c->kind != PlanFilter::Kind::or_ || c->children.size() < 2) continue;
    RangesOfOr out;
    out.filter = c;
    bool ok = true;
    for (const PlanFilter& branch : c->children) {
      std::vector<const PlanFilter*> sub;
      if (branch.kind == PlanFilter::Kind::and_) {
        for (const PlanFilter& x : branch.children) sub.push_back(&x);
      } else {
        sub.push_back(&branch);
      }
      RangeOnField part;
      std::vector<const PlanFilter*> rest;
      for (const PlanFilter* x : sub) {
        if (!is_cmp_on(x, field)) ok = false;
        else if (x->op == CmpOp::eq && !x->arg.is_null()) {
          part.tighten_lower(x->arg, true);
          part.tighten_upper(x->arg, true);
          part.served.push_back(x);
        } else {
          rest.push_back(x);
        }
      }
      if (!ok) break;
      RangeOnField more = range_for(field, rest, {});
      if (more.served.size() + more.narrowing.size() != rest.size() || (more.null_only && part.any())) {
        ok = false;
        break;
      }
      if (more.null_only) part = more;
      if (more.lower) part.tighten_lower(more.lower->first, more.lower->second);
      if (more.upper) part.tighten_upper(more.upper->first, more.upper->second);
      if (!more.narrowing.empty()) out.exact = false;
      if (!part.any()) {
        ok = false;
        break;
      }
      if (holds_nothing(part)) continue;  // `views > 500 AND views < 200`: no range to read
      out.parts.push_back(std::move(part));
    }
    if (!ok || out.parts.empty() || out.parts.size() > max_parts) continue;
    std::sort(out.parts.begin(), out.parts.end(),
              [](const RangeOnField& a, const RangeOnField& b) { return compare_lower(a, b) < 0; });
    std::vector<RangeOnField> merged;
    for (RangeOnField& p : out.parts) {
      if (!merged.empty() && reaches(merged.back(), p)) {
        RangeOnField& last = merged.back();
        if (last.null_only) continue;  // both null_only
        if (!p.upper || (last.upper && (compare(p.upper->first, last.upper->first) > 0 ||
                                        (compare(p.upper->first, last.upper->first) == 0 && p.upper->second)))) {
          last.upper = p.upper;
        }
        continue;
      }
      merged.push_back(std::move(p));
    }
    out.parts = std::move(merged);
    return out;
  }
  return std::nullopt;
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

}  // namespace

bool is_cmp_on(const PlanFilter* c, const std::string& field) {
  return c->kind == PlanFilter::Kind::cmp && c->field == field;
}

bool led_by(const IndexDef& idx, const FieldList& key_fields) {
  if (key_fields.empty()) return true;
  if (idx.fields.size() < key_fields.size()) return false;
  return std::is_permutation(key_fields.begin(), key_fields.end(), idx.fields.begin());
}

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
  constexpr size_t kMaxRanges = 256;  // a skip-scan's values times the list's (or the OR's branches)
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
    // A list of nulls alone matches nothing: left to the post-filter, never read as no ranges.
    if (in && !never_true(*in) && (prefixes.size() == 1 || prefixes.size() * in->arg.as_array().size() <= kMaxRanges)) {
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
    std::optional<RangesOfOr> ors;
    if (!r.any()) ors = ranges_of_or(field, conj, used, kMaxRanges / prefixes.size());
    if (r.any()) {
      cand.has_range = true;
      for (const auto& prefix : prefixes) cand.intervals.push_back(interval_of(prefix, r));
      for (auto* c : r.served) cand.served.push_back(c);
      cand.narrowing = r.narrowing;
    } else if (ors) {
      // Prefix-major, each prefix's ranges ascending and apart: index order.
      cand.has_range = true;
      for (const auto& prefix : prefixes) {
        for (const RangeOnField& part : ors->parts) cand.intervals.push_back(interval_of(prefix, part));
      }
      (ors->exact ? cand.served : cand.narrowing).push_back(ors->filter);
    } else if (prefixes.size() == 1) {
      // ne / notIn: the complement ranges above null.
      for (const PlanFilter* c : conj) {
        if (used.count(c) || !is_cmp_on(c, field)) continue;
        if (c->op == CmpOp::ne || c->op == CmpOp::not_in) {
          if (never_true(*c)) continue;  // NOT IN (.., NULL): the post-filter says so, the ranges could not
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
  cand.ranges_in_order = prefixes.size() == 1 && cand.intervals.size() > 1;
  // A relation lookup's key pins the first field like an equality does.
  int key_pin = static_cast<int>(key_fields.size());
  // A skip-scan reads a range per domain value: worth less than the same
  // filter served directly, more than a scan of everything.
  cand.score = 100 * (cand.eq_count + key_pin) + (cand.has_in ? 60 : 0) + (cand.has_range ? 30 : 0) +
               (cand.has_complement ? 10 : 0) + (cand.narrowing.empty() ? 0 : 5) - (cand.skip_field.empty() ? 0 : 15);
  return cand;
}


}  // namespace dc
