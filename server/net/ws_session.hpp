// One /v1/live WebSocket: the transport under a LiveHandler. Runs on the
// strand it inherited from its HTTP session and lives as long as it has I/O
// pending. Results from topics arrive on any thread and hop to the strand;
// one write in flight; the outbox is bounded: on overflow the queued results
// of each subscription collapse into one full result, and a socket that
// stays overflowed past --live-stuck-timeout is closed (4008). Keep-alive
// pings and the idle timeout are Beast's.
#pragma once

#include <chrono>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/websocket.hpp>
#include <atomic>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "server/net/http_session.hpp"
#include "server/net/live_stream.hpp"
#include "server/pipeline/live_handler.hpp"

namespace dc {

class WsSession final : public LiveConnection, public LiveOutput, public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(Stream&& stream, std::shared_ptr<NetContext> net, RequestContext ctx);
  ~WsSession() override;
  // Answers the upgrade request; the hub has admitted this session.
  void run(Request req);

  // LiveConnection (any thread)
  void deliver(uint64_t subscription, LiveUpdatePtr update) override;
  void shut_down() override;
  uint64_t queued_bytes() const override { return queued_.load(std::memory_order_relaxed); }
  uint64_t held_bytes() const override { return handler_.held_bytes(); }
  void shed() override;
  void rules_replaced(uint64_t epoch) override;

  // LiveOutput (on the strand, from the handler)
  void send_text(std::string text) override;
  void send_error(std::string_view id, const Error& e) override;
  void send_update(uint64_t key, LiveUpdatePtr update, bool patch) override;
  void close(uint16_t code, std::string reason) override;
  std::weak_ptr<LiveSink> sink() override;
  Poster poster() override;

 private:
  // A queued message: for a subscription (key != 0) an update, written with
  // the envelope the handler gives it when it is sent; otherwise literal text.
  struct Out {
    uint64_t key = 0;
    LiveUpdatePtr update;
    bool patch = false;
    std::string text;
  };

  void on_accept(boost::beast::error_code ec);
  void do_read();
  void arm_expiry();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void enqueue(Out out);
  void collapse();
  void do_write();
  void on_write(boost::beast::error_code ec, std::size_t bytes);
  void finish();
  // Recounts what the outbox and the write in flight hold, and tells the hub.
  void account();

  std::shared_ptr<NetContext> net_;
  // For the log's live-open and live-close lines (before handler_, which takes the context).
  std::string request_id_;
  std::string peer_;
  std::chrono::steady_clock::time_point opened_ = std::chrono::steady_clock::now();
  uint16_t close_code_ = 0;  // the server's, when it closed the socket
  std::string close_reason_;
  bool logged_open_ = false;
  SessionCount::Ticket ticket_;
  std::shared_ptr<LiveHub> hub_;
  boost::beast::websocket::stream<LiveStream> ws_;
  boost::beast::flat_buffer buffer_;
  boost::asio::steady_timer init_timer_;
  boost::asio::steady_timer expiry_timer_;  // the credentials' expiry, armed after connection_init
  bool expiry_armed_ = false;
  boost::asio::steady_timer stuck_timer_;
  boost::asio::steady_timer close_timer_;
  std::optional<Request> upgrade_;  // kept until the handshake is answered
  LiveHandler handler_;
  bool writing_ = false;
  bool closing_ = false;
  bool finished_ = false;
  bool close_after_flush_ = false;
  bool overflowed_ = false;  // the outbox collapsed and has not been empty since
  std::deque<Out> outbox_;
  std::string head_;  // the envelope around the shared body of the write in flight
  std::string_view tail_;
  LiveUpdatePtr in_flight_;
  uint64_t counted_ = 0;  // last reported to the hub
  uint64_t waiting_ = 0;  // of those, the outbox behind the write in flight (account() sums both)
  std::atomic<uint64_t> queued_{0};
};

}  // namespace dc
