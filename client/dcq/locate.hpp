// Where a JSON Pointer points in JSON text, so an error can be shown under
// the part of the query a person typed.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace dcq {

// [begin, end) of the member (key through value) or element at `pointer`,
// or nullopt when the text does not hold it. The text must be valid JSON.
std::optional<std::pair<size_t, size_t>> locate(std::string_view text, std::string_view pointer);

// The line of `text` holding the span, and a caret line under the span:
//   {"table":"users","where":{"nmae":1}}
//                             ^^^^^^^^
std::string point_at(std::string_view text, std::pair<size_t, size_t> span);

}  // namespace dcq
