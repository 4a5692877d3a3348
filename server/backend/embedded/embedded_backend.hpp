// The embedded engine as a Backend: the store behind a reader/writer lock,
// running plans in process. Readers share the lock; writes (issue 3) take it
// exclusively.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "server/backend/backend.hpp"
#include "server/backend/embedded/executor.hpp"
#include "server/backend/embedded/ids.hpp"
#include "server/backend/embedded/read_set.hpp"
#include "server/backend/embedded/store.hpp"
#include "server/backend/embedded/wal.hpp"
#include "server/backend/embedded/work_pool.hpp"

namespace dc {

// threads == 0 runs everything inline on the caller's thread (tests do).
struct EmbeddedOptions {
  unsigned threads = 0;        // the engine's own threads (WorkPool)
  size_t max_queue = 4096;     // jobs waiting for them; beyond it reads get 503
  uint64_t inline_reads = 64;  // a plan that reads at most this many documents runs inline
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

  // After the server stopped serving: running jobs finish, queued ones are dropped.
  void drain() override;

  std::optional<uint64_t> row_count(std::string_view table) const override;
  uint64_t version() const override { return version_.load(std::memory_order_acquire); }

  // Loading (start-up only): --import and --demo.
  Store& store_for_loading() { return store_; }
  IdGenerator& ids() { return ids_; }

  // --data-dir: recover what the directory holds and log every write from now on.
  Status enable_durability(const std::string& dir, RecoveryReport* report, const RecoveryOptions& options = {});
  bool durable() const { return wal_ != nullptr; }
  // Writes a snapshot now (after start-up loading) so loaded data is durable too.
  Status checkpoint();

  // When the log has grown this much, the next write also takes a snapshot.
  uint64_t snapshot_every_records = 10000;
  uint64_t snapshot_every_bytes = 64ull << 20;

 private:
  Result<ReadOutcome> run_read(const ReadPlan& plan, bool with_tree,
                               Executor::Clock::time_point deadline = Executor::Clock::time_point::max()) const;
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
  mutable std::shared_mutex mu_;
  Options options_;
  std::unique_ptr<WorkPool> pool_;
  std::mutex watches_mu_;
  std::unordered_map<uint64_t, std::shared_ptr<WatchState>> watches_;
  uint64_t next_watch_ = 0;
};

}  // namespace dc
