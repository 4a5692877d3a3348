// Where the repository is, for tests that read its fixtures: $DC_SOURCE_DIR
// when set (ctest sets it), else the directory the build was configured
// from. Only tests/source_dir.cpp has that path compiled in, so no other
// object depends on where the checkout is, and a compiler cache shared by
// clones in other folders (scripts/test.sh) serves them.
#pragma once

#include <string>

namespace dc::testing {

const std::string& source_dir();

}  // namespace dc::testing
