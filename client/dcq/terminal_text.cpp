#include "client/dcq/terminal_text.hpp"

#include <cstdint>
#include <cstdio>

namespace dcq {

namespace {

// A code point a terminal may act on, or that reorders what is shown (bidi).
bool acts_on_terminal(char32_t c) {
  return c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) || c == 0x061C || c == 0x200E || c == 0x200F ||
         (c >= 0x2028 && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

// Decodes the UTF-8 sequence at `i`; returns its length, 0 when it is not one.
size_t decode(std::string_view s, size_t i, char32_t& out) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b = byte(i);
  size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  char32_t c = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    c = (c << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (c < kMin[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;  // overlong, out of range, surrogate
  out = c;
  return n;
}

std::string hex(const char* format, unsigned value) {
  char buf[16];
  std::snprintf(buf, sizeof buf, format, value);
  return buf;
}

}  // namespace

std::string terminal_safe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    char32_t c = 0;
    size_t n = decode(text, i, c);
    if (n == 0) {
      out += hex("\\x%02x", static_cast<unsigned char>(text[i]));
      ++i;
      continue;
    }
    if (!acts_on_terminal(c)) {
      out.append(text.substr(i, n));
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x80) {
      out += hex("\\x%02x", static_cast<unsigned>(c));
    } else {
      out += hex("\\u{%04x}", static_cast<unsigned>(c));
    }
    i += n;
  }
  return out;
}

std::string terminal_json(const drizzle_convex::Json& value, int indent) {
  // nlohmann escapes C0 controls itself; the rest appear only inside strings,
  // where \uXXXX means the same character.
  std::string text = value.dump(indent, ' ', false, drizzle_convex::Json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    char32_t c = 0;
    size_t n = decode(text, i, c);
    if (n != 0 && c >= 0x7F && acts_on_terminal(c)) {  // below 0x7F: escaped already, or the indent's line breaks
      out += hex("\\u%04x", static_cast<unsigned>(c));
    } else {
      out.append(text, i, n ? n : 1);
    }
    i += n ? n : 1;
  }
  return out;
}

}  // namespace dcq
