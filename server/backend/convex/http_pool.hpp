// A keep-alive HTTP/1.1 client for one upstream (http:// or https://), on
// Beast and OpenSSL: at most N connections, each on its own strand; requests
// beyond that wait for a free one, in a bounded queue (a full queue refuses
// at once) where each expires at its deadline. Every request has a deadline;
// a connection that misses it is closed, never reused, so a stalled upstream
// costs a socket only until the deadline.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "protocol/error.hpp"

namespace dc {

struct Upstream {
  bool tls = false;
  std::string host;
  std::string port;
  std::string base_path;  // without a trailing slash
};

// http://host[:port][/base] or https://...
Result<Upstream> parse_upstream_url(std::string_view url);

struct HttpResponse {
  unsigned status = 0;
  std::string body;
};

// A request that got no response.
struct TransportError {
  enum class Kind { connect, timeout, io, overloaded /* the waiting queue is full */ };
  Kind kind = Kind::io;
  std::string message;
  bool maybe_sent = true;  // false: the request never left (safe to retry even a mutation)
};

using HttpOutcome = std::variant<HttpResponse, TransportError>;
using Clock = std::chrono::steady_clock;

class HttpPool : public std::enable_shared_from_this<HttpPool> {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;
  using Done = std::function<void(HttpOutcome)>;

  // `ca_file`: PEM certificates trusted besides the system's (a self-hosted Convex with a private CA).
  HttpPool(boost::asio::any_io_executor ex, Upstream upstream, size_t max_connections, const std::string& ca_file = "",
           size_t max_waiting = kDefaultMaxWaiting);
  ~HttpPool();

  // POSTs `body` to base_path + target. `done` runs once, on a pool thread.
  void post(std::string target, std::string body, const Headers& headers, Clock::time_point deadline, Done done);

  // Closes every idle connection (at shutdown).
  void close_idle();
  const Upstream& upstream() const { return upstream_; }

  // Idle connections older than this are closed rather than reused, so a
  // server's keep-alive timeout (Node's is 5 s) never races a request.
  static constexpr std::chrono::seconds kIdleMax{3};
  // Requests waiting for a connection, at most (per pool).
  static constexpr size_t kDefaultMaxWaiting = 4096;
  size_t waiting() const;

  struct Job;
  class Connection;

 private:
  void release(const std::shared_ptr<Connection>& c, bool reusable);
  std::shared_ptr<Connection> make_connection();
  // Arms the expiry timer for a job queued with `deadline` (on the timer's strand).
  void arm_expiry(Clock::time_point deadline);
  void expire_waiting();

  boost::asio::any_io_executor ex_;
  Upstream upstream_;
  size_t max_;
  size_t max_waiting_;
  std::unique_ptr<boost::asio::ssl::context> ssl_;
  boost::asio::strand<boost::asio::any_io_executor> expiry_strand_;
  boost::asio::steady_timer expiry_;  // fires at the earliest deadline in waiting_; on expiry_strand_
  Clock::time_point armed_at_ = Clock::time_point::max();
  mutable std::mutex mu_;
  size_t open_ = 0;
  std::vector<std::shared_ptr<Connection>> idle_;
  std::deque<std::shared_ptr<Job>> waiting_;
};

}  // namespace dc
