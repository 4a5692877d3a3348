// The --config file: TOML whose keys are the server's flag names, so the
// file and the command line say the same things the same way:
//
//   port = 8787
//   cors-origins = ["https://app.example.com"]
//   no-access-log = true
//   [convex]            # a table prefixes its keys: convex-url, convex-timeout
//   url = "https://x.convex.cloud"
//   timeout = 10000
//
// TOML (not JSON) because operators write it by hand and comment it.
#pragma once

#include <string>
#include <vector>

#include "protocol/error.hpp"

namespace dc {

struct ConfigSetting {
  std::string pointer;             // where it is in the file: "/convex/timeout"
  std::vector<std::string> flags;  // what it means: {"--convex-timeout", "10000"}
};

// By key (a key appears once). A syntax error names the line and column; a value of a
// type no flag takes names its key.
Result<std::vector<ConfigSetting>> read_config_file(const std::string& path);

}  // namespace dc
