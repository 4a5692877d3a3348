#include <doctest/doctest.h>

#include <set>

#include "server/pipeline/front_door.hpp"

using namespace dc;

TEST_CASE("front door: --cors-origins takes exact origins and refuses anything else") {
  auto ok = parse_cors_origins(" https://a.example.com, http://localhost:3000 ,");
  REQUIRE(ok.ok());
  CHECK(*ok == std::vector<std::string>{"https://a.example.com", "http://localhost:3000"});
  CHECK(parse_cors_origins("").ok());
  CHECK_FALSE(parse_cors_origins("a.example.com").ok());
  CHECK_FALSE(parse_cors_origins("https://a.example.com/").ok());
  CHECK_FALSE(parse_cors_origins("*").ok());
}

TEST_CASE("front door: origins match exactly (scheme, host and port)") {
  FrontDoorOptions o{{"https://app.example.com"}, true};
  CHECK_FALSE(admit(o, "localhost", std::string_view("https://app.example.com")).refusal);
  CHECK(admit(o, "localhost", std::string_view("http://app.example.com")).refusal);
  CHECK(admit(o, "localhost", std::string_view("https://app.example.com:8443")).refusal);
  CHECK(admit(o, "localhost", std::string_view("https://app.example.com.evil.io")).refusal);
  CHECK(admit(o, "localhost", std::string_view("null")).refusal);  // sandboxed frames, file://
  CHECK(admit(o, "localhost", std::string_view("")).refusal);
  CHECK(admit(o, "localhost", std::nullopt).headers.empty());
}

TEST_CASE("front door: loopback Host names") {
  FrontDoorOptions o{{}, true};
  for (const char* ok : {"localhost", "localhost:8787", "LocalHost:1", "127.0.0.1", "127.0.0.1:80", "[::1]", "[::1]:8787", ""}) {
    CAPTURE(ok);
    CHECK_FALSE(admit(o, ok, std::nullopt).refusal);
  }
  for (const char* bad : {"evil.example", "evil.example:8787", "127.0.0.1.nip.io", "localhost.evil.example", "[::2]:1", "[::1]x",
                          "127.0.0.2", "0.0.0.0:8787"}) {
    CAPTURE(bad);
    auto a = admit(o, bad, std::nullopt);
    REQUIRE(a.refusal);
    CHECK(a.refusal->code == ErrorCode::forbidden);
  }
}

TEST_CASE("front door: a request id is the client's when it is sane, else a fresh one") {
  CHECK(request_id("abc-123") == "abc-123");
  std::set<std::string> fresh;
  for (std::string_view bad : {std::string_view(""), std::string_view("has space"), std::string_view("new\nline"),
                               std::string_view("\xC3\xA9")}) {
    auto id = request_id(bad);
    CHECK(id != bad);
    CHECK(fresh.insert(id).second);
  }
  std::string long_id(129, 'a');
  CHECK(request_id(long_id) != long_id);
  CHECK(request_id(std::string(128, 'b')) == std::string(128, 'b'));
}
