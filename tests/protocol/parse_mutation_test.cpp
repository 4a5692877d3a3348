#include <doctest/doctest.h>

#include "protocol/parse_mutation.hpp"

using namespace dc;

namespace {

class OneTable : public RelationResolver {
 public:
  std::optional<std::string> relation_target(std::string_view, std::string_view) const override { return std::nullopt; }
  bool has_table(std::string_view t) const override { return t == "t"; }
};

Result<Mutation> parse(const std::string& text) { return parse_mutation(Json::parse(text), OneTable{}, ParseLimits{}); }

void expect_error(const std::string& text, const std::string& path, ErrorCode code = ErrorCode::invalid_query) {
  auto m = parse(text);
  CAPTURE(text);
  REQUIRE_FALSE(m.ok());
  CHECK(m.error().code == code);
  CHECK(m.error().path == path);
}

}  // namespace

TEST_CASE("parse_mutation: the forms of protocol.md section 5") {
  auto one = parse(R"({"op":"insert","table":"t","values":{"a":1},"returning":true})");
  REQUIRE(one.ok());
  CHECK(one->ops[0].values.size() == 1);
  CHECK(one->ops[0].returning.enabled);
  auto many = parse(R"({"op":"insert","table":"t","values":[{"a":1},{"a":2}],"onConflict":{"target":["a"],"do":"update","set":{"b":1}}})");
  REQUIRE(many.ok());
  CHECK(many->ops[0].value_paths[1] == "/values/1");
  CHECK(many->ops[0].on_conflict->do_update);
  auto upd = parse(R"({"op":"update","table":"t","set":{"a":5,"b":{"$unset":true}},"where":{},"returning":{"a":true}})");
  REQUIRE(upd.ok());
  CHECK_FALSE(upd->ops[0].set[1].value.has_value());
  CHECK(upd->ops[0].returning.columns.fields == std::vector<std::string>{"a"});
  auto tx = parse(R"({"op":"transaction","ops":[{"op":"delete","table":"t","where":{"a":1}},{"op":"insert","table":"t","values":{}}]})");
  REQUIRE(tx.ok());
  CHECK(tx->transaction);
  CHECK(tx->ops[1].path == "/ops/1");
}

TEST_CASE("parse_mutation: errors name their part") {
  expect_error(R"({"op":"upsert","table":"t"})", "/op");
  expect_error(R"({"op":"insert","table":"nope","values":{}})", "/table");
  expect_error(R"({"op":"insert","table":"t"})", "/values");
  expect_error(R"({"op":"insert","table":"t","values":[]})", "/values");
  expect_error(R"({"op":"insert","table":"t","values":[{"a":1},3]})", "/values/1", ErrorCode::invalid_value);
  expect_error(R"({"op":"insert","table":"t","values":{"$a":1}})", "/values/$a", ErrorCode::invalid_value);
  expect_error(R"({"op":"insert","table":"t","values":{},"set":{"a":1}})", "/set");
  expect_error(R"({"op":"insert","table":"t","values":{},"onConflict":{"do":"nothing"}})", "/onConflict/target");
  expect_error(R"({"op":"insert","table":"t","values":{},"onConflict":{"target":"a","do":"replace"}})", "/onConflict/do");
  expect_error(R"({"op":"insert","table":"t","values":{},"onConflict":{"target":"a","do":"update"}})", "/onConflict/set");
  expect_error(R"({"op":"update","table":"t","where":{}})", "/set");
  expect_error(R"({"op":"update","table":"t","set":{"a":1}})", "/where");
  expect_error(R"({"op":"update","table":"t","set":{"a":{"$unset":false}},"where":{}})", "/set/a/$unset");
  expect_error(R"({"op":"delete","table":"t"})", "/where");
  expect_error(R"({"op":"delete","table":"t","where":{},"returning":"yes"})", "/returning");
  expect_error(R"({"op":"transaction","ops":[]})", "/ops");
  expect_error(R"({"op":"transaction","ops":[{"op":"delete","table":"t"}]})", "/ops/0/where");
  expect_error(R"({"op":"transaction","ops":[{"op":"transaction","ops":[]}]})", "/ops/0/op");
  expect_error(R"({"op":"transaction","ops":[],"extra":1})", "/extra");
}
