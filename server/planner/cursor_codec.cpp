#include "server/planner/cursor_codec.hpp"

#include "protocol/json_read.hpp"
#include "protocol/value_json.hpp"
#include "server/planner/plan_json.hpp"

namespace dc {

namespace {

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

// Convex values nest at most 16 deep, inside {"q", "k": [...]}.
constexpr size_t kCursorDepth = 20;

}  // namespace

std::string encode_cursor(const std::string& fingerprint, const std::vector<Value>& key) {
  std::string text = "{\"q\":";
  write_json_string(fingerprint, text);
  text += ",\"k\":[";
  for (size_t i = 0; i < key.size(); ++i) {
    if (i) text += ",";
    // A missing field is not null: it sorts below null, so the next page must know.
    if (key[i].is_undefined()) text += R"({"$undefined":null})";
    else write_json(key[i], text);
  }
  text += "]}";
  return base64_encode(text);
}

Result<std::vector<Value>> decode_cursor(const std::string& cursor, const std::string& fingerprint) {
  std::string raw;
  auto bad = Error::query("invalid cursor: pass null or the continueCursor of the previous page of this query", "/cursor");
  if (!base64_decode(cursor, raw)) return bad;
  auto parsed = read_json(raw, JsonLimits{kCursorDepth});
  if (!parsed) return bad;
  try {
    const Json& j = *parsed;
    if (!j.is_object() || j.value("q", std::string()) != fingerprint || !j.contains("k") || !j["k"].is_array()) return bad;
    std::vector<Value> key;
    for (const Json& e : j["k"]) {
      if (e.is_object() && e.size() == 1 && e.contains("$undefined")) {
        key.emplace_back();  // a missing field: sorts below null
        continue;
      }
      auto v = value_from_json(e, "/cursor");
      if (!v) return bad;
      key.push_back(std::move(v).value());
    }
    return key;
  } catch (const Json::exception&) {
    return bad;
  }
}

namespace {

// The filter as bound, before any access is planned: relation filters by name and inner filter.
Json filter_shape(const PlanFilter& f) {
  Json children = Json::array();
  for (const auto& c : f.children) children.push_back(filter_shape(c));
  switch (f.kind) {
    case PlanFilter::Kind::constant: return f.constant;
    case PlanFilter::Kind::and_: return Json{{"and", std::move(children)}};
    case PlanFilter::Kind::or_: return Json{{"or", std::move(children)}};
    case PlanFilter::Kind::not_: return Json{{"not", std::move(children)}};
    case PlanFilter::Kind::cmp: return Json::array({f.field, op_name(f.op), to_json(f.arg)});
    case PlanFilter::Kind::exists:
      return Json{{f.negate ? "notExists" : "exists", f.relation_def ? f.relation_def->name : ""}, {"where", std::move(children)}};
  }
  return nullptr;
}

}  // namespace

std::string seek_index(const TableAccess& root) {
  bool ranged = root.source.kind == Source::Kind::index || root.source.kind == Source::Kind::full_scan;
  bool seeks = ranged && !root.driver && root.order_source == OrderSource::index && root.source.intervals.size() <= 1 &&
               !root.source.skip_observed;
  if (!seeks) return {};
  // The index's key is the order's (by_creation_time under the default order): one form.
  std::vector<std::string> key = root.source.index_fields;
  key.emplace_back("_id");
  bool same = key.size() == root.order.size();
  for (size_t i = 0; same && i < key.size(); ++i) same = key[i] == root.order[i].field;
  return same ? std::string() : root.source.index;
}

std::string plan_fingerprint(const std::string& table, const std::optional<PlanFilter>& where,
                             const std::vector<OrderKey>& order, const std::string& seek_index) {
  Json keys = Json::array();
  for (const auto& k : order) keys.push_back(Json::array({k.field, k.descending}));
  Json shape{{"table", table}, {"where", where ? filter_shape(*where) : Json(nullptr)}, {"order", std::move(keys)},
             {"seek", seek_index}};
  return std::to_string(fnv1a(shape.dump()));
}

}  // namespace dc
