// Durability for the embedded engine (--data-dir): a write-ahead log of
// committed changes, each record length-prefixed and CRC-32 checked and
// fdatasync'ed before the write is acknowledged, plus periodic snapshots
// (a header, a CRC-32 per document line and a trailer with the count,
// written to a temporary file, synced and renamed) after which the log is
// truncated. Recovery loads the snapshot, replays the log, and drops a torn
// last record — the one write that was never acknowledged. A bad record
// with valid records after it is corruption, not a torn tail: recovery
// refuses to start rather than drop acknowledged writes silently (unless
// told to, keeping the original log aside). Plain POSIX file I/O; no Asio.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/error.hpp"
#include "server/backend/embedded/file_io.hpp"
#include "server/backend/embedded/ids.hpp"
#include "server/backend/embedded/store.hpp"
#include "server/backend/embedded/writer.hpp"

namespace dc {

struct RecoveryReport {
  bool had_data = false;       // a snapshot or log records existed
  size_t snapshot_documents = 0;
  size_t log_records = 0;
  uint64_t torn_bytes = 0;     // dropped from the end of the log: a write that never completed
  // With RecoveryOptions::truncate_corrupt: where the corrupt log was cut,
  // how much was dropped, and where the original log was kept.
  uint64_t corrupt_offset = 0;
  uint64_t corrupt_dropped_bytes = 0;
  std::string kept_aside;
};

struct RecoveryOptions {
  // A corrupt record followed by valid ones: cut the log there (dropping the
  // records from it on) instead of refusing to start. --recover-truncate.
  bool truncate_corrupt = false;
  // The file operations appends use; tests inject failing ones.
  std::shared_ptr<FileIo> io = posix_file_io();
};

// What a snapshot will hold, taken under the write lock. Documents are
// immutable, so it shares them with the store and can be written out
// while writes go on.
struct SnapshotJob {
  uint64_t seq = 0;         // the last logged write it holds
  uint64_t log_offset = 0;  // where the log's records after it begin
  std::vector<std::pair<std::string, std::vector<DocPtr>>> tables;
};

struct SnapshotWritten {
  uint64_t documents = 0;
  uint64_t bytes = 0;
};

class WriteAheadLog {
 public:
  // Opens (creating if needed) the directory and recovers its contents into `store`.
  static Result<std::unique_ptr<WriteAheadLog>> open(const std::string& dir, Store& store, IdGenerator& ids,
                                                     RecoveryReport* report, const RecoveryOptions& options = {});
  ~WriteAheadLog();

  // Appends one record per committed write and syncs them to disk with one
  // fdatasync (group commit). On failure none of them may be acknowledged:
  // the log is cut back to where it was and the caller rolls them back.
  Status append(const std::vector<const std::vector<Change>*>& writes);
  Status append(const std::vector<Change>& changes) { return append(std::vector<const std::vector<Change>*>{&changes}); }
  // Writes a snapshot of `store` and truncates the log. Called under the write lock.
  Status snapshot(const Store& store);
  // The same in three steps, so that writers wait only for the first and
  // the last: begin_snapshot and finish_snapshot under the write lock,
  // write_snapshot (the file: temporary, fsync, rename, directory fsync)
  // without it, one snapshot at a time. finish_snapshot drops the records
  // the snapshot holds from the log; records logged since begin_snapshot
  // start a new log that replaces the old one by rename.
  SnapshotJob begin_snapshot(const Store& store) const;
  Result<SnapshotWritten> write_snapshot(const SnapshotJob& job) const;
  Status finish_snapshot(const SnapshotJob& job, const SnapshotWritten& written);
  uint64_t records_since_snapshot() const { return records_since_snapshot_; }
  uint64_t log_bytes() const { return log_bytes_; }
  // What the last snapshot held (written, or found at recovery).
  uint64_t snapshot_documents() const { return snapshot_documents_; }
  uint64_t snapshot_bytes() const { return snapshot_bytes_; }

 private:
  static Result<std::unique_ptr<WriteAheadLog>> open_checked(const std::string& dir, Store& store, IdGenerator& ids,
                                                             RecoveryReport* report, const RecoveryOptions& options);
  WriteAheadLog(std::string dir, int fd, std::shared_ptr<FileIo> io) : dir_(std::move(dir)), fd_(fd), io_(std::move(io)) {}
  int zero_ahead(uint64_t needed);
  std::string dir_;
  int fd_ = -1;
  std::shared_ptr<FileIo> io_;
  uint64_t seq_ = 0;
  uint64_t records_since_snapshot_ = 0;
  uint64_t log_bytes_ = 0;
  uint64_t zeroed_to_ = 0;  // the file's size: zeros from log_bytes_ up to here
  uint64_t snapshot_documents_ = 0;
  uint64_t snapshot_bytes_ = 0;
};

// Encodes / decodes one log record's frame (exposed for tests).
std::string frame_record(const std::string& payload);
uint32_t crc32_of(std::string_view bytes);

}  // namespace dc
