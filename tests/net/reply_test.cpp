#include <doctest/doctest.h>

#include "protocol/live_messages.hpp"
#include "protocol/value_json.hpp"
#include "server/net/reply.hpp"

using namespace dc;

namespace {

const ErrorCode kAll[] = {ErrorCode::invalid_query,     ErrorCode::invalid_value,   ErrorCode::unauthenticated,
                          ErrorCode::forbidden,         ErrorCode::not_found,       ErrorCode::conflict,
                          ErrorCode::too_large,         ErrorCode::rate_limited,    ErrorCode::upstream_error,
                          ErrorCode::unavailable,       ErrorCode::upstream_timeout, ErrorCode::internal,
                          ErrorCode::not_implemented,   ErrorCode::method_not_allowed, ErrorCode::upgrade_required};

}  // namespace

TEST_CASE("reply: every error code has its HTTP status (protocol.md section 9)") {
  struct Row {
    ErrorCode code;
    unsigned status;
    const char* name;
  };
  const Row rows[] = {
      {ErrorCode::invalid_query, 400, "INVALID_QUERY"},     {ErrorCode::invalid_value, 400, "INVALID_VALUE"},
      {ErrorCode::unauthenticated, 401, "UNAUTHENTICATED"}, {ErrorCode::forbidden, 403, "FORBIDDEN"},
      {ErrorCode::not_found, 404, "NOT_FOUND"},             {ErrorCode::method_not_allowed, 405, "METHOD_NOT_ALLOWED"},
      {ErrorCode::conflict, 409, "CONFLICT"},               {ErrorCode::too_large, 413, "TOO_LARGE"},
      {ErrorCode::upgrade_required, 426, "UPGRADE_REQUIRED"}, {ErrorCode::rate_limited, 429, "RATE_LIMITED"},
      {ErrorCode::internal, 500, "INTERNAL"},               {ErrorCode::not_implemented, 501, "NOT_IMPLEMENTED"},
      {ErrorCode::upstream_error, 502, "UPSTREAM_ERROR"},   {ErrorCode::unavailable, 503, "UNAVAILABLE"},
      {ErrorCode::upstream_timeout, 504, "UPSTREAM_TIMEOUT"},
  };
  CHECK(std::size(rows) == std::size(kAll));
  for (const auto& row : rows) {
    CAPTURE(row.name);
    Response res = error_response(Error{row.code, "why", std::nullopt});
    CHECK(res.result_int() == row.status);
    CHECK(res[http::field::content_type] == "application/json; charset=utf-8");
    auto body = Json::parse(res.body());
    CHECK(body == Json{{"error", {{"code", row.name}, {"message", "why"}}}});
  }
}

TEST_CASE("reply: the path is in the body when there is one, escaped") {
  Error e = Error::query("bad \"x\"\n", "/where/a~1b");
  auto body = Json::parse(error_body(e));
  CHECK(body["error"]["path"] == "/where/a~1b");
  CHECK(body["error"]["message"] == "bad \"x\"\n");
}

TEST_CASE("reply: codes that call for headers get them") {
  Error m{ErrorCode::method_not_allowed, "use POST", std::nullopt};
  m.detail = "POST";
  CHECK(error_response(m)[http::field::allow] == "POST");
  CHECK(error_response(Error{ErrorCode::upgrade_required, "ws", std::nullopt})[http::field::upgrade] == "websocket");
  CHECK(error_response(Error{ErrorCode::rate_limited, "slow down", std::nullopt})[http::field::retry_after] == "1");
  Error r{ErrorCode::rate_limited, "slow down", std::nullopt};
  r.detail = "7";
  CHECK(error_response(r)[http::field::retry_after] == "7");
  CHECK(error_response(Error::query("x", ""))[http::field::allow].empty());
}

TEST_CASE("reply: a 401's challenge carries the refusal cut to RFC 6750's characters") {
  CHECK(error_response(Error{ErrorCode::unauthenticated, "no token", std::nullopt})[http::field::www_authenticate] == "Bearer");
  Error e{ErrorCode::unauthenticated, "bad alg", std::nullopt};
  // What a JWT header's alg or kid could carry: line breaks, NUL, quotes, a backslash, UTF-8.
  e.detail = std::string("the algorithm \"x\r\nSet-Cookie: a=b") + std::string(1, '\0') + "\\\xC3\xA9\" is not accepted";
  auto challenge = std::string(error_response(e)[http::field::www_authenticate]);
  CHECK(challenge.rfind("Bearer error=\"invalid_token\", error_description=\"", 0) == 0);
  std::string description = challenge.substr(challenge.find("error_description=\"") + 19);
  description.pop_back();  // the closing quote
  CHECK(description.size() == e.detail.size());
  for (char c : description) {
    auto u = static_cast<unsigned char>(c);
    CHECK(((u >= 0x20 && u <= 0x21) || (u >= 0x23 && u <= 0x5b) || (u >= 0x5d && u <= 0x7e)));
  }
  CHECK(description.find("Set-Cookie: a=b") != std::string::npos);  // kept as text, on the same line
}

TEST_CASE("reply: a header value built from input cannot end its line") {
  CHECK(header_value("plain value\twith tab") == "plain value\twith tab");
  CHECK(header_value(std::string("a\r\nX-Injected: 1") + std::string(1, '\0') + "\x7f\x85") == "a??X-Injected: 1???");
}

TEST_CASE("reply: an answer keeps its status, type and body") {
  Answer a;
  a.content_type = "text/plain; version=0.0.4";
  a.body = "x 1\n";
  Response res = answer_response(a);
  CHECK(res.result_int() == 200);
  CHECK(res[http::field::content_type] == "text/plain; version=0.0.4");
  CHECK(res.body() == "x 1\n");
}

TEST_CASE("reply: on the live wire an error is a graphql-ws error payload") {
  auto p = Json::parse(live_error_payload(Error::query("unknown field", "/where/x")));
  CHECK(p == Json::parse(R"([{"message":"unknown field","code":"INVALID_QUERY","path":"/where/x"}])"));
  auto np = Json::parse(live_error_payload(Error{ErrorCode::upstream_error, "down", std::nullopt}));
  CHECK_FALSE(np[0].contains("path"));
}

TEST_CASE("reply: errors that end a live connection map to close codes") {
  CHECK(live_close_code(ErrorCode::unauthenticated) == live::close_code::forbidden);
  CHECK(live_close_code(ErrorCode::forbidden) == live::close_code::forbidden);
  CHECK(live_close_code(ErrorCode::too_large) == live::close_code::message_too_big);
  CHECK(live_close_code(ErrorCode::rate_limited) == 4429);
  CHECK(live_close_code(ErrorCode::unavailable) == 1013);
  CHECK(live_close_code(ErrorCode::internal) == 1011);
  CHECK(live_close_code(ErrorCode::invalid_query) == live::close_code::bad_request);
  for (ErrorCode c : kAll) {
    auto code = live_close_code(c);
    CAPTURE(code_name(c));
    // Never a code a client may not receive (1005/1006/1015 are reserved) nor a normal close.
    CHECK(code != 1000);
    CHECK(code != 1005);
    CHECK(code != 1006);
    CHECK(((code >= 1001 && code <= 1014) || (code >= 4000 && code <= 4999)));
  }
}
