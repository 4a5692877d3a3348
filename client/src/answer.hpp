// What the server sends back, read the project's one way for JSON from
// outside (protocol/json_read): nesting bounded before a tree is built, so
// comparing, patching or printing an answer cannot overflow the stack.
#pragma once

#include <string>
#include <string_view>

#include "drizzle_convex/result.hpp"
#include "drizzle_convex/value.hpp"

namespace drizzle_convex::detail {

// Deeper than any answer can be: Convex values nest at most 64 levels, and
// each of at most 4 `with` levels adds two.
inline constexpr std::size_t kMaxAnswerDepth = 256;

// A JSON text from the server (an HTTP body, a live message), or BAD_ANSWER.
Result<Json> read_answer_json(std::string_view text);

// A whole HTTP answer: `data` of a 200 (the whole body when `whole_body`,
// as /v1/schema sends), else the server's error, its code, message and path.
Result<Json> decode_answer(unsigned status, std::string_view body, std::string_view retry_after, bool whole_body);

// The `{"code", "message", "path"}` of an error object, over `fallback`'s.
Error error_from(const Json& object, Error fallback);

}  // namespace drizzle_convex::detail
