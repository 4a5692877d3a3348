// docs/openapi.json as compiled into the server (CMake writes the
// definition from the file at configure time: see CMakeLists.txt).
#pragma once

#include <string_view>

namespace dc {

std::string_view openapi_document();

}  // namespace dc
