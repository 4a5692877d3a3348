// The live hub: maps each canonical plan to one Topic, so equal live queries
// share one evaluation and one upstream subscription, and keeps
// weak references to the open live sessions for limits and shutdown.
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "server/common/weak_registry.hpp"
#include "server/live/topic.hpp"

namespace dc {

// What the hub needs from a live session (net/live_session owns the socket).
class LiveConnection : public LiveSink {
 public:
  // The server is stopping: send `complete` for every subscription, then close.
  virtual void shut_down() = 0;
  // Bytes its outbox and the write in flight hold (any thread).
  virtual uint64_t queued_bytes() const = 0;
  // Bytes of the results its subscriptions hold in their topics, each
  // counted whole (any thread): what closing it may free besides its outbox.
  virtual uint64_t held_bytes() const = 0;
  // Over the process's live memory budget, this connection is among the
  // slowest: close it with 4008 (any thread).
  virtual void shed() = 0;
  // The auth file was reloaded (rules epoch `epoch`): the connection admits
  // its credentials again; one whose rules changed closes (any thread).
  virtual void rules_replaced(uint64_t epoch) = 0;
};

class LiveHub {
 public:
  explicit LiveHub(std::shared_ptr<Backend> backend) : backend_(std::move(backend)) {}

  // A key for a new subscription, unique in the process.
  uint64_t new_key() { return ++next_subscription_; }
  // Adds subscription `key` to the topic for `plan` (started if new, with
  // `ctx`) and returns the topic. Callers share a topic whenever their plans
  // are equal: a caller's read rules are in its plan (auth.md section 4).
  std::shared_ptr<Topic> subscribe(const std::shared_ptr<const ReadPlan>& plan, const RequestContext& ctx,
                                   std::weak_ptr<LiveSink> sink, uint64_t key);
  // Drops the subscription; the topic (and its backend watch) goes with its last one.
  void unsubscribe(const std::shared_ptr<Topic>& topic, uint64_t subscription);

  // Connections: `admit` fails when the configured maximum is open.
  bool admit(const std::shared_ptr<LiveConnection>& c, size_t max_connections);
  void leave(const LiveConnection* c);
  size_t connections();
  void shut_down_all();
  void rules_replaced(uint64_t epoch);

  size_t topics();
  // Subscriptions open now, over all topics.
  size_t subscriptions();
  uint64_t subscriptions_total() const { return subscriptions_total_.load(); }

  // The live memory budget (--live-memory-budget): bytes all of live may
  // hold, the topics' results (Topic::bytes) and every outbox. In an
  // outbox a shared result counts once per connection holding it: what it
  // would cost if each copy were the last. Sessions report their changes;
  // past the budget new subscriptions are refused (UNAVAILABLE) and the
  // connections holding the most are closed first (4008) until the rest fit.
  void set_memory_budget(uint64_t bytes) { memory_budget_ = bytes; }
  void queued_changed(int64_t delta);
  uint64_t queued_bytes() const { return queued_bytes_.load(std::memory_order_relaxed); }
  uint64_t live_bytes() const { return queued_bytes() + stats_->topic_bytes.load(std::memory_order_relaxed); }
  // Over the budget now: a new subscription is refused, and the heaviest connections are closed.
  bool over_budget();
  LiveStats& stats() { return *stats_; }
  void write_metrics(MetricsText& out);

 private:
  std::shared_ptr<Backend> backend_;
  std::shared_ptr<LiveStats> stats_ = std::make_shared<LiveStats>();
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Topic>> topics_;
  WeakRegistry<LiveConnection> connections_;
  std::atomic<uint64_t> next_subscription_{0};
  std::atomic<uint64_t> subscriptions_total_{0};
  void shed_slowest();
  uint64_t memory_budget_ = UINT64_MAX;
  std::atomic<uint64_t> queued_bytes_{0};
  std::atomic<bool> shedding_{false};
  std::atomic<int64_t> last_shed_{std::numeric_limits<int64_t>::min() / 2};
};

// The topic key: the plan's canonical JSON.
std::string topic_key(const ReadPlan& plan);

}  // namespace dc
