// Accepts connections and gives each a new strand and an HttpSession. At
// --max-connections it stops accepting until one closes (new ones wait in
// the backlog). When the process runs out of file descriptors it pauses
// accepting, backing off
// (a retry at once would spin a core on the same error), and logs that at
// most once a second.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <vector>

#include "server/net/http_session.hpp"

namespace dc {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // The acceptor runs on `ioc`; each new connection goes to the next of
  // `sessions` in turn (one io_context per I/O thread).
  Listener(boost::asio::io_context& ioc, std::vector<boost::asio::io_context*> sessions, std::shared_ptr<NetContext> net);
  // Binds and listens; returns the error text on failure.
  std::optional<std::string> open(const boost::asio::ip::tcp::endpoint& endpoint);
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  void run();
  void stop();  // any thread

 private:
  void do_accept();
  void on_accept_error(const boost::system::error_code& ec);
  void pause(std::chrono::milliseconds wait);

  std::vector<boost::asio::io_context*> sessions_;
  size_t next_ = 0;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<NetContext> net_;
  boost::asio::steady_timer pause_;  // on the acceptor's strand
  std::chrono::milliseconds backoff_{0};
  std::chrono::steady_clock::time_point last_log_{};
  uint64_t unlogged_ = 0;
  std::chrono::steady_clock::time_point last_full_log_{};
};

}  // namespace dc
