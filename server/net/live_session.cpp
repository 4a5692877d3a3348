#include "server/net/live_session.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "protocol/value_json.hpp"

namespace dc {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace websocket = beast::websocket;

namespace {

std::string json_string(std::string_view s) {
  std::string out;
  write_json_string(s, out);
  return out;
}

std::string error_payload(const Error& e) {
  Json item{{"message", e.message}, {"code", std::string(code_name(e.code))}};
  if (e.path) item["path"] = *e.path;
  return Json::array({item}).dump();
}

}  // namespace

LiveSession::LiveSession(Stream&& stream, AppState& app)
    : hub_(app.live), ws_(std::move(stream)), app_(app), init_timer_(ws_.get_executor()), stuck_timer_(ws_.get_executor()),
      close_timer_(ws_.get_executor()) {}

LiveSession::~LiveSession() {
  hub_->leave(this);
}

void LiveSession::run(Request req) {
  beast::get_lowest_layer(ws_).expires_never();  // the WebSocket keeps its own timeouts
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = std::chrono::seconds(10);
  timeouts.idle_timeout = app_.config.live_idle_timeout;
  timeouts.keep_alive_pings = true;  // a ping at half the idle time; a live client's pong keeps it open
  ws_.set_option(timeouts);
  ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
    res.set(http::field::server, "drizzle-convex");
    res.set(http::field::sec_websocket_protocol, "graphql-transport-ws");
  }));
  ws_.read_message_max(app_.config.max_body_bytes);
  upgrade_.emplace(std::move(req));
  auto self = shared_from_this();
  ws_.async_accept(*upgrade_, [self](beast::error_code ec) { self->on_accept(ec); });
}

void LiveSession::on_accept(beast::error_code ec) {
  upgrade_.reset();
  if (ec) return finish();
  init_timer_.expires_after(app_.config.live_init_timeout);
  init_timer_.async_wait([self = shared_from_this()](beast::error_code tec) {
    if (!tec && !self->init_seen_) self->close(live_close::init_timeout, "Connection initialisation timeout");
  });
  do_read();
}

void LiveSession::do_read() {
  ws_.async_read(buffer_, beast::bind_front_handler(&LiveSession::on_read, shared_from_this()));
}

void LiveSession::on_read(beast::error_code ec, std::size_t) {
  if (ec) return finish();
  std::string text = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  if (buffer_.capacity() > 4096) buffer_.shrink_to_fit();  // idle sockets stay small
  handle(text);
  if (!finished_) do_read();
}

void LiveSession::handle(const std::string& text) {
  if (closing_) return;
  Json m = Json::parse(text, nullptr, false);
  if (m.is_discarded() || !m.is_object() || !m.contains("type") || !m["type"].is_string()) {
    return close(live_close::bad_request, "Invalid message received");
  }
  const std::string& type = m["type"].get_ref<const std::string&>();
  if (type == "connection_init") {
    if (init_seen_) return close(live_close::too_many_inits, "Too many initialisation requests");
    init_seen_ = true;
    init_timer_.cancel();
    auto payload = m.find("payload");
    if (payload != m.end() && payload->is_object()) {
      auto p = payload->find("patches");
      patches_ = p != payload->end() && p->is_boolean() && p->get<bool>();
    }
    // Auth comes later: every live connection is anonymous for now (docs/live.md).
    return send_control(R"({"type":"connection_ack"})");
  }
  if (type == "ping") return send_control(R"({"type":"pong"})");
  if (type == "pong") return;
  if (type == "subscribe" || type == "complete") {
    auto id = m.find("id");
    if (id == m.end() || !id->is_string() || id->get_ref<const std::string&>().empty()) {
      return close(live_close::bad_request, "Invalid message received");
    }
    const std::string& sid = id->get_ref<const std::string&>();
    if (type == "complete") {
      auto it = by_id_.find(sid);
      if (it != by_id_.end()) end_subscription(it->second);
      return;
    }
    if (!init_seen_) return close(live_close::unauthorized, "Unauthorized");
    if (by_id_.count(sid)) return close(live_close::subscriber_exists, "Subscriber for " + sid.substr(0, 64) + " already exists");
    auto payload = m.find("payload");
    if (payload == m.end() || !payload->is_object()) return close(live_close::bad_request, "Invalid message received");
    return subscribe(sid, *payload);
  }
  close(live_close::bad_request, "Invalid message received");
}

void LiveSession::subscribe(const std::string& id, const Json& payload) {
  if (subs_.size() >= app_.config.live_max_subscriptions) {
    return send_error(id, Error::query("at most " + std::to_string(app_.config.live_max_subscriptions) +
                                           " subscriptions per connection (--live-max-subscriptions)",
                                       ""));
  }
  // The query is the payload itself, or, for GraphQL clients (graphql-ws
  // insists on a string `query`), its JSON text in `query`.
  std::string body;
  auto q = payload.find("query");
  if (q != payload.end() && q->is_string() && !payload.contains("table")) {
    body = q->get<std::string>();
  } else {
    body = payload.dump();
  }
  auto planned = plan_request(app_, body, Accept::both);
  if (!planned) return send_error(id, planned.error());
  uint64_t key = hub_->new_key();
  by_id_.emplace(id, key);
  auto& sub = subs_[key];
  sub.id = id;
  if (planned->mutation) return run_mutation(id, key, planned->mutation);
  std::weak_ptr<LiveSink> sink = std::static_pointer_cast<LiveSink>(shared_from_this());
  sub.topic = hub_->subscribe(planned->read, ctx_, std::move(sink), key);
}

void LiveSession::run_mutation(const std::string& id, uint64_t key, std::shared_ptr<const MutationPlan> plan) {
  auto self = shared_from_this();
  app_.backend->write(plan, ctx_, [self, id, key](Result<WriteOutcome> out) {
    net::dispatch(self->ws_.get_executor(), [self, id, key, out = std::move(out)]() mutable {
      if (!self->subs_.count(key)) return;  // completed by the client meanwhile
      self->by_id_.erase(id);
      self->subs_.erase(key);
      if (!out) return self->send_error(id, out.error());
      std::string quoted = json_string(id);
      self->send_control(R"({"type":"next","id":)" + quoted + R"(,"payload":{"version":1,"data":)" + out->data_json + "}}");
      self->send_control(R"({"type":"complete","id":)" + quoted + "}");
    });
  });
}

void LiveSession::deliver(uint64_t sub, LiveUpdatePtr update) {
  net::post(ws_.get_executor(), [self = shared_from_this(), sub, update = std::move(update)]() mutable {
    self->on_update(sub, std::move(update));
  });
}

void LiveSession::on_update(uint64_t key, LiveUpdatePtr update) {
  if (closing_) return;
  auto it = subs_.find(key);
  if (it == subs_.end()) return;
  Subscription& sub = it->second;
  if (update->revision <= sub.revision) return;  // overtaken by a newer one
  if (update->error) {
    std::string id = sub.id;
    end_subscription(key);
    return send_error(id, *update->error);
  }
  bool patch = patches_ && update->patch && sub.revision != 0 && update->revision == sub.revision + 1;
  sub.revision = update->revision;
  enqueue(Out{key, std::move(update), patch, {}});
}

void LiveSession::end_subscription(uint64_t key) {
  auto it = subs_.find(key);
  if (it == subs_.end()) return;
  if (it->second.topic) hub_->unsubscribe(it->second.topic, key);
  by_id_.erase(it->second.id);
  subs_.erase(it);
}

void LiveSession::send_control(std::string text) { enqueue(Out{0, nullptr, false, std::move(text)}); }

void LiveSession::send_error(const std::string& id, const Error& e) {
  send_control(R"({"type":"error","id":)" + json_string(id) + R"(,"payload":)" + error_payload(e) + "}");
}

void LiveSession::enqueue(Out out) {
  if (finished_ || closing_) return;
  outbox_.push_back(std::move(out));
  if (outbox_.size() > app_.config.live_outbox) collapse();
  do_write();
}

// Keeps every literal message and, per subscription, only its newest result
// as a full `data` message: the client skips intermediate states, never a
// version, and what it holds stays exact. (The message being written has
// left the outbox already.)
void LiveSession::collapse() {
  std::deque<Out> kept;
  std::unordered_map<uint64_t, size_t> newest;  // subscription → position in kept
  for (Out& m : outbox_) {
    if (m.sub == 0) {
      kept.push_back(std::move(m));
      continue;
    }
    auto [it, fresh] = newest.emplace(m.sub, kept.size());
    if (fresh) {
      m.patch = false;
      kept.push_back(std::move(m));
    } else {
      kept[it->second].update = std::move(m.update);
    }
  }
  outbox_ = std::move(kept);
  hub_->stats().collapses.fetch_add(1, std::memory_order_relaxed);
  if (!overflowed_) {
    overflowed_ = true;
    stuck_timer_.expires_after(app_.config.live_stuck_timeout);
    stuck_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec && self->overflowed_) self->close(live_close::too_slow, "client too slow: outbox stayed full");
    });
  }
  // Literal messages alone (a client flooding pings it never reads) cannot grow without bound.
  if (outbox_.size() > 2 * app_.config.live_outbox + subs_.size()) close(live_close::too_slow, "client too slow: outbox full");
}

void LiveSession::do_write() {
  while (!writing_ && !outbox_.empty()) {
    Out& m = outbox_.front();
    if (m.sub == 0) {
      head_ = std::move(m.text);
      tail_.clear();
      in_flight_.reset();
    } else {
      auto it = subs_.find(m.sub);
      if (it == subs_.end()) {  // ended meanwhile
        outbox_.pop_front();
        continue;
      }
      Subscription& sub = it->second;
      head_ = R"({"type":"next","id":)";
      write_json_string(sub.id, head_);
      head_ += R"(,"payload":{"version":)" + std::to_string(++sub.version) + (m.patch ? R"(,"patch":)" : R"(,"data":)");
      tail_ = "}}";
      in_flight_ = std::move(m.update);
    }
    bool patch = m.patch;
    outbox_.pop_front();
    writing_ = true;
    hub_->stats().messages.fetch_add(1, std::memory_order_relaxed);
    ws_.text(true);
    // Envelope, shared body (serialized once for every recipient), envelope.
    std::array<net::const_buffer, 3> buffers{net::buffer(head_), net::const_buffer(), net::const_buffer()};
    if (in_flight_) {
      buffers[1] = net::buffer(patch ? *in_flight_->patch : *in_flight_->data);
      buffers[2] = net::buffer(tail_);
    }
    ws_.async_write(buffers, beast::bind_front_handler(&LiveSession::on_write, shared_from_this()));
  }
}

void LiveSession::on_write(beast::error_code ec, std::size_t) {
  writing_ = false;
  in_flight_.reset();
  if (ec) return finish();
  if (outbox_.empty()) {
    overflowed_ = false;
    stuck_timer_.cancel();
    if (close_after_flush_) return close(websocket::close_code::going_away, "server shutting down");
  }
  do_write();
}

void LiveSession::shut_down() {
  net::post(ws_.get_executor(), [self = shared_from_this()] {
    if (self->closing_ || self->finished_) return;
    for (auto& [key, sub] : self->subs_) {
      if (sub.topic) self->send_control(R"({"type":"complete","id":)" + json_string(sub.id) + "}");
    }
    self->close_after_flush_ = true;
    if (!self->writing_ && self->outbox_.empty()) self->close(websocket::close_code::going_away, "server shutting down");
  });
}

void LiveSession::close(uint16_t code, std::string reason) {
  if (closing_ || finished_) return;
  closing_ = true;
  if (code == live_close::too_slow) {
    hub_->stats().slow_closes.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("live socket closed ({}): {}", code, reason);
  }
  outbox_.clear();
  init_timer_.cancel();
  stuck_timer_.cancel();
  auto self = shared_from_this();
  websocket::close_reason why;
  why.code = code;
  why.reason = reason;
  ws_.async_close(why, [self](beast::error_code) {
    // The read loop ends with the close handshake; make sure it does.
    beast::error_code ignored;
    beast::get_lowest_layer(self->ws_).socket().close(ignored);
  });
  // A peer that does not read cannot receive the close frame: do not wait for it.
  close_timer_.expires_after(std::chrono::seconds(2));
  close_timer_.async_wait([self](beast::error_code ec) {
    if (ec || self->finished_) return;
    beast::error_code ignored;
    beast::get_lowest_layer(self->ws_).socket().close(ignored);
  });
}

void LiveSession::finish() {
  if (finished_) return;
  finished_ = true;
  upgrade_.reset();
  close_timer_.cancel();
  init_timer_.cancel();
  stuck_timer_.cancel();
  for (auto& [key, sub] : subs_) {
    if (sub.topic) hub_->unsubscribe(sub.topic, key);
  }
  subs_.clear();
  by_id_.clear();
  outbox_.clear();
}

}  // namespace dc
