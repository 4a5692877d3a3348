#include "server/live/topic.hpp"

#include "server/live/differ.hpp"

namespace dc {

void Topic::start(Backend& backend, const RequestContext& ctx) {
  std::weak_ptr<Topic> weak = shared_from_this();
  auto watch = backend.watch(plan_, ctx, [weak](Result<ReadOutcome> out) {
    if (auto self = weak.lock()) self->on_result(std::move(out));
  });
  std::lock_guard lock(mu_);
  watch_ = std::move(watch);
}

void Topic::add(uint64_t subscription, std::weak_ptr<LiveSink> sink) {
  LiveUpdatePtr now;
  {
    std::lock_guard lock(mu_);
    subscribers_.emplace(subscription, sink);
    now = current_;
  }
  // A concurrent change may overtake this one: sessions drop revisions older than what they hold.
  if (now) {
    if (auto s = sink.lock()) s->deliver(subscription, now);
  }
}

Topic::~Topic() { stats_->topic_bytes.fetch_sub(bytes_.load(std::memory_order_relaxed), std::memory_order_relaxed); }

void Topic::set_bytes(uint64_t now) {
  uint64_t before = bytes_.exchange(now, std::memory_order_relaxed);
  stats_->topic_bytes.fetch_add(now - before, std::memory_order_relaxed);  // wraps back when smaller
}

bool Topic::failed() {
  std::lock_guard lock(mu_);
  return current_ && current_->error;
}

size_t Topic::remove(uint64_t subscription) {
  std::lock_guard lock(mu_);
  subscribers_.erase(subscription);
  return subscribers_.size();
}

size_t Topic::subscribers() const {
  std::lock_guard lock(mu_);
  return subscribers_.size();
}

void Topic::on_result(Result<ReadOutcome> outcome) {
  std::vector<std::pair<uint64_t, std::shared_ptr<LiveSink>>> recipients;
  LiveUpdatePtr update;
  {
    std::lock_guard lock(mu_);
    stats_->evaluations.fetch_add(1, std::memory_order_relaxed);
    auto next = std::make_shared<LiveUpdate>();
    next->revision = (current_ ? current_->revision : 0) + 1;
    if (!outcome) {
      next->error = std::move(outcome).error();
    } else {
      if (current_ && current_->data && *current_->data == outcome->data_json) return;  // unchanged
      auto tree = outcome->tree ? outcome->tree : std::make_shared<const Json>(Json::parse(outcome->data_json));
      if (last_) next->patch = std::make_shared<const std::string>(diff_results(*last_, *tree).dump());
      last_ = std::move(tree);
      next->data = std::make_shared<const std::string>(std::move(outcome->data_json));
    }
    stats_->changes.fetch_add(1, std::memory_order_relaxed);
    current_ = next;
    uint64_t text = next->data ? next->data->size() : 0;
    set_bytes(text * (1 + kTreeFactor) + (next->patch ? next->patch->size() : 0));
    update = next;
    recipients.reserve(subscribers_.size());
    for (auto& [id, weak] : subscribers_) {
      if (auto s = weak.lock()) recipients.emplace_back(id, std::move(s));
    }
  }
  for (auto& [id, s] : recipients) s->deliver(id, update);
}

}  // namespace dc
