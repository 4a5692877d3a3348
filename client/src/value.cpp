#include "drizzle_convex/value.hpp"

#include <bit>
#include <cmath>

#include "protocol/value_json.hpp"

namespace drizzle_convex {

Json int64(std::int64_t value) {
  return Json{{"$integer", dc::base64_u64_le(static_cast<uint64_t>(value))}};
}

Json bytes(std::string_view raw) { return Json{{"$bytes", dc::base64_encode(raw)}}; }

Json float64(double value) {
  // JSON has no NaN, infinities or negative zero; Convex tags them.
  if (std::isfinite(value) && !(value == 0 && std::signbit(value))) return Json(value);
  return Json{{"$float", dc::base64_u64_le(std::bit_cast<uint64_t>(value))}};
}

Json unset() { return Json{{"$unset", true}}; }

namespace {
const std::string* tagged(const Json& value, const char* tag) {
  if (!value.is_object() || value.size() != 1 || !value.contains(tag) || !value[tag].is_string()) return nullptr;
  return value[tag].get_ptr<const std::string*>();
}
}  // namespace

std::optional<std::int64_t> as_int64(const Json& value) {
  const std::string* text = tagged(value, "$integer");
  if (!text) return std::nullopt;
  auto bits = dc::u64_from_base64_le(*text);
  if (!bits) return std::nullopt;
  return static_cast<std::int64_t>(*bits);
}

std::optional<std::string> as_bytes(const Json& value) {
  const std::string* text = tagged(value, "$bytes");
  std::string out;
  if (!text || !dc::base64_decode(*text, out)) return std::nullopt;
  return out;
}

std::optional<double> as_float64(const Json& value) {
  if (value.is_number()) return value.get<double>();
  const std::string* text = tagged(value, "$float");
  if (!text) return std::nullopt;
  auto bits = dc::u64_from_base64_le(*text);
  if (!bits) return std::nullopt;
  return std::bit_cast<double>(*bits);
}

}  // namespace drizzle_convex
