#include "server/backend/embedded/embedded_backend.hpp"

#include <mutex>
#include <random>

#include "protocol/value_json.hpp"
#include "server/backend/embedded/executor.hpp"
#include "server/backend/embedded/writer.hpp"

#include <spdlog/spdlog.h>

namespace dc {

EmbeddedBackend::EmbeddedBackend(std::shared_ptr<const Schema> schema, uint64_t id_seed, Options options)
    : schema_(std::move(schema)), store_(*schema_), ids_(id_seed ? id_seed : std::random_device{}()), options_(options) {
  if (options_.threads) pool_ = std::make_unique<WorkPool>(options_.threads, options_.max_queue);
}

EmbeddedBackend::~EmbeddedBackend() { drain(); }

void EmbeddedBackend::drain() {
  if (pool_) pool_->stop();
}

// Serialized under the lock too: the result shares nothing with the store,
// but doing it here keeps one code path and no half-built Result around.
Result<ReadOutcome> EmbeddedBackend::run_read(const ReadPlan& plan, bool with_tree, Executor::Clock::time_point deadline) const {
  std::shared_lock lock(mu_);
  Executor ex(store_, plan.budget, deadline);
  Result<Value> result = ex.run(plan);
  if (!result) return std::move(result).error();
  ReadOutcome out;
  out.docs_read = ex.docs_read();
  write_json(result.value(), out.data_json);
  if (with_tree) out.tree = std::make_shared<const Json>(to_json(result.value()));
  return out;
}

void EmbeddedBackend::read(std::shared_ptr<const ReadPlan> plan, const RequestContext& ctx,
                           std::function<void(Result<ReadOutcome>)> done) {
  // Point reads and small ranges cost less than a hop to another thread.
  if (!pool_ || plan->max_reads <= options_.inline_reads) return done(run_read(*plan, false, ctx.deadline));
  auto deadline = ctx.deadline;
  auto job = std::make_shared<std::pair<std::shared_ptr<const ReadPlan>, std::function<void(Result<ReadOutcome>)>>>(plan, std::move(done));
  bool queued = pool_->submit([this, job, deadline] { job->second(run_read(*job->first, false, deadline)); });
  if (!queued) {
    job->second(Error{ErrorCode::unavailable, "the engine is busy: " + std::to_string(options_.max_queue) + " reads are waiting", std::nullopt});
  }
}

// One live read: its plan, what it reads, and whether an evaluation is
// running (then a new change only marks it dirty, so a burst of writes costs
// one more evaluation, not one per write, and results arrive one at a time).
struct EmbeddedBackend::WatchState {
  uint64_t id = 0;
  std::shared_ptr<const ReadPlan> plan;
  ReadSet reads;
  WatchFn on_result;
  std::atomic<bool> stopped{false};
  std::mutex mu;
  bool running = false;
  bool dirty = false;
};

// Stopping never waits for an evaluation in flight: that one may be the
// caller (a result handler dropping the last reference to its topic).
class EmbeddedBackend::EmbeddedWatch final : public Watch {
 public:
  EmbeddedWatch(EmbeddedBackend& backend, std::shared_ptr<WatchState> state) : backend_(backend), state_(std::move(state)) {}
  ~EmbeddedWatch() override {
    state_->stopped = true;
    backend_.forget(state_->id);
  }

 private:
  EmbeddedBackend& backend_;
  std::shared_ptr<WatchState> state_;
};

std::unique_ptr<Watch> EmbeddedBackend::watch(std::shared_ptr<const ReadPlan> plan, const RequestContext&, WatchFn on_result) {
  auto state = std::make_shared<WatchState>();
  state->reads = ReadSet(*plan);
  state->plan = std::move(plan);
  state->on_result = std::move(on_result);
  {
    std::lock_guard lock(watches_mu_);
    state->id = ++next_watch_;
    watches_.emplace(state->id, state);
  }
  schedule(state);
  return std::make_unique<EmbeddedWatch>(*this, state);
}

void EmbeddedBackend::forget(uint64_t id) {
  std::lock_guard lock(watches_mu_);
  watches_.erase(id);
}

void EmbeddedBackend::schedule(const std::shared_ptr<WatchState>& w) {
  {
    std::lock_guard lock(w->mu);
    if (w->running) {
      w->dirty = true;
      return;
    }
    w->running = true;
  }
  // A full pool must not lose a re-evaluation: then it runs here.
  if (!pool_ || !pool_->submit([this, w] { evaluate(w); })) evaluate(w);
}

void EmbeddedBackend::evaluate(const std::shared_ptr<WatchState>& w) {
  for (;;) {
    if (!w->stopped) {
      w->on_result(run_read(*w->plan, true));
    }
    std::lock_guard lock(w->mu);
    if (!w->dirty || w->stopped) {
      w->running = false;
      return;
    }
    w->dirty = false;
  }
}

void EmbeddedBackend::write(std::shared_ptr<const MutationPlan> plan, const RequestContext&,
                            std::function<void(Result<WriteOutcome>)> done) {
  std::vector<std::shared_ptr<WatchState>> affected;
  Result<WriteOutcome> outcome = [&]() -> Result<WriteOutcome> {
    std::unique_lock lock(mu_);
    Writer writer(store_, ids_);
    Result<Value> result = writer.run(*plan);  // rolled back on failure
    if (!result) return std::move(result).error();
    // The net changes, worked out once for the log and the live watches, and only if one needs them.
    std::optional<std::vector<Change>> changes;
    auto changed = [&]() -> const std::vector<Change>& {
      if (!changes) changes = writer.changes();
      return *changes;
    };
    if (wal_) {
      // Durable before acknowledged, and before any other request can read it:
      // the log is synced while the write lock is still held.
      if (auto st = wal_->append(changed()); !st) {
        writer.undo();
        spdlog::error("write not persisted, rolled back: {}", st.error().message);
        return Error{ErrorCode::unavailable, "the write could not be made durable; nothing was written", std::nullopt};
      }
      if (wal_->records_since_snapshot() >= snapshot_every_records || wal_->log_bytes() >= snapshot_every_bytes) {
        if (auto st = wal_->snapshot(store_); !st) spdlog::warn("snapshot failed (the log still holds every write): {}", st.error().message);
      }
    }
    version_.fetch_add(1, std::memory_order_acq_rel);
    {
      std::lock_guard wl(watches_mu_);
      for (auto& [id, w] : watches_) {
        if (w->reads.affected_by(changed(), store_)) affected.push_back(w);
      }
    }
    WriteOutcome out;
    out.docs_read = writer.docs_read();
    write_json(result.value(), out.data_json);
    return out;
  }();
  // Acknowledge first: live evaluations never delay the writer's answer.
  done(std::move(outcome));
  for (auto& w : affected) schedule(w);
}

Status EmbeddedBackend::enable_durability(const std::string& dir, RecoveryReport* report, const RecoveryOptions& options) {
  std::unique_lock lock(mu_);
  auto wal = WriteAheadLog::open(dir, store_, ids_, report, options);
  if (!wal) return std::move(wal).error();
  wal_ = std::move(wal).value();
  return Ok{};
}

Status EmbeddedBackend::checkpoint() {
  std::unique_lock lock(mu_);
  if (!wal_) return Ok{};
  return wal_->snapshot(store_);
}

std::optional<uint64_t> EmbeddedBackend::row_count(std::string_view table) const {
  std::shared_lock lock(mu_);
  const Table* t = store_.table(table);
  if (!t) return std::nullopt;
  return t->size();
}

}  // namespace dc
