#include "client/src/transport.hpp"

#include "client/src/answer.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>

namespace drizzle_convex::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

const char* target_of(Endpoint e) {
  switch (e) {
    case Endpoint::query: return "/v1/query";
    case Endpoint::mutate: return "/v1/mutate";
    case Endpoint::explain: return "/v1/explain";
    case Endpoint::schema: return "/v1/schema";
  }
  return "/";
}

Error timeout_error(const char* during) {
  return Error{Error::Kind::timeout, 0, "TIMEOUT", std::string("the call's deadline passed ") + during, std::nullopt,
               std::nullopt};
}

bool retryable_status(unsigned status) { return status >= 500 && status != 501; }

}  // namespace

Error connection_error(std::string code, std::string message) {
  return Error{Error::Kind::connection, 0, std::move(code), std::move(message), std::nullopt, std::nullopt};
}

bool Connection::still_quiet() {
  // A peek that would block means nothing arrived: no close, no stray bytes.
  char byte;
  ssize_t n = ::recv(lowest().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

struct Transport::Attempt {
  Response response;
  bool sent = false;       // the whole request left this process
  bool retryable = false;  // a read may try again
};

Transport::Transport(net::any_io_executor executor, ClientOptions options)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      url_(parse_url(options_.url)),
      tls_(net::ssl::context::tls_client),
      random_(std::random_device{}()) {
  if (options_.verify_tls) {
    tls_.set_verify_mode(net::ssl::verify_peer);
    boost::system::error_code ec;
    if (!options_.ca_file.empty())
      tls_.load_verify_file(options_.ca_file, ec);
    else
      tls_.set_default_verify_paths(ec);
    // A bad CA file shows up as a failed handshake on the first call.
  } else {
    tls_.set_verify_mode(net::ssl::verify_none);
  }
}

std::chrono::milliseconds Transport::jittered(std::chrono::milliseconds base, std::chrono::milliseconds cap, int attempt) {
  auto wait = base;
  for (int i = 1; i < attempt && wait < cap; ++i) wait *= 2;
  wait = std::min(wait, cap);
  std::lock_guard lock(mutex_);
  std::uniform_real_distribution<double> factor(0.5, 1.5);
  return std::chrono::milliseconds(static_cast<long>(static_cast<double>(wait.count()) * factor(random_)));
}

std::unique_ptr<Connection> Transport::take_idle() {
  std::lock_guard lock(mutex_);
  auto now = Clock::now();
  while (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    if (now - c->idle_since < options_.idle_timeout && c->still_quiet()) return c;
  }
  return nullptr;
}

void Transport::put_idle(std::unique_ptr<Connection> c) {
  c->idle_since = Clock::now();
  std::lock_guard lock(mutex_);
  if (idle_.size() < options_.max_idle_connections) idle_.push_back(std::move(c));
}

net::awaitable<Result<std::unique_ptr<Connection>>> Transport::open(Clock::time_point deadline) {
  const Url& u = url_.value();
  // The resolver has no deadline of its own: a timer cancels it. The timer's
  // handler may run after this frame is gone, so it holds the resolver.
  auto resolver = std::make_shared<tcp::resolver>(executor_);
  net::steady_timer guard(executor_, deadline);
  guard.async_wait([resolver](boost::system::error_code ec) {
    if (!ec) resolver->cancel();
  });
  auto [rec, endpoints] = co_await resolver->async_resolve(u.host, u.port, use_tuple);
  guard.cancel();
  if (Clock::now() >= deadline) co_return timeout_error("while resolving the server's name");
  if (rec) co_return connection_error("CONNECTION_FAILED", "cannot resolve " + u.host + ": " + rec.message());

  auto c = std::make_unique<Connection>();
  if (u.tls)
    c->tls.emplace(executor_, tls_);
  else
    c->plain.emplace(executor_);
  c->lowest().expires_at(deadline);
  auto [cec, ep] = co_await c->lowest().async_connect(endpoints, use_tuple);
  if (cec == beast::error::timeout) co_return timeout_error("while connecting");
  if (cec) co_return connection_error("CONNECTION_FAILED", "cannot connect to " + u.host_header() + ": " + cec.message());
  c->lowest().socket().set_option(tcp::no_delay(true));
  if (c->tls) {
    if (!SSL_set_tlsext_host_name(c->tls->native_handle(), u.host.c_str()))
      co_return connection_error("CONNECTION_FAILED", "cannot set the TLS server name");
    if (options_.verify_tls) c->tls->set_verify_callback(net::ssl::host_name_verification(u.host));
    auto [hec] = co_await c->tls->async_handshake(net::ssl::stream_base::client, use_tuple);
    if (hec == beast::error::timeout) co_return timeout_error("during the TLS handshake");
    if (hec) co_return connection_error("CONNECTION_FAILED", "TLS handshake with " + u.host_header() + " failed: " + hec.message());
  }
  co_return std::move(c);
}

namespace {

template <class Stream>
net::awaitable<std::pair<boost::system::error_code, bool>> exchange(Stream& s, beast::flat_buffer& buffer,
                                                                    http::request<http::string_body>& req,
                                                                    http::response_parser<http::string_body>& parser) {
  auto [wec, wn] = co_await http::async_write(s, req, use_tuple);
  if (wec) co_return std::pair{wec, false};
  auto [rec, rn] = co_await http::async_read(s, buffer, parser, use_tuple);
  co_return std::pair{rec, true};
}

}  // namespace

net::awaitable<Transport::Attempt> Transport::attempt(Endpoint endpoint, const std::string& body, const std::string& token,
                                                     Clock::time_point deadline) {
  const Url& u = url_.value();
  auto c = take_idle();
  bool reused = c != nullptr;
  if (!c) {
    auto opened = co_await open(deadline);
    if (!opened) {
      bool retry = opened.error().kind == Error::Kind::connection;
      co_return Attempt{std::move(opened).error(), false, retry};
    }
    c = std::move(opened).value();
  }

  http::request<http::string_body> req{endpoint == Endpoint::schema ? http::verb::get : http::verb::post,
                                       u.base_path + target_of(endpoint), 11};
  req.set(http::field::host, u.host_header());
  req.set(http::field::user_agent, "drizzle-convex-client/0.1");
  req.set(http::field::accept, "application/json");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  req.keep_alive(true);
  if (endpoint != Endpoint::schema) {
    req.set(http::field::content_type, "application/json; charset=utf-8");
    req.body() = body;
  }
  req.prepare_payload();

  http::response_parser<http::string_body> parser;
  parser.body_limit(options_.max_answer_bytes);
  c->lowest().expires_at(deadline);
  auto [ec, sent] = c->plain ? co_await exchange(*c->plain, c->buffer, req, parser)
                             : co_await exchange(*c->tls, c->buffer, req, parser);
  if (ec == beast::error::timeout) co_return Attempt{timeout_error("waiting for the server's answer"), sent, false};
  if (ec == http::error::body_limit) {
    // Asking again would read as much again: not retried.
    co_return Attempt{connection_error("ANSWER_TOO_LARGE", "the answer is larger than max_answer_bytes (" +
                                                               std::to_string(options_.max_answer_bytes) + " bytes); it was cut off"),
                      sent, false};
  }
  if (ec) {
    std::string what = (reused ? "the kept-alive connection broke: " : "the connection broke: ") + ec.message();
    co_return Attempt{connection_error(sent ? "OUTCOME_UNKNOWN" : "CONNECTION_FAILED", what), sent, true};
  }
  auto& res = parser.get();
  unsigned status = res.result_int();
  bool keep = res.keep_alive();
  std::string retry_after(res[http::field::retry_after]);
  if (keep) put_idle(std::move(c));
  Response answer = decode_answer(status, res.body(), retry_after, endpoint == Endpoint::schema);
  bool retry = !answer.ok() && answer.error().kind == Error::Kind::server && retryable_status(status);
  co_return Attempt{std::move(answer), true, retry};
}

net::awaitable<Response> Transport::call(Endpoint endpoint, Json body, CallOptions options) {
  if (!url_) co_return url_.error();
  auto self = shared_from_this();  // in-flight calls outlive the client object
  auto deadline = Clock::now() + options.timeout.value_or(options_.timeout);
  const std::string& token = options.token ? *options.token : options_.token;
  std::string text = endpoint == Endpoint::schema ? std::string() : body.dump();
  bool is_read = endpoint != Endpoint::mutate;
  for (int n = 1;; ++n) {
    Attempt a = co_await attempt(endpoint, text, token, deadline);
    if (a.response.ok() || !a.retryable) co_return std::move(a.response);
    // A mutation that may have reached the server is never sent twice.
    if (!is_read && a.sent) co_return std::move(a.response);
    if (n >= std::max(1, options_.max_attempts)) co_return std::move(a.response);
    auto wait = jittered(options_.backoff, options_.max_backoff, n);
    if (const auto& ra = a.response.error().retry_after) wait = std::max(wait, std::chrono::milliseconds(*ra * 1000));
    if (Clock::now() + wait >= deadline) co_return std::move(a.response);
    net::steady_timer timer(executor_, wait);
    co_await timer.async_wait(use_tuple);
  }
}

}  // namespace drizzle_convex::detail
