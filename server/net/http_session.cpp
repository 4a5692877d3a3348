#include "server/net/http_session.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cerrno>
#include <charconv>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "protocol/value_json.hpp"
#include "server/net/ws_session.hpp"

namespace dc {

namespace beast = boost::beast;
namespace net = boost::asio;

namespace {

template <class Fields>
std::string_view header_of(const Fields& req, http::field f) {
  auto v = req[f];
  return std::string_view(v.data(), v.size());
}

// The Origin header when there is one: an empty Origin is not the same as none.
template <class Fields>
std::optional<std::string_view> origin_of(const Fields& req) {
  if (req.find(http::field::origin) == req.end()) return std::nullopt;
  return header_of(req, http::field::origin);
}

std::optional<std::string_view> content_type_of(const ArenaRequest& req) {
  if (req.find(http::field::content_type) == req.end()) return std::nullopt;
  return header_of(req, http::field::content_type);
}

// The upgrade request on the heap: the WebSocket session keeps it past the
// next rewind of this connection's arena (and past this session).
Request heap_copy(const ArenaRequest& req) {
  Request out;
  out.method_string(req.method_string());
  out.target(req.target());
  out.version(req.version());
  for (const auto& field : req) out.insert(field.name_string(), field.value());
  out.body().assign(req.body().data(), req.body().size());
  return out;
}

}  // namespace

HttpSession::HttpSession(StrandSocket&& socket, std::shared_ptr<NetContext> net)
    : net_(std::move(net)), ticket_(net_->open), stream_(std::move(socket)) {
  boost::system::error_code ec;
  auto peer = stream_.socket().remote_endpoint(ec);
  if (!ec) peer_ = peer.address().to_string() + ":" + std::to_string(peer.port());
}

HttpSession::~HttpSession() { net_->http_sessions.remove(this); }

void HttpSession::run() {
  net_->http_sessions.add(shared_from_this());
  net::dispatch(stream_.get_executor(), beast::bind_front_handler(&HttpSession::do_read, shared_from_this()));
}

void HttpSession::close_soon() {
  net::post(stream_.get_executor(), [self = shared_from_this()] {
    self->closing_ = true;
    if (!self->writing_) self->do_close();
  });
}

void HttpSession::do_read() {
  if (closing_) return do_close();
  // The last request is gone (its answer is written): its memory is reused.
  parser_.reset();
  arena_.rewind();
  ArenaAllocator<char> alloc(arena_);
  parser_.emplace(std::piecewise_construct, std::make_tuple(alloc), std::make_tuple(alloc));
  parser_->body_limit(net_->options.max_body_bytes);
  stream_.expires_after(net_->options.read_timeout);
  http::async_read_header(stream_, buffer_, *parser_, beast::bind_front_handler(&HttpSession::on_header, shared_from_this()));
}

namespace {

// What is wrong with a request's Transfer-Encoding: a coding other than
// "chunked" (501, RFC 9112 section 6.1), or "chunked" more than once or not
// last (400: Beast would read no body, and the chunks as the next request).
std::optional<Error> transfer_coding_problem(std::string_view list) {
  std::string unsupported;
  int chunked = 0;
  bool chunked_last = false;
  for (size_t start = 0; start <= list.size();) {
    size_t end = std::min(list.find(',', start), list.size());
    std::string_view token = list.substr(start, end - start);
    while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
    if (!token.empty()) {
      chunked_last = beast::iequals(token, "chunked");
      if (chunked_last) ++chunked;
      else unsupported.append(unsupported.empty() ? "" : ", ").append(token);
    }
    start = end + 1;
  }
  if (!unsupported.empty()) {
    return Error{ErrorCode::not_implemented, "Transfer-Encoding " + unsupported + " is not supported: send the body as is or chunked",
                 std::nullopt};
  }
  if (chunked != 1 || !chunked_last) return Error::query("malformed HTTP request: Transfer-Encoding must name chunked once, last", "");
  return std::nullopt;
}

}  // namespace

void HttpSession::refuse_unread(const Error& e) {
  started_ = std::chrono::steady_clock::now();
  method_ = std::string(parser_->get().method_string());
  target_ = std::string(parser_->get().target());
  begin_access_line(parser_->get()["X-Request-Id"]);
  closing_ = true;
  linger_ = true;
  write_error(e, {}, parser_->get().version(), false, false);
}

void HttpSession::on_header(beast::error_code ec, std::size_t bytes) {
  if (ec) return on_read(ec, bytes);
  const auto& head = parser_->get();
  if (auto te = head.find(http::field::transfer_encoding); te != head.end()) {
    // gzip, chunked read as plain chunked would hand compressed bytes on as
    // the body: RFC 9112 section 6.1 asks for a 501 for a coding not understood.
    if (auto problem = transfer_coding_problem(std::string_view(te->value().data(), te->value().size()))) return refuse_unread(*problem);
  }
  auto expect = head[http::field::expect];
  if (!parser_->is_done() && beast::iequals(std::string_view(expect.data(), expect.size()), "100-continue") && head.version() >= 11) {
    // The client waits for this before it sends the body (curl: up to 1 s).
    // A declared length over the limit is refused instead, unsent.
    if (auto length = parser_->content_length(); length && *length > net_->options.max_body_bytes) {
      return refuse_unread(Error{ErrorCode::too_large,
                                 "request body is over the limit of " + std::to_string(net_->options.max_body_bytes) + " bytes",
                                 std::nullopt});
    }
    static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    return net::async_write(stream_, net::buffer(kContinue), [self = shared_from_this()](beast::error_code wec, std::size_t) {
      if (wec) return self->do_close();
      http::async_read(self->stream_, self->buffer_, *self->parser_, beast::bind_front_handler(&HttpSession::on_read, self));
    });
  }
  if (parser_->is_done()) return on_read(ec, bytes);
  http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&HttpSession::on_read, shared_from_this()));
}

void HttpSession::on_read(beast::error_code ec, std::size_t) {
  if (ec == http::error::end_of_stream || ec == net::error::operation_aborted || ec == beast::error::timeout) {
    return do_close();
  }
  started_ = std::chrono::steady_clock::now();
  if (ec) {
    // The request could not be read whole: answer once, then close.
    method_ = "-";
    target_ = "-";
    Error e = ec == http::error::body_limit
                  ? Error{ErrorCode::too_large, "request body is over the limit of " + std::to_string(net_->options.max_body_bytes) + " bytes", std::nullopt}
                  : Error::query("malformed HTTP request: " + ec.message(), "");
    closing_ = true;
    linger_ = true;
    begin_access_line("");
    return write_error(e, {}, 11, false, false);
  }
  ArenaRequest req = parser_->release();
  method_.assign(req.method_string());
  target_.assign(req.target());
  begin_access_line(req["X-Request-Id"]);
  if (beast::websocket::is_upgrade(req) && target_.substr(0, target_.find('?')) == "/v1/live") return upgrade(req);
  unsigned version = req.version();
  bool keep_alive = req.keep_alive();
  bool head = req.method() == http::verb::head;
  RequestContext ctx;
  ctx.request_id = request_id_;
  ctx.peer = peer_;
  ctx.started = started_;
  ctx.deadline = started_ + net_->options.request_timeout;
  // The flag is reused while nothing else holds it (no work of the last request is still running).
  if (cancelled_ && cancelled_.use_count() == 1) cancelled_->store(false, std::memory_order_relaxed);
  else cancelled_ = std::make_shared<std::atomic<bool>>(false);
  ctx.cancelled = cancelled_;
  uint64_t seq = ++request_seq_;
  stream_.expires_never();  // the backend has its own deadlines
  std::string_view path = target_;
  path = path.substr(0, path.find('?'));
  Call call{method_, path, req.body(), header_of(req, http::field::authorization), header_of(req, http::field::host), origin_of(req),
            content_type_of(req), &role_};
  auto self = shared_from_this();
  // `req` (which `call` points into) lives until handle() returns; the pipeline copies what it keeps.
  net_->pipeline->handle(call, ctx, [self, seq, version, keep_alive, head](Result<Answer> answer, Headers extra) {
    // Answers may come from another thread (upstream backends): hop back to
    // our strand. dispatch runs inline when we are already on it (embedded engine).
    net::dispatch(self->stream_.get_executor(), [self, seq, answer = std::move(answer), extra = std::move(extra), version, keep_alive,
                                                 head]() mutable {
      self->answered_seq_ = seq;
      if (!answer) return self->write_error(answer.error(), extra, version, keep_alive, head);
      std::optional<uint64_t> docs_read;
      if (answer->show_docs_read) docs_read = answer->docs_read;
      self->write_answer(std::move(answer).value(), extra, docs_read, version, keep_alive, head);
    });
  });
  if (answered_seq_ != seq) watch_disconnect(seq);
}

void HttpSession::watch_disconnect(uint64_t seq) {
  stream_.socket().async_wait(net::socket_base::wait_read, [self = shared_from_this(), seq](beast::error_code ec) {
    if (ec || self->answered_seq_ == seq || self->request_seq_ != seq) return;
    // Readable: either the client closed (EOF or reset) or it pipelined its
    // next request, which stays in the socket for the next read. Or nothing:
    // readiness can be stale (epoll reports the edge of bytes a speculative
    // read already took), so the peek must not block. Asio's own receive()
    // would wait in poll() on this strand, and the answer it holds back
    // would never be written.
    char byte;
    ssize_t n = ::recv(self->stream_.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0) return;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return self->watch_disconnect(seq);
    self->cancelled_->store(true, std::memory_order_relaxed);
  });
}

void HttpSession::upgrade(const ArenaRequest& req) {
  auto refuse = [&](const Error& e) {
    closing_ = true;
    write_error(e, {}, req.version(), false, false);
  };
  // The same front door as every HTTP request: a page on another origin must not open a live socket.
  Admission admission = admit(net_->pipeline->options().front_door, header_of(req, http::field::host), origin_of(req));
  if (admission.refusal) return refuse(*admission.refusal);
  // graphql-ws clients offer the subprotocol; anything else would misread our messages.
  auto offered = req[http::field::sec_websocket_protocol];
  bool speaks = false;
  for (size_t start = 0; start <= offered.size();) {
    size_t end = offered.find(',', start);
    if (end == std::string_view::npos) end = offered.size();
    auto token = offered.substr(start, end - start);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    if (token == "graphql-transport-ws") speaks = true;
    start = end + 1;
  }
  if (!speaks) {
    return refuse(Error::query("/v1/live speaks the WebSocket subprotocol graphql-transport-ws; offer it in Sec-WebSocket-Protocol", ""));
  }
  const auto& hub = net_->pipeline->hub();
  size_t max = net_->options.live_max_connections;
  if (!hub || hub->connections() >= max) {
    return refuse(Error{ErrorCode::unavailable, "too many live connections (--live-max-connections " + std::to_string(max) + ")", std::nullopt});
  }
  if (net_->options.access_log) spdlog::info(R"({"event":"live_upgrade","path":"/v1/live"})");
  RequestContext ctx;
  ctx.request_id = request_id_;
  ctx.peer = peer_;
  ctx.started = started_;
  auto live = std::make_shared<WsSession>(std::move(stream_), net_, std::move(ctx));
  if (!hub->admit(live, max)) return;  // lost a race for the last slot: drop
  live->run(heap_copy(req));
}

void HttpSession::begin_access_line(std::string_view request_id_header) {
  request_id_ = request_id(request_id_header);
  role_.clear();  // a keep-alive connection's last role is not this request's
  error_code_.clear();
}

void HttpSession::write_error(const Error& e, const Headers& extra, unsigned version, bool keep_alive, bool head) {
  error_code_ = code_name(e.code);
  Response res = error_response(e);
  begin_head(res.result_int());
  for (const auto& field : res) add_header(field.name_string(), field.value());
  reply_ = Answer{};
  reply_.body = std::move(res.body());
  send(res.result_int(), extra, 0, version, keep_alive, head);
}

void HttpSession::write_answer(Answer answer, const Headers& extra, std::optional<uint64_t> docs_read, unsigned version, bool keep_alive,
                               bool head) {
  reply_ = std::move(answer);
  begin_head(reply_.status);
  if (!reply_.content_type.empty()) add_header("Content-Type", reply_.content_type);
  for (const auto& [name, value] : reply_.headers) add_header(name, value);
  send(reply_.status, extra, docs_read, version, keep_alive, head);
}

void HttpSession::begin_head(unsigned status) {
  head_.clear();
  char code[8];
  auto [end, ec] = std::to_chars(code, code + sizeof code, status);
  (void)ec;
  auto reason = http::obsolete_reason(static_cast<http::status>(status));
  head_.append("HTTP/1.1 ").append(code, end).append(" ").append(reason.data(), reason.size()).append("\r\n");
}

void HttpSession::add_header(std::string_view name, std::string_view value) {
  head_.append(name).append(": ");
  append_header_value(head_, value);
  head_.append("\r\n");
}

void HttpSession::send(unsigned status, const Headers& extra, std::optional<uint64_t> docs_read, unsigned version, bool keep_alive,
                       bool head) {
  if (!request_id_.empty()) add_header("X-Request-Id", request_id_);
  for (const auto& [name, value] : extra) add_header(name, value);
  add_header("Server", "drizzle-convex");
  char number[24];
  if (docs_read) {
    auto [end, ec] = std::to_chars(number, number + sizeof number, *docs_read);
    (void)ec;
    add_header("X-Docs-Read", std::string_view(number, static_cast<size_t>(end - number)));
  }
  std::string_view body = reply_.text();
  // RFC 9110 section 8.6: no Content-Length on a 1xx or 204; a HEAD answer
  // gives the length its GET would have and sends no body.
  if (status >= 200 && status != 204) {
    auto [end, ec] = std::to_chars(number, number + sizeof number, body.size());
    (void)ec;
    add_header("Content-Length", std::string_view(number, static_cast<size_t>(end - number)));
  }
  bool keep = keep_alive && !closing_;
  // The status line says HTTP/1.1 whatever the request's version, so a
  // closing answer says so even to an HTTP/1.0 client.
  if (!keep) add_header("Connection", "close");
  else if (version < 11) add_header("Connection", "keep-alive");
  head_.append("\r\n");
  if (head) body = {};
  log_access(status, docs_read);
  writing_ = true;
  stream_.expires_after(net_->options.read_timeout);
  std::array<net::const_buffer, 2> buffers{net::buffer(head_), net::buffer(body.data(), body.size())};
  net::async_write(stream_, buffers, [self = shared_from_this(), keep](beast::error_code ec, std::size_t n) { self->on_write(keep, ec, n); });
}

void HttpSession::log_access(unsigned status, std::optional<uint64_t> docs_read) {
  if (!net_->options.access_log) return;
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started_).count();
  // The target is client-controlled: escaped, so a log line stays one valid JSON object.
  log_target_.clear();
  write_json_string(target_, log_target_);
  log_id_.clear();
  write_json_string(request_id_, log_id_);
  log_role_.clear();
  if (role_.empty()) log_role_ = "null";
  else write_json_string(role_, log_role_);
  std::string_view code = error_code_.empty() ? std::string_view("null") : std::string_view(error_code_);
  std::string_view quote = error_code_.empty() ? "" : "\"";
  spdlog::info(R"({{"event":"access","requestId":{},"peer":"{}","method":"{}","path":{},"status":{},"code":{}{}{},"role":{},"us":{},"docsRead":{}}})",
               log_id_, peer_, method_, log_target_, status, quote, code, quote, log_role_, us, docs_read.value_or(0));
}

void HttpSession::on_write(bool keep_alive, beast::error_code ec, std::size_t) {
  writing_ = false;
  // The answer is not held past its write: an idle keep-alive connection keeps no body.
  reply_.shared_body.reset();
  reply_.body = std::string();
  if (!ec && linger_) return do_linger_close();
  if (ec || !keep_alive || closing_) return do_close();
  do_read();
}

void HttpSession::do_linger_close() {
  beast::error_code ec;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
  drain_buffer_ = std::make_shared<std::array<char, 16384>>();
  stream_.expires_after(std::chrono::seconds(2));
  drain();
}

void HttpSession::drain() {
  stream_.async_read_some(net::buffer(*drain_buffer_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
    if (ec) return self->do_close();  // the client closed, or the 2 s ran out
    self->drain();
  });
}

void HttpSession::do_close() {
  beast::error_code ec;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
  stream_.socket().close(ec);
}

}  // namespace dc
