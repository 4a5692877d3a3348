// One HTTP connection. Lives exactly as long as it has I/O pending (each
// handler holds shared_from_this); runs on its own strand. Keep-alive, a body
// limit, a read deadline, one response in flight. Requests go to the
// pipeline; its answers and errors come back through net/reply.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <array>
#include <atomic>
#include <memory>
#include <optional>

#include "server/net/net_context.hpp"
#include "server/net/reply.hpp"
#include "server/net/request_arena.hpp"

namespace dc {

// The connection's strand, as a concrete type: a type-erased executor costs
// a few percent of a small request in copies alone.
using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
using StrandSocket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, Strand>;
using Stream = boost::beast::basic_stream<boost::asio::ip::tcp, Strand>;
using Request = http::request<http::string_body>;  // a request that outlives its connection's arena (the WebSocket upgrade)
// A request as the connection reads it: target, fields and body in its RequestArena.
using ArenaBody = http::basic_string_body<char, std::char_traits<char>, ArenaAllocator<char>>;
using ArenaRequest = http::request<ArenaBody, http::basic_fields<ArenaAllocator<char>>>;

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(StrandSocket&& socket, std::shared_ptr<NetContext> net);
  ~HttpSession();
  void run();
  // Closes the connection once the response in flight (if any) is written. Any thread.
  void close_soon();

 private:
  void do_read();
  // GET /v1/live with an Upgrade header: hands the connection to a WsSession.
  void upgrade(const ArenaRequest& req);
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  // The header alone first: a transfer coding we cannot decode is refused
  // before its body is read, and `Expect: 100-continue` is answered.
  void on_header(boost::beast::error_code ec, std::size_t bytes);
  // Answers `e` and closes once it is written (the rest of the request is not read).
  void refuse_unread(const Error& e);
  // An answer; `docs_read`: X-Docs-Read, when the caller may see it.
  void write_answer(Answer answer, const Headers& extra, std::optional<uint64_t> docs_read, unsigned version, bool keep_alive,
                    bool head);
  // An error answer: its code goes in the access line.
  void write_error(const Error& e, const Headers& extra, unsigned version, bool keep_alive, bool head);
  // The response's status line and first headers go in head_ (begin_head,
  // add_header); send adds the rest (X-Request-Id, `extra`, Server,
  // X-Docs-Read, Content-Length, Connection) and writes head_ and reply_'s
  // body in one gather write. Nothing here allocates once head_ has grown.
  void begin_head(unsigned status);
  void add_header(std::string_view name, std::string_view value);
  void send(unsigned status, const Headers& extra, std::optional<uint64_t> docs_read, unsigned version, bool keep_alive, bool head);
  void log_access(unsigned status, std::optional<uint64_t> docs_read);
  // A new request's access-line fields: its id, and no role or error code yet.
  void begin_access_line(std::string_view request_id_header);
  void on_write(bool keep_alive, boost::beast::error_code ec, std::size_t bytes);
  void do_close();
  // After rejecting a request whose body was not read: send FIN, then read and
  // discard for a bounded time so the client sees our reply, not a reset.
  void do_linger_close();
  void drain();
  // While request `seq` is being answered: a client that closes its side
  // cancels the work (RequestContext::cancelled).
  void watch_disconnect(uint64_t seq);

  std::shared_ptr<NetContext> net_;
  SessionCount::Ticket ticket_;
  Stream stream_;
  boost::beast::flat_buffer buffer_;
  RequestArena arena_;  // before parser_: it outlives what the parser took from it
  std::optional<http::request_parser<ArenaBody, ArenaAllocator<char>>> parser_;
  std::string head_;  // the response being written: status line and headers (capacity kept)
  Answer reply_;      // the response being written: its body
  std::string log_target_, log_id_, log_role_;  // the access line's escaped fields (capacity kept)
  bool writing_ = false;
  bool closing_ = false;
  bool linger_ = false;
  std::shared_ptr<std::array<char, 16384>> drain_buffer_;
  std::string peer_;
  // Access-log fields of the request being answered.
  std::string method_;
  std::string target_;
  std::string request_id_;
  std::string role_;        // written by the pipeline's auth step; empty: none
  std::string error_code_;  // the error answered, if any
  std::chrono::steady_clock::time_point started_;
  uint64_t request_seq_ = 0;
  uint64_t answered_seq_ = 0;
  std::shared_ptr<std::atomic<bool>> cancelled_;
};

}  // namespace dc
