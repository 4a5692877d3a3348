// Routes a request to its handler by method and path (protocol.md section 1).
#pragma once

#include "server/handlers/handlers.hpp"

namespace dc {

void route(AppState& app, const Request& req, const RequestContext& ctx, ReplyFn send);

}  // namespace dc
