#include "server/backend/convex/sync_client.hpp"

#include "protocol/version.hpp"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <random>

#include "protocol/json_read.hpp"
#include "server/backend/convex/convex_client.hpp"

namespace dc {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

namespace {

constexpr auto kOpenTimeout = std::chrono::seconds(10);
constexpr auto kMaxBackoff = std::chrono::milliseconds(10000);

std::string uuid_v4() {
  std::random_device rd;
  std::uniform_int_distribution<int> hex(0, 15);
  std::string s = "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx";
  const char* digits = "0123456789abcdef";
  for (char& c : s) {
    if (c == 'x') c = digits[hex(rd)];
    if (c == 'y') c = digits[8 + hex(rd) % 4];
  }
  return s;
}

}  // namespace

namespace {

bool is_u32(const Json& j) {
  return j.is_number_integer() && j.get<int64_t>() >= 0 && j.get<int64_t>() <= int64_t{0xffffffff};
}

}  // namespace

std::optional<SyncVersion> parse_sync_version(const Json& j) {
  if (!j.is_object()) return std::nullopt;
  auto qs = j.find("querySet");
  auto id = j.find("identity");
  auto ts = j.find("ts");
  if (qs == j.end() || id == j.end() || ts == j.end() || !is_u32(*qs) || !is_u32(*id) || !ts->is_string()) {
    return std::nullopt;
  }
  auto v = u64_from_base64_le(ts->get_ref<const std::string&>());
  if (!v) return std::nullopt;
  return SyncVersion{qs->get<uint32_t>(), id->get<uint32_t>(), *v};
}

// One WebSocket to /api/sync, plain or TLS; everything runs on the client's strand.
class SyncSocket {
 public:
  using Opened = std::function<void(std::string error)>;  // empty: open
  using Read = std::function<void(beast::error_code, std::string)>;
  using Written = std::function<void(beast::error_code)>;
  virtual ~SyncSocket() = default;
  virtual void open(Opened done) = 0;
  virtual void read(Read done) = 0;
  virtual void write(std::shared_ptr<const std::string> text, Written done) = 0;
  virtual void close() = 0;
};

namespace {

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

template <class Next>
class SyncSocketImpl final : public SyncSocket, public std::enable_shared_from_this<SyncSocketImpl<Next>> {
 public:
  template <class... Args>
  SyncSocketImpl(const Upstream& up, net::any_io_executor strand, Args&&... args)
      : up_(up), resolver_(strand), ws_(strand, std::forward<Args>(args)...) {}

  void open(Opened done) override {
    done_ = std::move(done);
    auto self = this->shared_from_this();
    resolver_.async_resolve(up_.host, up_.port, [self](beast::error_code ec, tcp::resolver::results_type r) {
      if (ec) return self->opened("resolve " + self->up_.host + ": " + ec.message());
      auto& low = beast::get_lowest_layer(self->ws_);
      low.expires_after(kOpenTimeout);
      low.async_connect(r, [self](beast::error_code cec, const tcp::endpoint&) {
        if (cec) return self->opened("connect: " + cec.message());
        beast::get_lowest_layer(self->ws_).socket().set_option(tcp::no_delay(true));
        self->tls();
      });
    });
  }

  void read(Read done) override {
    ws_.async_read(buffer_, [self = this->shared_from_this(), done = std::move(done)](beast::error_code ec, std::size_t) {
      std::string text = ec ? std::string() : beast::buffers_to_string(self->buffer_.data());
      self->buffer_.consume(self->buffer_.size());
      done(ec, std::move(text));
    });
  }

  void write(std::shared_ptr<const std::string> text, Written done) override {
    ws_.text(true);
    ws_.async_write(net::buffer(*text), [self = this->shared_from_this(), text, done = std::move(done)](beast::error_code ec, std::size_t) {
      done(ec);
    });
  }

  void close() override {
    beast::error_code ignored;
    resolver_.cancel();
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

 private:
  void opened(std::string error) {
    if (done_) {
      auto d = std::move(done_);
      done_ = nullptr;
      d(std::move(error));
    }
  }

  void tls() {
    if constexpr (std::is_same_v<Next, TlsStream>) {
      auto& ssl = ws_.next_layer();
      if (!SSL_set_tlsext_host_name(ssl.native_handle(), up_.host.c_str())) return opened("TLS: cannot set SNI");
      ssl.set_verify_callback(net::ssl::host_name_verification(up_.host));
      ssl.async_handshake(net::ssl::stream_base::client, [self = this->shared_from_this()](beast::error_code ec) {
        if (ec) return self->opened("TLS handshake: " + ec.message());
        self->upgrade();
      });
    } else {
      upgrade();
    }
  }

  void upgrade() {
    beast::get_lowest_layer(ws_).expires_never();  // the WebSocket's own timeouts from here on
    websocket::stream_base::timeout t{};
    t.handshake_timeout = kOpenTimeout;
    // Convex pings every 15 s; a silent minute means the socket is dead.
    t.idle_timeout = std::chrono::seconds(60);
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
      req.set("Convex-Client", std::string("drizzle-convex-") + kVersion);
    }));
    ws_.read_message_max(64u << 20);
    std::string host = up_.host + ":" + up_.port;
    ws_.async_handshake(host, up_.base_path + "/api/sync", [self = this->shared_from_this()](beast::error_code ec) {
      self->opened(ec ? "WebSocket handshake: " + ec.message() : std::string());
    });
  }

  Upstream up_;
  tcp::resolver resolver_;
  websocket::stream<Next> ws_;
  beast::flat_buffer buffer_;
  Opened done_;
};

}  // namespace

SyncClient::SyncClient(net::any_io_executor ex, Upstream upstream, std::string admin_key, const std::string& ca_file)
    : strand_(net::make_strand(ex)), upstream_(std::move(upstream)), admin_key_(std::move(admin_key)), retry_timer_(strand_),
      session_id_(uuid_v4()) {
  if (upstream_.tls) {
    ssl_ = std::make_unique<net::ssl::context>(net::ssl::context::tls_client);
    ssl_->set_default_verify_paths();
    if (!ca_file.empty()) ssl_->load_verify_file(ca_file);
    ssl_->set_verify_mode(net::ssl::verify_peer);
  }
}

SyncClient::~SyncClient() = default;

uint32_t SyncClient::add(std::string udf_path, Json args, OnValue on_value) {
  // Ids are handed out at once (any thread); the query set changes on the strand.
  static std::atomic<uint32_t> ids{0};
  uint32_t id = ++ids;
  net::dispatch(strand_, [self = shared_from_this(), id, q = Query{std::move(udf_path), std::move(args), std::move(on_value)}]() mutable {
    if (self->stopped_) return;
    auto& stored = self->queries_[id] = std::move(q);
    if (!self->socket_) return self->connect();
    if (!self->open_) return;  // sent with the whole set once the socket opens
    uint32_t base = self->query_set_version_++;
    self->send(Json{{"type", "ModifyQuerySet"}, {"baseVersion", base}, {"newVersion", self->query_set_version_},
                    {"modifications", Json::array({self->add_message(id, stored)})}});
  });
  return id;
}

void SyncClient::remove(uint32_t id) {
  net::dispatch(strand_, [self = shared_from_this(), id] {
    if (!self->queries_.erase(id) || !self->open_) return;
    uint32_t base = self->query_set_version_++;
    self->send(Json{{"type", "ModifyQuerySet"}, {"baseVersion", base}, {"newVersion", self->query_set_version_},
                    {"modifications", Json::array({Json{{"type", "Remove"}, {"queryId", id}}})}});
  });
}

void SyncClient::stop() {
  net::dispatch(strand_, [self = shared_from_this()] {
    self->stopped_ = true;
    self->retry_timer_.cancel();
    if (self->socket_) self->socket_->close();
    self->queries_.clear();
  });
}

Json SyncClient::add_message(uint32_t id, const Query& q) const {
  return Json{{"type", "Add"}, {"queryId", id}, {"udfPath", q.udf_path}, {"args", Json::array({q.args})}};
}

void SyncClient::connect() {
  if (stopped_) return;
  ++generation_;
  open_ = false;
  writing_ = false;
  outbox_.clear();
  if (upstream_.tls) {
    socket_ = std::make_shared<SyncSocketImpl<TlsStream>>(upstream_, strand_, *ssl_);
  } else {
    socket_ = std::make_shared<SyncSocketImpl<PlainStream>>(upstream_, strand_);
  }
  socket_->open([self = shared_from_this(), gen = generation_](std::string error) { self->on_open(gen, error); });
}

void SyncClient::on_open(uint64_t generation, const std::string& error) {
  if (generation != generation_ || stopped_) return;
  if (!error.empty()) return lost(generation, error);
  open_ = true;
  connected_ = true;
  connects_.fetch_add(1, std::memory_order_relaxed);
  query_set_version_ = 0;
  server_version_ = SyncVersion{};
  Json connect{{"type", "Connect"}, {"sessionId", session_id_}, {"connectionCount", connection_count_++},
               {"lastCloseReason", last_close_reason_}};
  if (max_observed_ts_) connect["maxObservedTimestamp"] = base64_u64_le(*max_observed_ts_);
  send(std::move(connect));
  send(Json{{"type", "Authenticate"}, {"tokenType", "Admin"}, {"value", admin_key_}, {"baseVersion", 0}});
  if (!queries_.empty()) {
    Json adds = Json::array();
    for (const auto& [id, q] : queries_) adds.push_back(add_message(id, q));
    query_set_version_ = 1;
    send(Json{{"type", "ModifyQuerySet"}, {"baseVersion", 0}, {"newVersion", 1}, {"modifications", std::move(adds)}});
  }
  do_read(generation);
}

void SyncClient::do_read(uint64_t generation) {
  socket_->read([self = shared_from_this(), generation](beast::error_code ec, std::string text) {
    if (generation != self->generation_) return;
    if (ec) return self->lost(generation, "read: " + ec.message());
    self->on_message(generation, text);
    if (generation == self->generation_ && self->open_) self->do_read(generation);
  });
}

void SyncClient::on_message(uint64_t generation, const std::string& text) {
  auto parsed = read_json(text, JsonLimits{kUpstreamJsonDepth}, "Convex sync message", ErrorCode::upstream_error);
  if (!parsed) return lost(generation, parsed.error().message);
  const Json& m = *parsed;
  if (!m.is_object()) return lost(generation, "Convex sent a message that is not a JSON object");
  std::string type = string_field(m, "type");
  if (type == "Transition") return on_transition(generation, m);
  if (type == "Ping") return;
  if (type == "FatalError" || type == "AuthError") {
    spdlog::error("Convex sync: {} {}", type, safe_text(string_field(m, "error"), 300));
    return lost(generation, type);
  }
  if (type == "TransitionChunk") {
    // Only npm clients are sent chunks (convex-wire.md); seeing one means the protocol moved on.
    return lost(generation, "TransitionChunk is not supported");
  }
  // MutationResponse, ActionResponse: the proxy sends neither on this socket.
}

void SyncClient::on_transition(uint64_t generation, const Json& m) {
  auto start = parse_sync_version(m.value("startVersion", Json()));
  auto end = parse_sync_version(m.value("endVersion", Json()));
  if (!start || !end) return lost(generation, "a Transition without valid versions");
  if (!(*start == server_version_)) {
    // Updates were lost in between: the only safe state is a fresh one.
    spdlog::warn("Convex sync: Transition starts at {}/{}/{} but the last ended at {}/{}/{}; resubscribing", start->query_set,
                 start->identity, start->ts, server_version_.query_set, server_version_.identity, server_version_.ts);
    resyncs_.fetch_add(1, std::memory_order_relaxed);
    return lost(generation, "Transition gap", true);
  }
  server_version_ = *end;
  if (!max_observed_ts_ || end->ts > *max_observed_ts_) max_observed_ts_ = end->ts;
  retries_ = 0;  // synced
  auto mods = m.find("modifications");
  if (mods == m.end() || !mods->is_array()) return;
  for (const auto& mod : *mods) {
    if (!mod.is_object() || !mod.value("queryId", Json()).is_number_unsigned()) continue;
    auto it = queries_.find(mod["queryId"].get<uint32_t>());
    if (it == queries_.end()) continue;
    std::string kind = string_field(mod, "type");
    OnValue on_value = it->second.on_value;  // a callback may remove its own query
    if (kind == "QueryUpdated") {
      on_value(mod.contains("value") ? mod["value"] : Json(nullptr));
    } else if (kind == "QueryFailed") {
      Json failure{{"status", "error"}, {"errorMessage", string_field(mod, "errorMessage")}};
      if (mod.contains("errorData")) failure["errorData"] = mod["errorData"];
      auto r = interpret_function_outcome(failure, it->second.udf_path);
      on_value(r ? Result<Json>(Error{ErrorCode::upstream_error, "query failed", std::nullopt}) : Result<Json>(std::move(r).error()));
    }
  }
}

void SyncClient::lost(uint64_t generation, const std::string& why, bool resync) {
  if (generation != generation_) return;
  ++generation_;  // stale handlers of this socket now do nothing
  open_ = false;
  connected_ = false;
  last_close_reason_ = why;
  if (socket_) {
    socket_->close();
    // Destroyed later: this may run inside one of its handlers.
    net::post(strand_, [old = std::move(socket_)] {});
  }
  if (stopped_) return;
  if (queries_.empty()) return;  // reconnects when a query is added
  auto base = resync ? std::chrono::milliseconds(0) : std::chrono::milliseconds(100);
  auto delay = std::min<std::chrono::milliseconds>(kMaxBackoff, base * (1 << std::min(retries_, 7)));
  if (retries_ > 0 || !resync) {
    static thread_local std::mt19937 rng{std::random_device{}()};
    delay = std::chrono::milliseconds(std::uniform_int_distribution<int64_t>(delay.count() / 2, delay.count() * 3 / 2 + 1)(rng));
  }
  ++retries_;
  if (auto more = lost_log_.admit("lost")) {
    spdlog::warn("Convex sync socket lost ({}); reconnecting in {} ms with {} queries{}", why, delay.count(), queries_.size(), *more);
  }
  retry_timer_.expires_after(delay);
  retry_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec && !self->socket_) self->connect();
  });
}

void SyncClient::send(Json message) {
  outbox_.push_back(std::make_shared<const std::string>(message.dump()));
  do_write();
}

void SyncClient::do_write() {
  if (writing_ || outbox_.empty() || !open_) return;
  writing_ = true;
  auto text = outbox_.front();
  outbox_.pop_front();
  socket_->write(text, [self = shared_from_this(), gen = generation_](beast::error_code ec) {
    if (gen != self->generation_) return;
    self->writing_ = false;
    if (ec) return self->lost(gen, "write: " + ec.message());
    self->do_write();
  });
}

}  // namespace dc
