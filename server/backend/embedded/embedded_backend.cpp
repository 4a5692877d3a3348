#include "server/backend/embedded/embedded_backend.hpp"

#include <mutex>
#include <random>

#include "protocol/value_json.hpp"
#include "server/backend/embedded/executor.hpp"
#include "server/backend/embedded/writer.hpp"

#include <spdlog/spdlog.h>

namespace dc {

EmbeddedBackend::EmbeddedBackend(std::shared_ptr<const Schema> schema, uint64_t id_seed)
    : schema_(std::move(schema)), store_(*schema_), ids_(id_seed ? id_seed : std::random_device{}()) {}

void EmbeddedBackend::read(std::shared_ptr<const ReadPlan> plan, const RequestContext&,
                           std::function<void(Result<ReadOutcome>)> done) {
  // Serialize under the lock too: the result shares nothing with the store,
  // but doing it here keeps one code path and no half-built Result around.
  Result<ReadOutcome> outcome = [&]() -> Result<ReadOutcome> {
    std::shared_lock lock(mu_);
    Executor ex(store_, plan->budget);
    Result<Value> result = ex.run(*plan);
    if (!result) return std::move(result).error();
    ReadOutcome out;
    out.docs_read = ex.docs_read();
    write_json(result.value(), out.data_json);
    return out;
  }();
  done(std::move(outcome));
}

void EmbeddedBackend::write(std::shared_ptr<const MutationPlan> plan, const RequestContext&,
                            std::function<void(Result<WriteOutcome>)> done) {
  Result<WriteOutcome> outcome = [&]() -> Result<WriteOutcome> {
    std::unique_lock lock(mu_);
    Writer writer(store_, ids_);
    Result<Value> result = writer.run(*plan);  // rolled back on failure
    if (!result) return std::move(result).error();
    if (wal_) {
      // Durable before acknowledged, and before any other request can read it:
      // the log is synced while the write lock is still held.
      if (auto st = wal_->append(writer.changes()); !st) {
        writer.undo();
        spdlog::error("write not persisted, rolled back: {}", st.error().message);
        return Error{ErrorCode::unavailable, "the write could not be made durable; nothing was written", std::nullopt};
      }
      if (wal_->records_since_snapshot() >= snapshot_every_records || wal_->log_bytes() >= snapshot_every_bytes) {
        if (auto st = wal_->snapshot(store_); !st) spdlog::warn("snapshot failed (the log still holds every write): {}", st.error().message);
      }
    }
    version_.fetch_add(1, std::memory_order_acq_rel);
    WriteOutcome out;
    out.docs_read = writer.docs_read();
    write_json(result.value(), out.data_json);
    return out;
  }();
  done(std::move(outcome));
}

Status EmbeddedBackend::enable_durability(const std::string& dir, RecoveryReport* report) {
  std::unique_lock lock(mu_);
  auto wal = WriteAheadLog::open(dir, store_, ids_, report);
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
