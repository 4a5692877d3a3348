// A topic: one live query (a canonical plan) shared by every
// subscription that asked for it. It holds the backend's watch, the last
// result, and who listens. Each change is diffed and serialized once into a
// LiveUpdate that every recipient shares; sessions add their own envelope.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "server/backend/backend.hpp"

namespace dc {

// One state of a topic's result, shared read-only by all its recipients.
struct LiveUpdate {
  uint64_t revision = 0;                       // 1 for the first result, +1 per change
  std::shared_ptr<const std::string> data;     // the full result (protocol.md section 2 JSON)
  std::shared_ptr<const std::string> patch;    // RFC 6902 ops from revision - 1; null for the first
  std::optional<Error> error;                  // the query failed: the subscriptions end
};
using LiveUpdatePtr = std::shared_ptr<const LiveUpdate>;

// Who receives updates: a live session. Called from any thread; the
// receiver hops to its own strand and never blocks the caller.
class LiveSink {
 public:
  virtual ~LiveSink() = default;
  virtual void deliver(uint64_t subscription, LiveUpdatePtr update) = 0;
};

// Counters for /metrics, shared by the hub, its topics and the live sessions.
struct LiveStats {
  std::atomic<uint64_t> evaluations{0};  // results received from the backend
  std::atomic<uint64_t> changes{0};      // of those, results that differed and were sent on
  std::atomic<uint64_t> messages{0};     // messages written to live sockets
  std::atomic<uint64_t> collapses{0};    // outbox overflows (queued patches replaced by one result)
  std::atomic<uint64_t> slow_closes{0};  // sockets closed with 4008
  std::atomic<uint64_t> budget_closes{0};  // of those, closed to keep live memory within its budget
  std::atomic<uint64_t> topic_bytes{0};    // what the topics' current results hold (Topic::bytes)
  std::atomic<uint64_t> refused{0};        // subscriptions refused with UNAVAILABLE past the budget
};

class Topic : public std::enable_shared_from_this<Topic> {
 public:
  Topic(std::string key, std::shared_ptr<const ReadPlan> plan, std::shared_ptr<LiveStats> stats)
      : key_(std::move(key)), plan_(std::move(plan)), stats_(std::move(stats)) {}
  ~Topic();
  Topic(const Topic&) = delete;
  Topic& operator=(const Topic&) = delete;
  const std::string& key() const { return key_; }

  // Starts the backend's watch (once, by the hub).
  void start(Backend& backend, const RequestContext& ctx);
  // Adds a subscriber; it gets the current result at once if there is one.
  void add(uint64_t subscription, std::weak_ptr<LiveSink> sink);
  // Returns how many subscribers remain.
  size_t remove(uint64_t subscription);
  size_t subscribers() const;

  // A result from the backend: sends it on only when it differs from the last.
  void on_result(Result<ReadOutcome> outcome);

  // The query failed: new subscribers get a fresh topic.
  bool failed();

  // Bytes its current result holds: the text, the last patch, and the tree
  // the next diff starts from (counted as kTreeFactor times the text).
  uint64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
  static constexpr uint64_t kTreeFactor = 4;

 private:
  std::string key_;
  std::shared_ptr<const ReadPlan> plan_;
  std::unique_ptr<Watch> watch_;
  mutable std::mutex mu_;
  std::unordered_map<uint64_t, std::weak_ptr<LiveSink>> subscribers_;
  LiveUpdatePtr current_;
  std::shared_ptr<const Json> last_;  // the current result as a tree, the base of the next diff
  std::shared_ptr<LiveStats> stats_;
  std::atomic<uint64_t> bytes_{0};
  void set_bytes(uint64_t now);  // under mu_
};

}  // namespace dc
