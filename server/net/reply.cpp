#include "server/net/reply.hpp"

#include "protocol/value_json.hpp"

namespace dc {

http::status status_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_query:
    case ErrorCode::invalid_value: return http::status::bad_request;
    case ErrorCode::unauthenticated: return http::status::unauthorized;
    case ErrorCode::forbidden: return http::status::forbidden;
    case ErrorCode::not_found: return http::status::not_found;
    case ErrorCode::conflict: return http::status::conflict;
    case ErrorCode::too_large: return http::status::payload_too_large;
    case ErrorCode::rate_limited: return http::status::too_many_requests;
    case ErrorCode::upstream_error: return http::status::bad_gateway;
    case ErrorCode::unavailable: return http::status::service_unavailable;
    case ErrorCode::upstream_timeout: return http::status::gateway_timeout;
    case ErrorCode::internal: return http::status::internal_server_error;
    case ErrorCode::not_implemented: return http::status::not_implemented;
  }
  return http::status::internal_server_error;
}

std::string error_body(const Error& e) {
  std::string out = R"({"error":{"code":)";
  write_json_string(code_name(e.code), out);
  out += R"(,"message":)";
  write_json_string(e.message, out);
  if (e.path) {
    out += R"(,"path":)";
    write_json_string(*e.path, out);
  }
  out += "}}";
  return out;
}

Response json_reply(http::status status, std::string body) {
  Response res{status, 11};
  res.set(http::field::content_type, "application/json; charset=utf-8");
  res.body() = std::move(body);
  return res;
}

Response error_reply(const Error& e) {
  Response res = json_reply(status_for(e.code), error_body(e));
  if (e.code == ErrorCode::rate_limited) res.set(http::field::retry_after, "1");
  return res;
}

}  // namespace dc
