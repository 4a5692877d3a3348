// Convex's JSON encoding of values (protocol.md section 2): $integer, $float
// and $bytes objects for what plain JSON cannot carry; every JSON number is a
// float64.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/error.hpp"
#include "protocol/value.hpp"

namespace dc {

using Json = nlohmann::ordered_json;

// Decodes an encoded value. `path` is the JSON Pointer of `j` in the request;
// errors name it (or a deeper part). `code` is the error code to report.
Result<Value> value_from_json(const Json& j, const std::string& path,
                              ErrorCode code = ErrorCode::invalid_query);

// Appends the encoded JSON text of `v` to `out`. Undefined is written as null.
void write_json(const Value& v, std::string& out);
std::string to_json_text(const Value& v);
Json to_json(const Value& v);

// About how many bytes write_json appends for `v`: exact but for string
// escapes (not counted) and a fractional number (counted as 24, its longest).
// Answer budgets weigh rows with it without writing them twice.
uint64_t json_size_estimate(const Value& v);

// Appends a JSON string literal.
void write_json_string(std::string_view s, std::string& out);

std::string base64_encode(std::string_view bytes);
// A u64 as Convex writes it in text: base64 of its 8 little-endian bytes
// ($integer, the bits of a $float, sync-protocol timestamps).
std::string base64_u64_le(uint64_t x);
// The reverse; nullopt unless `text` is base64 of exactly 8 bytes.
std::optional<uint64_t> u64_from_base64_le(std::string_view text);
// Standard alphabet with padding; also accepts the URL-safe alphabet.
bool base64_decode(std::string_view text, std::string& out);

}  // namespace dc
