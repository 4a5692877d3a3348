#include "client/src/answer.hpp"

#include <algorithm>

#include "protocol/json_read.hpp"

namespace drizzle_convex::detail {

namespace {
Error bad_answer(std::string message) {
  return Error{Error::Kind::protocol, 200, "BAD_ANSWER", std::move(message), std::nullopt, std::nullopt};
}
}  // namespace

Result<Json> read_answer_json(std::string_view text) {
  dc::JsonLimits limits;
  limits.max_depth = kMaxAnswerDepth;
  auto j = dc::read_json(text, limits, "answer");
  if (!j) return bad_answer(j.error().message);
  return std::move(j).value();
}

Error error_from(const Json& object, Error fallback) {
  fallback.code = dc::string_field(object, "code", fallback.code);
  fallback.message = dc::string_field(object, "message", fallback.message);
  // "" is a JSON Pointer too (the whole request): present is not the same as non-empty.
  if (object.is_object() && object.contains("path") && object["path"].is_string()) fallback.path = object["path"].get<std::string>();
  return fallback;
}

Result<Json> decode_answer(unsigned status, std::string_view body, std::string_view retry_after, bool whole_body) {
  if (status != 200) {
    Error e{Error::Kind::server, static_cast<int>(status), "HTTP_" + std::to_string(status), "", std::nullopt, std::nullopt};
    auto j = read_answer_json(body);
    if (j && j->is_object() && j->contains("error") && (*j)["error"].is_object())
      e = error_from((*j)["error"], std::move(e));
    else
      e.message = dc::safe_text(body, 200);
    if (!retry_after.empty() && retry_after.size() < 7 &&
        std::all_of(retry_after.begin(), retry_after.end(), [](char c) { return c >= '0' && c <= '9'; }))
      e.retry_after = std::stoi(std::string(retry_after));
    return e;
  }
  auto j = read_answer_json(body);
  if (!j) return std::move(j).error();
  if (!j->is_object()) return bad_answer("the answer is not a JSON object");
  if (whole_body) return std::move(j).value();
  if (!j->contains("data")) return bad_answer("the answer has no \"data\"");
  return std::move((*j)["data"]);
}

}  // namespace drizzle_convex::detail
