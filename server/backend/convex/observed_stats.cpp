#include "server/backend/convex/observed_stats.hpp"

#include "protocol/value_json.hpp"

namespace dc {

namespace {

std::string value_key(std::string_view table, std::string_view field, const Value& value) {
  std::string key;
  key.append(table).append(1, '\0').append(field).append(1, '\0').append(to_json_text(value));
  return key;
}

// The root reads its whole table: a scan that nothing stops early.
bool whole_root_scan(const ReadPlan& plan) {
  const TableAccess& a = plan.root.access;
  return a.source.kind == Source::Kind::full_scan && !a.driver && !a.limit && plan.op != ReadOp::paginate;
}

// The root reads exactly the rows holding one value of its index's leading
// field: one interval pinning that field alone, nothing stopping it early.
const Value* single_value_root(const ReadPlan& plan) {
  const TableAccess& a = plan.root.access;
  if (a.source.kind != Source::Kind::index || a.driver || a.limit || plan.op == ReadOp::paginate) return nullptr;
  if (a.source.intervals.size() != 1 || !a.source.skip_field.empty() || a.source.index_fields.empty()) return nullptr;
  const Interval& iv = a.source.intervals[0];
  if (!iv.lower || !iv.upper || !iv.lower->inclusive || !iv.upper->inclusive) return nullptr;
  if (iv.lower->key.size() != 1 || iv.upper->key.size() != 1 || compare(iv.lower->key[0], iv.upper->key[0]) != 0) return nullptr;
  if (iv.lower->key[0].is_undefined()) return nullptr;
  return &iv.lower->key[0];
}

// A relation loaded by scanning its table once for every parent key (no
// index leads with the key): the scan reads the whole table.
template <typename Fn>
void grouped_scans(const ReadNode& n, Fn&& fn) {
  for (const RelationStep& step : n.with) {
    if (step.junction && step.junction->source.kind == Source::Kind::full_scan) fn(*step.junction);
    if (step.node.access.source.kind == Source::Kind::full_scan) fn(step.node.access);
    grouped_scans(step.node, fn);
  }
}

}  // namespace

std::vector<ReadOutcome::ValueCount> value_counts_from_json(const Json& j) {
  std::vector<ReadOutcome::ValueCount> out;
  if (!j.is_array() || j.size() > kMaxCountedFields) return out;
  for (const auto& f : j) {
    if (!f.is_object() || !f.value("field", Json()).is_string() || !f.value("values", Json()).is_array()) continue;
    const Json& values = f["values"];
    if (values.size() > kMaxCountedValues) continue;
    for (const auto& pair : values) {
      if (!pair.is_array() || pair.size() != 2 || !pair[1].is_number_unsigned()) continue;
      auto value = value_from_json(pair[0], "");
      if (!value) continue;
      out.push_back({f["field"].get<std::string>(), std::move(value).value(), pair[1].get<uint64_t>()});
    }
  }
  return out;
}

std::optional<uint64_t> ObservedStats::estimated_rows(std::string_view table) const {
  std::lock_guard lock(mu_);
  auto it = rows_.find(table);
  if (it == rows_.end()) return std::nullopt;
  return it->second;
}

std::optional<uint64_t> ObservedStats::value_count(std::string_view table, std::string_view field, const Value& value) const {
  std::string key = value_key(table, field, value);
  std::lock_guard lock(mu_);
  auto it = values_.find(key);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

bool ObservedStats::worth_reporting(const ReadPlan& plan) {
  if (whole_root_scan(plan) || single_value_root(plan)) return true;
  bool any = false;
  grouped_scans(plan.root, [&](const TableAccess&) { any = true; });
  return any;
}

void ObservedStats::learn(const ReadPlan& plan, const std::vector<uint64_t>& reads,
                          const std::vector<ReadOutcome::ValueCount>& values) {
  // Ids past the end of `reads` read nothing.
  auto read_by = [&](const TableAccess& a) -> std::optional<uint64_t> { return a.id < reads.size() ? reads[a.id] : 0; };
  const TableAccess& root = plan.root.access;
  if (whole_root_scan(plan)) {
    if (auto n = read_by(root)) remember(rows_, root.table, *n, false);
    for (const auto& v : values) {
      if (to_json_text(v.value).size() <= kMaxValueBytes) remember(values_, value_key(root.table, v.field, v.value), v.rows, true);
    }
  } else if (const Value* v = single_value_root(plan); v && to_json_text(*v).size() <= kMaxValueBytes) {
    if (auto n = read_by(root)) remember(values_, value_key(root.table, root.source.index_fields[0], *v), *n, true);
  }
  grouped_scans(plan.root, [&](const TableAccess& a) {
    // Not run when no parent had a key: zero reads say nothing of the table.
    if (auto n = read_by(a); n && *n > 0) remember(rows_, a.table, *n, false);
  });
}

void ObservedStats::remember(std::map<std::string, uint64_t, std::less<>>& into, std::string key, uint64_t n, bool bounded) {
  bool moved = false;
  {
    std::lock_guard lock(mu_);
    auto it = into.find(key);
    if (it == into.end()) {
      if (bounded && into.size() >= kMaxValues) return;  // enough to steer plans; memory stays bounded
      into.emplace(std::move(key), n);
      moved = true;
    } else {
      uint64_t old = it->second;
      it->second = n;
      // Halved or grown by half: enough to change a choice.
      moved = n != old && (old == 0 || n * 2 <= old || n * 2 >= old * 3);
    }
  }
  if (moved) version_.fetch_add(1, std::memory_order_acq_rel);
}

}  // namespace dc
