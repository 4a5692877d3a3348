// The one way JSON of untrusted origin is read: request bodies, cursors, live
// messages, upstream answers, log and snapshot records. The nesting is
// bounded by a scan before any tree is built (a tree too deep would make
// printing it, and other recursive walks, overflow the stack), the size is
// bounded, and an object with the same key twice is refused with the JSON
// Pointer of the second one instead of silently keeping the last. Never
// throws.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/error.hpp"
#include "protocol/value_json.hpp"

namespace dc {

struct JsonLimits {
  size_t max_depth = 64;
  size_t max_bytes = SIZE_MAX;
};

// `what` names the text in error messages ("request JSON", "cursor", ...);
// errors carry `code`.
Result<Json> read_json(std::string_view text, const JsonLimits& limits, std::string_view what = "JSON",
                       ErrorCode code = ErrorCode::invalid_query);

// The string at `key` of a JSON object from outside, or `fallback` when `j`
// is not an object or the value is missing or not a string. (nlohmann's
// value() throws on a type mismatch: an answer that sends a number where a
// string belongs must not end the process.)
std::string string_field(const Json& j, std::string_view key, std::string fallback = {});

// The unsigned integer at `key` of an object, or nullopt when `j` is not an
// object or the value is missing or not a non-negative integer. (value()
// with a uint64_t default converts 3e108 with undefined behaviour.)
std::optional<uint64_t> unsigned_field(const Json& j, std::string_view key);

// Text fit for an error message or a log line: at most `max_bytes` (cut on a
// character boundary, "…" appended), invalid UTF-8 replaced by U+FFFD.
std::string safe_text(std::string_view s, size_t max_bytes = SIZE_MAX);

}  // namespace dc
