#include "server/schema/field_default.hpp"

#include <array>
#include <chrono>
#include <cstdio>
#include <random>

#include "protocol/value_json.hpp"
#include "server/schema/validate.hpp"

namespace dc {

namespace {

Error schema_error(std::string message, std::string path) {
  return Error{ErrorCode::invalid_query, "schema: " + std::move(message), std::move(path)};
}

std::string random_uuid_v4() {
  // random_device reads the kernel's CSPRNG on Linux: a uuid default may serve as a token.
  thread_local std::random_device rd;
  std::array<unsigned char, 16> b{};
  for (size_t i = 0; i < b.size(); i += 4) {
    uint32_t r = rd();
    for (size_t k = 0; k < 4; ++k) b[i + k] = static_cast<unsigned char>(r >> (8 * k));
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  char out[37];
  std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
                b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return out;
}

}  // namespace

Result<FieldDefault> field_default_from_json(const Json& j, const std::string& path) {
  FieldDefault d;
  if (j.is_object() && j.contains("$fn")) {
    if (j.size() != 1) return schema_error("a function default is {\"$fn\": name} alone", path);
    const Json& fn = j["$fn"];
    std::string name = fn.is_string() ? fn.get<std::string>() : "";
    if (name == "now") d.kind = FieldDefault::Kind::now;
    else if (name == "uuid") d.kind = FieldDefault::Kind::uuid;
    else return schema_error("$fn is \"now\" or \"uuid\"", pointer_append(path, "$fn"));
    return d;
  }
  auto v = value_from_json(j, path);
  if (!v) return schema_error("default: " + v.error().message, v.error().path.value_or(path));
  d.literal = std::move(v).value();
  return d;
}

Json field_default_to_json(const FieldDefault& d) {
  switch (d.kind) {
    case FieldDefault::Kind::now: return Json{{"$fn", "now"}};
    case FieldDefault::Kind::uuid: return Json{{"$fn", "uuid"}};
    case FieldDefault::Kind::literal: break;
  }
  return to_json(d.literal);
}

Status check_field_default(const TableDef& table, const FieldDef& field, FieldDefault& d, const std::string& path) {
  Value sample = d.kind == FieldDefault::Kind::now    ? Value(1.7e12)
                 : d.kind == FieldDefault::Kind::uuid ? Value(std::string("00000000-0000-4000-8000-000000000000"))
                                                      : d.literal;
  if (auto st = validate_assignment(table, field.name, &sample, path); !st) {
    std::string what = d.kind == FieldDefault::Kind::now ? "now (a float64)" : d.kind == FieldDefault::Kind::uuid ? "uuid (a string)" : "the value";
    return schema_error("the default " + what + " does not fit '" + field.name + "': " + st.error().message, path);
  }
  if (d.kind == FieldDefault::Kind::literal) d.literal = std::move(sample);
  return Ok{};
}

DefaultClock request_clock() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return DefaultClock{static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(now).count()), random_uuid_v4};
}

Value evaluate(const FieldDefault& d, const DefaultClock& clock) {
  switch (d.kind) {
    case FieldDefault::Kind::now: return Value(clock.now_ms);
    case FieldDefault::Kind::uuid: return Value(clock.new_uuid());
    case FieldDefault::Kind::literal: break;
  }
  return d.literal;
}

}  // namespace dc
