// dcq points at the part of a typed query an error names.
#include <doctest/doctest.h>

#include "client/dcq/locate.hpp"
#include "client/src/answer.hpp"
#include "client/src/url.hpp"

TEST_CASE("a JSON Pointer is found in the text a person typed") {
  std::string q = R"({"table": "users", "where": {"AND": [{"role": "admin"}, {"nmae": {"eq": 1}}]}, "limit": 5})";
  auto span = dcq::locate(q, "/where/AND/1/nmae");
  REQUIRE(span);
  CHECK(q.substr(span->first, span->second - span->first) == R"("nmae": {"eq": 1})");
  span = dcq::locate(q, "/limit");
  REQUIRE(span);
  CHECK(q.substr(span->first, span->second - span->first) == R"("limit": 5)");
  CHECK_FALSE(dcq::locate(q, "/where/OR"));
  CHECK_FALSE(dcq::locate(q, "/where/AND/7"));
  std::string escaped = R"({"a/b": {"m~n": true}})";
  span = dcq::locate(escaped, "/a~1b/m~0n");
  REQUIRE(span);
  CHECK(escaped.substr(span->first, span->second - span->first) == R"("m~n": true)");
  std::string unicode = R"({"caf\u00e9": {"x": 1}})";
  span = dcq::locate(unicode, "/café/x");
  REQUIRE(span);
  CHECK(unicode.substr(span->first, span->second - span->first) == R"("x": 1)");
  CHECK(dcq::point_at(R"({"x": 1})", {1, 7}) == "  {\"x\": 1}\n   ^^^^^^");
}

TEST_CASE("base URLs") {
  using drizzle_convex::detail::parse_url;
  auto u = parse_url("http://127.0.0.1:8787");
  REQUIRE(u);
  CHECK(u->host == "127.0.0.1");
  CHECK(u->port == "8787");
  CHECK(u->host_header() == "127.0.0.1:8787");
  u = parse_url("https://db.example.com/proxy/");
  REQUIRE(u);
  CHECK(u->tls);
  CHECK(u->port == "443");
  CHECK(u->base_path == "/proxy");
  CHECK(u->host_header() == "db.example.com");
  u = parse_url("http://[::1]:9000");
  REQUIRE(u);
  CHECK(u->host == "::1");
  CHECK(u->host_header() == "[::1]:9000");
  CHECK_FALSE(parse_url("ftp://x"));
  CHECK_FALSE(parse_url("http://x:99999"));
  CHECK_FALSE(parse_url("http://:80"));
  CHECK(parse_url("127.0.0.1:8787").error().code == "USAGE");
}

TEST_CASE("answers are read with a bound on nesting, and errors never throw") {
  using drizzle_convex::detail::decode_answer;
  using drizzle_convex::detail::kMaxAnswerDepth;
  auto nested = [](size_t depth) {
    return "{\"data\":" + std::string(depth - 1, '[') + std::string(depth - 1, ']') + "}";
  };
  CHECK(decode_answer(200, nested(kMaxAnswerDepth), "", false).ok());
  auto deep = decode_answer(200, nested(kMaxAnswerDepth + 1), "", false);
  REQUIRE_FALSE(deep.ok());
  CHECK(deep.error().code == "BAD_ANSWER");
  CHECK(decode_answer(200, R"({"other":1})", "", false).error().code == "BAD_ANSWER");
  CHECK(*decode_answer(200, R"({"tables":{}})", "", true) == drizzle_convex::Json::parse(R"({"tables":{}})"));

  auto e = decode_answer(400, R"({"error":{"code":"INVALID_QUERY","message":"m","path":""}})", "", false).error();
  CHECK(e.status == 400);
  CHECK(e.code == "INVALID_QUERY");
  CHECK(e.path == "");
  // Fields of the wrong type keep the fallbacks instead of throwing.
  e = decode_answer(503, R"({"error":{"code":7,"message":["x"]}})", "2", false).error();
  CHECK(e.code == "HTTP_503");
  CHECK(e.retry_after == 2);
  // Not JSON: the body's first 200 bytes, as text fit for a log line.
  e = decode_answer(502, std::string(10000, 'x'), "99999999", false).error();
  CHECK(e.message.size() <= 203);
  CHECK_FALSE(e.retry_after);
}
