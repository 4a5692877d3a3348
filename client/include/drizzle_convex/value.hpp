// Values as the wire carries them (protocol.md section 2): plain JSON for
// strings, booleans, null, float64, arrays and objects; tagged objects for
// what JSON cannot say. A C++ integer literal is a JSON number, which Convex
// stores as float64: an int64 column takes `int64(n)`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace drizzle_convex {

// Key order matters on the wire (orderBy precedence), so objects keep it.
using Json = nlohmann::ordered_json;

Json int64(std::int64_t value);         // {"$integer": base64 of 8 bytes LE}
Json bytes(std::string_view raw);       // {"$bytes": base64}
Json float64(double value);             // a number, or {"$float": ...} for NaN, ±Infinity and -0
Json unset();                           // {"$unset": true}: removes a field in `update`

// Reads back what the server sends.
std::optional<std::int64_t> as_int64(const Json& value);
std::optional<std::string> as_bytes(const Json& value);
std::optional<double> as_float64(const Json& value);  // a plain number or a $float

}  // namespace drizzle_convex
