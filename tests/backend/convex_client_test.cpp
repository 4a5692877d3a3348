// Convex's HTTP answers → values or protocol errors, and Convex URLs.
#include <doctest/doctest.h>

#include "server/backend/convex/convex_backend.hpp"
#include "server/backend/convex/convex_client.hpp"

using namespace dc;

TEST_CASE("a successful function call gives its value") {
  auto r = interpret_convex_response(200, R"({"status":"success","value":{"data":[1],"docsRead":3}})", "drizzle:execute");
  REQUIRE(r.ok());
  CHECK((*r)["docsRead"] == 3);
}

TEST_CASE("the adapter's ConvexError keeps its code, message and path") {
  auto r = interpret_convex_response(
      200, R"({"status":"error","errorMessage":"x","errorData":{"code":"CONFLICT","message":"taken","path":"/values/email"}})", "p");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::conflict);
  CHECK(r.error().message == "taken");
  CHECK(r.error().path == std::optional<std::string>("/values/email"));
}

TEST_CASE("a function that crashed, or claims an upstream code, is an upstream error") {
  auto crash = interpret_convex_response(560, R"({"status":"error","errorMessage":"Uncaught TypeError: boom"})", "drizzle:execute");
  REQUIRE_FALSE(crash.ok());
  CHECK(crash.error().code == ErrorCode::upstream_error);
  CHECK(crash.error().message.find("boom") != std::string::npos);
  auto spoof = interpret_convex_response(200, R"({"status":"error","errorMessage":"x","errorData":{"code":"UNAVAILABLE","message":"m"}})", "p");
  CHECK(spoof.error().code == ErrorCode::upstream_error);
}

TEST_CASE("the adapter's own UPSTREAM_ERROR (a plan version it does not run) keeps its message") {
  auto r = interpret_convex_response(
      200, R"({"status":"error","errorMessage":"x","errorData":{"code":"UPSTREAM_ERROR","message":"this adapter runs plan version 3"}})", "p");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::upstream_error);
  CHECK(r.error().message == "this adapter runs plan version 3");
}

TEST_CASE("describe: the adapter's plan version must be the proxy's") {
  Json same = Json::parse(R"({"planVersion":0,"tables":{}})");
  same["planVersion"] = kPlanVersion;
  CHECK(take_adapter_plan_version(same).ok());
  CHECK_FALSE(same.contains("planVersion"));  // the schema loader sees the schema alone
  Json older = Json::parse(R"({"tables":{}})");
  auto st = take_adapter_plan_version(older);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == ErrorCode::upstream_error);
  CHECK(st.error().message.find("runs plan version none") != std::string::npos);
  CHECK(st.error().message.find("deploy the adapter") != std::string::npos);
  Json other = Json::parse(R"({"planVersion":1,"tables":{}})");
  REQUIRE_FALSE(take_adapter_plan_version(other).ok());
  Json odd = Json::parse(R"({"planVersion":"2","tables":{}})");
  auto bad = take_adapter_plan_version(odd);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("a string") != std::string::npos);
}

// Found by fuzz_convex_answer: a non-string errorMessage threw out of the
// answer's reading (std::terminate: one upstream answer ended the process).
TEST_CASE("fields of the wrong type in Convex's answer are an upstream error, never an exception") {
  for (const char* body : {R"({"status":"error","errorMessage":{"c":"X"}})", R"({"status":7})",
                           R"({"status":"error","errorMessage":"x","errorData":{"code":"CONFLICT","message":[1]}})",
                           R"({"status":["success"],"value":1})"}) {
    std::string shown = body;
    CAPTURE(shown);
    Result<Json> r = Json();
    CHECK_NOTHROW(r = interpret_convex_response(200, body, "drizzle:execute"));
    CHECK_FALSE(r.ok());
  }
}

TEST_CASE("HTTP failures map to 503, 429, 504 or 502") {
  CHECK(interpret_convex_response(503, R"({"code":"Overloaded","message":"busy"})", "p").error().code == ErrorCode::unavailable);
  CHECK(interpret_convex_response(429, R"({"code":"RateLimited","message":"slow down"})", "p").error().code == ErrorCode::rate_limited);
  CHECK(interpret_convex_response(504, "gateway", "p").error().code == ErrorCode::upstream_timeout);
  auto key = interpret_convex_response(401, R"({"code":"BadAdminKey","message":"The provided admin key was invalid"})", "p");
  CHECK(key.error().code == ErrorCode::upstream_error);
  CHECK(key.error().message.find("BadAdminKey") != std::string::npos);
  CHECK(interpret_convex_response(200, "not json", "p").error().code == ErrorCode::upstream_error);
}

TEST_CASE("Convex URLs: scheme, host, port, base path") {
  auto a = parse_upstream_url("https://happy-otter-123.convex.cloud");
  REQUIRE(a.ok());
  CHECK(a->tls);
  CHECK(a->host == "happy-otter-123.convex.cloud");
  CHECK(a->port == "443");
  CHECK(a->base_path.empty());
  auto b = parse_upstream_url("http://127.0.0.1:3210/prefix/");
  REQUIRE(b.ok());
  CHECK_FALSE(b->tls);
  CHECK(b->port == "3210");
  CHECK(b->base_path == "/prefix");
  CHECK_FALSE(parse_upstream_url("ftp://x").ok());
  CHECK_FALSE(parse_upstream_url("http://:80").ok());
  CHECK_FALSE(parse_upstream_url("http://h:8x").ok());
}

TEST_CASE("an answer nested 100,000 deep is an upstream error, read without recursion") {
  std::string deep = R"({"status":"success","value":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  auto r = interpret_convex_response(200, deep, "drizzle:execute");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::upstream_error);
}

TEST_CASE("a long Convex error message is cut on a character boundary") {
  std::string message = std::string(299, 'x') + "\xC3\xA9" + std::string(50, 'y');
  std::string body = R"({"status":"error","errorMessage":")" + message + R"("})";
  auto r = interpret_convex_response(200, body, "drizzle:execute");
  REQUIRE_FALSE(r.ok());
  // The message is valid UTF-8: nlohmann refuses to print it otherwise.
  CHECK(Json::accept(Json(r.error().message).dump(-1, ' ', false, Json::error_handler_t::ignore)));
  CHECK_NOTHROW(Json(r.error().message).dump());
  CHECK(r.error().message.find("\xC3\xA9") == std::string::npos);
}
