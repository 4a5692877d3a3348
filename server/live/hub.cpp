#include "server/live/hub.hpp"

#include "server/planner/plan_json.hpp"

namespace dc {

std::string topic_key(const ReadPlan& plan, const Identity& identity) {
  std::string key = identity.role;
  key += '\n';
  key += identity.subject;
  key += '\n';
  key += plan_to_json(plan).dump();
  return key;
}

std::shared_ptr<Topic> LiveHub::subscribe(const std::shared_ptr<const ReadPlan>& plan, const RequestContext& ctx,
                                          std::weak_ptr<LiveSink> sink, uint64_t id) {
  std::string key = topic_key(*plan, ctx.identity);
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

void LiveHub::write_metrics(MetricsText& out) {
  out.gauge("dc_live_connections", "Open /v1/live sockets.", connections());
  out.gauge("dc_live_topics", "Distinct live queries being evaluated (shared by equal subscriptions).", topics());
  out.counter("dc_live_subscriptions_total", "Live subscriptions started.", subscriptions_total());
  out.counter("dc_live_evaluations_total", "Live query results received from the backend.", stats_->evaluations.load());
  out.counter("dc_live_changes_total", "Live query results that changed and were pushed.", stats_->changes.load());
  out.counter("dc_live_messages_total", "Messages written to live sockets.", stats_->messages.load());
  out.counter("dc_live_collapses_total", "Live outbox overflows (queued patches replaced by one full result).", stats_->collapses.load());
  out.counter("dc_live_slow_closes_total", "Live sockets closed because the client stopped reading (4008).", stats_->slow_closes.load());
}

void LiveHub::shut_down_all() {
  for (auto& c : connections_.alive()) c->shut_down();
}

}  // namespace dc
