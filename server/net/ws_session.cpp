#include "server/net/ws_session.hpp"

#include <algorithm>
#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <unordered_map>

#include "protocol/json_read.hpp"
#include "protocol/live_messages.hpp"
#include "protocol/value_json.hpp"

namespace dc {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace websocket = beast::websocket;

WsSession::WsSession(Stream&& stream, std::shared_ptr<NetContext> net, RequestContext ctx)
    : net_(std::move(net)),
      request_id_(ctx.request_id),
      peer_(ctx.peer),
      ticket_(net_->open),
      hub_(net_->pipeline->hub()),
      ws_(LiveStream(std::move(stream))),
      init_timer_(ws_.get_executor()),
      expiry_timer_(ws_.get_executor()),
      stuck_timer_(ws_.get_executor()),
      close_timer_(ws_.get_executor()),
      handler_(net_->pipeline, LiveLimits{net_->options.live_max_subscriptions}, *this, std::move(ctx)) {}

WsSession::~WsSession() {
  if (counted_) hub_->queued_changed(-static_cast<int64_t>(counted_));
  hub_->leave(this);
}

namespace {

uint64_t update_bytes(const LiveUpdatePtr& u) {
  if (!u) return 0;
  return (u->data ? u->data->size() : 0) + (u->patch ? u->patch->size() : 0);
}

}  // namespace

void WsSession::account() {
  waiting_ = 0;
  for (const Out& m : outbox_) waiting_ += m.text.size() + update_bytes(m.update);
  uint64_t bytes = head_.size() + update_bytes(in_flight_) + waiting_;
  if (bytes == counted_) return;
  int64_t delta = static_cast<int64_t>(bytes) - static_cast<int64_t>(counted_);
  counted_ = bytes;
  queued_.store(bytes, std::memory_order_relaxed);
  hub_->queued_changed(delta);
}

void WsSession::shed() {
  net::post(ws_.get_executor(), [self = shared_from_this()] {
    self->close(live::close_code::too_slow, "client too slow: live memory budget (--live-memory-budget) exceeded");
  });
}

void WsSession::rules_replaced(uint64_t epoch) {
  net::post(ws_.get_executor(), [self = shared_from_this(), epoch] {
    if (self->closing_ || self->finished_) return;
    if (self->handler_.on_rules_replaced(epoch) && self->expiry_armed_) {
      // The new file may allow less clock skew: the expiry is worked out again.
      self->expiry_timer_.cancel();
      self->expiry_armed_ = false;
      self->arm_expiry();
    }
  });
}

void WsSession::run(Request req) {
  beast::get_lowest_layer(ws_).expires_never();  // the WebSocket keeps its own timeouts
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = std::chrono::seconds(10);
  timeouts.idle_timeout = net_->options.live_idle_timeout;
  timeouts.keep_alive_pings = true;  // a ping at half the idle time; a live client's pong keeps it open
  ws_.set_option(timeouts);
  ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
    res.set(http::field::server, "drizzle-convex");
    res.set(http::field::sec_websocket_protocol, "graphql-transport-ws");
  }));
  ws_.read_message_max(net_->options.max_body_bytes);
  upgrade_.emplace(std::move(req));
  auto self = shared_from_this();
  ws_.async_accept(*upgrade_, [self](beast::error_code ec) { self->on_accept(ec); });
}

void WsSession::on_accept(beast::error_code ec) {
  upgrade_.reset();
  if (ec) return finish();
  if (net_->options.access_log) {
    std::string id;
    write_json_string(request_id_, id);
    spdlog::info(R"({{"event":"live-open","requestId":{},"peer":"{}"}})", id, peer_);
    logged_open_ = true;
  }
  init_timer_.expires_after(net_->options.live_init_timeout);
  init_timer_.async_wait([self = shared_from_this()](beast::error_code tec) {
    if (!tec && !self->closing_) self->handler_.on_init_timeout();
  });
  do_read();
}

void WsSession::do_read() { ws_.async_read(buffer_, beast::bind_front_handler(&WsSession::on_read, shared_from_this())); }

void WsSession::on_read(beast::error_code ec, std::size_t) {
  if (ec) return finish();
  std::string text = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  if (buffer_.capacity() > 4096) buffer_.shrink_to_fit();  // idle sockets stay small
  if (!closing_) {
    handler_.on_message(text);
    if (handler_.initialised()) {
      init_timer_.cancel();
      arm_expiry();
    }
  }
  if (!finished_) do_read();
}

void WsSession::arm_expiry() {
  if (expiry_armed_ || closing_) return;
  expiry_armed_ = true;
  auto at = handler_.expires_at();
  if (!at) return;
  auto left = std::chrono::seconds(*at) - std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  expiry_timer_.expires_after(std::max(left, std::chrono::seconds(0)));
  expiry_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec && !self->closing_ && !self->finished_) self->handler_.on_expired();
  });
}

void WsSession::deliver(uint64_t key, LiveUpdatePtr update) {
  net::post(ws_.get_executor(), [self = shared_from_this(), key, update = std::move(update)]() mutable {
    if (self->closing_ || self->finished_) return;
    self->handler_.on_update(key, std::move(update));
  });
}

std::weak_ptr<LiveSink> WsSession::sink() { return std::static_pointer_cast<LiveSink>(shared_from_this()); }

LiveOutput::Poster WsSession::poster() {
  return [self = shared_from_this()](std::function<void()> f) {
    net::dispatch(self->ws_.get_executor(), [self, f = std::move(f)] {
      if (!self->finished_) f();
    });
  };
}

void WsSession::send_text(std::string text) { enqueue(Out{0, nullptr, false, std::move(text)}); }

void WsSession::send_error(std::string_view id, const Error& e) { send_text(live::encode_error(id, live_error_payload(e))); }

void WsSession::send_update(uint64_t key, LiveUpdatePtr update, bool patch) { enqueue(Out{key, std::move(update), patch, {}}); }

void WsSession::enqueue(Out out) {
  if (finished_ || closing_) return;
  outbox_.push_back(std::move(out));
  if (outbox_.size() > net_->options.live_outbox) collapse();
  do_write();
  account();
  // By bytes too: a few large results fill memory long before 64 messages.
  // What waits behind the write in flight counts; one result alone may be larger.
  if (outbox_.size() > 1 && waiting_ > net_->options.live_outbox_bytes) {
    collapse();
    account();
    if (outbox_.size() > 1 && waiting_ > net_->options.live_outbox_bytes) {
      close(live::close_code::too_slow, "client too slow: outbox over --live-outbox-bytes");
    }
  }
}

// Keeps every literal message and, per subscription, only its newest result
// as a full `data` message: the client skips intermediate states, never a
// version, and what it holds stays exact. (The message being written has
// left the outbox already.)
void WsSession::collapse() {
  std::deque<Out> kept;
  std::unordered_map<uint64_t, size_t> newest;  // subscription → position in kept
  size_t updates = 0;
  for (Out& m : outbox_) {
    if (m.key == 0) {
      kept.push_back(std::move(m));
      continue;
    }
    auto [it, fresh] = newest.emplace(m.key, kept.size());
    if (fresh) {
      m.patch = false;
      kept.push_back(std::move(m));
      ++updates;
    } else {
      kept[it->second].update = std::move(m.update);
    }
  }
  outbox_ = std::move(kept);
  hub_->stats().collapses.fetch_add(1, std::memory_order_relaxed);
  if (!overflowed_) {
    overflowed_ = true;
    stuck_timer_.expires_after(net_->options.live_stuck_timeout);
    stuck_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec && self->overflowed_) self->close(live::close_code::too_slow, "client too slow: outbox stayed full");
    });
  }
  // Literal messages alone (a client flooding pings it never reads) cannot grow without bound.
  if (outbox_.size() > 2 * net_->options.live_outbox + updates) close(live::close_code::too_slow, "client too slow: outbox full");
}

void WsSession::do_write() {
  while (!writing_ && !outbox_.empty()) {
    Out& m = outbox_.front();
    if (m.key == 0) {
      head_ = std::move(m.text);
      tail_ = {};
      in_flight_.reset();
    } else {
      auto head = handler_.next_head(m.key, m.patch);
      if (!head) {  // the subscription ended meanwhile
        outbox_.pop_front();
        continue;
      }
      head_ = std::move(*head);
      tail_ = live::next_tail();
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
      buffers[2] = net::buffer(tail_.data(), tail_.size());
    }
    ws_.async_write(buffers, beast::bind_front_handler(&WsSession::on_write, shared_from_this()));
  }
}

void WsSession::on_write(beast::error_code ec, std::size_t) {
  writing_ = false;
  in_flight_.reset();
  head_.clear();
  if (ec) {
    finish();
    return account();
  }
  if (outbox_.empty()) {
    overflowed_ = false;
    stuck_timer_.cancel();
    if (close_after_flush_) return close(websocket::close_code::going_away, "server shutting down");
  }
  do_write();
  account();
}

void WsSession::shut_down() {
  net::post(ws_.get_executor(), [self = shared_from_this()] {
    if (self->closing_ || self->finished_) return;
    self->handler_.shut_down();
    self->close_after_flush_ = true;
    if (!self->writing_ && self->outbox_.empty()) self->close(websocket::close_code::going_away, "server shutting down");
  });
}

void WsSession::close(uint16_t code, std::string reason) {
  if (closing_ || finished_) return;
  closing_ = true;
  close_code_ = code;
  close_reason_ = reason;
  if (code == live::close_code::too_slow) {
    hub_->stats().slow_closes.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("live socket closed ({}): {}", code, reason);
  }
  outbox_.clear();
  account();
  init_timer_.cancel();
  expiry_timer_.cancel();
  stuck_timer_.cancel();
  auto self = shared_from_this();
  websocket::close_reason why;
  why.code = code;
  why.reason = safe_text(reason, 120);  // a close frame's reason is at most 123 bytes of UTF-8
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

void WsSession::finish() {
  if (finished_) return;
  finished_ = true;
  if (logged_open_) {  // a socket whose handshake failed never opened
    // Who closed it and why: the server's code, else the client's close frame, else the connection dropped (null).
    auto peer_close = ws_.reason();
    std::string id, reason = "null", code = "null";
    write_json_string(request_id_, id);
    if (close_code_) {
      code = std::to_string(close_code_);
      reason.clear();
      write_json_string(close_reason_, reason);
    } else if (peer_close.code != websocket::close_code::none) {
      code = std::to_string(peer_close.code);
      reason.clear();
      write_json_string(std::string(peer_close.reason.c_str()), reason);
    }
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - opened_).count();
    spdlog::info(R"({{"event":"live-close","requestId":{},"peer":"{}","by":"{}","code":{},"reason":{},"ms":{}}})", id, peer_,
                 close_code_ ? "server" : peer_close.code != websocket::close_code::none ? "client" : "connection", code, reason, ms);
  }
  upgrade_.reset();
  close_timer_.cancel();
  init_timer_.cancel();
  expiry_timer_.cancel();
  stuck_timer_.cancel();
  handler_.finish();
  outbox_.clear();  // a write in flight keeps its buffers until on_write
  account();
}

}  // namespace dc
