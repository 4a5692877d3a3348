// Accepts connections and gives each a new strand and an HttpSession.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "server/net/http_session.hpp"

namespace dc {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(boost::asio::io_context& ioc, std::shared_ptr<NetContext> net);
  // Binds and listens; returns the error text on failure.
  std::optional<std::string> open(const boost::asio::ip::tcp::endpoint& endpoint);
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  void run();
  void stop();  // any thread

 private:
  void do_accept();

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<NetContext> net_;
};

}  // namespace dc
