#include "server/pipeline/live_handler.hpp"

#include <type_traits>

#include "protocol/json_read.hpp"

namespace dc {

LiveHandler::LiveHandler(std::shared_ptr<Pipeline> pipeline, LiveLimits limits, LiveOutput& out, RequestContext ctx)
    : pipeline_(std::move(pipeline)), hub_(pipeline_->hub()), limits_(limits), out_(out), ctx_(std::move(ctx)) {}

LiveHandler::~LiveHandler() { finish(); }

void LiveHandler::on_message(std::string_view text) {
  auto message = live::decode_client_message(text, pipeline_->options().limits);
  std::visit(
      [this](auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, live::Violation>) {
          out_.close(m.code, std::move(m.reason));
        } else if constexpr (std::is_same_v<M, live::ConnectionInit>) {
          on_init(m);
        } else if constexpr (std::is_same_v<M, live::Ping>) {
          out_.send_text(live::encode_pong());
        } else if constexpr (std::is_same_v<M, live::Pong>) {
          // keep-alive answer: nothing to do
        } else if constexpr (std::is_same_v<M, live::Complete>) {
          auto it = by_id_.find(m.id);
          if (it != by_id_.end()) end_subscription(it->second);
        } else {
          on_subscribe(m);
        }
      },
      message);
}

void LiveHandler::on_init(const live::ConnectionInit& init) {
  if (init_seen_) return out_.close(live::close_code::too_many_inits, "Too many initialisation requests");
  init_seen_ = true;
  patches_ = init.patches;
  if (init.token_malformed) return out_.close(live::close_code::forbidden, "Forbidden: connection_init's payload.token must be a string");
  auto access = pipeline_->authorize_token(init.token.value_or(""));
  if (!access) {
    const Error& e = access.error();
    // Refused credentials close the socket before connection_ack (auth.md section 3).
    if (e.code == ErrorCode::unauthenticated) return out_.close(live::close_code::forbidden, "Forbidden: " + e.message);
    return out_.close(1013, e.message);  // try again later (the schema is not loaded yet)
  }
  access_ = std::move(access).value();
  token_ = init.token.value_or("");
  ctx_.identity = access_.identity;
  out_.send_text(live::encode_connection_ack());
}

bool LiveHandler::on_rules_replaced(uint64_t epoch) {
  if (!init_seen_ || access_.rules_epoch == 0 || access_.rules_epoch == epoch) return true;  // not yet admitted, or no auth
  auto fresh = pipeline_->authorize_token(token_);
  if (!fresh) {
    const Error& e = fresh.error();
    if (e.code == ErrorCode::unauthenticated) {
      out_.close(live::close_code::forbidden, "Forbidden: " + e.message);
    } else {
      out_.close(1013, e.message);
    }
    return false;
  }
  if (!same_rules(access_, *fresh)) {
    out_.close(1012, "the auth rules were reloaded: reconnect");
    return false;
  }
  access_ = std::move(fresh).value();
  ctx_.identity = access_.identity;
  return true;
}

void LiveHandler::on_expired() { out_.close(live::close_code::forbidden, "Forbidden: the credentials expired"); }

void LiveHandler::on_init_timeout() {
  if (!init_seen_) out_.close(live::close_code::init_timeout, "Connection initialisation timeout");
}

void LiveHandler::on_subscribe(live::Subscribe& s) {
  if (!init_seen_) return out_.close(live::close_code::unauthorized, "Unauthorized");
  if (by_id_.count(s.id)) {
    return out_.close(live::close_code::subscriber_exists, "Subscriber for " + safe_text(s.id, 64) + " already exists");
  }
  if (subs_.size() >= limits_.max_subscriptions) {
    return out_.send_error(s.id, Error::query("at most " + std::to_string(limits_.max_subscriptions) +
                                                  " subscriptions per connection (--live-max-subscriptions)",
                                              ""));
  }
  if (!s.query) return out_.send_error(s.id, s.query.error());
  if (auto st = pipeline_->take_rate(access_); !st) return out_.send_error(s.id, st.error());
  auto planned = pipeline_->plan_json(*s.query, Accept::both, access_);
  if (!planned) return out_.send_error(s.id, planned.error());
  if (planned->read && access_.rules.read) {
    // "live": false in a select rule refuses subscriptions to that table.
    const auto& table = planned->read->root.access.table;
    auto rule = access_.rules.read->tables.find(table);
    if (rule != access_.rules.read->tables.end() && !rule->second.live) {
      return out_.send_error(s.id, Error{ErrorCode::forbidden, "role '" + access_.identity.role + "' may not subscribe to table '" + table + "'",
                                         std::string("/table")});
    }
  }
  if (planned->read && hub_->over_budget()) {
    return out_.send_error(s.id, Error{ErrorCode::unavailable,
                                       "live memory is over its budget (--live-memory-budget): subscribe again later",
                                       std::nullopt});
  }
  uint64_t key = hub_->new_key();
  by_id_.emplace(s.id, key);
  auto& sub = subs_[key];
  sub.id = s.id;
  if (planned->mutation) return run_mutation(s.id, key, planned->mutation);
  sub.topic = hub_->subscribe(planned->read, ctx_, out_.sink(), key);
}

void LiveHandler::run_mutation(const std::string& id, uint64_t key, std::shared_ptr<const MutationPlan> plan) {
  pipeline_->write(std::move(plan), ctx_, [this, post = out_.poster(), id, key](Result<WriteOutcome> out) {
    post([this, id, key, out = std::move(out)]() mutable {
      if (!subs_.count(key)) return;  // completed by the client meanwhile
      by_id_.erase(id);
      subs_.erase(key);
      if (!out) return out_.send_error(id, out.error());
      out_.send_text(live::encode_next_data(id, 1, out->data_json));
      out_.send_text(live::encode_complete(id));
    });
  });
}

void LiveHandler::on_update(uint64_t key, LiveUpdatePtr update) {
  auto it = subs_.find(key);
  if (it == subs_.end()) return;
  Subscription& sub = it->second;
  if (update->revision <= sub.revision) return;  // overtaken by a newer one
  if (update->error) {
    // A result that can no longer be computed (past the answer's budget, a
    // backend failure) ends the subscription: `error`, then `complete`.
    std::string id = sub.id;
    end_subscription(key);
    out_.send_error(id, *update->error);
    return out_.send_text(live::encode_complete(id));
  }
  bool patch = patches_ && update->patch && sub.revision != 0 && update->revision == sub.revision + 1;
  sub.revision = update->revision;
  uint64_t bytes = (update->data ? update->data->size() : 0) * (1 + Topic::kTreeFactor);
  held_.fetch_add(bytes - sub.bytes, std::memory_order_relaxed);  // wraps back when smaller
  sub.bytes = bytes;
  out_.send_update(key, std::move(update), patch);
}

std::optional<std::string> LiveHandler::next_head(uint64_t key, bool patch) {
  auto it = subs_.find(key);
  if (it == subs_.end()) return std::nullopt;
  return live::encode_next_head(it->second.id, ++it->second.version, patch);
}

void LiveHandler::end_subscription(uint64_t key) {
  auto it = subs_.find(key);
  if (it == subs_.end()) return;
  held_.fetch_sub(it->second.bytes, std::memory_order_relaxed);
  if (it->second.topic) hub_->unsubscribe(it->second.topic, key);
  by_id_.erase(it->second.id);
  subs_.erase(it);
}

void LiveHandler::shut_down() {
  for (auto& [key, sub] : subs_) {
    if (sub.topic) out_.send_text(live::encode_complete(sub.id));
  }
}

void LiveHandler::finish() {
  for (auto& [key, sub] : subs_) {
    if (sub.topic) hub_->unsubscribe(sub.topic, key);
  }
  subs_.clear();
  by_id_.clear();
}

}  // namespace dc
