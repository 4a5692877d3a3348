// The embedded engine as a Backend: the store behind a reader/writer lock,
// running plans in process. Readers share the lock; writes take it
// exclusively. With a data directory and engine threads, writes are
// committed in groups on the engine's commit thread: everything waiting is
// applied, logged with one fdatasync, and only then made visible to readers
// and acknowledged (durable before visible, as in a database).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

#include "server/backend/backend.hpp"
#include "server/common/histogram.hpp"
#include "server/backend/embedded/batch_queue.hpp"
#include "server/backend/embedded/executor.hpp"
#include "server/backend/embedded/fresh_reads.hpp"
#include "server/backend/embedded/ids.hpp"
#include "server/backend/embedded/read_set.hpp"
#include "server/backend/embedded/store.hpp"
#include "server/backend/embedded/wal.hpp"
#include "server/backend/embedded/work_pool.hpp"

namespace dc {

class Writer;

// threads == 0 runs everything inline on the caller's thread (tests do).
struct EmbeddedOptions {
  unsigned threads = 0;        // the engine's own threads (WorkPool), plus one commit thread when durable
  size_t max_queue = 4096;     // jobs (and writes) waiting for them; beyond it they get 503
  size_t max_group = 256;      // writes committed with one fdatasync at most
  uint64_t inline_reads = 64;  // a plan that reads at most this many documents runs inline
  uint64_t match_budget = 64ull << 20;  // text bytes one read's string patterns may scan (--match-budget)
};

class EmbeddedBackend : public Backend, public TableStats {
 public:
  using Options = EmbeddedOptions;
  explicit EmbeddedBackend(std::shared_ptr<const Schema> schema, uint64_t id_seed = 0, Options options = {});
  ~EmbeddedBackend() override;

  std::string_view name() const override { return "embedded"; }
  const TableStats& stats() const override { return *this; }
  bool ready() const override { return true; }
  void read(std::shared_ptr<const ReadPlan> plan, const RequestContext& ctx,
            std::function<void(Result<ReadOutcome>)> done) override;

  void write(std::shared_ptr<const MutationPlan> plan, const RequestContext& ctx,
             std::function<void(Result<WriteOutcome>)> done) override;

  // Live reads: re-run after each committed write whose changes reach the
  // plan's read set (read_set.hpp), on the engine's threads.
  std::unique_ptr<Watch> watch(std::shared_ptr<const ReadPlan> plan, const RequestContext& ctx, WatchFn on_result) override;

  // After the server stopped serving: queued writes are committed, running
  // reads finish, queued reads are dropped.
  void drain() override;
  void write_metrics(MetricsText& out) const override;

  std::optional<uint64_t> row_count(std::string_view table) const override;
  std::optional<uint64_t> value_count(std::string_view table, std::string_view field, const Value& value) const override;
  std::optional<uint64_t> range_count(std::string_view table, std::string_view field, const std::optional<Value>& lower,
                                      bool lower_inclusive, const std::optional<Value>& upper,
                                      bool upper_inclusive) const override;
  std::optional<uint64_t> interval_count(std::string_view table, std::string_view index, const Interval& iv,
                                         uint64_t cap) const override;
  std::optional<std::vector<Value>> leading_values(std::string_view table, std::string_view field, size_t at_most) const override;
  uint64_t version() const override { return version_.load(std::memory_order_acquire); }

  // Loading (start-up only): --import and --demo.
  Store& store_for_loading() { return store_; }
  IdGenerator& ids() { return ids_; }

  // --data-dir: recover what the directory holds and log every write from now on.
  Status enable_durability(const std::string& dir, RecoveryReport* report, const RecoveryOptions& options = {});
  bool durable() const { return wal_ != nullptr; }
  // Writes a snapshot now (after start-up loading) so loaded data is durable too.
  Status checkpoint();

  // When the log has grown this much (and at least as much as the last
  // snapshot holds), the next group also takes a snapshot.
  uint64_t snapshot_every_records = 10000;
  uint64_t snapshot_every_bytes = 64ull << 20;

 private:
  // `keep`: the caller keeps the result; it gets a Freshness (ReadOutcome::fresh).
  Result<ReadOutcome> run_read(const ReadPlan& plan, bool with_tree, const ReadLimits& limits, bool keep = false) const;
  Result<ReadOutcome> run_read_locked(const ReadPlan& plan, bool with_tree, const ReadLimits& limits, bool keep = false) const;
  ReadLimits limits_for(const RequestContext& ctx) const;
  struct PendingWrite {
    std::shared_ptr<const MutationPlan> plan;
    ReadLimits limits;                            // for the row selection of update and delete
    std::shared_ptr<std::atomic<bool>> cancelled; // keeps limits.cancelled alive while queued
    std::function<void(Result<WriteOutcome>)> done;
  };
  // Applies a group of writes, makes them durable together, then answers each.
  void commit(std::vector<PendingWrite>& group);
  void commit(std::vector<PendingWrite>& group, std::unique_lock<std::shared_mutex> lock);  // `lock` holds mu_
  // On the snapshot thread: writes `job`, then cuts the log (or counts a failure).
  void write_snapshot_job(SnapshotJob& job);
  // Takes back every write of a group that an exception interrupted and answers each as failed.
  void fail_group(std::vector<PendingWrite>& group, std::vector<std::unique_ptr<Writer>>& applied,
                  std::vector<Result<WriteOutcome>>& outcomes, const std::string& what);
  bool snapshot_due() const;
  // Under the write lock: starts writing a snapshot on its own thread
  // (inline without engine threads), so writers wait only while it starts
  // and ends, not while a large store is written out.
  void start_snapshot();
  void snapshot_failed(const Error& e);
  Status snapshot_now();
  void join_snapshot();
  struct WatchState;
  class EmbeddedWatch;
  void schedule(const std::shared_ptr<WatchState>& w);
  void evaluate(const std::shared_ptr<WatchState>& w);
  void forget(uint64_t id);

  std::shared_ptr<const Schema> schema_;
  Store store_;
  IdGenerator ids_;
  std::unique_ptr<WriteAheadLog> wal_;
  std::atomic<uint64_t> version_{0};  // bumped by every committed write
  mutable std::atomic<uint64_t> reads_cancelled_{0};
  std::atomic<uint64_t> commit_groups_{0};
  std::atomic<uint64_t> commit_failures_{0};
  Histogram commit_durations_;  // one group's log write and fdatasync
  mutable std::shared_mutex mu_;
  Options options_;
  std::unique_ptr<WorkPool> pool_;
  // Row counts as of the last commit's start, for the planner while a group
  // commit holds the lock: planning never waits for an fdatasync.
  std::map<std::string, std::atomic<uint64_t>, std::less<>> published_counts_;
  void publish_counts();
  // Kept read results (the result cache's), made stale by the commits that change them.
  mutable FreshReads fresh_reads_;
  std::mutex watches_mu_;
  std::unordered_map<uint64_t, std::shared_ptr<WatchState>> watches_;
  uint64_t next_watch_ = 0;
  std::thread snapshotter_;
  std::atomic<bool> snapshot_running_{false};
  Histogram snapshot_durations_;  // from listing the documents to cutting the log
  std::atomic<uint64_t> snapshot_failures_{0};
  uint64_t snapshot_retry_at_ = 0;  // after a failed snapshot: records_since_snapshot() before the next try (under mu_)
  // Last: stopped (its queue committed) before anything it uses goes.
  std::unique_ptr<BatchQueue<PendingWrite>> committer_;
};

}  // namespace dc
