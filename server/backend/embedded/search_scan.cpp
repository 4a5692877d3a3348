// Full-text search on the engine: no inverted index, every row is read and
// scored by the query terms it holds.
#include "server/backend/embedded/executor.hpp"

#include <algorithm>

#include "server/backend/embedded/executor_rows.hpp"

#include "server/backend/embedded/executor_rows.hpp"

namespace dc {

namespace {

std::vector<std::string> tokenize(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : fold_case(text)) {
    auto c = static_cast<unsigned char>(ch);
    bool word = c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '_';
    if (word) {
      cur.push_back(ch);
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  for (auto& t : out) {
    if (t.size() > 32) t.resize(32);
  }
  return out;
}

}  // namespace

void Executor::search(const TableAccess& a, std::vector<DocPtr>& out) {
  const Table* t = store_.table(a.table);
  std::vector<std::string> terms = tokenize(a.source.search_query);
  if (terms.size() > 16) terms.resize(16);
  std::vector<std::pair<size_t, DocPtr>> scored;
  t->scan_all([&](const DocPtr& d) {
    if (!count_read(a)) return false;
    for (const auto& [f, v] : a.source.search_filters) {
      const Value& have = field_or_undefined(*d, f);
      if (v.is_null() ? !have.is_nullish() : compare(have, v) != 0) return true;
    }
    const Value& text = field_or_undefined(*d, a.source.search_field);
    if (!text.is_string()) return true;
    std::vector<std::string> words = tokenize(text.as_string());
    size_t score = 0;
    for (size_t i = 0; i < terms.size(); ++i) {
      bool last = i + 1 == terms.size();
      for (const auto& w : words) {
        if (w == terms[i] || (last && w.starts_with(terms[i]))) {
          ++score;
          break;
        }
      }
    }
    if (score > 0 && passes(a, d)) scored.emplace_back(score, d);
    return !failure_;
  });
  // Relevance: more matched terms first; ties newest first (as Convex does).
  std::stable_sort(scored.begin(), scored.end(), [](const auto& x, const auto& y) {
    if (x.first != y.first) return x.first > y.first;
    return x.second->creation_time > y.second->creation_time;
  });
  if (scored.size() > 1024) scored.resize(1024);
  for (auto& [s, d] : scored) out.push_back(d);
}

}  // namespace dc
