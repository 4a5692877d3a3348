// The checks every request passes before anything else (protocol.md section
// 10), on HTTP and on the WebSocket upgrade alike: which browser origins may
// call (CORS), which Host names a loopback server answers (DNS rebinding),
// and the request's id. Pure.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/error.hpp"

namespace dc {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct FrontDoorOptions {
  std::vector<std::string> cors_origins;  // exact origins ("https://app.example.com") browsers may call from
  bool loopback = true;                   // listening on a loopback address: only local Host names are answered
};

// Parses --cors-origins: comma-separated origins, spaces around them ignored.
Result<std::vector<std::string>> parse_cors_origins(std::string_view list);

struct Admission {
  std::optional<Error> refusal;  // 403 FORBIDDEN: do not serve
  Headers headers;               // to add to every reply (Access-Control-Allow-Origin, Vary)
};

// `origin`: the Origin header, when the request has one; `host`: the Host header (may be empty).
Admission admit(const FrontDoorOptions& options, std::string_view host, std::optional<std::string_view> origin);

// The answer to an admitted CORS preflight (OPTIONS with an Origin): the
// headers that allow the methods and request headers clients use.
Headers preflight_headers();

// The request's id: the client's X-Request-Id when it is 1 to 128 visible
// ASCII characters, else a new one, unique in this process.
std::string request_id(std::string_view header);

}  // namespace dc
