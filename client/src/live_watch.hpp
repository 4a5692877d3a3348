// One live query over /v1/live (graphql-transport-ws with patches on): keeps
// the current result by applying RFC 6902 patches, hands it whole to the
// callback after each change, and reconnects with jittered backoff.
#pragma once

#include <atomic>
#include <functional>
#include <future>
#include <memory>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "client/src/transport.hpp"

namespace drizzle_convex::detail {

class LiveWatch : public std::enable_shared_from_this<LiveWatch> {
 public:
  LiveWatch(std::shared_ptr<Transport> transport, Json query, std::function<void(const Json&)> on_change,
            std::function<void(const Error&)> on_error, WatchOptions options);
  void start();
  // Sends `complete`, closes the socket; the future is ready when the watch has ended.
  std::shared_future<void> stop();
  bool on_own_strand() const { return strand_.running_in_this_thread(); }
  int connections() const { return connections_.load(); }

 private:
  enum class SessionEnd { dropped, ended };
  boost::asio::awaitable<void> run();
  template <class Ws>
  boost::asio::awaitable<SessionEnd> session(std::shared_ptr<Ws> ws);
  boost::asio::awaitable<SessionEnd> connect_and_run();
  Json subscribe_message(std::string& id, int64_t& version);
  void deliver();
  void fail(Error e);

  std::shared_ptr<Transport> transport_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  Json query_;
  std::function<void(const Json&)> on_change_;
  std::function<void(const Error&)> on_error_;
  WatchOptions options_;
  boost::asio::steady_timer backoff_timer_;
  bool is_read_;
  bool stopped_ = false;             // on the strand
  std::function<void()> close_now_;  // set while a socket is open; sends complete and closes it
  Json current_;
  Json delivered_;
  bool have_delivered_ = false;
  std::atomic<int> connections_{0};
  std::promise<void> ended_;
  std::shared_future<void> ended_future_;
  int subscription_ = 0;
};

}  // namespace drizzle_convex::detail
