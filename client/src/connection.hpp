// One connection to the server, plain or TLS, as the pool keeps it.
#pragma once

#include <chrono>
#include <optional>

#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace drizzle_convex::detail {

struct Connection {
  std::optional<boost::beast::tcp_stream> plain;
  std::optional<boost::beast::ssl_stream<boost::beast::tcp_stream>> tls;
  boost::beast::flat_buffer buffer;
  std::chrono::steady_clock::time_point idle_since{};

  boost::beast::tcp_stream& lowest() { return plain ? *plain : boost::beast::get_lowest_layer(*tls); }
  // An idle connection the server has closed (or written to) is not reused:
  // a request sent on it could be lost after it left.
  bool still_quiet();
};

}  // namespace drizzle_convex::detail
