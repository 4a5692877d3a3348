// The server's base URL: http or https, host, port and an optional path
// prefix (a proxy mounted under /drizzle, say).
#pragma once

#include <string>
#include <string_view>

#include "drizzle_convex/result.hpp"

namespace drizzle_convex::detail {

struct Url {
  bool tls = false;
  std::string host;
  std::string port;
  std::string base_path;  // no trailing slash; "" for the root

  std::string host_header() const;  // host[:port] as the Host header wants it
};

Result<Url> parse_url(std::string_view text);

}  // namespace drizzle_convex::detail
