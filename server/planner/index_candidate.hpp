// Internal to index choice: one index weighed for one access (its ranges,
// what they answer, its score) and whether its order serves the request.
// index_ranges.cpp builds candidates, index_order.cpp judges their order,
// index_choice.cpp picks one.
#pragma once

#include <string>
#include <vector>

#include "server/planner/access_choice.hpp"

namespace dc {

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
  bool ranges_in_order = false;  // one prefix: the intervals, in sequence, are the index order
  int score = 0;
  // Keys of the effective order the index gives (within each range) under
  // index_ties: rows tying on them are read whole and re-sorted.
  size_t order_keys = 0;
};

bool is_cmp_on(const PlanFilter* c, const std::string& field);

// Does the index start with the key fields, in any order?
bool led_by(const IndexDef& idx, const FieldList& key_fields);

// `skip`: try a skip-scan over the first field the key and equalities leave
// free; the candidate has no index when that field has no finite domain.
Candidate evaluate(const TableDef& table, const IndexDef& idx, const std::vector<const PlanFilter*>& conj,
                   const FieldList& key_fields, bool skip, const ObservedValues& observed);

// Sets out.order_source, out.user_order_keys, out.index_order_keys and the
// scan direction for `cand` under the requested order.
void decide_order(AccessChoice& out, const Candidate& cand, const std::vector<OrderKey>& user_order,
                  const std::vector<std::vector<std::string>>& unique = {});

}  // namespace dc
