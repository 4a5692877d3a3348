// The auth file's select policies compiled against the schema, bound for a
// caller (claims in) and planned on the embedded engine over the blog fixture.
#include <doctest/doctest.h>

#include "server/backend/embedded/embedded_backend.hpp"
#include "server/backend/embedded/import.hpp"
#include "server/access/compiled_rules.hpp"
#include "tests/planner/fixture.hpp"
#include "tests/source_dir.hpp"

using namespace dc;
using dc::testing::blog_schema;

namespace {

AuthConfig config() {
  auto c = read_auth_config(Json::parse(R"({
    "roles": {
      "service": {"bypass": true},
      "user": {
        "limits": {"maxLimit": 50},
        "tables": {
          "posts": {"select": {"filter": {"OR": [{"published": true}, {"authorId": {"$claim": "sub"}}]}}},
          "users": {"select": {"columns": ["_id", "name"]}}
        }
      },
      "team": {"tables": {"posts": {"select": {"filter": {"authorId": {"in": {"$claim": "team.members"}}}}}}}
    }
  })"),
                            ".");
  REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.error().message));
  return std::move(c).value();
}

std::vector<std::string> post_ids(const std::shared_ptr<const ReadRules>& rules) {
  static auto backend = [] {
    auto b = std::make_shared<EmbeddedBackend>(std::make_shared<const Schema>(blog_schema()), 7);
    REQUIRE(import_export_dir(b->store_for_loading(), b->ids(), dc::testing::source_dir() + "/tests/conformance/fixtures/blog/data").ok());
    return b;
  }();
  auto q = parse_read_query(Json::parse(R"({"table":"posts","op":"findMany","columns":{"_id":true}})"), blog_schema(), ParseLimits{});
  REQUIRE(q.ok());
  PlannerOptions o;
  o.rules = rules;
  auto p = plan_read(*q, blog_schema(), *backend, o);
  REQUIRE(p.ok());
  std::vector<std::string> ids;
  backend->read(std::make_shared<const ReadPlan>(std::move(p).value()), RequestContext{}, [&](Result<ReadOutcome> r) {
    REQUIRE(r.ok());
    for (const auto& row : Json::parse(r->data_json)) ids.push_back(row["_id"]);
  });
  return ids;
}

Caller caller(const std::string& role, Json claims) { return Caller{role, claims.value("sub", ""), std::move(claims), std::nullopt, "", nullptr}; }

Result<std::shared_ptr<const ReadRules>> read_rules_for(const AuthConfig& c, const Caller& who, const Schema& schema) {
  auto compiled = compile_policies(c, std::make_shared<const Schema>(schema));
  REQUIRE_MESSAGE(compiled.ok(), (compiled.ok() ? "" : compiled.error().message));
  auto rules = rules_for(**compiled, who);
  if (!rules) return std::move(rules).error();
  return rules->read;
}

}  // namespace

TEST_CASE("access rules: a claim in a select filter gives each caller their own rows") {
  auto c = config();
  auto u1 = read_rules_for(c, caller("user", Json{{"sub", "u1"}}), blog_schema());
  REQUIRE(u1.ok());
  REQUIRE(*u1);
  CHECK((*u1)->max_limit == 50);
  // Published posts, and u1's own unpublished p2; not u4's unpublished p8.
  CHECK(post_ids(*u1) == std::vector<std::string>{"p1", "p2", "p3", "p4", "p5", "p6", "p7", "p9", "p10", "p12"});
  auto u4 = read_rules_for(c, caller("user", Json{{"sub", "u4"}}), blog_schema());
  REQUIRE(u4.ok());
  CHECK(post_ids(*u4) == std::vector<std::string>{"p1", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "p10", "p12"});
}

TEST_CASE("access rules: a missing claim makes the rule match nothing; an array claim works with in") {
  auto c = config();
  auto nobody = read_rules_for(c, caller("user", Json::object()), blog_schema());
  REQUIRE(nobody.ok());
  CHECK(post_ids(*nobody).empty());
  auto team = read_rules_for(c, caller("team", Json{{"team", {{"members", {"u2", "u3"}}}}}), blog_schema());
  REQUIRE(team.ok());
  CHECK(post_ids(*team) == std::vector<std::string>{"p4", "p5", "p6"});
}

TEST_CASE("access rules: a bypass role reads without rules; a role without a select policy reads nothing of that table") {
  auto c = config();
  auto service = read_rules_for(c, caller("service", Json::object()), blog_schema());
  REQUIRE(service.ok());
  CHECK(*service == nullptr);
  CHECK(post_ids(*service).size() == 12);
  auto team = read_rules_for(c, caller("team", Json{{"team", {{"members", {"u2"}}}}}), blog_schema());
  REQUIRE(team.ok());
  CHECK_FALSE((*team)->tables.count("users"));
}
