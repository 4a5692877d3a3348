// The documents the server describes itself with, served without
// credentials: `GET /` (name, version, endpoints) and `GET /v1/openapi.json`
// (docs/openapi.json, built into the binary so the two cannot drift apart).
#pragma once

#include "server/pipeline/call.hpp"

namespace dc {

Answer home_answer();
Answer openapi_answer();

// Is a request body of this Content-Type JSON? JSON (any parameters), none
// at all, and curl's default form type for `-d` are; anything else is 415.
bool json_content_type(std::string_view content_type);

}  // namespace dc
