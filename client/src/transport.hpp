// One HTTP call with everything a service needs around it: a keep-alive
// pool, the per-call deadline, retries of reads with jittered backoff, TLS
// with verification. Runs as a coroutine on the client's executor.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <random>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include "client/src/connection.hpp"
#include "client/src/url.hpp"
#include "drizzle_convex/async_client.hpp"
#include "drizzle_convex/options.hpp"

namespace drizzle_convex::detail {

using Clock = std::chrono::steady_clock;

class Transport : public std::enable_shared_from_this<Transport> {
 public:
  Transport(boost::asio::any_io_executor executor, ClientOptions options);

  boost::asio::awaitable<Response> call(Endpoint endpoint, Json body, CallOptions options);

  const ClientOptions& options() const { return options_; }
  const Result<Url>& url() const { return url_; }
  boost::asio::ssl::context& tls() { return tls_; }
  boost::asio::any_io_executor executor() const { return executor_; }
  // Opens a connection (TCP, then TLS when the URL says https) by `deadline`.
  boost::asio::awaitable<Result<std::unique_ptr<Connection>>> open(Clock::time_point deadline);
  // A backoff of `base × 2^(attempt-1)`, capped, times a random 0.5–1.5.
  std::chrono::milliseconds jittered(std::chrono::milliseconds base, std::chrono::milliseconds cap, int attempt);

 private:
  struct Attempt;
  boost::asio::awaitable<Attempt> attempt(Endpoint endpoint, const std::string& body, const std::string& token,
                                          Clock::time_point deadline);
  std::unique_ptr<Connection> take_idle();
  void put_idle(std::unique_ptr<Connection> c);

  boost::asio::any_io_executor executor_;
  ClientOptions options_;
  Result<Url> url_;
  boost::asio::ssl::context tls_;
  std::mutex mutex_;  // the pool and the random source: calls may run on many threads
  std::vector<std::unique_ptr<Connection>> idle_;
  std::minstd_rand random_;
};

Error connection_error(std::string code, std::string message);

}  // namespace drizzle_convex::detail
