// Shared by planner and engine tests: the conformance blog schema and fake
// table statistics.
#pragma once

#include <doctest/doctest.h>

#include <map>

#include "protocol/parse.hpp"
#include "server/planner/planner.hpp"
#include "server/schema/load.hpp"
#include "tests/source_dir.hpp"

namespace dc::testing {

inline const Schema& blog_schema() {
  static const Schema schema = [] {
    auto s = load_schema_file(dc::testing::source_dir() + "/tests/conformance/fixtures/blog/schema.json");
    REQUIRE(s.ok());
    return std::move(s).value();
  }();
  return schema;
}

class FakeStats : public TableStats {
 public:
  std::map<std::string, uint64_t, std::less<>> rows{{"users", 8}, {"profiles", 3}, {"posts", 12},
                                                    {"comments", 10}, {"tags", 4}, {"postTags", 7}};
  std::optional<uint64_t> row_count(std::string_view t) const override {
    auto it = rows.find(t);
    if (it == rows.end()) return std::nullopt;
    return it->second;
  }
  // "table.field=value" -> rows, for string values; others unknown.
  std::map<std::string, uint64_t, std::less<>> counts;
  std::optional<uint64_t> value_count(std::string_view t, std::string_view f, const Value& v) const override {
    if (counts.empty() || !v.is_string()) return std::nullopt;
    auto it = counts.find(std::string(t) + "." + std::string(f) + "=" + v.as_string());
    return it == counts.end() ? 0 : it->second;
  }
};

inline Result<ReadPlan> plan(const std::string& query, uint64_t budget = 32000, const FakeStats& stats = FakeStats{}) {
  auto q = parse_read_query(Json::parse(query), blog_schema(), ParseLimits{});
  if (!q) return std::move(q).error();
  PlannerOptions opts;
  opts.read_budget = budget;
  return plan_read(*q, blog_schema(), stats, opts);
}

// A plan the test expects to exist; a planning error fails it with its message.
inline ReadPlan must_plan(const std::string& query) {
  auto p = plan(query);
  REQUIRE_MESSAGE(p.ok(), (p.ok() ? "" : p.error().message));
  return std::move(p).value();
}

}  // namespace dc::testing
