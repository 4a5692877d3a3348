// What the pipeline takes and gives for one HTTP request, without any
// transport type: net/ fills a Call from the wire and writes the Answer (or
// maps the Error) back onto it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "protocol/error.hpp"
#include "server/common/request_context.hpp"

namespace dc {

struct Call {
  std::string_view method;  // "GET", "POST", ...
  std::string_view path;    // without the query string
  std::string_view body;
  std::string_view authorization;  // the header, as sent (auth reads it)
};

struct Answer {
  unsigned status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::string body;
  uint64_t docs_read = 0;  // X-Docs-Read
};

// Called exactly once per call, on any thread.
using AnswerFn = std::function<void(Result<Answer>)>;

}  // namespace dc
