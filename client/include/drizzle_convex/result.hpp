// Errors are values: every call answers a Result holding either the server's
// `data` or an Error with the server's code, message and JSON Pointer path
// (protocol.md section 9), or a code of the client's own when no answer came.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace drizzle_convex {

struct Error {
  enum class Kind {
    server,      // the server answered an error (status, code, message, path)
    connection,  // could not connect, or the connection broke (code CONNECTION_FAILED,
                 // or OUTCOME_UNKNOWN for a mutation cut off after it was sent)
    timeout,     // the call's deadline passed (code TIMEOUT)
    protocol,    // the answer was not the protocol's (code BAD_ANSWER)
    usage,       // the call itself was wrong, e.g. a bad URL (code USAGE)
  };
  Kind kind = Kind::server;
  int status = 0;  // the HTTP status when the server answered
  std::string code;
  std::string message;
  std::optional<std::string> path;  // JSON Pointer into the request
  std::optional<int> retry_after;   // seconds, from a 429 or 503

  // "INVALID_QUERY at /where/age: ..." — what a log line wants.
  std::string describe() const;
};

template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT
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

}  // namespace drizzle_convex
