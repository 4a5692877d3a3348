#include "server/live/hub.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

#include "server/planner/plan_json.hpp"

namespace dc {

std::string topic_key(const ReadPlan& plan) { return plan_to_json(plan).dump(); }

std::shared_ptr<Topic> LiveHub::subscribe(const std::shared_ptr<const ReadPlan>& plan, const RequestContext& ctx,
                                          std::weak_ptr<LiveSink> sink, uint64_t id) {
  std::string key = topic_key(*plan);
  std::shared_ptr<Topic> topic;
  bool fresh = false;
  subscriptions_total_.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard lock(mu_);
    auto& slot = topics_[key];
    if (!slot || slot->failed()) {
      slot = std::make_shared<Topic>(key, plan, stats_);
      fresh = true;
    }
    topic = slot;
    // Added under the hub's lock, so an unsubscribe cannot drop the topic in between.
    topic->add(id, std::move(sink));
  }
  // Started after the first subscriber is in, so the first result reaches it.
  if (fresh) topic->start(*backend_, ctx);
  return topic;
}

void LiveHub::unsubscribe(const std::shared_ptr<Topic>& topic, uint64_t subscription) {
  std::shared_ptr<Topic> dropped;
  {
    std::lock_guard lock(mu_);
    if (topic->remove(subscription) > 0) return;
    auto it = topics_.find(topic->key());
    if (it != topics_.end() && it->second == topic) {
      dropped = std::move(it->second);
      topics_.erase(it);
    }
  }
  // `dropped` (and with it the backend watch) goes here, outside the hub's lock.
}

bool LiveHub::admit(const std::shared_ptr<LiveConnection>& c, size_t max_connections) { return connections_.add(c, max_connections); }

void LiveHub::leave(const LiveConnection* c) { connections_.remove(c); }

size_t LiveHub::connections() { return connections_.size(); }

size_t LiveHub::topics() {
  std::lock_guard lock(mu_);
  return topics_.size();
}

size_t LiveHub::subscriptions() {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [key, topic] : topics_) n += topic->subscribers();
  return n;
}

void LiveHub::write_metrics(MetricsText& out) {
  out.gauge("dc_live_connections", "Open /v1/live sockets.", connections());
  out.gauge("dc_live_topics", "Distinct live queries being evaluated (shared by equal subscriptions).", topics());
  out.gauge("dc_live_subscriptions", "Live subscriptions open now (every client's, on all sockets).", subscriptions());
  out.counter("dc_live_subscriptions_total", "Live subscriptions started.", subscriptions_total());
  out.counter("dc_live_evaluations_total", "Live query results received from the backend.", stats_->evaluations.load());
  out.counter("dc_live_changes_total", "Live query results that changed and were pushed.", stats_->changes.load());
  out.counter("dc_live_messages_total", "Messages written to live sockets.", stats_->messages.load());
  out.counter("dc_live_collapses_total", "Live outbox overflows (queued patches replaced by one full result).", stats_->collapses.load());
  out.counter("dc_live_slow_closes_total", "Live sockets closed because the client stopped reading (4008).", stats_->slow_closes.load());
  out.counter("dc_live_budget_closes_total", "Of those, closed because live outboxes together held more than --live-memory-budget.",
              stats_->budget_closes.load());
  out.gauge("dc_live_queued_bytes", "Bytes held by live outboxes and writes in flight (a shared result counts per connection).",
            queued_bytes());
  out.gauge("dc_live_topic_bytes", "Bytes the live topics' current results hold (text, last patch, and the tree diffs start from).",
            stats_->topic_bytes.load());
  out.gauge("dc_live_bytes", "Live memory counted against --live-memory-budget: topics and outboxes.", live_bytes());
  out.counter("dc_live_refused_total", "Live subscriptions refused with UNAVAILABLE because live memory was over its budget.",
              stats_->refused.load());
}

void LiveHub::queued_changed(int64_t delta) {
  queued_bytes_.fetch_add(static_cast<uint64_t>(delta), std::memory_order_relaxed);
  if (delta > 0 && live_bytes() > memory_budget_) shed_slowest();
}

bool LiveHub::over_budget() {
  if (live_bytes() <= memory_budget_) return false;
  stats_->refused.fetch_add(1, std::memory_order_relaxed);
  shed_slowest();
  return true;
}

// One thread sheds at a time; the others go on (their bytes are counted,
// and the next report over the budget looks again). A shed connection's
// bytes stay counted until its socket is gone (up to 2 s for a client that
// does not read), so a pass is made at most every 250 ms: each pass sorts
// every connection.
void LiveHub::shed_slowest() {
  auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  auto last = last_shed_.load(std::memory_order_relaxed);
  if (now - last < std::chrono::nanoseconds(std::chrono::milliseconds(250)).count()) return;
  if (shedding_.exchange(true)) return;
  last_shed_.store(now, std::memory_order_relaxed);
  auto alive = connections_.alive();
  std::vector<std::pair<uint64_t, LiveConnection*>> by_size;
  by_size.reserve(alive.size());
  for (auto& c : alive) by_size.emplace_back(c->queued_bytes() + c->held_bytes(), c.get());
  std::sort(by_size.begin(), by_size.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  uint64_t total = live_bytes();
  // Down to 3/4 of the budget, so one more result does not start it again.
  uint64_t target = memory_budget_ - memory_budget_ / 4;
  for (auto& [bytes, c] : by_size) {
    if (total <= target || bytes == 0) break;
    c->shed();
    stats_->budget_closes.fetch_add(1, std::memory_order_relaxed);
    total -= std::min(total, bytes);
  }
  shedding_ = false;
}

void LiveHub::shut_down_all() {
  for (auto& c : connections_.alive()) c->shut_down();
}

void LiveHub::rules_replaced(uint64_t epoch) {
  for (auto& c : connections_.alive()) c->rules_replaced(epoch);
}

}  // namespace dc
