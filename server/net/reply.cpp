#include "server/net/reply.hpp"

#include "protocol/json_read.hpp"
#include "protocol/live_messages.hpp"
#include "protocol/value_json.hpp"

namespace dc {

http::status status_for(ErrorCode code) { return static_cast<http::status>(http_status(code)); }

namespace {

// {"message","code","path"?} — the fields both wires share.
void write_error_fields(const Error& e, bool message_first, std::string& out) {
  auto code = [&] {
    out += R"("code":)";
    write_json_string(code_name(e.code), out);
  };
  auto message = [&] {
    out += R"("message":)";
    write_json_string(safe_text(e.message), out);  // upstream text may be cut mid-character
  };
  if (message_first) {
    message();
    out += ',';
    code();
  } else {
    code();
    out += ',';
    message();
  }
  if (e.path) {
    out += R"(,"path":)";
    write_json_string(*e.path, out);
  }
}

}  // namespace

std::string error_body(const Error& e) {
  std::string out = R"({"error":{)";
  write_error_fields(e, false, out);
  out += "}}";
  return out;
}

std::string live_error_payload(const Error& e) {
  std::string out = "[{";
  write_error_fields(e, true, out);
  out += "}]";
  return out;
}

uint16_t live_close_code(ErrorCode code) {
  switch (code) {
    case ErrorCode::unauthenticated:
    case ErrorCode::forbidden: return live::close_code::forbidden;
    case ErrorCode::too_large: return live::close_code::message_too_big;
    case ErrorCode::rate_limited: return 4429;  // graphql-ws: too many requests
    case ErrorCode::unavailable:
    case ErrorCode::upstream_error:
    case ErrorCode::upstream_timeout: return 1013;  // RFC 6455 "try again later"
    case ErrorCode::internal:
    case ErrorCode::not_implemented: return 1011;   // RFC 6455 "internal error"
    default: return live::close_code::bad_request;
  }
}

Response answer_response(Answer answer) {
  Response res{static_cast<http::status>(answer.status), 11};
  if (!answer.content_type.empty()) res.set(http::field::content_type, answer.content_type);
  for (auto& [name, value] : answer.headers) res.set(name, value);
  if (answer.shared_body) res.body() = *answer.shared_body;
  else res.body() = std::move(answer.body);
  return res;
}

void append_header_value(std::string& out, std::string_view value) {
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    out.push_back(u == '\t' || (u >= 0x20 && u < 0x7f) ? c : '?');
  }
}

std::string header_value(std::string_view value) {
  std::string out;
  append_header_value(out, value);
  return out;
}

std::string bearer_challenge(std::string_view refusal) {
  if (refusal.empty()) return "Bearer";
  std::string text(refusal.substr(0, 200));
  for (char& c : text) {
    auto u = static_cast<unsigned char>(c);
    if (!(u >= 0x20 && u <= 0x7e && u != '"' && u != '\\')) c = '?';
  }
  return "Bearer error=\"invalid_token\", error_description=\"" + text + "\"";
}

Response error_response(const Error& e) {
  Answer a;
  a.status = static_cast<unsigned>(status_for(e.code));
  a.body = error_body(e);
  Response res = answer_response(std::move(a));
  switch (e.code) {
    case ErrorCode::rate_limited: res.set(http::field::retry_after, e.detail.empty() ? "1" : e.detail); break;
    case ErrorCode::unauthenticated: res.set(http::field::www_authenticate, bearer_challenge(e.detail)); break;
    case ErrorCode::method_not_allowed: res.set(http::field::allow, e.detail); break;
    case ErrorCode::upgrade_required: res.set(http::field::upgrade, "websocket"); break;
    default: break;
  }
  return res;
}

}  // namespace dc
