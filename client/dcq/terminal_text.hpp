// Text a server sent, made safe for an operator's terminal. Any caller allowed
// to write a string can put it in an answer, so values, column names and
// error messages are printed with every character a terminal would act on
// made visible instead: C0 and C1 controls (escape sequences: window titles,
// clipboard writes, screen clears), DEL, bidirectional overrides and
// isolates, line and paragraph separators, and bytes that are not UTF-8.
#pragma once

#include <string>
#include <string_view>

#include "drizzle_convex/value.hpp"

namespace dcq {

// For people: "\n", "\t", "\r", "\x1b", "\u{202e}"; other text as it is.
std::string terminal_safe(std::string_view text);

// JSON text whose strings escape those characters as \uXXXX: the same JSON
// value, printable. Invalid UTF-8 becomes U+FFFD.
std::string terminal_json(const drizzle_convex::Json& value, int indent = -1);

}  // namespace dcq
