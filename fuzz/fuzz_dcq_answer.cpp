// An answer as dcq receives it from a server it should not trust: the
// client's decoding of a body (every endpoint, statuses that mean success
// and failure), then the text dcq prints from it (a table, JSON, the error
// line), which must hold no character a terminal acts on. A finding is a
// crash, a sanitizer report, or a control character in what would be printed.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "client/dcq/table.hpp"
#include "client/dcq/terminal_text.hpp"
#include "client/src/answer.hpp"

namespace {

// What TERMINAL_CONTROL in tests/e2e/dcq.test.mjs matches, but line feed (a table's own line breaks).
bool acts_on_terminal(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\n') || c == 0x7F) return true;
    if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
      return true;  // C1
    }
    if (c == 0xE2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x80) {
      auto d = static_cast<unsigned char>(text[i + 2]);
      if (d == 0x8E || d == 0x8F || (d >= 0xA8 && d <= 0xAE)) return true;  // U+200E/F, U+2028..202E
    }
    if (c == 0xE2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x81) {
      auto d = static_cast<unsigned char>(text[i + 2]);
      if (d >= 0xA6 && d <= 0xA9) return true;  // U+2066..2069
    }
  }
  return false;
}

void check(const std::string& printed) {
  if (acts_on_terminal(printed)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  for (unsigned status : {200u, 400u, 503u}) {
    for (bool schema : {false, true}) {
      auto r = drizzle_convex::detail::decode_answer(status, body, "", schema);
      if (r.ok()) {
        check(dcq::render_table(*r));
        check(dcq::terminal_json(*r));
        check(dcq::terminal_json(*r, 2));
      } else {
        check(dcq::terminal_safe(r.error().describe()));
      }
    }
  }
  check(dcq::terminal_safe(body));
  return 0;
}
