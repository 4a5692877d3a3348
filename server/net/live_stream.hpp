// The TCP stream under a /v1/live WebSocket: Beast's basic_stream with a
// teardown of our own. Beast 1.81's server-side teardown means to read until
// the peer's EOF before closing, but its loop never keeps what read_some
// returned and so stops after one read; closing with unread bytes sends an
// RST, and a client still sending (say, a message over --max-body) loses
// the 1009 close frame it had not read yet and sees 1006. This one shuts
// down the sending side, reads until EOF (at most kDrain), then closes.
// Beast finds it by argument-dependent lookup on the stream type.
#pragma once

#include <array>
#include <boost/asio/compose.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <chrono>
#include <memory>

#include "server/net/http_session.hpp"

namespace dc {

class LiveStream : public Stream {
 public:
  explicit LiveStream(Stream&& s) : Stream(std::move(s)) {}
};

namespace detail {

class DrainTeardown {
 public:
  static constexpr std::chrono::seconds kDrain{2};
  explicit DrainTeardown(LiveStream& s) : s_(s), buf_(std::make_unique<std::array<char, 4096>>()) {}

  template <class Self>
  void operator()(Self& self, boost::beast::error_code ec = {}, std::size_t = 0) {
    if (!started_) {
      started_ = true;
      boost::beast::error_code ignored;
      s_.socket().shutdown(boost::asio::socket_base::shutdown_send, ignored);
      s_.expires_after(kDrain);
      return s_.async_read_some(boost::asio::buffer(*buf_), std::move(self));
    }
    if (!ec) return s_.async_read_some(boost::asio::buffer(*buf_), std::move(self));
    boost::beast::error_code ignored;
    s_.socket().close(ignored);
    // The peer's EOF, or the drain's deadline: the teardown is done either way.
    bool clean = ec == boost::asio::error::eof || ec == boost::beast::error::timeout;
    self.complete(clean ? boost::beast::error_code{} : ec);
  }

 private:
  LiveStream& s_;
  std::unique_ptr<std::array<char, 4096>> buf_;
  bool started_ = false;
};

}  // namespace detail

template <class TeardownHandler>
void async_teardown(boost::beast::role_type, LiveStream& stream, TeardownHandler&& handler) {
  boost::asio::async_compose<TeardownHandler, void(boost::beast::error_code)>(detail::DrainTeardown(stream), handler, stream);
}

}  // namespace dc
