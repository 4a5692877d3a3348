// What the proxy learns of a Convex deployment from the adapter's reads per access.
#include <doctest/doctest.h>

#include "server/backend/convex/observed_stats.hpp"
#include "tests/planner/fixture.hpp"

using namespace dc;

namespace {

ReadPlan convex_plan(const std::string& query, const TableStats& stats) {
  auto q = parse_read_query(Json::parse(query), testing::blog_schema(), ParseLimits{});
  REQUIRE(q.ok());
  auto p = plan_read(*q, testing::blog_schema(), stats, PlannerOptions{});
  REQUIRE(p.ok());
  return std::move(p).value();
}

}  // namespace

TEST_CASE("observed stats: a whole-table scan counts the table; a limit or a cursor says nothing") {
  ObservedStats s;
  ReadPlan all = convex_plan(R"({"table":"users","columns":{"name":true}})", s);
  REQUIRE(ObservedStats::worth_reporting(all));
  CHECK_FALSE(s.estimated_rows("users"));
  uint64_t v0 = s.version();
  s.learn(all, {8});
  CHECK(s.estimated_rows("users") == 8);
  CHECK_FALSE(s.row_count("users"));  // never exact: the budget is not checked against it
  CHECK(s.version() > v0);
  uint64_t v1 = s.version();
  s.learn(all, {9});  // a small change keeps cached plans
  CHECK(s.estimated_rows("users") == 9);
  CHECK(s.version() == v1);
  s.learn(all, {30});
  CHECK(s.version() > v1);
  CHECK_FALSE(ObservedStats::worth_reporting(convex_plan(R"({"table":"users","limit":2})", s)));
  CHECK_FALSE(ObservedStats::worth_reporting(convex_plan(R"({"table":"users","op":"paginate","numItems":2})", s)));
}

TEST_CASE("observed stats: one value of an index's leading field counts that value, a narrower range does not") {
  ObservedStats s;
  ReadPlan admins = convex_plan(R"({"table":"users","where":{"role":"admin"}})", s);
  REQUIRE(ObservedStats::worth_reporting(admins));
  s.learn(admins, {2});
  CHECK(s.value_count("users", "role", Value("admin")) == 2);
  CHECK_FALSE(s.value_count("users", "role", Value("member")));
  CHECK_FALSE(s.estimated_rows("users"));
  // A value the client chose can be long: past kMaxValueBytes it is not kept (4,096 of them would be memory to spare).
  std::string big(ObservedStats::kMaxValueBytes, 'x');
  s.learn(convex_plan(R"({"table":"users","where":{"email":")" + big + R"("}})", s), {0});
  CHECK_FALSE(s.value_count("users", "email", Value(big)));
  std::string fits(ObservedStats::kMaxValueBytes - 2, 'y');  // plus its quotes
  s.learn(convex_plan(R"({"table":"users","where":{"email":")" + fits + R"("}})", s), {1});
  CHECK(s.value_count("users", "email", Value(fits)) == 1);
  CHECK_FALSE(ObservedStats::worth_reporting(convex_plan(R"({"table":"users","where":{"role":"admin","credits":{"gt":5}}})", s)));
  CHECK_FALSE(ObservedStats::worth_reporting(convex_plan(R"({"table":"users","where":{"role":{"in":["admin","member"]}}})", s)));
}

TEST_CASE("observed stats: counts learned steer the plan, not the budget") {
  ObservedStats s;
  const char* q = R"({"table":"posts","where":{"tags":{"name":"classic"}},"orderBy":{"views":"desc"},"limit":2})";
  ReadPlan before = convex_plan(q, s);
  CHECK_FALSE(before.root.access.driver);  // no sizes: only a scan is replaced
  s.learn(convex_plan(R"({"table":"posts"})", s), {12});
  s.learn(convex_plan(R"({"table":"tags"})", s), {4});
  ReadPlan after = convex_plan(q, s);
  REQUIRE(after.root.access.driver);
  CHECK(after.max_reads == kUnbounded);  // the worst case still counts no table as known
}

TEST_CASE("observed stats: a whole scan's value counts weigh equalities, and let a rare related value drive") {
  ObservedStats s;
  ReadPlan all = convex_plan(R"({"table":"posts","columns":{"title":true}})", s);
  ReadPlan users = convex_plan(R"({"table":"users","columns":{"name":true}})", s);
  s.learn(users, {8});
  // Before: published = false is a guess (half of a boolean's rows): no driving.
  const char* q = R"({"table":"users","columns":{"name":true},"where":{"posts":{"published":false}}})";
  CHECK_FALSE(convex_plan(q, s).root.access.driver);
  s.learn(all, {12}, {{"published", Value(false), 3}, {"published", Value(true), 9}, {"category", Value("math"), 3}});
  CHECK(s.value_count("posts", "published", Value(false)) == 3u);
  CHECK(s.value_count("posts", "category", Value("math")) == 3u);
  CHECK_FALSE(s.value_count("posts", "category", Value("history")));  // not reported: unknown, not zero
  // After: 3 posts and their 3 authors cost less than half of 8 users probed.
  CHECK(convex_plan(q, s).root.access.driver);
  // Counts of a read that was no whole scan are not taken.
  ObservedStats t;
  t.learn(convex_plan(R"({"table":"posts","limit":2})", t), {2}, {{"published", Value(false), 1}});
  CHECK_FALSE(t.value_count("posts", "published", Value(false)));
}

TEST_CASE("observed stats: the adapter's value counts are taken only well formed and within their bounds") {
  auto field = [](const std::string& name, size_t values) {
    Json v = Json::array();
    for (size_t i = 0; i < values; ++i) v.push_back(Json::array({"v" + std::to_string(i), 2u}));
    return Json{{"field", name}, {"values", v}};
  };
  Json at_bound = Json::array();
  for (size_t i = 0; i < kMaxCountedFields; ++i) at_bound.push_back(field("f" + std::to_string(i), i == 0 ? kMaxCountedValues : 1));
  auto taken = value_counts_from_json(at_bound);
  REQUIRE(taken.size() == kMaxCountedValues + kMaxCountedFields - 1);
  CHECK(taken[0].field == "f0");
  CHECK(taken[0].rows == 2u);
  Json over = at_bound;
  over.push_back(field("one_too_many", 1));
  CHECK(value_counts_from_json(over).empty());  // a field past the bound drops them all
  CHECK(value_counts_from_json(Json::array({field("wide", kMaxCountedValues + 1)})).empty());
  // Malformed parts are skipped, the rest kept.
  Json odd = Json::array({Json{{"field", 7}}, Json{{"field", "ok"}, {"values", Json::array({Json::array({"a", -1}), Json::array({"a"}),
                                                                                           Json::array({Json{{"$bad", 1}}, 3u}),
                                                                                           Json::array({"b", 5u})})}}});
  auto kept = value_counts_from_json(odd);
  REQUIRE(kept.size() == 1);
  CHECK(kept[0].value == Value("b"));
  CHECK(value_counts_from_json(Json("not an array")).empty());
}
