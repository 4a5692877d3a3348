// Errors as values: every expected failure carries a code, a message and the
// JSON Pointer of the request part it concerns. One place (server/net/reply)
// maps codes to HTTP statuses; nothing else builds error replies.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace dc {

enum class ErrorCode {
  invalid_query,
  invalid_value,
  unauthenticated,
  forbidden,
  not_found,
  conflict,
  too_large,
  unsupported_media_type,  // a request body that is not JSON (415)
  rate_limited,
  upstream_error,
  unavailable,
  upstream_timeout,
  internal,
  not_implemented,     // a documented endpoint whose feature is not built yet
  method_not_allowed,  // a known path with the wrong method (Error::detail: the allowed methods)
  upgrade_required,    // a plain request to the WebSocket endpoint
};

// The wire name of a code, e.g. "INVALID_QUERY".
std::string_view code_name(ErrorCode code);
// Its HTTP status (protocol.md section 9), e.g. 400.
int http_status(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;
  std::optional<std::string> path;  // JSON Pointer into the request
  // What a wire needs besides code and message, by code: METHOD_NOT_ALLOWED
  // the allowed methods ("POST"); RATE_LIMITED the seconds to wait (Retry-After);
  // otherwise empty. Only net/reply reads it.
  std::string detail = {};

  static Error query(std::string message, std::string path) {
    return Error{ErrorCode::invalid_query, std::move(message), std::move(path)};
  }
};

// Appends one reference token to a JSON Pointer (RFC 6901 escaping).
std::string pointer_append(std::string_view pointer, std::string_view token);
std::string pointer_append(std::string_view pointer, size_t index);

// A value or an Error. Small on purpose: std::expected is C++23.
template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}      // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

// For operations that produce nothing but may fail.
struct Ok {};
using Status = Result<Ok>;

}  // namespace dc
