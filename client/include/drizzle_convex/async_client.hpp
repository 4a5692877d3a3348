// The Asio interface: every call takes a completion token, as Boost.MySQL's
// do, so the same call serves a callback, `boost::asio::use_future` or
// `boost::asio::use_awaitable`. The completion signature is
// void(Result<Json>): errors are values, never exceptions.
//
//   AsyncClient client(io.get_executor(), {.url = "http://127.0.0.1:8787"});
//   Result<Json> rows = co_await client.async_query(db.query("users").find_many(), {}, use_awaitable);
//
// The library is compiled with Asio's separate compilation; the exported
// target DrizzleConvex::client carries the definitions a program needs.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>

#include "drizzle_convex/options.hpp"
#include "drizzle_convex/query.hpp"
#include "drizzle_convex/result.hpp"
#include "drizzle_convex/subscription.hpp"
#include "drizzle_convex/typed/request.hpp"

namespace drizzle_convex {

namespace detail {
class Transport;
}

// The endpoints of protocol.md section 1 that answer {"data": ...}.
enum class Endpoint { query, mutate, explain, schema };

using Response = Result<Json>;

class AsyncClient {
 public:
  AsyncClient(boost::asio::any_io_executor executor, ClientOptions options);
  ~AsyncClient();
  AsyncClient(const AsyncClient&) = delete;
  AsyncClient& operator=(const AsyncClient&) = delete;

  boost::asio::any_io_executor get_executor() const { return executor_; }
  const ClientOptions& options() const;

  template <class Token>
  auto async_query(const ReadQuery& q, CallOptions o, Token&& token) {
    return async_call(Endpoint::query, q.json(), std::move(o), std::forward<Token>(token));
  }
  template <class Token>
  auto async_query(const Json& raw, CallOptions o, Token&& token) {
    return async_call(Endpoint::query, raw, std::move(o), std::forward<Token>(token));
  }
  template <class Token>
  auto async_mutate(const Mutation& m, CallOptions o, Token&& token) {
    return async_call(Endpoint::mutate, m.json(), std::move(o), std::forward<Token>(token));
  }
  template <class Token>
  auto async_mutate(const Json& raw, CallOptions o, Token&& token) {
    return async_call(Endpoint::mutate, raw, std::move(o), std::forward<Token>(token));
  }
  // A read or a mutation: the plan, with nothing run.
  template <class Token>
  auto async_explain(const Json& raw, CallOptions o, Token&& token) {
    return async_call(Endpoint::explain, raw, std::move(o), std::forward<Token>(token));
  }
  template <class Token>
  auto async_schema(CallOptions o, Token&& token) {
    return async_call(Endpoint::schema, Json(), std::move(o), std::forward<Token>(token));
  }

  template <class Token>
  auto async_call(Endpoint endpoint, Json body, CallOptions o, Token&& token) {
    return boost::asio::async_initiate<Token, void(Response)>(
        [this](auto handler, Endpoint e, Json b, CallOptions opts) {
          // The handler may be move-only (use_future, use_awaitable); the
          // type-erased start() wants a copyable callable.
          using Handler = decltype(handler);
          auto shared = std::make_shared<Handler>(std::move(handler));
          start(e, std::move(b), std::move(opts), [shared, ex = executor_](Response r) {
            auto target = boost::asio::get_associated_executor(*shared, ex);
            boost::asio::dispatch(target, [shared, r = std::move(r)]() mutable { (*shared)(std::move(r)); });
          });
        },
        token, endpoint, std::move(body), std::move(o));
  }

  // Typed requests: the completion signature is void(Result<Q::result_type>).
  template <TypedRead Q, class Token>
  auto async_query(const Q& q, CallOptions o, Token&& token) {
    return async_typed<Q>(Endpoint::query, q.json(), std::move(o), std::forward<Token>(token));
  }
  template <TypedMutation Q, class Token>
  auto async_mutate(const Q& m, CallOptions o, Token&& token) {
    return async_typed<Q>(Endpoint::mutate, m.json(), std::move(o), std::forward<Token>(token));
  }
  template <class Q, class Token>
  auto async_typed(Endpoint endpoint, Json body, CallOptions o, Token&& token) {
    using Typed = Result<typename Q::result_type>;
    return boost::asio::async_initiate<Token, void(Typed)>(
        [this](auto handler, Endpoint e, Json b, CallOptions opts) {
          using Handler = decltype(handler);
          auto shared = std::make_shared<Handler>(std::move(handler));
          start(e, std::move(b), std::move(opts), [shared, ex = executor_](Response r) {
            Typed typed = r ? Q::decode(*r) : Typed(std::move(r).error());
            auto target = boost::asio::get_associated_executor(*shared, ex);
            boost::asio::dispatch(target, [shared, typed = std::move(typed)]() mutable { (*shared)(std::move(typed)); });
          });
        },
        token, endpoint, std::move(body), std::move(o));
  }
  template <TypedRead Q>
  Subscription watch(const Q& q, std::function<void(const typename Q::result_type&)> on_change,
                     std::function<void(const Error&)> on_error = {}, WatchOptions options = {}) {
    return watch(q.json(), detail::typed_listener<Q>(std::move(on_change), on_error), on_error, std::move(options));
  }

  // A live query over /v1/live: `on_change` gets the whole current result
  // first and after every change; the socket reconnects with backoff and
  // resubscribes after it drops. A query the server refuses reaches
  // `on_error` and ends the watch. Callbacks run on this client's executor.
  Subscription watch(const ReadQuery& q, std::function<void(const Json&)> on_change,
                     std::function<void(const Error&)> on_error = {}, WatchOptions options = {});
  Subscription watch(const Json& raw, std::function<void(const Json&)> on_change,
                     std::function<void(const Error&)> on_error = {}, WatchOptions options = {});

  // The type-erased call every template above ends in; `done` runs once, on this client's executor.
  void start(Endpoint endpoint, Json body, CallOptions options, std::function<void(Response)> done);

 private:
  boost::asio::any_io_executor executor_;
  std::shared_ptr<detail::Transport> transport_;
  // Watches still running when the client goes are stopped with it.
  std::mutex watches_mutex_;
  std::vector<std::weak_ptr<detail::LiveWatch>> watches_;
};

}  // namespace drizzle_convex
