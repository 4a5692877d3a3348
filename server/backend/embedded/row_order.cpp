// Rows in the access's order: comparisons on row fields (a missing field
// sorts below null), keyset cursor positions, the sort and the slice.
#include "server/backend/embedded/executor.hpp"

#include <algorithm>
#include <numeric>

#include "server/backend/embedded/executor_rows.hpp"

namespace dc {

const Value& field_or_undefined(const Document& d, const std::string& field) {
  static const Value undefined;
  const Value* v = lookup_path(d.value, field);
  return v ? *v : undefined;
}

int compare_order(const std::vector<OrderKey>& order, const Document& a, const Document& b) {
  for (const auto& k : order) {
    int c = compare(field_or_undefined(a, k.field), field_or_undefined(b, k.field));
    if (c != 0) return k.descending ? -c : c;
  }
  return 0;
}

std::vector<Value> order_key(const std::vector<OrderKey>& order, const Document& d) {
  std::vector<Value> k;
  k.reserve(order.size());
  for (const auto& o : order) k.push_back(field_or_undefined(d, o.field));
  return k;
}

// Position of a row relative to a keyset cursor in the effective order.
int compare_to_after(const std::vector<OrderKey>& order, const Document& d, const std::vector<Value>& after) {
  for (size_t i = 0; i < order.size() && i < after.size(); ++i) {
    int c = compare(field_or_undefined(d, order[i].field), after[i]);
    if (c != 0) return order[i].descending ? -c : c;
  }
  return 0;
}

void Executor::sort_rows(const TableAccess& a, std::vector<DocPtr>& rows) {
  if (a.order.empty() || rows.size() < 2) return;
  if (a.order_paths.empty()) {
    std::stable_sort(rows.begin(), rows.end(),
                     [&](const DocPtr& x, const DocPtr& y) { return compare_order(a.order, *x, *y) < 0; });
    return;
  }
  // Keys read through relations: computed once per row, then a sort of positions.
  std::vector<std::vector<Value>> computed(a.order_paths.size());
  for (size_t k = 0; k < a.order_paths.size() && k < a.order.size(); ++k) {
    if (a.order_paths[k]) computed[k] = order_values(a.order[k], *a.order_paths[k], rows);
    if (failure_) return;
  }
  auto key = [&](size_t k, size_t row) -> const Value& {
    return k < computed.size() && a.order_paths[k] ? computed[k][row] : field_or_undefined(*rows[row], a.order[k].field);
  };
  std::vector<size_t> at(rows.size());
  std::iota(at.begin(), at.end(), size_t{0});
  std::stable_sort(at.begin(), at.end(), [&](size_t x, size_t y) {
    for (size_t k = 0; k < a.order.size(); ++k) {
      int c = compare(key(k, x), key(k, y));
      if (c != 0) return a.order[k].descending ? c > 0 : c < 0;
    }
    return false;
  });
  std::vector<DocPtr> sorted;
  sorted.reserve(rows.size());
  for (size_t i : at) sorted.push_back(std::move(rows[i]));
  rows = std::move(sorted);
}

void Executor::slice(const TableAccess& a, std::vector<DocPtr>& rows) const {
  auto off = static_cast<size_t>(a.offset);
  if (off >= rows.size()) {
    rows.clear();
    return;
  }
  rows.erase(rows.begin(), rows.begin() + static_cast<long>(off));
  if (a.limit && rows.size() > static_cast<size_t>(*a.limit)) rows.resize(static_cast<size_t>(*a.limit));
}

}  // namespace dc
