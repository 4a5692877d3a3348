// The documents the server describes itself with, served without
// credentials: `GET /` (name, version, endpoints) and `GET /v1/openapi.json`
// (docs/openapi.json, built into the binary so the two cannot drift apart).
#pragma once

#include "server/pipeline/call.hpp"

namespace dc {

Answer home_answer();
Answer openapi_answer();

}  // namespace dc
