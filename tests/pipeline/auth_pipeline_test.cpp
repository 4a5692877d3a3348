// The pipeline's auth step over the embedded engine and the blog fixture:
// plans cached for one caller never serve another, rules keyed by the claim
// values they use, upserts under update rules, and rules that cannot be
// applied (a check with a relation filter) refused rather than ignored.
#include <doctest/doctest.h>

#include "server/backend/embedded/embedded_backend.hpp"
#include "server/backend/embedded/import.hpp"
#include "server/pipeline/pipeline.hpp"
#include "tests/access/tokens.hpp"
#include "tests/planner/fixture.hpp"
#include "tests/source_dir.hpp"

using namespace dc;

namespace {

const char* kSecret = "pipeline-test-secret-0123456789abcdef";

Json auth_file(Json roles) {
  return Json{{"jwt", {{"secret", kSecret}, {"algorithms", {"HS256"}}}}, {"defaultRole", "user"}, {"roles", std::move(roles)}};
}

Json user_roles() {
  return Json::parse(R"({
    "user": {"tables": {
      "posts": {"select": {"filter": {"OR": [{"published": true}, {"authorId": {"$claim": "sub"}}]}}},
      "profiles": {"select": {},
                   "insert": {"set": {"userId": {"$claim": "sub"}}},
                   "update": {"filter": {"userId": {"$claim": "sub"}}, "columns": ["bio"]}}}},
    "member": {"tables": {"posts": {"select": {"filter": {"category": {"$claim": "team"}}}}}},
    "plain": {"tables": {"tags": {"select": {}}}},
    "editor": {"tables": {"profiles": {"select": {}, "insert": {}, "update": {"filter": {"userId": {"$claim": "sub"}}}}}},
    "relational": {"tables": {"comments": {"select": {}, "insert": {"check": {"post": {"published": true}}}}}}
  })");
}

struct Blog {
  std::shared_ptr<EmbeddedBackend> backend = std::make_shared<EmbeddedBackend>(std::make_shared<const Schema>(dc::testing::blog_schema()), 7);
  std::shared_ptr<SchemaSlot> schema = std::make_shared<SchemaSlot>();
  std::shared_ptr<Pipeline> pipeline;

  explicit Blog(const Json& file) {
    auto n = import_export_dir(backend->store_for_loading(), backend->ids(), dc::testing::source_dir() + "/tests/conformance/fixtures/blog/data");
    REQUIRE(n.ok());
    schema->set(std::make_shared<const Schema>(dc::testing::blog_schema()));
    pipeline = std::make_shared<Pipeline>(PipelineOptions{}, backend, schema, nullptr);
    auto config = read_auth_config(file, ".");
    REQUIRE_MESSAGE(config.ok(), (config.ok() ? "" : config.error().message));
    pipeline->set_auth(std::make_shared<const AuthConfig>(std::move(config).value()));
  }

  Result<Answer> call(std::string_view path, std::string_view body, const Json& claims) {
    Json with_exp = claims;
    with_exp["exp"] = 4102444800;  // 2100-01-01
    std::string header = "Bearer " + dc::testing::hmac_token(Json{{"alg", "HS256"}, {"typ", "JWT"}}, with_exp, kSecret);
    std::optional<Result<Answer>> got;
    pipeline->handle(Call{"POST", path, body, header, "localhost", std::nullopt}, RequestContext{},
                     [&](Result<Answer> r, Headers) { got.emplace(std::move(r)); });
    REQUIRE(got);
    return std::move(*got);
  }
  Json data(std::string_view path, std::string_view body, const Json& claims) {
    auto r = call(path, body, claims);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message + " at " + r.error().path.value_or("")));
    return Json::parse(r->text())["data"];
  }
};

}  // namespace

TEST_CASE("auth pipeline: a plan cached for one caller never answers another with other claims") {
  Blog b(auth_file(user_roles()));
  const char* q = R"({"table":"posts","op":"count"})";
  // u1 sees 9 published posts and 1 own draft (p2); u4 sees the 9 and p8.
  // u4 plans the drafts query first: were the cache keyed by body alone, u1 would get u4's plan.
  CHECK(b.data("/v1/query", q, Json{{"sub", "u1"}})["count"] == 10);
  CHECK(b.data("/v1/query", R"({"table":"posts","op":"findMany","where":{"published":false},"columns":{"_id":true}})", Json{{"sub", "u4"}}) ==
        Json::parse(R"([{"_id":"p8"}])"));
  CHECK(b.data("/v1/query", R"({"table":"posts","op":"findMany","where":{"published":false},"columns":{"_id":true}})", Json{{"sub", "u1"}}) ==
        Json::parse(R"([{"_id":"p2"}])"));
  // The same body again, from each: still their own answers (both plans are cached now).
  CHECK(b.data("/v1/query", R"({"table":"posts","op":"findMany","where":{"published":false},"columns":{"_id":true}})", Json{{"sub", "u4"}}) ==
        Json::parse(R"([{"_id":"p8"}])"));
  CHECK(b.data("/v1/query", R"({"table":"posts","op":"findMany","where":{"published":false},"columns":{"_id":true}})", Json{{"sub", "u1"}}) ==
        Json::parse(R"([{"_id":"p2"}])"));
}

TEST_CASE("auth pipeline: rules are keyed by role and the values of the claims they use") {
  auto config = read_auth_config(auth_file(user_roles()), ".");
  REQUIRE(config.ok());
  auto key = [&](const std::string& role, Json claims) {
    Caller c;
    c.role = role;
    c.claims = std::move(claims);
    return rules_key(*config, c);
  };
  // Rules that use no claim: one key for the whole role.
  CHECK(key("plain", Json{{"sub", "a"}}) == key("plain", Json{{"sub", "b"}}));
  CHECK(key("plain", Json{{"sub", "a"}}) == "plain");
  // Claims the rules use decide; others do not.
  CHECK(key("member", Json{{"sub", "a"}, {"team", "math"}}) == key("member", Json{{"sub", "b"}, {"team", "math"}}));
  CHECK(key("member", Json{{"sub", "a"}, {"team", "math"}}) != key("member", Json{{"sub", "a"}, {"team", "history"}}));
  CHECK(key("user", Json{{"sub", "u1"}}) != key("user", Json{{"sub", "u4"}}));
  // A missing claim is a key of its own, never equal to a present one.
  CHECK(key("member", Json::object()) != key("member", Json{{"team", "-"}}));
}

TEST_CASE("auth pipeline: an upsert's update must find the existing row inside the update filter") {
  Blog b(auth_file(user_roles()));
  // profiles: unique userId. u1 has a profile; u2 upserting onto it (its userId preset to u2) conflicts only with its own.
  auto mine = b.data("/v1/mutate",
                     R"({"op":"insert","table":"profiles","values":{"userId":"u1","bio":"new bio"},"onConflict":{"target":["userId"],"do":"update","set":{"bio":"updated"}}})",
                     Json{{"sub", "u1"}});
  CHECK(mine["rowsAffected"] == 1);
  auto bios = b.data("/v1/query", R"({"table":"profiles","op":"findMany","where":{"userId":"u1"},"columns":{"bio":true}})", Json{{"sub", "u1"}});
  CHECK(bios == Json::parse(R"([{"bio":"updated"}])"));
  // Without a preset, an upsert may name another user's row: its update is refused, and nothing changes.
  auto theirs = b.call("/v1/mutate",
                       R"({"op":"insert","table":"profiles","values":{"userId":"u1","bio":"x"},"onConflict":{"target":["userId"],"do":"update","set":{"bio":"taken over"}}})",
                       Json{{"sub", "u2"}, {"role", "editor"}});
  REQUIRE_FALSE(theirs.ok());
  CHECK(theirs.error().code == ErrorCode::forbidden);
  CHECK(b.data("/v1/query", R"({"table":"profiles","op":"findMany","where":{"userId":"u1"},"columns":{"bio":true}})", Json{{"sub", "u1"}}) ==
        Json::parse(R"([{"bio":"updated"}])"));
  // A column outside the update rule's list, in the upsert's set, is refused.
  auto wrong_column = b.call("/v1/mutate",
                             R"({"op":"insert","table":"profiles","values":{"bio":"x"},"onConflict":{"target":["userId"],"do":"update","set":{"userId":"u3"}}})",
                             Json{{"sub", "u1"}});
  REQUIRE_FALSE(wrong_column.ok());
  CHECK(wrong_column.error().code == ErrorCode::forbidden);
}

TEST_CASE("auth pipeline: a check that uses a relation filter is refused, never skipped") {
  Blog b(auth_file(user_roles()));
  auto r = b.call("/v1/mutate", R"({"op":"insert","table":"comments","values":{"postId":"p1","authorId":"u1","body":"x"}})",
                  Json{{"sub", "u1"}, {"role", "relational"}});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::internal);
  CHECK(r.error().message.find("relation") != std::string::npos);
  CHECK(b.data("/v1/query", R"({"table":"comments","op":"count"})", Json{{"sub", "u1"}, {"role", "relational"}})["count"] == 10);
}
