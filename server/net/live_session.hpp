// One /v1/live WebSocket (protocol.md section 6, graphql-transport-ws message
// shapes). Runs on the strand it inherited from its HTTP session and lives as
// long as it has I/O pending. Updates from topics arrive on any thread and
// hop to the strand; one write in flight; the outbox is bounded: on overflow
// the queued results of each subscription collapse into one full result, and
// a socket that stays overflowed past --live-stuck-timeout is closed (4008).
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "server/net/http_session.hpp"

namespace dc {

// Close codes (docs/live.md). 44xx follow graphql-ws; 4008 is ours.
namespace live_close {
constexpr uint16_t too_slow = 4008;
constexpr uint16_t bad_request = 4400;
constexpr uint16_t unauthorized = 4401;
constexpr uint16_t init_timeout = 4408;
constexpr uint16_t subscriber_exists = 4409;
constexpr uint16_t too_many_inits = 4429;
}  // namespace live_close

class LiveSession final : public LiveConnection, public std::enable_shared_from_this<LiveSession> {
 public:
  LiveSession(Stream&& stream, AppState& app);
  ~LiveSession() override;
  // Answers the upgrade request; the hub has admitted this session.
  void run(Request req);
  void deliver(uint64_t subscription, LiveUpdatePtr update) override;
  void shut_down() override;

 private:
  struct Subscription {
    std::string id;                // the client's
    std::shared_ptr<Topic> topic;  // null while a mutation runs
    uint64_t revision = 0;         // the topic revision last queued
    uint64_t version = 0;          // the version last written
  };
  // A queued message: for a subscription (sub != 0) an update, written with
  // its envelope and version when it is sent; otherwise literal text.
  struct Out {
    uint64_t sub = 0;
    LiveUpdatePtr update;
    bool patch = false;
    std::string text;
  };

  void on_accept(boost::beast::error_code ec);
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void handle(const std::string& text);
  void subscribe(const std::string& id, const Json& payload);
  void run_mutation(const std::string& id, uint64_t sub, std::shared_ptr<const MutationPlan> plan);
  void on_update(uint64_t sub, LiveUpdatePtr update);
  void end_subscription(uint64_t sub);
  void send_control(std::string text);
  void send_error(const std::string& id, const Error& e);
  void enqueue(Out out);
  void collapse();
  void do_write();
  void on_write(boost::beast::error_code ec, std::size_t bytes);
  void close(uint16_t code, std::string reason);
  void finish();

  // The hub (and through it the backend) outlives every subscription this
  // session holds, even when the session is destroyed after the app.
  std::shared_ptr<LiveHub> hub_;
  boost::beast::websocket::stream<Stream> ws_;
  boost::beast::flat_buffer buffer_;
  AppState& app_;
  boost::asio::steady_timer init_timer_;
  boost::asio::steady_timer stuck_timer_;
  boost::asio::steady_timer close_timer_;
  std::optional<Request> upgrade_;  // kept until the handshake is answered
  bool init_seen_ = false;
  bool patches_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool finished_ = false;
  bool close_after_flush_ = false;
  bool overflowed_ = false;  // the outbox collapsed and has not been empty since
  std::unordered_map<std::string, uint64_t> by_id_;
  std::unordered_map<uint64_t, Subscription> subs_;
  std::deque<Out> outbox_;
  std::string head_;  // the envelope around the shared body of the write in flight
  std::string tail_;
  LiveUpdatePtr in_flight_;
  RequestContext ctx_;
};

}  // namespace dc
