#include "server/net/listener.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>

namespace dc {

namespace net = boost::asio;

Listener::Listener(net::io_context& ioc, std::shared_ptr<NetContext> net)
    : ioc_(ioc), acceptor_(net::make_strand(ioc)), net_(std::move(net)) {}

std::optional<std::string> Listener::open(const net::ip::tcp::endpoint& endpoint) {
  boost::system::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return ec.message();
  return std::nullopt;
}

void Listener::run() { do_accept(); }

void Listener::stop() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ec;
    self->acceptor_.close(ec);
  });
}

void Listener::do_accept() {
  acceptor_.async_accept(net::make_strand(ioc_.get_executor()), [self = shared_from_this()](boost::system::error_code ec,
                                                                                          StrandSocket socket) {
    if (ec == net::error::operation_aborted) return;
    if (ec) {
      spdlog::warn("accept failed: {}", ec.message());
    } else {
      boost::system::error_code nd;
      socket.set_option(net::ip::tcp::no_delay(true), nd);
      std::make_shared<HttpSession>(std::move(socket), self->net_)->run();
    }
    if (self->acceptor_.is_open()) self->do_accept();
  });
}

}  // namespace dc
