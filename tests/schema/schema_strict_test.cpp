// The schema loader refuses what it does not know (protocol.md section 8):
// every unknown key, with its JSON Pointer; and loads defaults, onUpdate,
// integer fields and required one relations.
#include <doctest/doctest.h>

#include "server/schema/field_default.hpp"
#include "server/schema/load.hpp"
#include "server/schema/schema_json.hpp"
#include "server/schema/validate.hpp"
#include "tests/source_dir.hpp"

using namespace dc;

namespace {

// A users table whose fields are `fields` (the documentType's value), plus a posts table referencing it.
Json schema_with(const std::string& fields) {
  return Json::parse(R"({"tables":{
    "users":{"documentType":{"type":"object","value":)" + fields + R"(},"indexes":[],"searchIndexes":[]},
    "posts":{"documentType":{"type":"object","value":{"authorId":{"fieldType":{"type":"id","tableName":"users"},"optional":false}}},
             "indexes":[{"indexDescriptor":"by_author","fields":["authorId"]}],"searchIndexes":[]}}})");
}

const char* kName = R"({"name":{"fieldType":{"type":"string"},"optional":false}})";

// Loads `j` and returns the error's pointer ("" when it loaded).
std::string refused_at(const Json& j) {
  auto s = load_schema(j);
  if (s.ok()) return "";
  CHECK(s.error().code == ErrorCode::invalid_query);
  return s.error().path.value_or("(no path)");
}

}  // namespace

TEST_CASE("strict schema: unknown keys are refused with their pointer, at every level") {
  Json j = schema_with(kName);
  CHECK(refused_at(j) == "");

  Json top = j;
  top["relation"] = Json::object();  // misspelt "relations"
  CHECK(refused_at(top) == "/relation");

  Json indexs = j;
  indexs["tables"]["posts"]["indexs"] = indexs["tables"]["posts"]["indexes"];
  CHECK(refused_at(indexs) == "/tables/posts/indexs");

  Json fields = j;  // "fields" for "documentType" must not become "any document"
  fields["tables"]["users"]["fields"] = fields["tables"]["users"]["documentType"];
  fields["tables"]["users"].erase("documentType");
  CHECK(refused_at(fields) == "/tables/users/fields");

  Json index_key = j;
  index_key["tables"]["posts"]["indexes"][0]["field"] = Json::array({"authorId"});
  CHECK(refused_at(index_key) == "/tables/posts/indexes/0/field");

  Json search_key = j;
  search_key["tables"]["users"]["searchIndexes"] = Json::parse(R"([{"indexDescriptor":"s","searchField":"name","filterField":[]}])");
  CHECK(refused_at(search_key) == "/tables/users/searchIndexes/0/filterField");

  Json field_key = schema_with(R"({"name":{"fieldType":{"type":"string"},"optinal":true}})");
  CHECK(refused_at(field_key) == "/tables/users/documentType/value/name/optinal");

  Json validator_key = schema_with(R"({"name":{"fieldType":{"type":"string","tableName":"x","min":1},"optional":false}})");
  CHECK(refused_at(validator_key) == "/tables/users/documentType/value/name/fieldType/min");

  Json nested = schema_with(
      R"({"address":{"fieldType":{"type":"object","value":{"city":{"fieldType":{"type":"string"},"optionl":false}}},"optional":true}})");
  CHECK(refused_at(nested) == "/tables/users/documentType/value/address/fieldType/value/city/optionl");

  Json record_values = schema_with(
      R"({"tags":{"fieldType":{"type":"record","keys":{"type":"string"},"values":{"fieldType":{"type":"string"},"optional":false,"x":1}},"optional":false}})");
  CHECK(refused_at(record_values) == "/tables/users/documentType/value/tags/fieldType/values/x");

  Json relation_key = j;
  relation_key["relations"]["posts"]["author"] = Json{{"one", "users"}, {"from", "authorId"}, {"ondelete", "cascade"}};
  CHECK(refused_at(relation_key) == "/relations/posts/author/ondelete");

  Json through_key = j;
  through_key["relations"]["users"]["coauthors"] =
      Json::parse(R"({"many":"users","through":{"table":"posts","from":"authorId","to":"authorId","via":1}})");
  CHECK(refused_at(through_key) == "/relations/users/coauthors/through/via");

  Json vector_key = j;
  vector_key["tables"]["users"]["vectorIndexes"] = Json::parse(R"([{"indexDescriptor":"v","vectorField":"e","dimension":3}])");
  CHECK(refused_at(vector_key) == "/tables/users/vectorIndexes/0/dimension");
}

TEST_CASE("strict schema: Convex's own export loads, every key it writes included") {
  // The shape of SchemaDefinition.export() in convex 1.x.
  Json j = Json::parse(R"({"tables":[{"tableName":"users",
      "indexes":[{"indexDescriptor":"by_name","fields":["name"]}],"stagedDbIndexes":[],
      "searchIndexes":[],"stagedSearchIndexes":[],"vectorIndexes":[],"stagedVectorIndexes":[],
      "documentType":{"type":"object","value":{"name":{"fieldType":{"type":"string"},"optional":false}}}}],
      "schemaValidation":true})");
  CHECK(refused_at(j) == "");
}

TEST_CASE("strict schema: a relation named _count is reserved") {
  Json j = schema_with(kName);
  j["relations"]["users"]["_count"] = Json{{"many", "posts"}, {"from", "_id"}, {"to", "authorId"}};
  CHECK(refused_at(j) == "/relations/users/_count");
}

TEST_CASE("defaults: literals and functions load, are checked against their field, and print back") {
  Json j = schema_with(R"({
    "name":{"fieldType":{"type":"string"},"optional":false},
    "role":{"fieldType":{"type":"string"},"optional":false,"default":"member"},
    "credits":{"fieldType":{"type":"bigint"},"optional":false,"default":5},
    "createdAt":{"fieldType":{"type":"number"},"optional":false,"default":{"$fn":"now"}},
    "token":{"fieldType":{"type":"string"},"optional":false,"default":{"$fn":"uuid"}},
    "updatedAt":{"fieldType":{"type":"number"},"optional":true,"onUpdate":{"$fn":"now"}},
    "age":{"fieldType":{"type":"union","value":[{"type":"number"},{"type":"null"}]},"optional":true,"integer":true}})");
  auto s = load_schema(j);
  REQUIRE(s.ok());
  const TableDef& users = *s->table("users");
  auto field = [&](std::string_view name) {
    for (const auto& f : users.top_fields()) {
      if (f.name == name) return &f;
    }
    return static_cast<const FieldDef*>(nullptr);
  };
  REQUIRE(field("role")->default_value);
  CHECK(field("role")->default_value->literal == Value("member"));
  // A JSON number for an int64 field is read as the int64 the validator wants.
  CHECK(field("credits")->default_value->literal == Value(int64_t{5}));
  CHECK(field("createdAt")->default_value->kind == FieldDefault::Kind::now);
  CHECK(field("token")->default_value->kind == FieldDefault::Kind::uuid);
  CHECK(field("updatedAt")->on_update->kind == FieldDefault::Kind::now);
  CHECK_FALSE(field("updatedAt")->default_value);
  CHECK(users.field_type("age")->integer == false);  // the union; its number member is marked
  Value whole(3.0), half(3.5);
  CHECK(validate_assignment(users, "age", &whole, "/set/age").ok());
  auto refused = validate_assignment(users, "age", &half, "/set/age");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().path == "/set/age");
  // Filters compare integer fields with any number (SQL's int_col > 1.5).
  CHECK(users.field_type("age")->accepts(Value(3.5)));

  Json out = schema_to_json(*s);
  const Json& value = out["tables"]["users"]["documentType"]["value"];
  CHECK(value["role"]["default"] == "member");
  CHECK(value["createdAt"]["default"] == Json{{"$fn", "now"}});
  CHECK(value["updatedAt"]["onUpdate"] == Json{{"$fn", "now"}});
  CHECK(value["age"]["integer"] == true);
  CHECK_FALSE(value["name"].contains("default"));
  CHECK_FALSE(value["name"].contains("integer"));
  auto again = load_schema(out);
  REQUIRE(again.ok());
  CHECK(schema_to_json(*again) == out);
}

TEST_CASE("defaults: a default that does not fit its field, or sits below the top level, is refused with its pointer") {
  CHECK(refused_at(schema_with(R"({"role":{"fieldType":{"type":"string"},"optional":false,"default":3}})")) ==
        "/tables/users/documentType/value/role/default");
  CHECK(refused_at(schema_with(R"({"n":{"fieldType":{"type":"string"},"optional":false,"default":{"$fn":"now"}}})")) ==
        "/tables/users/documentType/value/n/default");
  CHECK(refused_at(schema_with(R"({"n":{"fieldType":{"type":"number"},"optional":false,"onUpdate":{"$fn":"uuid"}}})")) ==
        "/tables/users/documentType/value/n/onUpdate");
  CHECK(refused_at(schema_with(R"({"n":{"fieldType":{"type":"number"},"optional":false,"default":{"$fn":"today"}}})")) ==
        "/tables/users/documentType/value/n/default/$fn");
  CHECK(refused_at(schema_with(R"({"n":{"fieldType":{"type":"number"},"optional":false,"default":2.5,"integer":true}})")) ==
        "/tables/users/documentType/value/n/default");
  CHECK(refused_at(schema_with(R"({"role":{"fieldType":{"type":"literal","value":"a"},"optional":false,"default":"b"}})")) ==
        "/tables/users/documentType/value/role/default");
  CHECK(refused_at(schema_with(
            R"({"a":{"fieldType":{"type":"object","value":{"b":{"fieldType":{"type":"string"},"optional":false,"default":"x"}}},"optional":false}})")) ==
        "/tables/users/documentType/value/a/fieldType/value/b/default");
  CHECK(refused_at(schema_with(R"({"s":{"fieldType":{"type":"string"},"optional":false,"integer":true}})")) ==
        "/tables/users/documentType/value/s/integer");
}

TEST_CASE("relations: optional false on a one relation loads and prints; on a many it is refused") {
  Json j = schema_with(kName);
  j["relations"]["posts"]["author"] = Json{{"one", "users"}, {"from", "authorId"}, {"optional", false}};
  auto s = load_schema(j);
  REQUIRE(s.ok());
  CHECK_FALSE(s->relation("posts", "author")->optional);
  Json out = schema_to_json(*s);
  CHECK(out["relations"]["posts"]["author"]["optional"] == false);
  auto again = load_schema(out);
  REQUIRE(again.ok());
  CHECK(schema_to_json(*again) == out);

  Json many = schema_with(kName);
  many["relations"]["users"]["posts"] = Json{{"many", "posts"}, {"to", "authorId"}, {"optional", false}};
  CHECK(refused_at(many) == "/relations/users/posts/optional");

  // Where null is a normal answer, "never null" is refused: a where, or a nullable or optional key.
  Json with_where = schema_with(kName);
  with_where["relations"]["posts"]["author"] = Json{{"one", "users"}, {"from", "authorId"}, {"optional", false}, {"where", {{"name", "x"}}}};
  CHECK(refused_at(with_where) == "/relations/posts/author/optional");
  Json nullable = schema_with(R"({"name":{"fieldType":{"type":"string"},"optional":false},
    "bestFriendId":{"fieldType":{"type":"union","value":[{"type":"id","tableName":"users"},{"type":"null"}]},"optional":false}})");
  nullable["relations"]["users"]["bestFriend"] = Json{{"one", "users"}, {"from", "bestFriendId"}, {"optional", false}};
  CHECK(refused_at(nullable) == "/relations/users/bestFriend/optional");
  Json optional_key = schema_with(R"({"name":{"fieldType":{"type":"string"},"optional":false},
    "mentorId":{"fieldType":{"type":"id","tableName":"users"},"optional":true}})");
  optional_key["relations"]["users"]["mentor"] = Json{{"one", "users"}, {"from", "mentorId"}, {"optional", false}};
  CHECK(refused_at(optional_key) == "/relations/users/mentor/optional");
}

TEST_CASE("strict schema: /v1/schema's output of every fixture, inferred relations included, loads back unchanged") {
  for (const char* fixture : {"blog", "org"}) {
    CAPTURE(fixture);
    auto s = load_schema_file(dc::testing::source_dir() + "/tests/conformance/fixtures/" + fixture + "/schema.json");
    REQUIRE(s.ok());
    Json once = schema_to_json(*s);
    auto again = load_schema(once);
    REQUIRE(again.ok());
    CHECK(schema_to_json(*again) == once);
  }
  Json inferred = schema_with(kName);  // posts.author and users.posts are inferred
  auto s = load_schema(inferred);
  REQUIRE(s.ok());
  Json once = schema_to_json(*s);
  CHECK(once["relations"]["posts"]["author"]["inferred"] == true);
  auto again = load_schema(once);
  REQUIRE(again.ok());
  CHECK(schema_to_json(*again) == once);
}

TEST_CASE("defaults: now is one value per request clock, uuid a fresh v4 each time") {
  DefaultClock clock = request_clock();
  FieldDefault now{FieldDefault::Kind::now, Value()};
  CHECK(evaluate(now, clock) == evaluate(now, clock));
  CHECK(evaluate(now, clock).as_float64() > 1.7e12);
  FieldDefault uuid{FieldDefault::Kind::uuid, Value()};
  std::string a = evaluate(uuid, clock).as_string();
  std::string b = evaluate(uuid, clock).as_string();
  CHECK(a != b);
  REQUIRE(a.size() == 36);
  CHECK(a[14] == '4');
  CHECK((a[19] == '8' || a[19] == '9' || a[19] == 'a' || a[19] == 'b'));
}
