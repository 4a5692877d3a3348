#include <doctest/doctest.h>

#include "protocol/live_messages.hpp"

using namespace dc;
using namespace dc::live;

namespace {

ClientMessage decode(std::string_view text) { return decode_client_message(text, ParseLimits{}); }

// The close code of a message that must be a violation.
uint16_t violation_code(std::string_view text) {
  auto m = decode(text);
  REQUIRE_MESSAGE(std::holds_alternative<Violation>(m), text);
  return std::get<Violation>(m).code;
}

std::string nested(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

}  // namespace

TEST_CASE("live codec: connection_init reads patches and token, and tolerates any payload") {
  auto m = decode(R"({"type":"connection_init","payload":{"patches":true,"token":"t0k"}})");
  REQUIRE(std::holds_alternative<ConnectionInit>(m));
  CHECK(std::get<ConnectionInit>(m).patches);
  CHECK(std::get<ConnectionInit>(m).token == "t0k");

  auto plain = decode(R"({"type":"connection_init"})");
  REQUIRE(std::holds_alternative<ConnectionInit>(plain));
  CHECK_FALSE(std::get<ConnectionInit>(plain).patches);
  CHECK_FALSE(std::get<ConnectionInit>(plain).token);

  // `patches` must be the boolean true; anything else gets full results.
  auto truthy = decode(R"({"type":"connection_init","payload":{"patches":1,"token":5}})");
  REQUIRE(std::holds_alternative<ConnectionInit>(truthy));
  CHECK_FALSE(std::get<ConnectionInit>(truthy).patches);
  CHECK_FALSE(std::get<ConnectionInit>(truthy).token);
  CHECK(std::get<ConnectionInit>(truthy).token_malformed);  // refused (4403), not anonymous
  CHECK_FALSE(std::get<ConnectionInit>(plain).token_malformed);
  for (const char* token : {"{}", "[\"t\"]", "true", "0"}) {
    auto odd = decode(std::string(R"({"type":"connection_init","payload":{"token":)") + token + "}}");
    CHECK(std::get<ConnectionInit>(odd).token_malformed);
  }
  for (const char* payload : {R"("eyJhbGciOi")", "[]", "7"}) {
    auto odd = decode(std::string(R"({"type":"connection_init","payload":)") + payload + "}");
    CHECK(std::get<ConnectionInit>(odd).token_malformed);
  }
  auto null_token = decode(R"({"type":"connection_init","payload":{"token":null}})");
  CHECK_FALSE(std::get<ConnectionInit>(null_token).token_malformed);  // null: no credentials
}

TEST_CASE("live codec: ping, pong and complete") {
  CHECK(std::holds_alternative<Ping>(decode(R"({"type":"ping"})")));
  CHECK(std::holds_alternative<Pong>(decode(R"({"type":"pong","payload":{"x":1}})")));
  auto c = decode(R"({"type":"complete","id":"q1"})");
  REQUIRE(std::holds_alternative<Complete>(c));
  CHECK(std::get<Complete>(c).id == "q1");
}

TEST_CASE("live codec: subscribe carries the query object itself, or the JSON text in `query`") {
  auto direct = decode(R"({"type":"subscribe","id":"a","payload":{"table":"users","op":"findMany"}})");
  REQUIRE(std::holds_alternative<Subscribe>(direct));
  auto& s = std::get<Subscribe>(direct);
  CHECK(s.id == "a");
  REQUIRE(s.query.ok());
  CHECK((*s.query)["table"] == "users");

  auto text = decode(R"({"type":"subscribe","id":"b","payload":{"query":"{\"table\":\"posts\",\"op\":\"count\"}","variables":{}}})");
  REQUIRE(std::holds_alternative<Subscribe>(text));
  REQUIRE(std::get<Subscribe>(text).query.ok());
  CHECK((*std::get<Subscribe>(text).query)["table"] == "posts");

  // A `query` key next to `table` is the query's own (a field of the payload), not GraphQL's text.
  auto both = decode(R"({"type":"subscribe","id":"c","payload":{"table":"users","op":"findMany","query":"x"}})");
  REQUIRE(std::holds_alternative<Subscribe>(both));
  CHECK((*std::get<Subscribe>(both).query)["op"] == "findMany");
}

TEST_CASE("live codec: a query text that is not JSON fails that subscription only") {
  auto m = decode(R"({"type":"subscribe","id":"q","payload":{"query":"{not json"}})");
  REQUIRE(std::holds_alternative<Subscribe>(m));
  auto& s = std::get<Subscribe>(m);
  CHECK(s.id == "q");
  REQUIRE_FALSE(s.query.ok());
  CHECK(s.query.error().code == ErrorCode::invalid_query);
}

TEST_CASE("live codec: every malformed message is a 4400 violation") {
  CHECK(violation_code("not json") == close_code::bad_request);
  CHECK(violation_code("") == close_code::bad_request);
  CHECK(violation_code(R"([{"type":"ping"}])") == close_code::bad_request);
  CHECK(violation_code(R"("ping")") == close_code::bad_request);
  CHECK(violation_code(R"({"id":"x"})") == close_code::bad_request);                     // no type
  CHECK(violation_code(R"({"type":7})") == close_code::bad_request);                     // type not a string
  CHECK(violation_code(R"({"type":"start","id":"x"})") == close_code::bad_request);      // unknown type (the legacy protocol's)
  CHECK(violation_code(R"({"type":"subscribe","payload":{}})") == close_code::bad_request);            // no id
  CHECK(violation_code(R"({"type":"subscribe","id":"","payload":{}})") == close_code::bad_request);    // empty id
  CHECK(violation_code(R"({"type":"subscribe","id":3,"payload":{}})") == close_code::bad_request);    // id not a string
  CHECK(violation_code(R"({"type":"subscribe","id":"x"})") == close_code::bad_request);               // no payload
  CHECK(violation_code(R"({"type":"subscribe","id":"x","payload":"q"})") == close_code::bad_request); // payload not an object
  CHECK(violation_code(R"({"type":"complete"})") == close_code::bad_request);                         // complete without id
  CHECK(violation_code(R"({"type":"complete","id":null})") == close_code::bad_request);
  CHECK(std::get<Violation>(decode("{")).reason == "Invalid message received");
}

TEST_CASE("live codec: a message nested 200,000 deep is a violation, decoded without recursion") {
  std::string deep = R"({"type":"subscribe","id":"d","payload":{"table":"users","where":)" + nested(200000) + "}}";
  CHECK(violation_code(deep) == close_code::bad_request);
  // Deep JSON hidden in the query text fails the subscription the same way, not the process.
  std::string text = R"({"type":"subscribe","id":"d","payload":{"query":")" + nested(200000) + "\"}}";
  auto m = decode(text);
  REQUIRE(std::holds_alternative<Subscribe>(m));
  CHECK_FALSE(std::get<Subscribe>(m).query.ok());
}

TEST_CASE("live codec: the query may use the whole request depth; the message object comes on top") {
  ParseLimits limits;
  limits.max_json_depth = 4;
  // payload (1) + where (2) + a nested array (3, 4): exactly the limit for the query.
  auto ok = decode_client_message(R"({"type":"subscribe","id":"x","payload":{"where":{"a":[[1]]}}})", limits);
  CHECK(std::holds_alternative<Subscribe>(ok));
  auto deep = decode_client_message(R"({"type":"subscribe","id":"x","payload":{"where":{"a":[[[1]]]}}})", limits);
  CHECK(std::holds_alternative<Violation>(deep));
}

TEST_CASE("live codec: server messages are valid JSON with ids escaped") {
  CHECK(Json::parse(encode_connection_ack()) == Json::parse(R"({"type":"connection_ack"})"));
  CHECK(Json::parse(encode_pong()) == Json::parse(R"({"type":"pong"})"));
  std::string odd = "q\"1\\\n";
  CHECK(Json::parse(encode_complete(odd))["id"] == odd);
  auto err = Json::parse(encode_error("e", R"([{"message":"m","code":"INVALID_QUERY"}])"));
  CHECK(err["type"] == "error");
  CHECK(err["payload"][0]["code"] == "INVALID_QUERY");
  auto next = Json::parse(encode_next_data(odd, 7, R"([{"_id":"x"}])"));
  CHECK(next["id"] == odd);
  CHECK(next["payload"]["version"] == 7);
  CHECK(next["payload"]["data"][0]["_id"] == "x");
  auto patch = Json::parse(encode_next_head("p", 2, true) + R"([{"op":"remove","path":"/0"}])" + std::string(next_tail()));
  CHECK(patch["payload"]["patch"][0]["op"] == "remove");
  CHECK_FALSE(patch["payload"].contains("data"));
}
