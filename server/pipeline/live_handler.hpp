// One /v1/live connection's protocol state (protocol.md section 6,
// docs/live.md): connection_init, subscriptions by client id, their versions,
// mutations sent as `subscribe`, and the order rules whose breach closes the
// socket. Transport-free: it reads decoded messages and writes through a
// LiveOutput, which net/ws_session implements. Owned by its session and
// called only on the session's strand.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "protocol/live_messages.hpp"
#include "server/pipeline/pipeline.hpp"

namespace dc {

// What the handler needs from its transport. Called on the session's strand.
class LiveOutput {
 public:
  virtual ~LiveOutput() = default;
  virtual void send_text(std::string text) = 0;
  virtual void send_error(std::string_view id, const Error& e) = 0;
  // Queues a subscription's result; its envelope is asked for when it is written (next_head).
  virtual void send_update(uint64_t key, LiveUpdatePtr update, bool patch) = 0;
  virtual void close(uint16_t code, std::string reason) = 0;
  // Where the hub's topics deliver results for this connection.
  virtual std::weak_ptr<LiveSink> sink() = 0;
  // Runs a continuation on the strand later; the poster keeps the session alive until then.
  using Poster = std::function<void(std::function<void()>)>;
  virtual Poster poster() = 0;
};

struct LiveLimits {
  size_t max_subscriptions = 100;  // per connection
};

class LiveHandler {
 public:
  LiveHandler(std::shared_ptr<Pipeline> pipeline, LiveLimits limits, LiveOutput& out, RequestContext ctx);
  ~LiveHandler();

  void on_message(std::string_view text);
  void on_init_timeout();
  // The caller's credentials expired (at expires_at()): close with 4403.
  void on_expired();
  // When the credentials of connection_init stop being valid (Unix seconds).
  std::optional<int64_t> expires_at() const { return access_.expires_at; }
  // The auth file was reloaded (rules epoch `epoch`). The credentials of
  // connection_init are admitted again under it: refused, the socket
  // closes with 4403; admitted with other rules (another role, other claim
  // values, the role written differently), with 1012 so the client
  // reconnects and subscribes under the new rules; with the same rules it
  // is served on. Returns whether it stays open.
  bool on_rules_replaced(uint64_t epoch);
  // A topic's result for subscription `key` (already on the strand).
  void on_update(uint64_t key, LiveUpdatePtr update);
  // The envelope of the next message of subscription `key`, numbering its
  // version; nullopt when the subscription ended meanwhile.
  std::optional<std::string> next_head(uint64_t key, bool patch);
  // The server is stopping: `complete` for every running subscription.
  void shut_down();
  // The socket is gone: leave every topic.
  void finish();

  bool initialised() const { return init_seen_; }
  // Bytes of the results its subscriptions hold in their topics (any thread).
  uint64_t held_bytes() const { return held_.load(std::memory_order_relaxed); }

 private:
  struct Subscription {
    std::string id;                // the client's
    std::shared_ptr<Topic> topic;  // null while a mutation runs
    uint64_t revision = 0;         // the topic revision last queued
    uint64_t version = 0;          // the version last written
    uint64_t bytes = 0;            // of its topic's current result (Topic::bytes of the update)
  };
  std::atomic<uint64_t> held_{0};  // the sum of the subscriptions' bytes
  void on_init(const live::ConnectionInit& init);
  void on_subscribe(live::Subscribe& s);
  void run_mutation(const std::string& id, uint64_t key, std::shared_ptr<const MutationPlan> plan);
  void end_subscription(uint64_t key);

  std::shared_ptr<Pipeline> pipeline_;
  std::shared_ptr<LiveHub> hub_;  // keeps the hub (and its backend) alive for our subscriptions
  LiveLimits limits_;
  LiveOutput& out_;
  RequestContext ctx_;
  Access access_;  // from connection_init
  std::string token_;  // connection_init's, admitted again when the auth file is reloaded
  bool init_seen_ = false;
  bool patches_ = false;
  std::unordered_map<std::string, uint64_t> by_id_;
  std::unordered_map<uint64_t, Subscription> subs_;
};

}  // namespace dc
