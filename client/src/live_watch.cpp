#include "client/src/live_watch.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "client/src/answer.hpp"
#include "drizzle_convex/subscription.hpp"
#include "protocol/json_read.hpp"

namespace drizzle_convex {

namespace detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

namespace {
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
constexpr int kCloseForbidden = 4403;

// Messages are built outside the coroutines: GCC 12 rejects braced
// initializer lists of string literals inside a coroutine body.
Json message(const char* type, const std::string& id = {}) {
  Json m = {{"type", type}};
  if (!id.empty()) m["id"] = id;
  return m;
}
Json init_message(const std::string& token) {
  Json init = {{"type", "connection_init"}, {"payload", {{"patches", true}}}};
  if (!token.empty()) init["payload"]["token"] = token;
  return init;
}
Error forbidden() {
  return Error{Error::Kind::server, 0, "UNAUTHENTICATED", "the server refused the credentials (close 4403)", std::nullopt,
               std::nullopt};
}

// One message; `writing` tells stop() a write is under way (Beast allows one at a time).
template <class Ws>
net::awaitable<bool> send_json(Ws& ws, bool& writing, const Json& message) {
  writing = true;
  auto [ec, n] = co_await ws.async_write(net::buffer(message.dump()), use_tuple);
  writing = false;
  co_return !ec;
}

Error from_payload(const Json& payload) {
  Error e{Error::Kind::server, 0, "ERROR", "the server ended the live query", std::nullopt, std::nullopt};
  return error_from(payload.is_array() && !payload.empty() ? payload[0] : payload, std::move(e));
}
}  // namespace

LiveWatch::LiveWatch(std::shared_ptr<Transport> transport, Json query, std::function<void(const Json&)> on_change,
                     std::function<void(const Error&)> on_error, WatchOptions options)
    : transport_(std::move(transport)),
      strand_(net::make_strand(transport_->executor())),
      query_(std::move(query)),
      on_change_(std::move(on_change)),
      on_error_(std::move(on_error)),
      options_(std::move(options)),
      backoff_timer_(strand_),
      is_read_(query_.is_object() && query_.contains("op") && query_["op"].is_string() &&
               query_["op"].get<std::string>() != "insert" && query_["op"].get<std::string>() != "update" &&
               query_["op"].get<std::string>() != "delete" && query_["op"].get<std::string>() != "transaction"),
      ended_future_(ended_.get_future().share()) {}

void LiveWatch::start() {
  net::co_spawn(strand_, [self = shared_from_this()]() { return self->run(); }, net::detached);
}

std::shared_future<void> LiveWatch::stop() {
  // Ended already (its client stopped it): the executor may be gone too.
  if (ended_future_.wait_for(std::chrono::seconds(0)) == std::future_status::ready) return ended_future_;
  net::dispatch(strand_, [self = shared_from_this()] {
    if (self->stopped_) return;
    self->stopped_ = true;
    self->backoff_timer_.cancel();
    if (self->close_now_) self->close_now_();
  });
  return ended_future_;
}

// "w1", "w2", ...: built by append (GCC 12's -O3 warns, wrongly, on "w" + to_string).
static std::string subscription_id(int n) {
  std::string id(1, 'w');
  id += std::to_string(n);
  return id;
}

Json LiveWatch::subscribe_message(std::string& id, int64_t& version) {
  id = subscription_id(++subscription_);
  version = 0;
  return Json{{"type", "subscribe"}, {"id", id}, {"payload", query_}};
}

void LiveWatch::deliver() {
  if (have_delivered_ && current_ == delivered_) return;  // a reconnect that changed nothing
  delivered_ = current_;
  have_delivered_ = true;
  try {
    if (on_change_) on_change_(delivered_);
  } catch (...) {
    // A throwing callback must not take the I/O thread down; the watch goes on.
  }
}

void LiveWatch::fail(Error e) {
  try {
    if (on_error_) on_error_(e);
  } catch (...) {
  }
}

net::awaitable<void> LiveWatch::run() {
  int failures = 0;
  while (!stopped_) {
    int before = connections_.load();
    SessionEnd end = co_await connect_and_run();
    if (end == SessionEnd::ended || stopped_) break;
    failures = connections_.load() > before && have_delivered_ ? 1 : failures + 1;
    backoff_timer_.expires_after(transport_->jittered(options_.min_backoff, options_.max_backoff, failures));
    co_await backoff_timer_.async_wait(use_tuple);
  }
  close_now_ = nullptr;
  ended_.set_value();
}

net::awaitable<LiveWatch::SessionEnd> LiveWatch::connect_and_run() {
  if (!transport_->url()) {
    fail(transport_->url().error());
    co_return SessionEnd::ended;
  }
  auto opened = co_await transport_->open(Clock::now() + transport_->options().timeout);
  if (!opened || stopped_) co_return SessionEnd::dropped;
  auto c = std::move(opened).value();
  if (c->plain) {
    auto ws = std::make_shared<websocket::stream<beast::tcp_stream>>(std::move(*c->plain));
    SessionEnd end = co_await session(ws);
    close_now_ = nullptr;  // it refers to the session's frame
    co_return end;
  }
  auto ws = std::make_shared<websocket::stream<beast::ssl_stream<beast::tcp_stream>>>(std::move(*c->tls));
  SessionEnd end = co_await session(ws);
  close_now_ = nullptr;
  co_return end;
}

template <class Ws>
net::awaitable<LiveWatch::SessionEnd> LiveWatch::session(std::shared_ptr<Ws> ws) {
  const Url& u = transport_->url().value();
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = transport_->options().timeout;
  timeouts.idle_timeout = std::chrono::seconds(30);  // a server gone silent is noticed by its missing pongs
  timeouts.keep_alive_pings = true;
  beast::get_lowest_layer(*ws).expires_never();
  ws->set_option(timeouts);
  ws->set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
    req.set(beast::http::field::sec_websocket_protocol, "graphql-transport-ws");
    req.set(beast::http::field::user_agent, "drizzle-convex-client/0.1");
  }));
  auto [hec] = co_await ws->async_handshake(u.host_header(), u.base_path + "/v1/live", use_tuple);
  if (hec || stopped_) co_return SessionEnd::dropped;

  bool writing = false;
  const std::string& token = options_.token ? *options_.token : transport_->options().token;
  if (!co_await send_json(*ws, writing, init_message(token))) co_return SessionEnd::dropped;

  // complete, then the close handshake; the socket object lives until both are done.
  close_now_ = [this, ws, &writing] {
    if (writing) {
      beast::get_lowest_layer(*ws).cancel();
      return;
    }
    net::co_spawn(strand_, [ws, id = subscription_id(subscription_)]() -> net::awaitable<void> {
      std::string complete = message("complete", id).dump();
      co_await ws->async_write(net::buffer(complete), use_tuple);
      co_await ws->async_close(websocket::close_code::normal, use_tuple);
    }, net::detached);
  };

  bool acked = false;
  std::string id;
  int64_t version = 0;
  beast::flat_buffer buffer;
  for (;;) {
    auto [rec, n] = co_await ws->async_read(buffer, use_tuple);
    if (rec) {
      if (ws->reason().code == kCloseForbidden) {
        fail(forbidden());
        co_return SessionEnd::ended;
      }
      co_return SessionEnd::dropped;
    }
    if (stopped_) co_return SessionEnd::ended;
    auto read = read_answer_json(beast::buffers_to_string(buffer.data()));
    buffer.consume(buffer.size());
    if (!read) continue;  // not the protocol's: ignored, as unknown message types are
    Json& m = *read;
    if (!m.is_object() || !m.contains("type") || !m["type"].is_string()) continue;
    const std::string type = m["type"].get<std::string>();
    if (type == "ping") {
      if (!co_await send_json(*ws, writing, message("pong"))) co_return SessionEnd::dropped;
      continue;
    }
    if (type == "connection_ack" && !acked) {
      acked = true;
      ++connections_;
      if (!co_await send_json(*ws, writing, subscribe_message(id, version))) co_return SessionEnd::dropped;
      continue;
    }
    if (!m.contains("id") || m["id"] != id) continue;  // a message of an earlier subscription
    const Json& payload = m.contains("payload") ? m["payload"] : Json();
    if (type == "error") {
      fail(from_payload(payload));
      co_return SessionEnd::ended;
    }
    // The server completes a read when it stops (a restart, a deploy):
    // the watch goes on with the next server. A mutation answers once and completes.
    if (type == "complete") co_return is_read_ ? SessionEnd::dropped : SessionEnd::ended;
    if (type != "next" || !payload.is_object()) continue;
    auto v = static_cast<int64_t>(dc::unsigned_field(payload, "version").value_or(0));
    if (payload.contains("data")) {
      current_ = payload["data"];
      version = v;
      deliver();
      continue;
    }
    bool applied = false;
    if (payload.contains("patch") && version > 0 && v == version + 1) {
      try {
        current_ = current_.patch(payload["patch"]);
        applied = true;
      } catch (const std::exception&) {
      }
    }
    if (applied) {
      version = v;
      deliver();
      continue;
    }
    // A version gap or a patch that does not apply: start this query over.
    if (!co_await send_json(*ws, writing, message("complete", id))) co_return SessionEnd::dropped;
    if (!co_await send_json(*ws, writing, subscribe_message(id, version))) co_return SessionEnd::dropped;
  }
}

}  // namespace detail

void Subscription::complete() {
  auto watch = watch_.lock();
  watch_.reset();
  if (!watch) return;  // ended already, or its client is gone
  auto ended = watch->stop();
  // From a callback the strand is ours: waiting would wait for ourselves.
  if (!watch->on_own_strand()) ended.wait_for(std::chrono::seconds(3));
}

int Subscription::connections() const {
  auto watch = watch_.lock();
  return watch ? watch->connections() : 0;
}

}  // namespace drizzle_convex
