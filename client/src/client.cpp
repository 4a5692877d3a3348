#include "drizzle_convex/client.hpp"

#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "drizzle_convex/async_client.hpp"

namespace drizzle_convex {

namespace net = boost::asio;

// The I/O thread every blocking call waits on.
struct Client::Runner {
  net::io_context io{1};
  net::executor_work_guard<net::io_context::executor_type> work = net::make_work_guard(io);
  std::optional<AsyncClient> async;
  std::thread thread;

  explicit Runner(ClientOptions options) {
    async.emplace(io.get_executor(), std::move(options));
    thread = std::thread([this] { io.run(); });
  }
  ~Runner() {
    async.reset();
    work.reset();
    thread.join();
  }
  Result<Json> call(Endpoint e, Json body, const CallOptions& o) {
    return async->async_call(e, std::move(body), o, net::use_future).get();
  }
};

Client::Client(ClientOptions options) : runner_(std::make_unique<Runner>(std::move(options))) {}
Client::~Client() = default;

AsyncClient& Client::async() { return *runner_->async; }

Result<Json> Client::query(const ReadQuery& q, const CallOptions& o) { return runner_->call(Endpoint::query, q.json(), o); }
Result<Json> Client::query(const Json& raw, const CallOptions& o) { return runner_->call(Endpoint::query, raw, o); }
Result<Json> Client::mutate(const Mutation& m, const CallOptions& o) { return runner_->call(Endpoint::mutate, m.json(), o); }
Result<Json> Client::mutate(const Json& raw, const CallOptions& o) { return runner_->call(Endpoint::mutate, raw, o); }
Result<Json> Client::explain(const Json& raw, const CallOptions& o) { return runner_->call(Endpoint::explain, raw, o); }
Result<Json> Client::schema(const CallOptions& o) { return runner_->call(Endpoint::schema, Json(), o); }

Result<Page> Client::page(const ReadQuery& paginate, const CallOptions& o) {
  auto r = query(paginate, o);
  if (!r) return std::move(r).error();
  const Json& d = *r;
  if (!d.is_object() || !d.contains("page") || !d["page"].is_array() || !d.contains("isDone") || !d["isDone"].is_boolean())
    return Error{Error::Kind::protocol, 200, "BAD_ANSWER", "a paginate answer needs page and isDone", std::nullopt, std::nullopt};
  Page p;
  p.rows = d["page"];
  p.is_done = d["isDone"].get<bool>();
  if (d.contains("continueCursor") && d["continueCursor"].is_string()) p.continue_cursor = d["continueCursor"].get<std::string>();
  return p;
}

Subscription Client::watch(const ReadQuery& q, std::function<void(const Json&)> on_change,
                           std::function<void(const Error&)> on_error, WatchOptions options) {
  return runner_->async->watch(q, std::move(on_change), std::move(on_error), std::move(options));
}
Subscription Client::watch(const Json& raw, std::function<void(const Json&)> on_change,
                           std::function<void(const Error&)> on_error, WatchOptions options) {
  return runner_->async->watch(raw, std::move(on_change), std::move(on_error), std::move(options));
}

Pages::iterator::iterator(Pages* pages) : pages_(pages) { fetch(); }

void Pages::iterator::fetch() {
  current_ = pages_->client_->page(pages_->query_, pages_->options_);
}

Pages::iterator& Pages::iterator::operator++() {
  // After an error or the last page the range ends.
  if (!current_ || !current_->ok() || current_->value().is_done) {
    pages_ = nullptr;
    current_.reset();
    return *this;
  }
  pages_->query_ = pages_->query_.with_cursor(current_->value().continue_cursor);
  fetch();
  return *this;
}

}  // namespace drizzle_convex
