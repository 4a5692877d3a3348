#include <doctest/doctest.h>

#include "protocol/json_read.hpp"
#include "protocol/parse.hpp"

using namespace dc;

namespace {

std::string nested(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

bool valid_utf8_json_string(const std::string& s) {
  std::string quoted;
  write_json_string(s, quoted);
  return Json::accept(quoted);
}

}  // namespace

TEST_CASE("json_read: duplicate keys are refused with the pointer of the second, at any depth") {
  auto top = read_json(R"({"table":"users","table":"posts"})", JsonLimits{});
  REQUIRE_FALSE(top.ok());
  CHECK(top.error().code == ErrorCode::invalid_query);
  CHECK(top.error().path == "/table");
  auto deep = read_json(R"({"where":{"OR":[{"a":1},{"b":2,"b":3}]}})", JsonLimits{});
  REQUIRE_FALSE(deep.ok());
  CHECK(deep.error().path == "/where/OR/1/b");
  auto escaped = read_json(R"({"a/b":{"x":[0,[1,{"k":1,"k":2}]]}})", JsonLimits{});
  REQUIRE_FALSE(escaped.ok());
  CHECK(escaped.error().path == "/a~1b/x/1/1/k");
  // Equal keys in different objects are fine.
  CHECK(read_json(R"({"a":{"k":1},"b":{"k":2},"c":[{"k":1},{"k":2}]})", JsonLimits{}).ok());
}

TEST_CASE("json_read: large objects are checked too") {
  std::string obj = "{";
  for (int i = 0; i < 200; ++i) obj += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  CHECK(read_json(obj.substr(0, obj.size() - 1) + "}", JsonLimits{}).ok());
  auto dup = read_json(obj + "\"k150\":0}", JsonLimits{});
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.error().path == "/k150");
}

TEST_CASE("json_read: depth and size are bounded before anything is built") {
  auto deep = read_json(nested(100000), JsonLimits{64});
  REQUIRE_FALSE(deep.ok());
  CHECK(deep.error().message.find("nested deeper than 64") != std::string::npos);
  CHECK(read_json(nested(64), JsonLimits{64}).ok());
  // Brackets inside strings do not count.
  CHECK(read_json("[\"" + std::string(1000, '[') + "\"]", JsonLimits{4}).ok());
  JsonLimits small;
  small.max_bytes = 10;
  CHECK_FALSE(read_json(R"({"a":"0123456789"})", small).ok());
  auto upstream = read_json("{", JsonLimits{}, "Convex's answer", ErrorCode::upstream_error);
  CHECK(upstream.error().code == ErrorCode::upstream_error);
}

TEST_CASE("parse: a request body with a duplicate key is a 400 naming it") {
  auto r = parse_json_body(R"({"table":"users","op":"findMany","where":{"role":"admin","role":"guest"}})", ParseLimits{});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().path == "/where/role");
}

TEST_CASE("safe_text: cuts on a character boundary and replaces invalid bytes") {
  std::string s = std::string(299, 'a') + "\xC3\xA9" + "tail";  // é straddles byte 300
  auto cut = safe_text(s, 300);
  CHECK(cut == std::string(299, 'a') + "\xE2\x80\xA6");
  CHECK(valid_utf8_json_string(cut));
  CHECK(safe_text("ok \xF0\x9F\x98\x80", 100) == "ok \xF0\x9F\x98\x80");
  CHECK(safe_text("bad \xFF\xC3 end") == "bad \xEF\xBF\xBD\xEF\xBF\xBD end");
  CHECK(safe_text("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a UTF-16 surrogate is not UTF-8
  CHECK(valid_utf8_json_string(safe_text(std::string("\xC0\xAF\xE0\x80\xAF\xF8\x88\x80\x80\x80"))));
}

TEST_CASE("json_read: builds the same tree as nlohmann's parser, members in order") {
  std::string text =
      R"({"z":1,"a":[true,false,null,-5,18446744073709551615,1.5e300,"\u00e9\n\"x\""],)"
      R"("m":{"k":{"":[[],{}]},"b":-0.0},"e":"","n":[{"a":1},{"a":2}]})";
  auto ours = read_json(text, JsonLimits{});
  REQUIRE(ours.ok());
  CHECK(ours.value() == Json::parse(text));
  CHECK(ours.value().dump() == Json::parse(text).dump());  // same member order too
  for (const char* scalar : {"3", "\"s\"", "null", "-1.25"}) CHECK(read_json(scalar, JsonLimits{}).value() == Json::parse(scalar));
}

TEST_CASE("json_read: malformed text is refused with the parser's reason") {
  for (const char* bad : {"", "{", "{\"a\":}", "[1,]", "{\"a\":1} x", "\"\\uZZZZ\""}) {
    auto r = read_json(bad, JsonLimits{}, "request JSON");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::invalid_query);
    CHECK(r.error().message.rfind("malformed request JSON: ", 0) == 0);
    CHECK(r.error().message.find("json.exception") == std::string::npos);  // our words, not the library's
  }
  // The text read is never quoted back (an auth file's secret would be).
  for (const char* bad : {"{\"k\": \"s3cret\n\"}", "[1e99999]", "{\"k\": s3cret}"}) {
    auto r = read_json(bad, JsonLimits{}, "auth file");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("s3cret") == std::string::npos);
    CHECK(r.error().message.find("99999") == std::string::npos);
  }
}

TEST_CASE("json_read: an object of many keys is read whole, and its duplicate found past the linear search") {
  std::string obj = "{";
  for (int i = 0; i < 100000; ++i) obj += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  auto whole = read_json(obj.substr(0, obj.size() - 1) + "}", JsonLimits{});
  REQUIRE(whole.ok());
  CHECK(whole.value().size() == 100000);
  CHECK(whole.value()["k99999"] == 99999);
  auto dup = read_json("{\"x\":[" + obj + "\"k31\":0}]}", JsonLimits{});
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.error().path == "/x/0/k31");
}
