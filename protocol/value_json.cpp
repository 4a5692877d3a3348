#include "protocol/value_json.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>

namespace dc {

namespace {

constexpr std::string_view kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int b64_digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

std::string le_bytes(uint64_t x) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[static_cast<size_t>(i)] = static_cast<char>((x >> (8 * i)) & 0xff);
  return s;
}

uint64_t from_le(const std::string& s) {
  uint64_t x = 0;
  for (int i = 7; i >= 0; --i) x = (x << 8) | static_cast<unsigned char>(s[static_cast<size_t>(i)]);
  return x;
}

bool needs_float_encoding(double d) { return std::isnan(d) || std::isinf(d) || (d == 0 && std::signbit(d)); }

Error bad(ErrorCode code, std::string msg, const std::string& path) { return Error{code, std::move(msg), path}; }

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    out += kB64[(n >> 18) & 63];
    out += kB64[(n >> 12) & 63];
    out += kB64[(n >> 6) & 63];
    out += kB64[n & 63];
  }
  if (i + 1 == bytes.size()) {
    uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
    out += kB64[(n >> 18) & 63];
    out += kB64[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    uint32_t n = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += kB64[(n >> 18) & 63];
    out += kB64[(n >> 12) & 63];
    out += kB64[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

bool base64_decode(std::string_view text, std::string& out) {
  out.clear();
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return false;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int d = b64_digit(c);
    if (d < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return true;
}

Result<Value> value_from_json(const Json& j, const std::string& path, ErrorCode code) {
  switch (j.type()) {
    case Json::value_t::null: return Value(nullptr);
    case Json::value_t::boolean: return Value(j.get<bool>());
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: return Value(j.get<double>());
    case Json::value_t::string: return Value(j.get<std::string>());
    case Json::value_t::array: {
      Array arr;
      arr.reserve(j.size());
      size_t i = 0;
      for (const auto& e : j) {
        auto v = value_from_json(e, pointer_append(path, i++), code);
        if (!v) return std::move(v).error();
        arr.push_back(std::move(v).value());
      }
      return Value(std::move(arr));
    }
    case Json::value_t::object: {
      if (j.size() == 1) {
        auto only = j.begin();
        const std::string& key = only.key();
        const Json& inner = only.value();
        if (key == "$integer" || key == "$float" || key == "$bytes") {
          std::string inner_path = pointer_append(path, key);
          if (!inner.is_string()) return bad(code, key + " must hold a base64 string", inner_path);
          std::string raw;
          if (!base64_decode(inner.get_ref<const std::string&>(), raw)) {
            return bad(code, key + " holds invalid base64", inner_path);
          }
          if (key == "$bytes") return Value(Bytes{std::move(raw)});
          if (raw.size() != 8) return bad(code, key + " must encode exactly 8 bytes", inner_path);
          uint64_t bits = from_le(raw);
          if (key == "$integer") return Value(static_cast<int64_t>(bits));
          double d = std::bit_cast<double>(bits);
          if (!needs_float_encoding(d)) {
            return bad(code, "$float is only for NaN, Infinity and -0; write finite numbers as JSON numbers",
                       inner_path);
          }
          return Value(d);
        }
      }
      Object obj;
      obj.reserve(j.size());
      for (const auto& [key, inner] : j.items()) {
        std::string field_path = pointer_append(path, key);
        if (!key.empty() && key[0] == '$') {
          return bad(code, "field names must not start with '$': " + key, field_path);
        }
        auto v = value_from_json(inner, field_path, code);
        if (!v) return std::move(v).error();
        obj.emplace_back(key, std::move(v).value());
      }
      return Value(std::move(obj));
    }
    default: return bad(code, "not a Convex value", path);
  }
}

void write_json_string(std::string_view s, std::string& out) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  size_t run = 0;  // start of the pending run of bytes that need no escaping
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 15]);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

namespace {

void write_double(double d, std::string& out) {
  if (needs_float_encoding(d)) {
    out += R"({"$float":)";
    write_json_string(base64_u64_le(std::bit_cast<uint64_t>(d)), out);
    out.push_back('}');
    return;
  }
  // Integral values print without a fraction, like JavaScript's JSON.stringify.
  if (std::floor(d) == d && std::fabs(d) < 1e15) {
    out += std::to_string(static_cast<int64_t>(d));
    return;
  }
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, d);  // shortest text that round-trips
  out.append(buf, res.ptr);
}

}  // namespace

uint64_t json_size_estimate(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::undefined:
    case Value::Kind::null: return 4;
    case Value::Kind::int64: return 27;  // {"$integer":"<12 base64 chars>"}
    case Value::Kind::float64: {
      double d = v.as_float64();
      if (std::floor(d) == d && std::fabs(d) < 1e15) {  // written as an integer (write_double): count its digits
        auto n = static_cast<int64_t>(d);
        uint64_t digits = n < 0 ? 2 : 1;
        for (n = n < 0 ? -n : n; n >= 10; n /= 10) ++digits;
        return digits;
      }
      return 24;  // the longest shortest-round-trip text, or a $float object
    }
    case Value::Kind::boolean: return v.as_bool() ? 4 : 5;
    case Value::Kind::string: return v.as_string().size() + 2;
    case Value::Kind::bytes: return 13 + (v.as_bytes().data.size() + 2) / 3 * 4;  // {"$bytes":"<base64>"}
    case Value::Kind::array: {
      uint64_t n = 1;  // brackets, and a comma before every element but the first
      for (const auto& e : v.as_array()) n += json_size_estimate(e) + 1;
      return std::max<uint64_t>(n, 2);
    }
    case Value::Kind::object: {
      uint64_t n = 1;
      for (const auto& [k, e] : v.as_object()) {
        if (!e.is_undefined()) n += k.size() + 4 + json_size_estimate(e);
      }
      return std::max<uint64_t>(n, 2);
    }
  }
  return 0;
}

void write_json(const Value& v, std::string& out) {
  switch (v.kind()) {
    case Value::Kind::undefined:
    case Value::Kind::null: out += "null"; return;
    case Value::Kind::int64:
      out += R"({"$integer":)";
      write_json_string(base64_u64_le(static_cast<uint64_t>(v.as_int64())), out);
      out.push_back('}');
      return;
    case Value::Kind::float64: write_double(v.as_float64(), out); return;
    case Value::Kind::boolean: out += v.as_bool() ? "true" : "false"; return;
    case Value::Kind::string: write_json_string(v.as_string(), out); return;
    case Value::Kind::bytes:
      out += R"({"$bytes":)";
      write_json_string(base64_encode(v.as_bytes().data), out);
      out.push_back('}');
      return;
    case Value::Kind::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& e : v.as_array()) {
        if (!first) out.push_back(',');
        first = false;
        write_json(e, out);
      }
      out.push_back(']');
      return;
    }
    case Value::Kind::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& [k, e] : v.as_object()) {
        if (e.is_undefined()) continue;
        if (!first) out.push_back(',');
        first = false;
        write_json_string(k, out);
        out.push_back(':');
        write_json(e, out);
      }
      out.push_back('}');
      return;
    }
  }
}

std::string to_json_text(const Value& v) {
  std::string out;
  write_json(v, out);
  return out;
}

// Built directly (not by printing and parsing): live topics convert every
// changed result. Numbers take the form write_json prints.
std::string base64_u64_le(uint64_t x) { return base64_encode(le_bytes(x)); }

std::optional<uint64_t> u64_from_base64_le(std::string_view text) {
  std::string raw;
  if (!base64_decode(text, raw) || raw.size() != 8) return std::nullopt;
  return from_le(raw);
}

Json to_json(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::undefined:
    case Value::Kind::null: return Json(nullptr);
    case Value::Kind::int64: return Json{{"$integer", base64_u64_le(static_cast<uint64_t>(v.as_int64()))}};
    case Value::Kind::float64: {
      double d = v.as_float64();
      if (needs_float_encoding(d)) return Json{{"$float", base64_u64_le(std::bit_cast<uint64_t>(d))}};
      if (std::floor(d) == d && std::fabs(d) < 1e15) return Json(static_cast<int64_t>(d));
      return Json(d);
    }
    case Value::Kind::boolean: return Json(v.as_bool());
    case Value::Kind::string: return Json(v.as_string());
    case Value::Kind::bytes: return Json{{"$bytes", base64_encode(v.as_bytes().data)}};
    case Value::Kind::array: {
      Json out = Json::array();
      out.get_ref<Json::array_t&>().reserve(v.as_array().size());
      for (const auto& e : v.as_array()) out.push_back(to_json(e));
      return out;
    }
    case Value::Kind::object: {
      Json out = Json::object();
      for (const auto& [k, e] : v.as_object()) {
        if (!e.is_undefined()) out.emplace(k, to_json(e));
      }
      return out;
    }
  }
  return Json(nullptr);
}

}  // namespace dc
