#include <doctest/doctest.h>

#include "server/planner/binder.hpp"
#include "server/planner/filter_normalize.hpp"
#include "server/planner/plan_json.hpp"
#include "tests/planner/fixture.hpp"

using namespace dc;
using dc::testing::blog_schema;

namespace {

Result<PlanFilter> bind(const std::string& table, const std::string& filter) {
  auto f = parse_filter(Json::parse(filter), table, blog_schema(), ParseLimits{}, "/where");
  REQUIRE(f.ok());
  return bind_filter(*f, blog_schema(), *blog_schema().table(table));
}

std::string normalized(const std::string& table, const std::string& filter) {
  auto b = bind(table, filter);
  REQUIRE(b.ok());
  return filter_to_json(normalize_filter(std::move(b).value())).dump();
}

}  // namespace

TEST_CASE("binder: unknown fields and wrong argument types name the request part") {
  auto unknown = bind("users", R"({"nope":1})");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().path == "/where/nope");
  auto wrong = bind("users", R"({"credits":{"gte":"lots"}})");
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().path == "/where/credits/gte");
  CHECK(wrong.error().message.find("float64") != std::string::npos);
  auto inside = bind("users", R"({"posts":{"views":"many"}})");
  REQUIRE_FALSE(inside.ok());
  CHECK(inside.error().path == "/where/posts/views");
  auto like = bind("posts", R"({"published":{"like":"t%"}})");
  REQUIRE_FALSE(like.ok());
  CHECK(like.error().path == "/where/published/like");
}

TEST_CASE("binder: a JSON number for an int64 field becomes an int64") {
  auto b = bind("users", R"({"balance":{"gt":500}})");
  REQUIRE(b.ok());
  CHECK(b->arg.kind() == Value::Kind::int64);
  CHECK(b->arg.as_int64() == 500);
  CHECK_FALSE(bind("users", R"({"balance":{"gt":0.5}})").ok());
}

TEST_CASE("binder: literal unions accept only their members") {
  CHECK(bind("users", R"({"role":"admin"})").ok());
  auto bad = bind("users", R"({"role":"owner"})");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().path == "/where/role");
}

TEST_CASE("normalize: NOT is pushed to complement operators, exact under 3VL") {
  CHECK(normalized("users", R"({"NOT":{"credits":{"gt":5}}})") == R"({"field":"credits","op":"lte","value":5})");
  CHECK(normalized("users", R"({"NOT":{"role":"admin"}})") == R"({"field":"role","op":"ne","value":"admin"})");
  CHECK(normalized("users", R"({"NOT":{"OR":[{"role":"admin"},{"credits":1}]}})") ==
        R"({"and":[{"field":"role","op":"ne","value":"admin"},{"field":"credits","op":"ne","value":1}]})");
  // startsWith has no complement: the NOT stays.
  CHECK(normalized("users", R"({"NOT":{"name":{"startsWith":"A"}}})") ==
        R"({"not":{"field":"name","op":"startsWith","value":"A"}})");
  CHECK(normalized("users", R"({"NOT":{"NOT":{"role":"admin"}}})") == R"({"field":"role","op":"eq","value":"admin"})");
}

TEST_CASE("normalize: OR of equalities becomes a sorted, deduplicated in") {
  CHECK(normalized("users", R"({"OR":[{"role":"member"},{"role":"admin"},{"role":{"in":["member","editor"]}}]})") ==
        R"({"field":"role","op":"in","value":["admin","editor","member"]})");
}

TEST_CASE("normalize: constants fold") {
  CHECK(normalized("users", R"({"role":{"in":[]}})") == R"({"const":false})");
  CHECK(normalized("users", R"({"role":{"notIn":[]}})") == R"({"const":true})");
  CHECK(normalized("users", R"({"credits":1,"role":{"in":[]}})") == R"({"const":false})");
  CHECK(normalized("users", R"({"OR":[{"credits":1},{"role":{"notIn":[]}}]})") == R"({"const":true})");
  CHECK(normalized("users", R"({"role":{"in":["admin"]}})") == R"({"field":"role","op":"eq","value":"admin"})");
}
