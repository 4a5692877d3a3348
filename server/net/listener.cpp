#include "server/net/listener.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>

namespace dc {

namespace net = boost::asio;

Listener::Listener(net::io_context& ioc, std::vector<net::io_context*> sessions, std::shared_ptr<NetContext> net)
    : sessions_(std::move(sessions)), acceptor_(net::make_strand(ioc)), net_(std::move(net)), pause_(acceptor_.get_executor()) {}

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

void Listener::pause(std::chrono::milliseconds wait) {
  pause_.expires_after(wait);
  pause_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec && self->acceptor_.is_open()) self->do_accept();
  });
}

void Listener::stop() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ec;
    self->acceptor_.close(ec);
    self->pause_.cancel();
  });
}

void Listener::do_accept() {
  if (net_->open.open() >= net_->options.max_connections) {
    // Full: leave new connections in the kernel's backlog until one closes.
    auto now = std::chrono::steady_clock::now();
    if (now - last_full_log_ >= std::chrono::seconds(1)) {
      spdlog::warn("--max-connections {} reached: new connections wait until one closes", net_->options.max_connections);
      last_full_log_ = now;
    }
    return pause(std::chrono::milliseconds(5));
  }
  // Accepted on the acceptor's own io_context, then handed to the next
  // thread's: an accept waiting at shutdown then holds nothing of another
  // io_context, which may be destroyed before the acceptor's.
  acceptor_.async_accept([self = shared_from_this()](boost::system::error_code ec, net::ip::tcp::socket accepted) {
    if (ec == net::error::operation_aborted) return;
    if (ec) return self->on_accept_error(ec);
    self->backoff_ = std::chrono::milliseconds(0);
    net::io_context& target = *self->sessions_[self->next_++ % self->sessions_.size()];
    auto protocol = accepted.local_endpoint(ec).protocol();
    int fd = ec ? -1 : accepted.release(ec);
    StrandSocket socket(net::make_strand(target.get_executor()));
    if (!ec) socket.assign(protocol, fd, ec);
    if (ec) {
      spdlog::warn("an accepted connection could not be handed to an I/O thread: {}", ec.message());
      if (fd >= 0 && !socket.is_open()) ::close(fd);
    } else {
      boost::system::error_code nd;
      socket.set_option(net::ip::tcp::no_delay(true), nd);
      std::make_shared<HttpSession>(std::move(socket), self->net_)->run();
    }
    if (self->acceptor_.is_open()) self->do_accept();
  });
}

void Listener::on_accept_error(const boost::system::error_code& ec) {
  bool out_of_descriptors = ec == net::error::no_descriptors || ec == boost::system::errc::too_many_files_open_in_system ||
                            ec == net::error::no_buffer_space || ec == net::error::no_memory;
  auto now = std::chrono::steady_clock::now();
  if (now - last_log_ >= std::chrono::seconds(1)) {
    spdlog::warn("accept failed: {}{}{}", ec.message(), unlogged_ ? " (and " + std::to_string(unlogged_) + " more since the last line)" : "",
                 out_of_descriptors ? "; accepting pauses until descriptors are free (ulimit -n bounds open connections)" : "");
    last_log_ = now;
    unlogged_ = 0;
  } else {
    ++unlogged_;
  }
  if (!acceptor_.is_open()) return;
  if (!out_of_descriptors) return do_accept();  // a connection the peer reset before we took it: next one
  // 10 ms doubling to 1 s: connections closing free descriptors soon, or never.
  backoff_ = std::clamp(backoff_ * 2, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
  pause(backoff_);
}

}  // namespace dc
