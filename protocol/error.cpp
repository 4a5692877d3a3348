#include "protocol/error.hpp"

namespace dc {

std::string_view code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_query: return "INVALID_QUERY";
    case ErrorCode::invalid_value: return "INVALID_VALUE";
    case ErrorCode::unauthenticated: return "UNAUTHENTICATED";
    case ErrorCode::forbidden: return "FORBIDDEN";
    case ErrorCode::not_found: return "NOT_FOUND";
    case ErrorCode::conflict: return "CONFLICT";
    case ErrorCode::too_large: return "TOO_LARGE";
    case ErrorCode::unsupported_media_type: return "UNSUPPORTED_MEDIA_TYPE";
    case ErrorCode::rate_limited: return "RATE_LIMITED";
    case ErrorCode::upstream_error: return "UPSTREAM_ERROR";
    case ErrorCode::unavailable: return "UNAVAILABLE";
    case ErrorCode::upstream_timeout: return "UPSTREAM_TIMEOUT";
    case ErrorCode::internal: return "INTERNAL";
    case ErrorCode::not_implemented: return "NOT_IMPLEMENTED";
    case ErrorCode::method_not_allowed: return "METHOD_NOT_ALLOWED";
    case ErrorCode::upgrade_required: return "UPGRADE_REQUIRED";
  }
  return "INTERNAL";
}

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_query:
    case ErrorCode::invalid_value: return 400;
    case ErrorCode::unauthenticated: return 401;
    case ErrorCode::forbidden: return 403;
    case ErrorCode::not_found: return 404;
    case ErrorCode::method_not_allowed: return 405;
    case ErrorCode::conflict: return 409;
    case ErrorCode::too_large: return 413;
    case ErrorCode::unsupported_media_type: return 415;
    case ErrorCode::upgrade_required: return 426;
    case ErrorCode::rate_limited: return 429;
    case ErrorCode::upstream_error: return 502;
    case ErrorCode::unavailable: return 503;
    case ErrorCode::upstream_timeout: return 504;
    case ErrorCode::internal: return 500;
    case ErrorCode::not_implemented: return 501;
  }
  return 500;
}

std::string pointer_append(std::string_view pointer, std::string_view token) {
  std::string out(pointer);
  out.push_back('/');
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string pointer_append(std::string_view pointer, size_t index) {
  return pointer_append(pointer, std::to_string(index));
}

}  // namespace dc
