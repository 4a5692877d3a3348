#include <doctest/doctest.h>

#include "server/schema/load.hpp"
#include "server/schema/schema_json.hpp"
#include "tests/source_dir.hpp"

using namespace dc;

namespace {

Json table(const std::string& fields) {
  return Json::parse(R"({"documentType":{"type":"object","value":)" + fields + R"(},"indexes":[],"searchIndexes":[]})");
}

}  // namespace

TEST_CASE("schema: relations are inferred from v.id fields when none are declared") {
  Json j;
  j["tables"]["users"] = table(R"({"name":{"fieldType":{"type":"string"},"optional":false}})");
  j["tables"]["posts"] = table(R"({"authorId":{"fieldType":{"type":"id","tableName":"users"},"optional":false}})");
  auto s = load_schema(j);
  REQUIRE(s.ok());
  const RelationDef* author = s->relation("posts", "author");
  REQUIRE(author != nullptr);
  CHECK_FALSE(author->many);
  CHECK(author->target == "users");
  CHECK(author->from == FieldList{"authorId"});
  CHECK(author->to == FieldList{"_id"});
  CHECK(author->inferred);
  const RelationDef* posts = s->relation("users", "posts");
  REQUIRE(posts != nullptr);
  CHECK(posts->many);
  CHECK(posts->to == FieldList{"authorId"});
}

TEST_CASE("schema: an ambiguous inverse is not inferred") {
  Json j;
  j["tables"]["users"] = table(R"({})");
  j["tables"]["messages"] = table(
      R"({"fromId":{"fieldType":{"type":"id","tableName":"users"},"optional":false},
          "toId":{"fieldType":{"type":"id","tableName":"users"},"optional":true}})");
  auto s = load_schema(j);
  REQUIRE(s.ok());
  CHECK(s->relation("messages", "from") != nullptr);
  CHECK(s->relation("messages", "to") != nullptr);
  CHECK(s->relation("users", "messages") == nullptr);
}

TEST_CASE("schema: a declared relation stops inference for its field") {
  Json j;
  j["tables"]["users"] = table(R"({})");
  j["tables"]["posts"] = table(R"({"authorId":{"fieldType":{"type":"id","tableName":"users"},"optional":false}})");
  j["relations"]["posts"]["writer"] = Json{{"one", "users"}, {"from", "authorId"}, {"to", "_id"}};
  auto s = load_schema(j);
  REQUIRE(s.ok());
  CHECK(s->relation("posts", "writer") != nullptr);
  CHECK(s->relation("posts", "author") == nullptr);
}

TEST_CASE("schema: errors point into the schema document") {
  Json j;
  j["tables"]["users"] = Json::parse(
      R"({"documentType":{"type":"object","value":{"a":{"fieldType":{"type":"string"},"optional":false}}},
          "indexes":[{"indexDescriptor":"by_b","fields":["b"]}]})");
  auto s = load_schema(j);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().path == "/tables/users/indexes/0/fields/0");

  Json k;
  k["tables"]["users"] = table(R"({"a":{"fieldType":{"type":"strin"},"optional":false}})");
  auto t = load_schema(k);
  REQUIRE_FALSE(t.ok());
  CHECK(t.error().path == "/tables/users/documentType/value/a/fieldType/type");

  Json r;
  r["tables"]["users"] = table(R"({})");
  r["relations"]["users"]["friends"] = Json{{"many", "people"}};
  auto u = load_schema(r);
  REQUIRE_FALSE(u.ok());
  CHECK(u.error().path == "/relations/users/friends/many");
}

TEST_CASE("schema: field types through nested objects and unions; system fields") {
  Json j;
  j["tables"]["users"] = table(
      R"({"address":{"fieldType":{"type":"object","value":{"city":{"fieldType":{"type":"string"},"optional":false}}},"optional":true},
          "n":{"fieldType":{"type":"union","value":[{"type":"number"},{"type":"null"}]},"optional":false}})");
  auto s = load_schema(j);
  REQUIRE(s.ok());
  const TableDef* t = s->table("users");
  bool optional = false;
  const Validator* city = t->field_type("address.city", &optional);
  REQUIRE(city != nullptr);
  CHECK(city->kind == Validator::Kind::string);
  CHECK(optional);  // its parent object is optional
  CHECK(t->field_type("address.zip") == nullptr);
  CHECK(t->field_type("n")->admits_kind(Value::Kind::null));
  CHECK(t->field_type("_id")->kind == Validator::Kind::id);
  CHECK(t->field_type("_creationTime")->kind == Validator::Kind::float64);
  CHECK(t->index("by_creation_time") != nullptr);
}

TEST_CASE("schema: the exported JSON loads back to the same schema") {
  auto s = load_schema_file(dc::testing::source_dir() + "/tests/conformance/fixtures/blog/schema.json");
  REQUIRE(s.ok());
  Json once = schema_to_json(*s);
  auto again = load_schema(once);
  REQUIRE(again.ok());
  CHECK(schema_to_json(*again) == once);
  CHECK(once["relations"]["posts"]["tags"]["through"]["table"] == "postTags");
}

TEST_CASE("validators: accepts checks types, optional fields and literals") {
  auto v = validator_from_json(Json::parse(
      R"({"type":"object","value":{"role":{"fieldType":{"type":"literal","value":"admin"},"optional":false},
                                   "n":{"fieldType":{"type":"bigint"},"optional":true}}})"), "");
  REQUIRE(v.ok());
  CHECK(v->accepts(Value(Object{{"role", Value("admin")}})));
  CHECK_FALSE(v->accepts(Value(Object{{"role", Value("user")}})));
  CHECK_FALSE(v->accepts(Value(Object{{"role", Value("admin")}, {"n", Value(1.0)}})));
  CHECK(v->accepts(Value(Object{{"role", Value("admin")}, {"n", Value(int64_t{1})}})));
  CHECK_FALSE(v->accepts(Value(Object{{"role", Value("admin")}, {"extra", Value(1.0)}})));
}

// A schema may come from Convex's describe: a wrong type there threw out of loading (std::terminate).
TEST_CASE("schema: a value of the wrong type anywhere is a schema error, never an exception") {
  for (const char* text : {R"({"tables":{"t":{"documentType":{"type":"object","value":{"a":{"fieldType":{"type":"string"},"optional":"yes"}}}}}})",
                           R"({"tables":{"t":{"documentType":{"type":"any"}}},"relations":{"t":{"r":{"one":"t","from":7}}}})"}) {
    std::string shown = text;
    CAPTURE(shown);
    Result<Schema> s = Error{ErrorCode::internal, "", std::nullopt};
    CHECK_NOTHROW(s = load_schema(Json::parse(text)));
    CHECK_FALSE(s.ok());
  }
}

TEST_CASE("schema: a relation's where is checked against the target table at load") {
  Json j;
  j["tables"]["users"] = table(R"({})");
  j["tables"]["posts"] = table(
      R"({"authorId":{"fieldType":{"type":"id","tableName":"users"},"optional":false},
          "published":{"fieldType":{"type":"boolean"},"optional":false}})");
  j["relations"]["users"]["published"] =
      Json{{"many", "posts"}, {"from", "_id"}, {"to", "authorId"}, {"where", Json{{"published", true}}}};
  auto s = load_schema(j);
  REQUIRE(s.ok());
  const RelationDef* rel = s->relation("users", "published");
  REQUIRE(rel->where.has_value());
  CHECK(rel->where->kind == FilterNode::Kind::cmp);
  CHECK(rel->where->path == "/relations/users/published/where/published");
  CHECK(schema_to_json(*s)["relations"]["users"]["published"]["where"] == Json{{"published", true}});

  auto refused = [&](const Json& where, const std::string& path) {
    Json k = j;
    k["relations"]["users"]["published"]["where"] = where;
    auto t = load_schema(k);
    CAPTURE(where.dump());
    REQUIRE_FALSE(t.ok());
    CHECK(t.error().path == path);
  };
  refused(Json{{"title", "x"}}, "/relations/users/published/where/title");                     // not a field of posts
  refused(Json{{"published", "yes"}}, "/relations/users/published/where/published");           // wrong type
  refused(Json{{"published", Json{{"bogus", 1}}}}, "/relations/users/published/where/published/bogus");
  refused(Json{{"writer", true}}, "/relations/users/published/where/writer");                   // neither a column nor a relation of posts
  // A where that uses its own relation again (through posts.author) would be planned without end.
  refused(Json{{"author", Json{{"published", Json::object()}}}}, "/relations/users/published/where");

  Json nested = j;
  nested["relations"]["users"]["published"]["where"] = Json{{"published", true}, {"author", true}};  // posts.author is inferred
  auto n = load_schema(nested);
  REQUIRE_MESSAGE(n.ok(), (n.ok() ? "" : n.error().message));
  const FilterNode& w = *n->relation("users", "published")->where;
  REQUIRE(w.kind == FilterNode::Kind::and_);
  CHECK(w.children[1].kind == FilterNode::Kind::relation);
  refused(Json::array(), "/relations/users/published/where");

  Json several = j;
  several["relations"]["users"]["published"]["to"] = Json::array({"authorId", "published"});
  auto t = load_schema(several);
  REQUIRE_FALSE(t.ok());
  CHECK(t.error().path == "/relations/users/published/to");
  CHECK(t.error().message.find("as many fields") != std::string::npos);
}

TEST_CASE("schema: relations over several fields are matched pairwise, checked at load") {
  Json j;
  j["tables"]["regions"] = table(
      R"({"country":{"fieldType":{"type":"string"},"optional":false},"code":{"fieldType":{"type":"string"},"optional":false}})");
  j["tables"]["offices"] = table(
      R"({"country":{"fieldType":{"type":"string"},"optional":false},"regionCode":{"fieldType":{"type":"string"},"optional":false}})");
  j["tables"]["links"] = table(
      R"({"a":{"fieldType":{"type":"string"},"optional":false},"b":{"fieldType":{"type":"string"},"optional":false},
          "c":{"fieldType":{"type":"string"},"optional":false},"d":{"fieldType":{"type":"string"},"optional":false}})");
  j["relations"]["offices"]["region"] = Json::parse(R"({"one":"regions","from":["country","regionCode"],"to":["country","code"]})");
  j["relations"]["regions"]["linked"] =
      Json::parse(R"({"many":"regions","from":["country","code"],"to":["country","code"],"through":{"table":"links","from":["a","b"],"to":["c","d"]}})");
  auto s = load_schema(j);
  REQUIRE(s.ok());
  CHECK(s->relation("offices", "region")->from == FieldList{"country", "regionCode"});
  CHECK(s->relation("regions", "linked")->through->to == FieldList{"c", "d"});
  Json out = schema_to_json(*s);
  CHECK(out["relations"]["offices"]["region"]["to"] == Json::array({"country", "code"}));
  auto again = load_schema(out);
  REQUIRE(again.ok());
  CHECK(schema_to_json(*again) == out);

  auto refused = [&](const std::string& table, const std::string& name, const std::string& def, const std::string& path) {
    Json k = j;
    k["relations"][table][name] = Json::parse(def);
    auto t = load_schema(k);
    CAPTURE(def);
    REQUIRE_FALSE(t.ok());
    CHECK(t.error().path == path);
  };
  refused("offices", "region", R"({"one":"regions","from":["country","regionCode"],"to":["code"]})", "/relations/offices/region/to");
  refused("offices", "region", R"({"one":"regions","from":["country","nope"],"to":["country","code"]})", "/relations/offices/region/from/1");
  refused("offices", "region", R"({"one":"regions","from":[],"to":[]})", "/relations/offices/region/from");
  refused("offices", "region", R"({"one":"regions","from":["country","country"],"to":["country","code"]})", "/relations/offices/region/from/1");
  refused("offices", "region", R"({"one":"regions","from":["country",3],"to":["country","code"]})", "/relations/offices/region/from/1");
  refused("offices", "region", R"({"one":"regions","from":["country","regionCode"],"to":["country","code"],"onDelete":"cascade"})",
          "/relations/offices/region/onDelete");
  refused("regions", "linked",
          R"({"many":"regions","from":["country","code"],"to":["country","code"],"through":{"table":"links","from":["a"],"to":["c","d"]}})",
          "/relations/regions/linked/through/from");
}
