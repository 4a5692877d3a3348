// The Convex backend: each read plan is one call of the adapter's `execute`
// (an internal query), each mutation plan one call of `mutate` (an internal
// mutation), so a request costs one round trip at any relation depth. The
// schema can come from the adapter's `describe`.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "server/backend/backend.hpp"
#include "server/backend/convex/convex_client.hpp"
#include "server/backend/convex/observed_stats.hpp"
#include "server/backend/convex/sync_client.hpp"

namespace dc {

struct ConvexBackendOptions {
  std::string module = "drizzle";
  std::chrono::milliseconds timeout{10000};
};

class ConvexBackend final : public Backend {
 public:
  // `sync` serves live queries: each watched plan is one query of its set.
  ConvexBackend(std::shared_ptr<ConvexClient> client, std::shared_ptr<SyncClient> sync, ConvexBackendOptions options);

  std::string_view name() const override { return "convex"; }
  const TableStats& stats() const override { return *stats_; }
  bool ready() const override { return ready_.load(); }
  void set_ready(bool r) { ready_ = r; }
  std::string not_ready_reason() const override {
    std::lock_guard lock(reason_mu_);
    return reason_;
  }
  // Not ready, and why (the last failure of describe, which app.cpp retries).
  void set_not_ready(std::string why) {
    std::lock_guard lock(reason_mu_);
    reason_ = std::move(why);
    ready_ = false;
  }

  void read(std::shared_ptr<const ReadPlan> plan, const RequestContext& ctx,
            std::function<void(Result<ReadOutcome>)> done) override;
  void write(std::shared_ptr<const MutationPlan> plan, const RequestContext& ctx,
             std::function<void(Result<WriteOutcome>)> done) override;

  std::unique_ptr<Watch> watch(std::shared_ptr<const ReadPlan> plan, const RequestContext& ctx, WatchFn on_result) override;

  void shutdown() override {
    client_->close_idle();
    if (sync_) sync_->stop();
  }

  void write_metrics(MetricsText& out) const override;

  // The deployed schema as the proxy's schema JSON (protocol.md section 8),
  // after checking that the deployed adapter runs this proxy's plan version.
  void describe(std::function<void(Result<Json>)> done);

  const ConvexClient& client() const { return *client_; }
  const SyncClient* sync() const { return sync_.get(); }

 private:
  void run(FunctionKind kind, const char* function, std::string plan_json, const RequestContext& ctx,
           std::function<void(Result<ReadOutcome>)> done);

  std::shared_ptr<ConvexClient> client_;
  std::shared_ptr<SyncClient> sync_;
  ConvexBackendOptions options_;
  // Convex keeps no row counts the proxy can read: plans are bounded by the
  // adapter, which counts reads against the budget while it runs; choices
  // use what earlier reads observed.
  std::shared_ptr<ObservedStats> stats_ = std::make_shared<ObservedStats>();  // shared with calls in flight
  std::atomic<bool> ready_{false};
  mutable std::mutex reason_mu_;
  std::string reason_ = "the deployment has not answered yet";
};

// Takes the adapter's plan version out of its describe answer: an error
// naming both versions unless it is kPlanVersion (an adapter older than
// version 2 sends none).
Status take_adapter_plan_version(Json& described);

}  // namespace dc
