// Index order: whether an index gives the requested order within its
// ranges (whole, or its leading keys with ties re-sorted), and which way.
#include <algorithm>

#include "server/planner/index_candidate.hpp"

namespace dc {

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

// Is the effective order a prefix of the index key after the pinned
// positions, in one direction? Wholly (index), or its first keys (index
// ties: an order whose tie-break differs from the index's own still stops
// after the limit and the boundary's tie group). Runs for every candidate
// index of every query, so it works on views and allocates only small vectors.
void decide_order(AccessChoice& out, const Candidate& cand, const std::vector<OrderKey>& user_order,
                  const std::vector<std::vector<std::string>>& unique) {
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
  out.index_order_keys = 0;
  if (matched == rest.size() || unique_reached) {
    out.order_source = OrderSource::index;
    out.index_order_keys = eff.size();
  } else if (matched > 0 && user_rest > 0) {
    // The effective order's keys the index gives: up to its matched-th
    // key that is not pinned (pinned ones on the way hold one value).
    out.order_source = OrderSource::index_ties;
    auto pinned = [&](std::string_view f) {
      return std::find(cand.keys.begin(), cand.keys.begin() + static_cast<long>(cand.pinned), f) != cand.keys.begin() + static_cast<long>(cand.pinned);
    };
    for (size_t i = 0, taken = 0; i < eff.size() && taken < matched; ++i) {
      if (!pinned(eff[i].field)) ++taken;
      out.index_order_keys = i + 1;
    }
  } else {
    out.order_source = OrderSource::sort;
    out.source.descending = false;
  }
}

}  // namespace dc
