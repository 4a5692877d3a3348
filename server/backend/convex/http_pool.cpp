#include "server/backend/convex/http_pool.hpp"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>
#include <type_traits>

namespace dc {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

Result<Upstream> parse_upstream_url(std::string_view url) {
  auto bad = [&](const std::string& why) {
    return Error{ErrorCode::invalid_query, "invalid Convex URL '" + std::string(url) + "': " + why, std::nullopt};
  };
  Upstream u;
  std::string_view rest;
  if (url.starts_with("https://")) {
    u.tls = true;
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return bad("expected http:// or https://");
  }
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (authority.empty()) return bad("no host");
  auto colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    u.host = std::string(authority.substr(0, colon));
    u.port = std::string(authority.substr(colon + 1));
    if (u.port.empty() || u.port.find_first_not_of("0123456789") != std::string::npos) return bad("bad port");
  } else {
    u.host = std::string(authority);
    u.port = u.tls ? "443" : "80";
  }
  if (u.host.empty()) return bad("no host");
  u.base_path = std::string(path);
  return u;
}

struct HttpPool::Job {
  std::string target;
  std::string body;
  Headers headers;
  Clock::time_point deadline;
  Done done;
};

class HttpPool::Connection : public std::enable_shared_from_this<Connection> {
 public:
  virtual ~Connection() = default;
  virtual void run(std::shared_ptr<Job> job) = 0;
  Clock::time_point idle_since{};
  std::weak_ptr<HttpPool> pool;

 protected:
  // Answers the job, then hands the connection back to its pool.
  void finish(const std::shared_ptr<Job>& job, HttpOutcome out, bool reusable) {
    job->done(std::move(out));
    if (auto p = pool.lock()) p->release(shared_from_this(), reusable);
  }
};

namespace {

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

template <class Stream>
class ConnectionImpl final : public HttpPool::Connection {
 public:
  template <class... Args>
  ConnectionImpl(const Upstream& up, net::any_io_executor strand, Args&&... args)
      : up_(up), resolver_(strand), stream_(strand, std::forward<Args>(args)...) {}

  void run(std::shared_ptr<HttpPool::Job> job) override {
    job_ = std::move(job);
    net::dispatch(resolver_.get_executor(), [self = self()] { self->begin(); });
  }

 private:
  std::shared_ptr<ConnectionImpl> self() { return std::static_pointer_cast<ConnectionImpl>(shared_from_this()); }
  auto& lowest() { return beast::get_lowest_layer(stream_); }

  void begin() {
    if (Clock::now() >= job_->deadline) return fail(TransportError{TransportError::Kind::timeout, "deadline passed before sending", false});
    req_ = {};
    req_.method(http::verb::post);
    req_.target(up_.base_path + job_->target);
    req_.version(11);
    req_.set(http::field::host, up_.host);
    req_.set(http::field::content_type, "application/json");
    for (const auto& [k, v] : job_->headers) req_.set(k, v);
    req_.body() = std::move(job_->body);
    req_.keep_alive(true);
    req_.prepare_payload();
    if (connected_) return write();
    resolver_.async_resolve(up_.host, up_.port, [self = self()](beast::error_code ec, tcp::resolver::results_type r) {
      if (ec) return self->fail(TransportError{TransportError::Kind::connect, "resolve " + self->up_.host + ": " + ec.message(), false});
      self->lowest().expires_at(self->job_->deadline);
      self->lowest().async_connect(r, [self](beast::error_code cec, const tcp::endpoint&) {
        if (cec) return self->fail(self->transport(cec, "connect", false, TransportError::Kind::connect));
        self->lowest().socket().set_option(tcp::no_delay(true));
        self->handshake();
      });
    });
  }

  void handshake() {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      if (!SSL_set_tlsext_host_name(stream_.native_handle(), up_.host.c_str())) {
        return fail(TransportError{TransportError::Kind::connect, "TLS: cannot set SNI", false});
      }
      stream_.set_verify_callback(net::ssl::host_name_verification(up_.host));
      lowest().expires_at(job_->deadline);
      stream_.async_handshake(net::ssl::stream_base::client, [self = self()](beast::error_code ec) {
        if (ec) return self->fail(self->transport(ec, "TLS handshake", false, TransportError::Kind::connect));
        self->connected_ = true;
        self->write();
      });
    } else {
      connected_ = true;
      write();
    }
  }

  void write() {
    lowest().expires_at(job_->deadline);
    http::async_write(stream_, req_, [self = self()](beast::error_code ec, size_t) {
      if (ec) return self->fail(self->transport(ec, "send", true, TransportError::Kind::io));
      self->read();
    });
  }

  void read() {
    res_.emplace();
    res_->body_limit(64 * 1024 * 1024);
    lowest().expires_at(job_->deadline);
    http::async_read(stream_, buffer_, *res_, [self = self()](beast::error_code ec, size_t) {
      if (ec) return self->fail(self->transport(ec, "receive", true, TransportError::Kind::io));
      auto& msg = self->res_->get();
      bool reusable = msg.keep_alive();
      self->lowest().expires_never();  // an idle connection keeps no timer pending
      HttpResponse r{msg.result_int(), std::move(msg.body())};
      self->settle(std::move(r), reusable);
    });
  }

  TransportError transport(beast::error_code ec, const char* stage, bool maybe_sent, TransportError::Kind kind) {
    if (ec == beast::error::timeout) kind = TransportError::Kind::timeout;
    return TransportError{kind, std::string(stage) + " " + up_.host + ":" + up_.port + ": " + ec.message(), maybe_sent};
  }

  void fail(TransportError e) {
    connected_ = false;
    beast::error_code ignored;
    lowest().socket().close(ignored);
    settle(std::move(e), false);
  }

  void settle(HttpOutcome out, bool reusable) {
    auto job = std::move(job_);  // a reused connection keeps no finished job
    finish(job, std::move(out), reusable);
  }

  Upstream up_;
  tcp::resolver resolver_;
  Stream stream_;
  bool connected_ = false;
  std::shared_ptr<HttpPool::Job> job_;
  http::request<http::string_body> req_;
  std::optional<http::response_parser<http::string_body>> res_;  // one per response
  beast::flat_buffer buffer_;
};

}  // namespace

HttpPool::HttpPool(net::any_io_executor ex, Upstream upstream, size_t max_connections, const std::string& ca_file,
                   size_t max_waiting)
    : ex_(std::move(ex)),
      upstream_(std::move(upstream)),
      max_(max_connections),
      max_waiting_(max_waiting),
      expiry_strand_(net::make_strand(ex_)),
      expiry_(expiry_strand_) {
  if (upstream_.tls) {
    ssl_ = std::make_unique<net::ssl::context>(net::ssl::context::tls_client);
    ssl_->set_default_verify_paths();
    if (!ca_file.empty()) ssl_->load_verify_file(ca_file);  // throws on a bad file: the app reports it
    ssl_->set_verify_mode(net::ssl::verify_peer);
  }
}

HttpPool::~HttpPool() = default;

void HttpPool::close_idle() {
  std::vector<std::shared_ptr<Connection>> closing;
  {
    std::lock_guard lock(mu_);
    open_ -= idle_.size();
    closing.swap(idle_);
  }
  // Destroyed here: their sockets close.
}

std::shared_ptr<HttpPool::Connection> HttpPool::make_connection() {
  auto strand = net::make_strand(ex_);
  std::shared_ptr<Connection> c;
  if (upstream_.tls) c = std::make_shared<ConnectionImpl<TlsStream>>(upstream_, strand, *ssl_);
  else c = std::make_shared<ConnectionImpl<PlainStream>>(upstream_, strand);
  c->pool = weak_from_this();
  return c;
}

void HttpPool::post(std::string target, std::string body, const Headers& headers, Clock::time_point deadline, Done done) {
  auto job = std::make_shared<Job>(Job{std::move(target), std::move(body), headers, deadline, std::move(done)});
  std::shared_ptr<Connection> c;
  {
    std::lock_guard lock(mu_);
    auto now = Clock::now();
    while (!idle_.empty() && !c) {
      auto candidate = std::move(idle_.back());
      idle_.pop_back();
      if (now - candidate->idle_since < kIdleMax) c = std::move(candidate);
      else --open_;  // too old to trust: dropped (closed by its destructor)
    }
    if (!c && open_ < max_) {
      ++open_;
      c = make_connection();
    }
    if (!c && waiting_.size() < max_waiting_) {
      waiting_.push_back(job);
      net::post(expiry_strand_, [weak = weak_from_this(), deadline] {
        if (auto self = weak.lock()) self->arm_expiry(deadline);
      });
      return;
    }
  }
  if (!c) {
    // Outside the lock: `done` may post again.
    return job->done(TransportError{TransportError::Kind::overloaded,
                                    std::to_string(max_waiting_) + " calls already wait for a connection to " + upstream_.host, false});
  }
  // The pool's lists hold the connection between jobs; during a job its own handlers do.
  c->run(std::move(job));
}

size_t HttpPool::waiting() const {
  std::lock_guard lock(mu_);
  return waiting_.size();
}

void HttpPool::arm_expiry(Clock::time_point deadline) {
  if (deadline >= armed_at_) return;  // an earlier expiry is armed already; it re-arms for the rest
  armed_at_ = deadline;
  expiry_.expires_at(deadline);
  expiry_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;  // re-armed for an earlier deadline, or the pool is going
    if (auto self = weak.lock()) self->expire_waiting();
  });
}

// Answers every queued request whose deadline passed (it never left: a
// mutation among them is safe to report as not run) and re-arms for the
// earliest deadline still waiting.
void HttpPool::expire_waiting() {
  armed_at_ = Clock::time_point::max();
  std::vector<std::shared_ptr<Job>> expired;
  auto next = Clock::time_point::max();
  {
    std::lock_guard lock(mu_);
    auto now = Clock::now();
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if ((*it)->deadline <= now) {
        expired.push_back(std::move(*it));
        it = waiting_.erase(it);
      } else {
        next = std::min(next, (*it)->deadline);
        ++it;
      }
    }
  }
  if (next != Clock::time_point::max()) arm_expiry(next);
  for (auto& job : expired) {
    job->done(TransportError{TransportError::Kind::timeout, "no connection to " + upstream_.host + " was free before the deadline", false});
  }
}

void HttpPool::release(const std::shared_ptr<Connection>& c, bool reusable) {
  std::shared_ptr<Job> next;
  std::shared_ptr<Connection> runner;
  {
    std::lock_guard lock(mu_);
    if (!waiting_.empty()) {
      next = std::move(waiting_.front());
      waiting_.pop_front();
      runner = reusable ? c : make_connection();  // a fresh one replaces a closed one
    } else if (reusable) {
      c->idle_since = Clock::now();
      idle_.push_back(c);
    } else {
      --open_;
    }
  }
  if (next) runner->run(std::move(next));
}

}  // namespace dc
