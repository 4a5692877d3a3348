// The answer: columns projected, relations nested, each row weighed against
// the answer's budget of rows and bytes before it is copied into its parent.
#include "server/backend/embedded/executor.hpp"

#include <limits>
#include <map>

#include "server/backend/embedded/executor_rows.hpp"
#include "server/backend/embedded/relation_key.hpp"

namespace dc {

std::string Executor::answer_rows_refusal() const {
  return "the answer would hold more than its budget of " + std::to_string(answer_rows_) +
         " rows, nested rows included (--answer-rows): add limits or fewer relations";
}

bool Executor::fits_answer(const Weight& w, const std::string& path) {
  if (failure_) return false;
  if (w.rows > answer_rows_) {
    failure_ = Error::query(answer_rows_refusal(), path);
  } else if (w.bytes > answer_bytes_) {
    failure_ = Error::query("the answer would be larger than its budget of " + std::to_string(answer_bytes_) +
                                " bytes (--answer-bytes): select fewer columns or rows",
                            path);
  }
  return !failure_;
}

// A required one relation found nothing: the data breaks what the schema
// promises (a dangling reference), which typed clients rely on.
Error Executor::missing_required(const RelationStep& step, const Document& parent) {
  return Error{ErrorCode::upstream_error,
               "relation '" + step.name + "' is declared \"optional\": false, but row " + parent.id + " has no " + step.name +
                   " (a dangling reference)",
               std::nullopt};
}

// How many rows a lookup by `key` finds, from the access's index alone,
// reading no documents: a plain lookup by the relation's key (no filter of
// any kind on the rows, the key the index's leading field). Exact from the
// per-value counts where the index keeps them; else its entries are
// counted one by one, and past `cap` of them the answer is "more than cap"
// (cap + 1). Empty when the index cannot say.
std::optional<uint64_t> Executor::counted_lookup(const TableAccess& a, const Value& key, uint64_t cap) const {
  if (a.source.kind != Source::Kind::index || !a.source.intervals.empty() || a.post_filter || !a.served.empty() ||
      a.key_fields.size() != 1 || a.offset != 0) {
    return std::nullopt;
  }
  const Index* idx = store_.table(a.table)->index(a.source.index);
  if (!idx || idx->fields().empty() || idx->fields()[0] != a.key_fields[0]) return std::nullopt;
  if (!idx->counted() && cap == kExact) return std::nullopt;
  auto n = idx->count(with_key(Interval{}, key, 1), cap);
  if (n) return *n;
  if (cap == kExact) return std::nullopt;
  return cap + 1;
}

bool Executor::counted_by_index(const RelationStep& step, const std::vector<DocPtr>& docs, std::vector<uint64_t>& found) {
  const TableAccess& a = step.node.access;
  if (step.junction || a.limit) return false;
  std::map<Value, uint64_t, ValueLess> per_key;
  std::vector<Value> keys;
  keys.reserve(docs.size());
  for (const auto& d : docs) {
    keys.push_back(relation_key(d->value, step.parent_fields));
    const Value& key = keys.back();
    if (key.is_nullish() || per_key.count(key)) continue;
    auto n = counted_lookup(a, key, kExact);
    if (!n) return false;  // not answerable from the counts: read the rows instead
    per_key.emplace(key, *n);
  }
  for (size_t i = 0; i < docs.size(); ++i) {
    auto it = keys[i].is_nullish() ? per_key.end() : per_key.find(keys[i]);
    found[i] = it == per_key.end() ? 0 : it->second;
  }
  return true;
}

// `_count.<relation>` on every row: the rows are read (and counted as read)
// but not held, so the answer's row budget does not apply to them.
void Executor::count_related(const RelationStep& step, const std::vector<DocPtr>& docs, std::vector<Value>& out) {
  std::vector<uint64_t> found(docs.size(), 0);
  if (!counted_by_index(step, docs, found)) {
    std::vector<std::vector<DocPtr>> kids = related(step, docs, std::numeric_limits<uint64_t>::max(), "");
    if (failure_) return;
    for (size_t i = 0; i < docs.size(); ++i) found[i] = kids[i].size();
  }
  for (size_t i = 0; i < docs.size(); ++i) {
    size_t n = step.many ? found[i] : std::min<uint64_t>(found[i], 1);
    const Value* have = out[i].field("_count");
    Value counts = have ? *have : Value(Object{});
    counts.set_field(step.name, Value(static_cast<double>(n)));
    out[i].set_field("_count", std::move(counts));
  }
}

std::vector<Value> Executor::shape(const ReadNode& n, const std::vector<DocPtr>& docs) {
  std::vector<Weight> weights;
  return shape(n, docs, weights);
}

std::vector<Value> Executor::shape(const ReadNode& n, const std::vector<DocPtr>& docs, std::vector<Weight>& weights) {
  std::vector<Value> out;
  out.reserve(docs.size());
  weights.assign(docs.size(), Weight{});
  Weight level;
  for (size_t i = 0; i < docs.size(); ++i) {
    out.push_back(project(*docs[i], n.columns));
    weights[i] = Weight{1, json_size_estimate(out.back())};
    level.rows += 1;
    level.bytes += weights[i].bytes;
  }
  if (!fits_answer(level, n.access.path) || !before_deadline()) return out;
  for (const RelationStep& step : n.with) {
    if (step.count) {
      count_related(step, docs, out);
      if (failure_) return out;
      continue;
    }
    std::vector<std::vector<DocPtr>> kids =
        related(step, docs, answer_rows_, answer_rows_refusal());
    if (failure_) return out;
    // Shape each distinct child once, then attach it to every parent that has it.
    std::vector<DocPtr> unique_kids;
    std::unordered_map<const Document*, size_t> pos;
    for (const auto& list : kids) {
      for (const auto& k : list) {
        if (pos.emplace(k.get(), unique_kids.size()).second) unique_kids.push_back(k);
      }
    }
    std::vector<Weight> kid_weights;
    std::vector<Value> shaped = shape(step.node, unique_kids, kid_weights);
    if (failure_) return out;
    // Each parent appears in the answer at least once, so these rows together
    // weigh no more than the answer: weigh them before any copy is made.
    uint64_t key_bytes = step.name.size() + 4;
    for (size_t i = 0; i < docs.size(); ++i) {
      Weight add{0, key_bytes + (step.many ? 2 : 0)};
      if (!step.many && kids[i].empty()) add.bytes += 4;
      for (size_t k = 0; k < kids[i].size() && (step.many || k == 0); ++k) {
        const Weight& kw = kid_weights[pos[kids[i][k].get()]];
        add.rows += kw.rows;
        add.bytes += kw.bytes + 1;
      }
      weights[i].rows += add.rows;
      weights[i].bytes += add.bytes;
      level.rows += add.rows;
      level.bytes += add.bytes;
    }
    if (!fits_answer(level, step.node.access.path) || !before_deadline()) return out;
    for (size_t i = 0; i < docs.size(); ++i) {
      if (step.many) {
        Array arr;
        arr.reserve(kids[i].size());
        for (const auto& k : kids[i]) arr.push_back(shaped[pos[k.get()]]);
        out[i].set_field(step.name, Value(std::move(arr)));
      } else if (kids[i].empty() && step.required) {
        failure_ = missing_required(step, *docs[i]);
        return out;
      } else {
        out[i].set_field(step.name, kids[i].empty() ? Value(nullptr) : shaped[pos[kids[i][0].get()]]);
      }
    }
  }
  return out;
}

}  // namespace dc
