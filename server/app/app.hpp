// The composition root: loads the schema, builds the backend, serves HTTP
// until SIGINT/SIGTERM, then shuts down gracefully with a deadline.
#pragma once

#include "server/app/config.hpp"

namespace dc {

// Returns the process exit code.
int run_app(const Config& config);

}  // namespace dc
