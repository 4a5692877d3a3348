#include "tests/source_dir.hpp"

#include <cstdlib>

namespace dc::testing {

const std::string& source_dir() {
  static const std::string dir = [] {
    const char* env = std::getenv("DC_SOURCE_DIR");
    return std::string(env && *env ? env : DC_CONFIGURED_SOURCE_DIR);
  }();
  return dir;
}

}  // namespace dc::testing
