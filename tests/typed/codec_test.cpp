// The typed API without a server: generated codecs read what the wire says
// (and refuse what does not fit, with the JSON Pointer of the misfit), typed
// builders write the JSON the untyped builder would, and codegen names
// things as C++ allows. Uses the golden headers of the blog fixture and of
// tests/typed/edge, and of the accounts fixture (defaults, a required relation).
#include <doctest/doctest.h>

#include "accounts.hpp"
#include "blog.hpp"
#include "client/dcq/codegen.hpp"
#include "edge.hpp"
#include "server/schema/load.hpp"
#include "tests/source_dir.hpp"

using drizzle_convex::Json;
using namespace drizzle_convex::typed;

namespace {

template <class T>
T decoded(const Json& j) {
  T out{};
  codec<T>::decode(j, out, Path{});
  return out;
}

template <class T>
std::string refusal(const Json& j) {
  try {
    decoded<T>(j);
  } catch (const DecodeError& e) {
    return e.what();
  }
  return "(accepted)";
}

Json ada() {
  return Json::parse(R"({"_id":"u1","_creationTime":1000,"name":"Ada","email":"ada@x.io","role":"admin","credits":120,
    "nickname":null,"address":{"city":"Paris","country":"FR"},"langs":["c","cpp"],"balance":{"$integer":"6AMAAAAAAAA="},"code":5})");
}

}  // namespace

TEST_CASE("a whole row decodes field by field, and encodes back to the same JSON") {
  blog::users_row r = decoded<blog::users_row>(ada());
  CHECK(r._id == Id<blog::users_table>("u1"));
  CHECK(r.role == blog::users_role::admin);
  CHECK(r.balance == std::int64_t{1000});
  REQUIRE(r.nickname.has_value());  // present: null
  CHECK_FALSE(r.nickname->has_value());
  CHECK_FALSE(r.score.has_value());  // missing
  CHECK(std::get<double>(*r.code) == 5);
  CHECK(r.address->country == "FR");
  Json back = codec<blog::users_row>::encode(r);
  CHECK(back == ada());
  CHECK(decoded<blog::users_row>(back) == r);
}

TEST_CASE("what does not fit is refused with the pointer of the value") {
  Json j = ada();
  j.erase("email");
  CHECK(refusal<blog::users_row>(j) == "missing field at /email");
  j = ada();
  j["role"] = "boss";
  CHECK(refusal<blog::users_row>(j) == R"(expected one of "admin", "editor", "member", got "boss" at /role)");
  j = ada();
  j["langs"][1] = 7;
  CHECK(refusal<blog::users_row>(j) == "expected a string, got 7 at /langs/1");
  j = ada();
  j["address"]["city"] = nullptr;
  CHECK(refusal<blog::users_row>(j) == "expected a string, got null at /address/city");
  j = ada();
  j["balance"] = 1000;  // an int64 is never a plain number on the wire
  CHECK(refusal<blog::users_row>(j).starts_with("expected an int64"));
  j = ada();
  j["code"] = true;
  CHECK(refusal<blog::users_row>(j) == "expected a value of one of the union's types, got true at /code");
  CHECK(refusal<std::map<std::string, double>>(Json{{"a/b~c", "x"}}) == R"(expected a number, got "x" at /a~1b~0c)");
}

TEST_CASE("a typed read's answer that does not fit is a BAD_ANSWER, not an exception") {
  blog::Db db;
  auto q = db.users.find_many(columns(blog::users.name));
  auto good = decltype(q)::decode(Json::parse(R"([{"name":"Ada"}])"));
  REQUIRE(good.ok());
  CHECK(good->at(0).name == "Ada");
  auto bad = decltype(q)::decode(Json::parse(R"([{"name":"Ada"},{"name":3}])"));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == "BAD_ANSWER");
  CHECK(bad.error().kind == drizzle_convex::Error::Kind::protocol);
  CHECK(bad.error().message == "the answer does not fit the generated types: expected a string, got 3 at /1/name");
  auto count = db.users.count();
  CHECK(*decltype(count)::decode(Json{{"count", 8}}) == 8);
  CHECK_FALSE(decltype(count)::decode(Json{{"count", "8"}}).ok());
}

TEST_CASE("typed builders write the untyped builder's JSON") {
  using namespace blog;
  Db db;
  drizzle_convex::Db raw;
  auto typed = db.users.find_many(columns(users.name), with(users.posts(where(eq(posts.published, true)), limit(5))),
                                  where(and_(eq(users.role, users_role::admin), gt(users.credits, 100))), order_by(desc(users.credits)),
                                  limit(10), offset(5));
  auto untyped = raw.query("users").find_many(
      {.columns = drizzle_convex::include({"name"}),
       .where = drizzle_convex::and_(drizzle_convex::eq("role", "admin"), drizzle_convex::gt("credits", 100.0)),
       .with = {{"posts", {.where = drizzle_convex::eq("published", true), .limit = 5}}},
       .limit = 10,
       .offset = 5,
       .order_by = {drizzle_convex::desc("credits")}});
  CHECK(typed.json() == untyped.json());

  auto ins = db.users.insert(users_insert{.name = "A", .email = "a@x", .role = users_role::member, .credits = 1,
                                          .nickname = std::optional<std::string>(), .langs = std::vector<std::string>{},
                                          .balance = std::int64_t{1}});
  CHECK(ins.json()["values"] == Json::parse(R"({"name":"A","email":"a@x","role":"member","credits":1.0,"nickname":null,
    "langs":[],"balance":{"$integer":"AQAAAAAAAAA="}})"));
  auto upd = db.users.update().set(users.nickname = undefined, users.role = users_role::editor).where(every_row(users));
  CHECK(upd.json()["set"] == Json::parse(R"({"nickname":{"$unset":true},"role":"editor"})"));
  CHECK(upd.json()["where"] == Json::object());
}

TEST_CASE("the edge schema: keywords, bytes, records, unions, a union document") {
  using namespace edge;
  Json j = Json::parse(R"({"_id":"d1","_creationTime":1,"class":"x","first-name":"Y","blob":{"$bytes":"AAH/"},
    "counts":{"a":{"$integer":"AgAAAAAAAAA="}},"level":3,"state":"2fa","shape":{"w":2},"ownerId":"o1"})");
  delete_row d = decoded<delete_row>(j);
  CHECK(d.class_ == "x");
  CHECK(d.first_name == std::optional<std::string>("Y"));
  CHECK(d.blob == std::vector<std::byte>{std::byte{0}, std::byte{1}, std::byte{0xff}});
  CHECK(d.counts.at("a") == 2);
  CHECK(d.state == std::optional<delete_state>(delete_state::_2fa));
  CHECK(std::get<delete_shape_1>(d.shape).w == 2);
  CHECK(d.ownerId == std::optional<Id<owners_table>>(Id<owners_table>("o1")));
  CHECK(codec<delete_row>::encode(d) == j);
  j["shape"] = "round";
  CHECK(std::get<std::string>(decoded<delete_row>(j).shape) == "round");

  owners_row team = decoded<owners_row>(Json::parse(R"({"_id":"o1","_creationTime":1,"kind":"team","name":"T","members":[1,2]})"));
  CHECK(team.kind == owners_kind::team);
  CHECK(team.members == std::optional<std::vector<double>>(std::vector<double>{1, 2}));
  owners_row person = decoded<owners_row>(Json::parse(R"({"_id":"o2","_creationTime":1,"kind":"person","name":"P"})"));
  CHECK(person.kind == owners_kind::person);
  CHECK_FALSE(person.members.has_value());
  // The inferred relations (ownerId → owner, and its inverse on owners) are typed too.
  static_assert(std::is_same_v<decltype(delete_table::owner)::_target, owners_table>);
  static_assert(decltype(owners_table::delete_)::_many);
}

TEST_CASE("codegen: identifiers C++ accepts, and the same text every time") {
  CHECK(dcq::cpp_identifier("class") == "class_");
  CHECK(dcq::cpp_identifier("first-name") == "first_name");
  CHECK(dcq::cpp_identifier("2fa") == "_2fa");
  CHECK(dcq::cpp_identifier("Émilie") == "_milie");
  CHECK(dcq::cpp_identifier("a--b") == "a_b");
  CHECK(dcq::cpp_identifier("") == "_");
  auto schema = dc::load_schema_file(dc::testing::source_dir() + "/tests/typed/edge/schema.json");
  REQUIRE(schema.ok());
  std::string a = dcq::generate_header(*schema, {.namespace_name = "edge", .source = "schema.json"});
  CHECK(a == dcq::generate_header(*schema, {.namespace_name = "edge", .source = "schema.json"}));
  CHECK(a.find("__table") == std::string::npos);  // delete_ + table, never a reserved double underscore
}

TEST_CASE("defaults make insert fields optional; a one relation declared optional: false is a row, never null") {
  using namespace accounts;
  Db db;
  // Only `name` has neither a default nor optionality: the rest may be left to the server.
  auto ins = db.accounts.insert(accounts_insert{.name = "cy"});
  CHECK(ins.json()["values"] == Json::parse(R"({"name":"cy"})"));
  auto given = db.accounts.insert(accounts_insert{.name = "dee", .role = std::string("editor"), .credits = 7.0});
  CHECK(given.json()["values"] == Json::parse(R"({"name":"dee","role":"editor","credits":7.0})"));

  using account_with = decltype(notes.account());
  static_assert(std::is_same_v<account_with::_member_type, account_with::_row>, "a required one relation is not optional");
  using note_row = extended<notes_row, account_with>;
  Json answer = Json::parse(R"({"_id":"n1","_creationTime":3,"accountId":"a1","text":"hi","at":3000,"authorName":"ada",
    "account":{"_id":"a1","_creationTime":1,"name":"ada","role":"admin","plan":"pro","credits":10,"createdAt":1000,"token":"t"}})");
  CHECK(decoded<note_row>(answer).account.name == "ada");
  answer["account"] = nullptr;
  CHECK(refusal<note_row>(answer).find("/account") != std::string::npos);
}
