// What the pipeline takes and gives for one HTTP request, without any
// transport type: net/ fills a Call from the wire and writes the Answer (or
// maps the Error) back onto it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/error.hpp"
#include "server/common/request_context.hpp"
#include "server/pipeline/front_door.hpp"

namespace dc {

struct Call {
  std::string_view method;  // "GET", "POST", ...
  std::string_view path;    // without the query string
  std::string_view body;
  std::string_view authorization;          // the header, as sent (auth reads it)
  std::string_view host;                   // the Host header ("" when absent)
  std::optional<std::string_view> origin;  // the Origin header, when sent (browsers)
  std::optional<std::string_view> content_type = std::nullopt;  // the Content-Type header, when sent
  // Where the auth step writes the caller's role, for the access line; null: nowhere.
  std::string* role = nullptr;
};

struct Answer {
  unsigned status = 200;
  std::string_view content_type = "application/json; charset=utf-8";  // a constant: never text built per request
  std::string body;
  // Set instead of `body` when the bytes are shared (a result-cache hit):
  // sent as they are, never copied.
  std::shared_ptr<const std::string> shared_body;
  std::string_view text() const { return shared_body ? std::string_view(*shared_body) : std::string_view(body); }
  uint64_t docs_read = 0;  // X-Docs-Read
  bool show_docs_read = true;  // false for a caller whose rules hide rows or columns
  Headers headers;         // more response headers (a preflight's)
};

// An endpoint's answer; called exactly once, on any thread.
using ResultFn = std::function<void(Result<Answer>)>;
// A call's answer and the headers every reply to it carries, error or not
// (X-Request-Id, CORS); called exactly once, on any thread.
using AnswerFn = std::function<void(Result<Answer>, Headers)>;

}  // namespace dc
