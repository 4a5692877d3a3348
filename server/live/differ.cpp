#include "server/live/differ.hpp"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace dc {

namespace {

void diff_into(const Json& before, const Json& after, const std::string& path, Json& ops);

Json op(const char* kind, const std::string& path) { return Json{{"op", kind}, {"path", path}}; }

void replace(const std::string& path, const Json& value, Json& ops) {
  Json o = op("replace", path);
  o["value"] = value;
  ops.push_back(std::move(o));
}

// The row's `_id` when every element of `rows` is an object with a distinct
// string `_id`; empty otherwise.
bool row_ids(const Json& rows, std::vector<std::string>& ids) {
  ids.clear();
  std::unordered_set<std::string_view> seen;
  for (const auto& row : rows) {
    if (!row.is_object()) return false;
    auto id = row.find("_id");
    if (id == row.end() || !id->is_string()) return false;
    const auto& s = id->get_ref<const std::string&>();
    if (!seen.insert(s).second) return false;
    ids.push_back(s);
  }
  return true;
}

// Rows matched by `_id`: removals (from the back, so indexes stay valid),
// then one pass over the target order that moves or adds what is out of
// place, then the changed fields of each kept row at its final index.
void diff_rows(const Json& before, const Json& after, const std::vector<std::string>& before_ids,
               const std::vector<std::string>& after_ids, const std::string& path, Json& ops) {
  std::unordered_map<std::string_view, size_t> after_pos;
  for (size_t i = 0; i < after_ids.size(); ++i) after_pos.emplace(after_ids[i], i);
  std::unordered_map<std::string_view, size_t> before_pos;
  for (size_t i = 0; i < before_ids.size(); ++i) before_pos.emplace(before_ids[i], i);

  std::vector<std::string_view> current;
  for (size_t i = before_ids.size(); i-- > 0;) {
    if (!after_pos.count(before_ids[i])) ops.push_back(op("remove", pointer_append(path, i)));
  }
  for (const auto& id : before_ids) {
    if (after_pos.count(id)) current.push_back(id);
  }
  for (size_t i = 0; i < after_ids.size(); ++i) {
    std::string_view want = after_ids[i];
    if (i < current.size() && current[i] == want) continue;
    if (before_pos.count(want)) {
      auto at = std::find(current.begin() + static_cast<std::ptrdiff_t>(i), current.end(), want);
      size_t from = static_cast<size_t>(at - current.begin());
      Json o = op("move", pointer_append(path, i));
      o["from"] = pointer_append(path, from);
      ops.push_back(std::move(o));
      current.erase(at);
      current.insert(current.begin() + static_cast<std::ptrdiff_t>(i), want);
    } else {
      Json o = op("add", pointer_append(path, i));
      o["value"] = after[i];
      ops.push_back(std::move(o));
      current.insert(current.begin() + static_cast<std::ptrdiff_t>(i), want);
    }
  }
  for (size_t i = 0; i < after_ids.size(); ++i) {
    auto was = before_pos.find(after_ids[i]);
    if (was != before_pos.end()) diff_into(before[was->second], after[i], pointer_append(path, i), ops);
  }
}

// Arrays of anything else: keep the common prefix and suffix, replace the
// overlapping middle element by element, then add or remove the rest.
void diff_positional(const Json& before, const Json& after, const std::string& path, Json& ops) {
  size_t n = before.size(), m = after.size();
  size_t prefix = 0;
  while (prefix < n && prefix < m && before[prefix] == after[prefix]) ++prefix;
  size_t suffix = 0;
  while (suffix < n - prefix && suffix < m - prefix && before[n - 1 - suffix] == after[m - 1 - suffix]) ++suffix;
  size_t old_mid = n - prefix - suffix, new_mid = m - prefix - suffix;
  size_t common = std::min(old_mid, new_mid);
  for (size_t k = 0; k < common; ++k) diff_into(before[prefix + k], after[prefix + k], pointer_append(path, prefix + k), ops);
  for (size_t k = common; k < new_mid; ++k) {
    Json o = op("add", pointer_append(path, prefix + k));
    o["value"] = after[prefix + k];
    ops.push_back(std::move(o));
  }
  for (size_t k = old_mid; k-- > common;) ops.push_back(op("remove", pointer_append(path, prefix + k)));
}

void diff_into(const Json& before, const Json& after, const std::string& path, Json& ops) {
  if (before == after) return;
  if (before.is_object() && after.is_object()) {
    for (auto it = before.begin(); it != before.end(); ++it) {
      if (!after.contains(it.key())) ops.push_back(op("remove", pointer_append(path, it.key())));
    }
    for (auto it = after.begin(); it != after.end(); ++it) {
      std::string child = pointer_append(path, it.key());
      auto was = before.find(it.key());
      if (was == before.end()) {
        Json o = op("add", child);
        o["value"] = it.value();
        ops.push_back(std::move(o));
      } else {
        diff_into(*was, it.value(), child, ops);
      }
    }
    return;
  }
  if (before.is_array() && after.is_array()) {
    std::vector<std::string> before_ids, after_ids;
    if (row_ids(before, before_ids) && row_ids(after, after_ids) && !(before.empty() && after.empty())) {
      return diff_rows(before, after, before_ids, after_ids, path, ops);
    }
    return diff_positional(before, after, path, ops);
  }
  replace(path, after, ops);
}

}  // namespace

Json diff_results(const Json& before, const Json& after) {
  Json ops = Json::array();
  diff_into(before, after, "", ops);
  return ops;
}

}  // namespace dc
