#include "server/backend/embedded/embedded_backend.hpp"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <random>

#include "protocol/value_json.hpp"
#include "server/backend/embedded/executor.hpp"
#include "server/backend/embedded/writer.hpp"

#include <spdlog/spdlog.h>

namespace dc {

namespace {

// Inside a catch (...): what the exception being handled says.
std::string current_exception_text() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "a non-standard exception";
  }
}

}  // namespace

namespace {
// More rows than this in one insert step and the write leaves the socket thread.
constexpr size_t kInlineRows = 16;
}  // namespace

EmbeddedBackend::EmbeddedBackend(std::shared_ptr<const Schema> schema, uint64_t id_seed, Options options)
    : schema_(std::move(schema)), store_(*schema_), ids_(id_seed ? id_seed : std::random_device{}()), options_(options) {
  if (options_.threads) {
    pool_ = std::make_unique<WorkPool>(options_.threads, options_.max_queue);
    committer_ = std::make_unique<BatchQueue<PendingWrite>>(options_.max_queue, options_.max_group,
                                                            [this](std::vector<PendingWrite>& group) { commit(group); });
  }
  for (const auto& [name, def] : schema_->tables) published_counts_[name];
}

void EmbeddedBackend::publish_counts() {
  for (auto& [name, count] : published_counts_) {
    if (const Table* t = store_.table(name)) count.store(t->size(), std::memory_order_relaxed);
  }
}

EmbeddedBackend::~EmbeddedBackend() { drain(); }

void EmbeddedBackend::drain() {
  if (committer_) committer_->stop();
  join_snapshot();
  if (pool_) pool_->stop();
}

void EmbeddedBackend::join_snapshot() {
  if (snapshotter_.joinable()) snapshotter_.join();
}

// Under the write lock. A disk that is full stays full for a while: trying
// again after every write would write (and log) a failing snapshot per
// commit group.
void EmbeddedBackend::snapshot_failed(const Error& e) {
  snapshot_failures_.fetch_add(1, std::memory_order_relaxed);
  snapshot_retry_at_ = wal_->records_since_snapshot() + snapshot_every_records;
  spdlog::warn("snapshot failed (the log still holds every write; tried again after {} more writes): {}", snapshot_every_records,
               e.message);
}

// Under the write lock: the whole snapshot at once, timed.
Status EmbeddedBackend::snapshot_now() {
  auto started = std::chrono::steady_clock::now();
  Status st = wal_->snapshot(store_);
  if (st) snapshot_durations_.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return st;
}

void EmbeddedBackend::write_snapshot_job(SnapshotJob& job) {
  auto started = std::chrono::steady_clock::now();
  auto written = wal_->write_snapshot(job);
  std::unique_lock lock(mu_);
  if (!written) return snapshot_failed(written.error());
  Status st = wal_->finish_snapshot(job, *written);
  if (!st) return snapshot_failed(st.error());
  snapshot_retry_at_ = 0;
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  snapshot_durations_.observe(seconds);
  spdlog::info("snapshot of {} documents ({} bytes) written in {:.0f} ms while writes went on", written->documents,
               written->bytes, seconds * 1000);
}

void EmbeddedBackend::start_snapshot() {
  if (!committer_) {
    if (auto st = snapshot_now(); !st) snapshot_failed(st.error());
    else snapshot_retry_at_ = 0;
    return;
  }
  auto job = std::make_shared<SnapshotJob>(wal_->begin_snapshot(store_));
  join_snapshot();  // the last one has ended: it cleared snapshot_running_ as its last step
  snapshot_running_.store(true, std::memory_order_relaxed);
  // No thread (out of threads or memory): not running, so a later one may start.
  struct NotStarted {
    std::atomic<bool>& running;
    bool started = false;
    ~NotStarted() {
      if (!started) running.store(false, std::memory_order_relaxed);
    }
  } guard{snapshot_running_};
  snapshotter_ = std::thread([this, job] {
    try {
      write_snapshot_job(*job);
    } catch (...) {
      // The last resort (out of memory, say): this snapshot failed as a full
      // disk would fail it; the log still holds every write.
      std::string what = current_exception_text();
      std::unique_lock lock(mu_);
      snapshot_failed(Error{ErrorCode::internal, "the snapshot stopped: " + what, std::nullopt});
    }
    snapshot_running_.store(false, std::memory_order_release);
  });
  guard.started = true;
}

// Serialized under the lock too: the result shares nothing with the store,
// but doing it here keeps one code path and no half-built Result around.
ReadLimits EmbeddedBackend::limits_for(const RequestContext& ctx) const {
  return ReadLimits{ctx.deadline, options_.match_budget, ctx.cancelled.get()};
}

Result<ReadOutcome> EmbeddedBackend::run_read(const ReadPlan& plan, bool with_tree, const ReadLimits& limits, bool keep) const {
  std::shared_lock lock(mu_);
  return run_read_locked(plan, with_tree, limits, keep);
}

Result<ReadOutcome> EmbeddedBackend::run_read_locked(const ReadPlan& plan, bool with_tree, const ReadLimits& limits, bool keep) const {
  Executor ex(store_, plan.budget, limits);
  Result<Value> result = ex.run(plan);
  if (!result) {
    if (limits.cancelled && limits.cancelled->load(std::memory_order_relaxed)) reads_cancelled_.fetch_add(1, std::memory_order_relaxed);
    return std::move(result).error();
  }
  ReadOutcome out;
  out.docs_read = ex.docs_read();
  out.reads_by_access = ex.reads_by_access();
  write_json(result.value(), out.data_json);
  // The deadline covers the answer's text too: past it, nothing was sent yet, so 504.
  if (limits.deadline != ReadLimits{}.deadline && std::chrono::steady_clock::now() >= limits.deadline) {
    return Error{ErrorCode::upstream_timeout,
                 "the query ran past the request deadline (--request-timeout) while its answer was written", std::nullopt};
  }
  if (with_tree) out.tree = std::make_shared<const Json>(to_json(result.value()));
  // Registered while the shared lock is held: a commit comes before this
  // read (and is in its result) or after (and finds it registered).
  if (keep) out.fresh = fresh_reads_.keep(plan);
  return out;
}

void EmbeddedBackend::read(std::shared_ptr<const ReadPlan> plan, const RequestContext& ctx,
                           std::function<void(Result<ReadOutcome>)> done) {
  if (!pool_) return done(run_read(*plan, false, limits_for(ctx), ctx.keep_result));
  // Point reads and small ranges cost less than a hop to another thread,
  // unless a group commit holds the lock through its fdatasync: then they
  // wait on the engine's threads, never on a socket thread.
  if (plan->max_reads <= options_.inline_reads) {
    std::shared_lock lock(mu_, std::try_to_lock);
    if (lock.owns_lock()) {
      auto outcome = run_read_locked(*plan, false, limits_for(ctx), ctx.keep_result);
      lock.unlock();
      return done(std::move(outcome));
    }
  }
  // The job keeps the cancel flag alive with the context's copy.
  struct Job {
    std::shared_ptr<const ReadPlan> plan;
    RequestContext ctx;
    std::function<void(Result<ReadOutcome>)> done;
  };
  auto job = std::make_shared<Job>(Job{std::move(plan), ctx, std::move(done)});
  bool queued = pool_->submit([this, job] {
    // A client gone while its read waited in the queue costs nothing.
    job->done(run_read(*job->plan, false, limits_for(job->ctx), job->ctx.keep_result));
  });
  if (!queued) {
    job->done(Error{ErrorCode::unavailable, "the engine is busy: " + std::to_string(options_.max_queue) + " reads are waiting", std::nullopt});
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
      w->on_result(run_read(*w->plan, true, ReadLimits{.match_bytes = options_.match_budget}));
    }
    std::lock_guard lock(w->mu);
    if (!w->dirty || w->stopped) {
      w->running = false;
      return;
    }
    w->dirty = false;
  }
}

void EmbeddedBackend::write(std::shared_ptr<const MutationPlan> plan, const RequestContext& ctx,
                            std::function<void(Result<WriteOutcome>)> done) {
  // An update or delete that may read many rows is a slow read too, and
  // many rows inserted at once take a while; a durable write waits for an
  // fdatasync: all of them go to the commit thread. A small memory-only
  // write runs inline only while the commit thread is idle and the write
  // lock free, which saves the hop when writers are few (one writer: p50
  // 120 µs inline, 160 µs through the thread); otherwise it joins the
  // commit thread's next group rather than wait for the lock: socket
  // threads taking turns on the write lock cost more than the hop (64
  // writers: 30k inserts/s inline, 40k this way, side by side in session 14).
  bool heavy = false;
  for (const auto& step : plan->steps) {
    heavy = heavy || (step.target && step.target->max_reads > options_.inline_reads) || step.rows.size() > kInlineRows;
  }
  PendingWrite w{std::move(plan), limits_for(ctx), ctx.cancelled, std::move(done)};
  std::unique_lock lock(mu_, std::defer_lock);
  if (committer_ && !wal_ && !heavy && committer_->idle()) lock.try_lock();
  if (committer_ && !lock.owns_lock()) {
    if (committer_->push(w)) return;
    return w.done(Error{ErrorCode::unavailable,
                        "the engine is busy: " + std::to_string(options_.max_queue) + " writes are waiting; nothing was written",
                        std::nullopt});
  }
  std::vector<PendingWrite> one;
  one.push_back(std::move(w));
  if (!lock.owns_lock()) lock.lock();
  commit(one, std::move(lock));
}

void EmbeddedBackend::commit(std::vector<PendingWrite>& group) { commit(group, std::unique_lock(mu_)); }

void EmbeddedBackend::fail_group(std::vector<PendingWrite>& group, std::vector<std::unique_ptr<Writer>>& applied,
                                 std::vector<Result<WriteOutcome>>& outcomes, const std::string& what) {
  spdlog::error("{} write(s) failed unexpectedly and were rolled back: {}", group.size(), what);
  commit_failures_.fetch_add(1, std::memory_order_relaxed);
  for (size_t i = applied.size(); i-- > 0;) {
    if (applied[i]) applied[i]->undo();
  }
  applied.clear();
  outcomes.assign(group.size(), Error{ErrorCode::internal, "the write failed unexpectedly; nothing was written", std::nullopt});
}

void EmbeddedBackend::commit(std::vector<PendingWrite>& group, std::unique_lock<std::shared_mutex> lock) {
  std::vector<Result<WriteOutcome>> outcomes;
  outcomes.reserve(group.size());
  std::vector<std::shared_ptr<WatchState>> affected;
  std::vector<std::unique_ptr<Writer>> applied(group.size());
  bool decided = false;  // the writes are durable (or failed): past here they stand as answered
  bool logged = false;
  try {
    publish_counts();
    // Each write applies on top of the ones before it, or rolls itself back.
    for (size_t i = 0; i < group.size(); ++i) {
      applied[i] = std::make_unique<Writer>(store_, ids_, group[i].limits);
      Result<Value> result = applied[i]->run(*group[i].plan);
      if (!result) {
        applied[i].reset();
        outcomes.emplace_back(std::move(result).error());
        continue;
      }
      WriteOutcome out;
      out.docs_read = applied[i]->docs_read();
      write_json(result.value(), out.data_json);
      outcomes.emplace_back(std::move(out));
    }
    bool watched = false;
    {
      std::lock_guard wl(watches_mu_);
      watched = !watches_.empty();
    }
    // The net changes, worked out once for the log, the live watches and the
    // kept reads, and only if one needs them.
    bool kept = fresh_reads_.any();
    std::vector<std::vector<Change>> changes(group.size());
    std::vector<const std::vector<Change>*> records;
    if (wal_ || watched || kept) {
      for (size_t i = 0; i < group.size(); ++i) {
        if (!applied[i]) continue;
        changes[i] = applied[i]->changes();
        records.push_back(&changes[i]);
      }
    }
    if (wal_ && !records.empty()) {
      // Durable before acknowledged, and before any other request can read
      // it: the log is synced while the write lock is still held.
      commit_groups_.fetch_add(1, std::memory_order_relaxed);
      auto sync_started = std::chrono::steady_clock::now();
      auto st = wal_->append(records);
      decided = true;  // logged, or cut from the log: either way settled
      commit_durations_.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - sync_started).count());
      if (!st) {
        commit_failures_.fetch_add(1, std::memory_order_relaxed);
        spdlog::error("{} write(s) not persisted, rolled back: {}", records.size(), st.error().message);
        for (size_t i = group.size(); i-- > 0;) {
          if (!applied[i]) continue;
          applied[i]->undo();
          applied[i].reset();
          outcomes[i] = Error{ErrorCode::unavailable, "the write could not be made durable; nothing was written", std::nullopt};
        }
      }
      logged = static_cast<bool>(st);
    }
    decided = true;
    uint64_t committed = 0;
    for (const auto& w : applied) committed += w ? 1 : 0;
    if (committed) version_.fetch_add(committed, std::memory_order_acq_rel);
    // Before anyone is answered: no kept result older than these writes is served after their acknowledgment.
    // (`records` still lists a write the log refused and undid: marking its reads stale too is only cautious.)
    if (kept) fresh_reads_.changed(records, store_);
    if (watched && committed) {
      std::lock_guard wl(watches_mu_);
      for (auto& [id, w] : watches_) {
        for (size_t i = 0; i < group.size(); ++i) {
          if (applied[i] && w->reads.affected_by(changes[i], store_)) {
            affected.push_back(w);
            break;
          }
        }
      }
    }
    if (logged) {
      // Last, and on its own: the writes stand whatever happens to the snapshot.
      try {
        if (snapshot_due()) start_snapshot();
      } catch (const std::exception& e) {
        snapshot_failed(Error{ErrorCode::internal, std::string("the snapshot could not start: ") + e.what(), std::nullopt});
      }
    }
    lock.unlock();
  } catch (...) {
    // The last resort (out of memory, say); the commit thread goes on. Before
    // the log took the writes (it cuts what it could not sync:
    // WriteAheadLog::append), they are taken back and answered as failed;
    // after, they stand and are acknowledged.
    std::string what = current_exception_text();
    if (decided) {
      // The writes stand, but which kept reads they reach is unknown: none is trusted.
      fresh_reads_.stale_all();
      spdlog::error("after {} write(s) were committed: {}", group.size(), what);
    }
    else fail_group(group, applied, outcomes, what);
    if (lock.owns_lock()) lock.unlock();
  }
  // Acknowledge first: live evaluations never delay the writers' answers.
  for (size_t i = 0; i < group.size(); ++i) group[i].done(std::move(outcomes[i]));
  for (auto& w : affected) schedule(w);
}

// A snapshot costs the whole store; the log it replaces grows by one record
// per write. Waiting until the log holds as many records (or bytes) as the
// last snapshot keeps the cost per write constant as the store grows, and
// recovery at most twice the snapshot's load.
bool EmbeddedBackend::snapshot_due() const {
  if (snapshot_running_.load(std::memory_order_acquire) || wal_->records_since_snapshot() < snapshot_retry_at_) return false;
  return wal_->records_since_snapshot() >= std::max(snapshot_every_records, wal_->snapshot_documents()) ||
         wal_->log_bytes() >= std::max(snapshot_every_bytes, wal_->snapshot_bytes());
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
  return snapshot_now();
}

void EmbeddedBackend::write_metrics(MetricsText& out) const {
  out.counter("dc_engine_reads_cancelled_total", "Embedded reads stopped because their client closed the connection.",
              reads_cancelled_.load(std::memory_order_relaxed));
  if (!wal_) return;
  out.counter("dc_engine_commit_groups_total", "Groups of writes made durable with one fdatasync (--data-dir).",
              commit_groups_.load(std::memory_order_relaxed));
  out.counter("dc_engine_commit_failures_total", "Groups whose log write or fdatasync failed: every write in them was rolled back and answered 503.",
              commit_failures_.load(std::memory_order_relaxed));
  out.counter("dc_engine_writes_committed_total", "Durable writes acknowledged.", version_.load(std::memory_order_relaxed));
  out.histogram("dc_engine_wal_sync_duration_seconds", "One commit group's log write and fdatasync (--data-dir).",
                {{Labels{}, commit_durations_.snapshot()}});
  out.histogram("dc_engine_snapshot_duration_seconds",
                "Snapshots written (--data-dir), from listing the documents to cutting the log; writes go on meanwhile.",
                {{Labels{}, snapshot_durations_.snapshot()}});
  out.counter("dc_engine_snapshot_failures_total", "Snapshots that could not be written; the log keeps every write, and the next try waits for --snapshot-every more writes.",
              snapshot_failures_.load(std::memory_order_relaxed));
}

std::optional<uint64_t> EmbeddedBackend::row_count(std::string_view table) const {
  std::shared_lock lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) {  // a commit is running: its starting counts will do for planning
    auto it = published_counts_.find(table);
    if (it == published_counts_.end()) return std::nullopt;
    return it->second.load(std::memory_order_relaxed);
  }
  const Table* t = store_.table(table);
  if (!t) return std::nullopt;
  return t->size();
}

std::optional<uint64_t> EmbeddedBackend::value_count(std::string_view table, std::string_view field, const Value& value) const {
  std::shared_lock lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) return std::nullopt;  // a commit is running: guess rather than wait for it
  const Table* t = store_.table(table);
  const Index* idx = t ? t->counting(field) : nullptr;
  if (!idx) return std::nullopt;
  return idx->leading_count(value);
}

std::optional<uint64_t> EmbeddedBackend::range_count(std::string_view table, std::string_view field,
                                                     const std::optional<Value>& lower, bool lower_inclusive,
                                                     const std::optional<Value>& upper, bool upper_inclusive) const {
  // Counting entry by entry stops here: planning stays cheap, and past it a
  // range is no rare one worth driving from.
  constexpr uint64_t kMaxCountedEntries = 4096;
  std::shared_lock lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) return std::nullopt;
  const Table* t = store_.table(table);
  const Index* idx = t ? t->led_by(field) : nullptr;
  if (!idx) return std::nullopt;
  return idx->leading_range_count(lower, lower_inclusive, upper, upper_inclusive, kMaxCountedEntries);
}

std::optional<uint64_t> EmbeddedBackend::interval_count(std::string_view table, std::string_view index,
                                                        const Interval& iv, uint64_t cap) const {
  std::shared_lock lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) return std::nullopt;
  const Table* t = store_.table(table);
  const Index* idx = t ? t->index(index) : nullptr;
  if (!idx) return std::nullopt;
  return idx->count(iv, cap);
}

std::optional<std::vector<Value>> EmbeddedBackend::leading_values(std::string_view table, std::string_view field,
                                                                  size_t at_most) const {
  std::shared_lock lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) return std::nullopt;
  const Table* t = store_.table(table);
  const Index* idx = t ? t->counting(field) : nullptr;
  if (!idx || idx->leading_distinct() > at_most || idx->leading_distinct() == 0) return std::nullopt;
  return idx->leading_values();
}

}  // namespace dc
