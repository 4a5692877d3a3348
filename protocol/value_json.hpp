// Convex's JSON encoding of values (protocol.md section 2): $integer, $float
// and $bytes objects for what plain JSON cannot carry; every JSON number is a
// float64.
#pragma once

#include <nlohmann/json.hpp>
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

// Appends a JSON string literal.
void write_json_string(std::string_view s, std::string& out);

std::string base64_encode(std::string_view bytes);
// Standard alphabet with padding; also accepts the URL-safe alphabet.
bool base64_decode(std::string_view text, std::string& out);

}  // namespace dc
