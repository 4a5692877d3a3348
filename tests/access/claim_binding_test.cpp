// Claims are values (issue 30, item 1): a validly signed token whose claim
// is a JSON object must not turn a rule into another filter, preset or
// check. Compiled against the blog fixture, bound, and planned.
#include <doctest/doctest.h>

#include "server/access/compiled_rules.hpp"
#include "server/schema/load.hpp"
#include "tests/planner/fixture.hpp"

using namespace dc;
using dc::testing::blog_schema;

namespace {

std::shared_ptr<const Schema> schema() {
  static auto s = std::make_shared<const Schema>(blog_schema());
  return s;
}

Result<std::shared_ptr<const CompiledPolicies>> compile(const std::string& tables) {
  auto c = read_auth_config(Json::parse(R"({"roles": {"user": {"tables": )" + tables + "}}}"), ".");
  REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.error().message));
  return compile_policies(*c, schema());
}

CallerRules bound(const std::string& tables, Json claims) {
  auto compiled = compile(tables);
  REQUIRE_MESSAGE(compiled.ok(), (compiled.ok() ? "" : compiled.error().message));
  auto rules = rules_for(**compiled, Caller{"user", "", std::move(claims), std::nullopt, "", nullptr});
  REQUIRE(rules.ok());
  return std::move(rules).value();
}

Result<ReadPlan> plan_posts(const CallerRules& rules) {
  auto q = parse_read_query(Json::parse(R"({"table":"posts","op":"findMany"})"), blog_schema(), ParseLimits{});
  REQUIRE(q.ok());
  PlannerOptions o;
  o.rules = rules.read;
  static dc::testing::FakeStats stats;
  return plan_read(*q, blog_schema(), stats, o);
}

const char* kOwnPosts = R"({"posts": {"select": {"filter": {"authorId": {"$claim": "sub"}}},
                                       "update": {"filter": {"authorId": {"$claim": "sub"}}, "check": {"authorId": {"$claim": "sub"}}},
                                       "delete": {"filter": {"authorId": {"$claim": "sub"}}},
                                       "insert": {"set": {"authorId": {"$claim": "sub"}}}}})";

}  // namespace

TEST_CASE("claims: an object claim is a value, never an operator, in select, update, delete, check and set") {
  for (const char* attack : {R"({"ne": "nobody"})", R"({"isNotNull": true})", R"({"OR": [{"published": true}]})",
                             R"({"in": ["u1", "u2", "u3"]})", R"({"$integer": "AQAAAAAAAAA="})", R"({"$unset": true})"}) {
    CAPTURE(attack);
    auto rules = bound(kOwnPosts, Json{{"sub", Json::parse(attack)}});
    const TableReadRule& read = rules.read->tables.at("posts");
    REQUIRE(read.refusal);
    CHECK(read.refusal->find("'sub'") != std::string::npos);
    CHECK(read.refusal->find("string") != std::string::npos);  // the type expected (an id of users is a string)
    CHECK(read.refusal->find("nobody") == std::string::npos);  // never the claim's value
    CHECK(read.refusal->find("u2") == std::string::npos);
    auto planned = plan_posts(rules);
    REQUIRE_FALSE(planned.ok());
    CHECK(planned.error().code == ErrorCode::forbidden);
    CHECK(planned.error().path == std::optional<std::string>("/table"));
    for (const auto* by_table : {&rules.write->update, &rules.write->delete_, &rules.write->insert}) {
      const TableWriteRule& w = by_table->at("posts");
      CHECK(w.refusal);
      CHECK(w.set.empty());
    }
  }
}

TEST_CASE("claims: a claim of the right type binds as a typed value") {
  auto rules = bound(R"({"posts": {"select": {"filter": {"AND": [{"views": {"gte": {"$claim": "minViews"}}},
                                                                 {"published": {"$claim": "pub"}}]}}}})",
                     Json{{"minViews", 100}, {"pub", true}});
  const TableReadRule& read = rules.read->tables.at("posts");
  REQUIRE_FALSE(read.refusal);
  REQUIRE(read.filter);
  REQUIRE(read.filter->children.size() == 2);
  CHECK(read.filter->children[0].arg == Value(100.0));
  CHECK(read.filter->children[1].arg == Value(true));
  CHECK(plan_posts(rules).ok());
  // The wrong JSON type for the column: refused, naming what was expected.
  auto wrong = bound(R"({"posts": {"select": {"filter": {"views": {"gte": {"$claim": "minViews"}}}}}})", Json{{"minViews", "100"}});
  REQUIRE(wrong.read->tables.at("posts").refusal);
  CHECK(wrong.read->tables.at("posts").refusal->find("number") != std::string::npos);
}

TEST_CASE("claims: an array claim under in binds element by element; other shapes are refused") {
  const char* team = R"({"posts": {"select": {"filter": {"authorId": {"in": {"$claim": "team.members"}}}}}})";
  auto ok = bound(team, Json{{"team", {{"members", {"u2", "u3"}}}}});
  const TableReadRule& read = ok.read->tables.at("posts");
  REQUIRE_FALSE(read.refusal);
  CHECK(read.filter->arg == Value(Array{Value("u2"), Value("u3")}));
  for (const char* shape : {R"("u2")", R"([1, 2])", R"([{"ne": "x"}])", R"({"u2": true})", R"(true)"}) {
    CAPTURE(shape);
    auto bad = bound(team, Json{{"team", {{"members", Json::parse(shape)}}}});
    REQUIRE(bad.read->tables.at("posts").refusal);
    CHECK(bad.read->tables.at("posts").refusal->find("an array, each item a string") != std::string::npos);
  }
  // A claim as one item of a written list.
  auto item = bound(R"({"posts": {"select": {"filter": {"authorId": {"in": ["u9", {"$claim": "sub"}]}}}}})", Json{{"sub", "u1"}});
  CHECK(item.read->tables.at("posts").filter->arg == Value(Array{Value("u9"), Value("u1")}));
}

TEST_CASE("claims: a missing claim still makes a read rule match nothing and refuses the write") {
  auto rules = bound(kOwnPosts, Json::object());
  const TableReadRule& read = rules.read->tables.at("posts");
  CHECK_FALSE(read.refusal);
  REQUIRE(read.filter);
  CHECK(read.filter->kind == FilterNode::Kind::constant);
  CHECK_FALSE(read.filter->constant);
  CHECK(rules.write->insert.at("posts").missing_claim == std::optional<std::string>("sub"));
}

TEST_CASE("claims: a preset claim is typed against its column; an object never decodes as $integer") {
  auto ok = bound(R"({"posts": {"insert": {"set": {"views": {"$claim": "n"}, "title": {"$claim": "name"}}}}})", Json{{"n", 3}, {"name", "x"}});
  const TableWriteRule& w = ok.write->insert.at("posts");
  REQUIRE_FALSE(w.refusal);
  REQUIRE(w.set.size() == 2);
  CHECK(w.set[0].second == Value(3.0));
  auto bad = bound(R"({"posts": {"insert": {"set": {"views": {"$claim": "n"}}}}})", Json{{"n", {{"$float", "AAAAAAAA8D8="}}}});
  REQUIRE(bad.write->insert.at("posts").refusal);
  CHECK(bad.write->insert.at("posts").refusal->find("'n'") != std::string::npos);
  CHECK(bad.write->insert.at("posts").refusal->find("AAAA") == std::string::npos);
}

TEST_CASE("claims: a claim where no value goes is refused when the file is loaded, with its pointer") {
  struct Case {
    const char* tables;
    const char* pointer;
  } cases[] = {
      {R"({"posts": {"select": {"filter": {"author": {"$claim": "x"}}}}})", "/roles/user/tables/posts/select/filter/author"},
      {R"({"posts": {"select": {"filter": {"views": {"isNull": {"$claim": "x"}}}}}})", "/roles/user/tables/posts/select/filter/views/isNull"},
      {R"({"posts": {"select": {"filter": {"OR": [{"$claim": "x"}]}}}})", "/roles/user/tables/posts/select/filter/OR/0"},
      {R"({"posts": {"update": {"filter": {"views": {"$integer": {"$claim": "x"}}}}}})", "/roles/user/tables/posts/update/filter/views"},
      {R"({"posts": {"insert": {"set": {"views": {"$integer": {"$claim": "x"}}}}}})", "/roles/user/tables/posts/insert/set/views"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.tables);
    auto compiled = compile(c.tables);
    REQUIRE_FALSE(compiled.ok());
    CHECK(compiled.error().code == ErrorCode::invalid_value);
    REQUIRE(compiled.error().path);
    CHECK(compiled.error().path->rfind(c.pointer, 0) == 0);
  }
}

namespace {

// A table with an `any` column, an int64 and a float64 one: claims that a
// string column would refuse for its type reach the value checks themselves.
std::shared_ptr<const Schema> open_schema() {
  static auto s = [] {
    auto loaded = load_schema(Json::parse(R"({"tables": {"docs": {"documentType": {"type": "object", "value": {
        "meta": {"fieldType": {"type": "any"}, "optional": true},
        "owner": {"fieldType": {"type": "bigint"}, "optional": false},
        "score": {"fieldType": {"type": "number"}, "optional": false},
        "name": {"fieldType": {"type": "string"}, "optional": false}}}, "indexes": []}}})"));
    REQUIRE_MESSAGE(loaded.ok(), (loaded.ok() ? "" : loaded.error().message));
    return std::make_shared<const Schema>(std::move(loaded).value());
  }();
  return s;
}

CallerRules bound_open(const std::string& docs_rule, Json claims) {
  auto c = read_auth_config(Json::parse(R"({"roles": {"user": {"tables": {"docs": )" + docs_rule + "}}}}"), ".");
  REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.error().message));
  auto compiled = compile_policies(*c, open_schema());
  REQUIRE_MESSAGE(compiled.ok(), (compiled.ok() ? "" : compiled.error().message));
  auto rules = rules_for(**compiled, Caller{"user", "", std::move(claims), std::nullopt, "", nullptr});
  REQUIRE(rules.ok());
  return std::move(rules).value();
}

}  // namespace

TEST_CASE("claims: an object with a '$' key is refused even where the column takes any value (a decoding backend would read it)") {
  for (const char* claim : {R"({"$integer": "AQAAAAAAAAA="})", R"({"a": {"$bytes": ""}})", R"([{"$unset": true}])"}) {
    CAPTURE(claim);
    auto rules = bound_open(R"({"select": {"filter": {"meta": {"$claim": "m"}}}, "insert": {"set": {"meta": {"$claim": "m"}}}})",
                            Json{{"m", Json::parse(claim)}});
    CHECK(rules.read->tables.at("docs").refusal);
    CHECK(rules.write->insert.at("docs").refusal);
  }
  auto plain = bound_open(R"({"select": {"filter": {"meta": {"$claim": "m"}}}})", Json{{"m", {{"org", "o1"}}}});
  CHECK_FALSE(plain.read->tables.at("docs").refusal);  // an object of plain keys is a value like any other
}

TEST_CASE("claims: integers stay exact for int64 columns; a float64 column refuses one a double cannot hold") {
  auto big = bound_open(R"({"select": {"filter": {"owner": {"$claim": "uid"}}}, "insert": {"set": {"owner": {"$claim": "uid"}}}})",
                        Json{{"uid", 9007199254740993LL}});
  REQUIRE_FALSE(big.read->tables.at("docs").refusal);
  CHECK(big.read->tables.at("docs").filter->arg == Value(int64_t{9007199254740993LL}));
  REQUIRE(big.write->insert.at("docs").set.size() == 1);
  CHECK(big.write->insert.at("docs").set[0].second == Value(int64_t{9007199254740993LL}));
  auto lossy = bound_open(R"({"select": {"filter": {"score": {"$claim": "uid"}}}})", Json{{"uid", 9007199254740993LL}});
  CHECK(lossy.read->tables.at("docs").refusal);
  auto exact = bound_open(R"({"select": {"filter": {"score": {"$claim": "uid"}}}})", Json{{"uid", 42}});
  CHECK(exact.read->tables.at("docs").filter->arg == Value(42.0));
}

TEST_CASE("claims: a claim in a LIKE pattern matches as text; over the pattern limit it is refused") {
  auto rules = bound_open(R"({"select": {"filter": {"name": {"ilike": {"$claim": "email"}}}}})", Json{{"email", "a_b%\\c"}});
  REQUIRE_FALSE(rules.read->tables.at("docs").refusal);
  CHECK(rules.read->tables.at("docs").filter->arg == Value("a\\_b\\%\\\\c"));
  auto starts = bound_open(R"({"select": {"filter": {"name": {"startsWith": {"$claim": "p"}}}}})", Json{{"p", "50%"}});
  CHECK(starts.read->tables.at("docs").filter->arg == Value("50%"));  // startsWith takes its text literally already
  auto wide = bound_open(R"({"select": {"filter": {"name": {"like": {"$claim": "p"}}}}})", Json{{"p", std::string(300, 'x')}});
  CHECK(wide.read->tables.at("docs").refusal);
}

TEST_CASE("claims: bounds are the request's own: 4,096 list items and 256 pattern bytes pass, one more is refused") {
  const char* team = R"({"posts": {"select": {"filter": {"authorId": {"in": {"$claim": "ids"}}}}}})";
  Json ids = Json::array();
  for (int i = 0; i < 4096; ++i) ids.push_back("u" + std::to_string(i));
  auto at_limit = bound(team, Json{{"ids", ids}});
  CHECK_FALSE(at_limit.read->tables.at("posts").refusal);
  CHECK(at_limit.read->tables.at("posts").filter->arg.as_array().size() == 4096);
  ids.push_back("u4096");
  auto over = bound(team, Json{{"ids", ids}});
  REQUIRE(over.read->tables.at("posts").refusal);
  CHECK(over.read->tables.at("posts").refusal->find("at most 4096") != std::string::npos);

  const char* like = R"({"select": {"filter": {"name": {"like": {"$claim": "p"}}}}})";
  CHECK_FALSE(bound_open(like, Json{{"p", std::string(256, 'x')}}).read->tables.at("docs").refusal);
  CHECK(bound_open(like, Json{{"p", std::string(257, 'x')}}).read->tables.at("docs").refusal);
}
