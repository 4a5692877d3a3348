#include "drizzle_convex/async_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "client/src/live_watch.hpp"
#include "client/src/transport.hpp"

namespace drizzle_convex {

namespace net = boost::asio;

AsyncClient::AsyncClient(net::any_io_executor executor, ClientOptions options)
    : executor_(executor), transport_(std::make_shared<detail::Transport>(std::move(executor), std::move(options))) {}

AsyncClient::~AsyncClient() {
  std::lock_guard lock(watches_mutex_);
  for (auto& w : watches_)
    if (auto live = w.lock()) live->stop();
}

const ClientOptions& AsyncClient::options() const { return transport_->options(); }

void AsyncClient::start(Endpoint endpoint, Json body, CallOptions options, std::function<void(Response)> done) {
  net::co_spawn(
      executor_,
      [transport = transport_, endpoint, body = std::move(body), options = std::move(options),
       done = std::move(done)]() mutable -> net::awaitable<void> {
        Response r = Error{Error::Kind::protocol, 0, "CLIENT_ERROR", "the call did not complete", std::nullopt, std::nullopt};
        try {
          r = co_await transport->call(endpoint, std::move(body), std::move(options));
        } catch (const std::exception& x) {
          // Only an allocation failure can throw here; it still ends as a value.
          r = Error{Error::Kind::protocol, 0, "CLIENT_ERROR", x.what(), std::nullopt, std::nullopt};
        }
        done(std::move(r));
      },
      net::detached);
}

Subscription AsyncClient::watch(const ReadQuery& q, std::function<void(const Json&)> on_change,
                                std::function<void(const Error&)> on_error, WatchOptions options) {
  return watch(q.json(), std::move(on_change), std::move(on_error), std::move(options));
}

Subscription AsyncClient::watch(const Json& raw, std::function<void(const Json&)> on_change,
                                std::function<void(const Error&)> on_error, WatchOptions options) {
  auto w = std::make_shared<detail::LiveWatch>(transport_, raw, std::move(on_change), std::move(on_error), std::move(options));
  w->start();
  {
    std::lock_guard lock(watches_mutex_);
    std::erase_if(watches_, [](const auto& weak) { return weak.expired(); });
    watches_.push_back(w);
  }
  // Only the running coroutine owns the watch: it ends on this executor,
  // never after it, whoever holds the handle.
  return Subscription(std::weak_ptr<detail::LiveWatch>(w));
}

}  // namespace drizzle_convex
