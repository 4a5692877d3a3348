#include "server/backend/embedded/wal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/crc.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <optional>
#include <string_view>
#include <filesystem>
#include <fstream>

#include "protocol/json_read.hpp"
#include "protocol/value_json.hpp"
#include "server/backend/embedded/import.hpp"

namespace dc {

namespace fs = std::filesystem;

namespace {

// Records hold documents (at most 16 deep) inside a mutation's envelope.
constexpr size_t kRecordDepth = 64;

constexpr const char* kLog = "wal.log";
constexpr const char* kSnapshot = "snapshot.jsonl";

// How far ahead of its end the log is zero-filled (see zero_ahead).
constexpr uint64_t kZeroChunk = 1 << 20;

Error io_error(const std::string& what) {
  return Error{ErrorCode::unavailable, what + ": " + std::strerror(errno), std::nullopt};
}

void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint32_t get_u32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

Status sync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return io_error("open " + dir);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return io_error("fsync " + dir);
  return Ok{};
}

// Puts the document (or its deletion) into the store, replacing any version with that _id.
Status apply_change(Store& store, IdGenerator& ids, const std::string& table_name, const std::string& id,
                    const Json& doc, const std::string& where) {
  Table* table = store.table(table_name);
  if (!table) return Error{ErrorCode::internal, where + ": unknown table " + table_name, std::nullopt};
  if (DocPtr old = table->get(id)) store.put(*table, old, nullptr);
  if (doc.is_null()) return Ok{};
  auto v = value_from_json(doc, "", ErrorCode::internal);
  if (!v) return Error{ErrorCode::internal, where + ": " + v.error().message, std::nullopt};
  return load_document(store, ids, table_name, std::move(v).value(), where);
}

}  // namespace

uint32_t crc32_of(std::string_view bytes) {
  boost::crc_32_type crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

namespace {

// The record framed at `pos`, when the frame is whole, its checksum holds
// and its payload is a JSON object; its payload's length otherwise nullopt.
std::optional<uint32_t> valid_frame_at(std::string_view bytes, size_t pos) {
  if (pos + 8 > bytes.size()) return std::nullopt;
  uint32_t len = get_u32(bytes.data() + pos);
  if (len > bytes.size() - pos - 8) return std::nullopt;
  std::string_view payload = bytes.substr(pos + 8, len);
  if (crc32_of(payload) != get_u32(bytes.data() + pos + 4)) return std::nullopt;
  if (!payload.starts_with(R"({"seq":)")) return std::nullopt;
  return len;
}

// The offset of the first valid record starting after `from`, or npos. Every
// payload starts with {"seq":, so only those places are tried.
size_t next_valid_frame(std::string_view bytes, size_t from) {
  for (size_t hit = bytes.find(R"({"seq":)", from + 8); hit != std::string_view::npos; hit = bytes.find(R"({"seq":)", hit + 1)) {
    if (valid_frame_at(bytes, hit - 8)) return hit - 8;
  }
  return std::string_view::npos;
}

std::string hex8(uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

// One snapshot line: the CRC-32 of its JSON text, a space, the text.
void put_snapshot_line(std::string& out, std::string_view json) {
  out += hex8(crc32_of(json));
  out += ' ';
  out += json;
  out += '\n';
}

Result<Json> read_snapshot_line(std::string_view line, const std::string& where) {
  auto bad = [&](const std::string& why) {
    return Error{ErrorCode::internal,
                 where + ": the snapshot is corrupt (" + why +
                     "). It was written whole before it replaced the previous one, so the disk changed it: restore the data "
                     "directory from a backup",
                 std::nullopt};
  };
  if (line.size() < 10 || line[8] != ' ') return bad("no checksum");
  std::string_view json = line.substr(9);
  if (hex8(crc32_of(json)) != line.substr(0, 8)) return bad("checksum mismatch");
  auto parsed = read_json(json, JsonLimits{kRecordDepth}, "snapshot record", ErrorCode::internal);
  if (!parsed) return bad(parsed.error().message);
  return std::move(parsed).value();
}

}  // namespace

std::string frame_record(const std::string& payload) {
  std::string out;
  out.reserve(payload.size() + 8);
  put_u32(out, static_cast<uint32_t>(payload.size()));
  put_u32(out, crc32_of(payload));
  out += payload;
  return out;
}

Result<std::unique_ptr<WriteAheadLog>> WriteAheadLog::open(const std::string& dir, Store& store, IdGenerator& ids,
                                                           RecoveryReport* report, const RecoveryOptions& options) {
  // A checksummed record of the wrong shape (a line of a version 1 snapshot
  // has no checksum at all) must stop recovery with a message, not throw.
  try {
    return open_checked(dir, store, ids, report, options);
  } catch (const Json::exception& e) {
    return Error{ErrorCode::internal,
                 dir + ": a snapshot or log record has the wrong shape (" + safe_text(e.what(), 200) +
                     "); the files were not written by this server or were altered: restore the data directory from a backup",
                 std::nullopt};
  }
}

Result<std::unique_ptr<WriteAheadLog>> WriteAheadLog::open_checked(const std::string& dir, Store& store, IdGenerator& ids,
                                                                   RecoveryReport* report, const RecoveryOptions& options) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Error{ErrorCode::unavailable, "cannot create " + dir + ": " + ec.message(), std::nullopt};
  uint64_t seq = 0;
  // 1. The snapshot: a header line, one document per line, a trailer with
  // the count (version 2; version 1, from older builds, has neither
  // checksums nor trailer).
  fs::path snap = fs::path(dir) / kSnapshot;
  if (fs::exists(snap)) {
    report->had_data = true;
    std::ifstream in(snap);
    std::string line;
    size_t lineno = 0;
    int version = 1;
    bool ended = false;
    while (std::getline(in, line)) {
      ++lineno;
      std::string where = snap.string() + ":" + std::to_string(lineno);
      if (ended) return Error{ErrorCode::internal, where + ": the snapshot goes on after its trailer", std::nullopt};
      Result<Json> parsed = Json();
      if (lineno == 1 && line.starts_with("{")) {
        parsed = read_json(line, JsonLimits{kRecordDepth}, "snapshot header", ErrorCode::internal);
        if (!parsed) return Error{ErrorCode::internal, where + ": corrupt snapshot header: " + parsed.error().message, std::nullopt};
        auto v = unsigned_field(*parsed, "version");
        auto s = unsigned_field(*parsed, "seq");
        if ((parsed->contains("version") && !v) || (parsed->contains("seq") && !s)) {
          return Error{ErrorCode::internal, where + ": corrupt snapshot header: version and seq must be unsigned integers", std::nullopt};
        }
        version = static_cast<int>(std::min<uint64_t>(v.value_or(1), 1000));
        seq = s.value_or(0);
        continue;
      }
      if (version >= 2) {
        parsed = read_snapshot_line(line, where);
        if (!parsed) return std::move(parsed).error();
      } else {
        parsed = read_json(line, JsonLimits{kRecordDepth}, "snapshot record", ErrorCode::internal);
        if (!parsed) return Error{ErrorCode::internal, where + ": corrupt snapshot: " + parsed.error().message, std::nullopt};
      }
      const Json& j = *parsed;
      if (version >= 2 && j.contains("end")) {
        auto count = unsigned_field(j, "count");
        if (!count) return Error{ErrorCode::internal, where + ": the snapshot's trailer has no count", std::nullopt};
        if (*count != report->snapshot_documents) {
          return Error{ErrorCode::internal, where + ": the snapshot's trailer counts " + std::to_string(*count) +
                                                " documents but it holds " + std::to_string(report->snapshot_documents),
                       std::nullopt};
        }
        ended = true;
        continue;
      }
      if (auto st = apply_change(store, ids, j.value("t", ""), j.value("id", ""), j.contains("d") ? j["d"] : Json(), where); !st) {
        return std::move(st).error();
      }
      ++report->snapshot_documents;
    }
    if (version >= 2 && !ended) {
      return Error{ErrorCode::internal,
                   snap.string() + ": the snapshot is truncated: no trailer after " + std::to_string(report->snapshot_documents) +
                       " documents. It was written whole before it replaced the previous one, so the disk lost part of it: "
                       "restore the data directory from a backup",
                   std::nullopt};
    }
  }
  // 2. The log: records until the end or the first torn/corrupt one.
  fs::path log = fs::path(dir) / kLog;
  int fd = ::open(log.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("open " + log.string());
  std::unique_ptr<WriteAheadLog> wal(new WriteAheadLog(dir, fd, options.io ? options.io : posix_file_io()));
  std::string bytes;
  {
    std::ifstream in(log, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  size_t pos = 0;
  while (pos < bytes.size()) {
    auto len = valid_frame_at(bytes, pos);
    if (!len) break;  // torn (the last write did not finish) or corrupt: told apart below
    auto parsed = read_json(std::string_view(bytes).substr(pos + 8, *len), JsonLimits{kRecordDepth}, "log record", ErrorCode::internal);
    if (!parsed) break;
    Json rec = std::move(parsed).value();
    auto seq_field = unsigned_field(rec, "seq");
    if (!seq_field) break;  // a checksummed record without a sequence number: told apart below like any bad record
    uint64_t rec_seq = *seq_field;
    if (rec_seq > seq) {
      std::string where = log.string() + " record " + std::to_string(rec_seq);
      for (const auto& c : rec["changes"]) {
        if (auto st = apply_change(store, ids, c.value("t", ""), c.value("id", ""), c["d"], where); !st) {
          return std::move(st).error();
        }
      }
      seq = rec_seq;
      ++report->log_records;
      ++wal->records_since_snapshot_;
    }
    report->had_data = true;
    pos += 8 + *len;
  }
  // A crash leaves the zeros written ahead of the end (see zero_ahead): they are no record.
  bool zeros_only = bytes.find_first_not_of('\0', pos) == std::string::npos;
  if (pos < bytes.size() && !zeros_only) {
    // Only the last append can be torn: if a whole record follows the bad
    // bytes, writes that were acknowledged would be dropped with them.
    size_t later = next_valid_frame(bytes, pos);
    if (later != std::string_view::npos) {
      if (!options.truncate_corrupt) {
        return Error{ErrorCode::internal,
                     log.string() + " is corrupt at byte " + std::to_string(pos) + " of " + std::to_string(bytes.size()) +
                         ": the record there is damaged, and a whole record follows at byte " + std::to_string(later) +
                         ", so acknowledged writes would be lost. The server does not start. To start anyway, losing every "
                         "write logged from byte " + std::to_string(pos) + " on, run once with --recover-truncate (the "
                         "original log is kept next to it as wal.log.corrupt-<time>)",
                     std::nullopt};
      }
      std::string aside = log.string() + ".corrupt-" + std::to_string(std::time(nullptr));
      std::error_code cec;
      fs::copy_file(log, aside, fs::copy_options::overwrite_existing, cec);
      if (cec) return Error{ErrorCode::unavailable, "cannot keep the corrupt log aside as " + aside + ": " + cec.message(), std::nullopt};
      if (auto s = sync_dir(dir); !s) return std::move(s).error();
      report->corrupt_offset = pos;
      report->corrupt_dropped_bytes = bytes.size() - pos;
      report->kept_aside = aside;
    } else {
      report->torn_bytes = bytes.find_last_not_of('\0') + 1 - pos;  // the zeros after it were never a record
    }
  }
  if (pos < bytes.size() && (::ftruncate(fd, static_cast<off_t>(pos)) != 0 || ::fsync(fd) != 0)) {
    return io_error("truncate " + log.string());
  }
  if (::lseek(fd, static_cast<off_t>(pos), SEEK_SET) < 0) return io_error("seek " + log.string());
  wal->seq_ = seq;
  wal->log_bytes_ = pos;
  wal->zeroed_to_ = pos;  // the file ends here now: nothing zero-filled ahead yet
  wal->snapshot_documents_ = report->snapshot_documents;
  std::error_code size_ec;
  if (fs::exists(snap)) wal->snapshot_bytes_ = fs::file_size(snap, size_ec);
  return wal;
}

WriteAheadLog::~WriteAheadLog() {
  if (fd_ < 0) return;
  if (zeroed_to_ > log_bytes_ && ::ftruncate(fd_, static_cast<off_t>(log_bytes_)) == 0) ::fsync(fd_);
  ::close(fd_);
}

// fdatasync after an append that grows the file must also allocate blocks
// and record the new size (on ext4 with a journal, a journal commit); after
// overwriting blocks the file already has, it flushes only the data: on the
// test machines' disk (ext4, no journal) 120 µs instead of 220-280 µs per
// sync, alone. So, as PostgreSQL does with its WAL segments, the log is kept
// zero-filled a chunk ahead of its end; recovery reads zeros as the end and
// a clean close cuts them off. Leaves the offset at log_bytes_; 0 or an errno.
int WriteAheadLog::zero_ahead(uint64_t needed) {
  if (needed <= zeroed_to_) return 0;
  static const std::string zeros(kZeroChunk, '\0');
  uint64_t target = (needed / kZeroChunk + 1) * kZeroChunk;
  if (::lseek(fd_, static_cast<off_t>(zeroed_to_), SEEK_SET) < 0) return errno;
  for (uint64_t at = zeroed_to_; at < target; at += kZeroChunk) {
    if (int err = io_->write_all(fd_, zeros.data(), std::min(kZeroChunk, target - at))) return err;
  }
  zeroed_to_ = target;
  if (::lseek(fd_, static_cast<off_t>(log_bytes_), SEEK_SET) < 0) return errno;
  return 0;
}

Status WriteAheadLog::append(const std::vector<const std::vector<Change>*>& writes) {
  std::string records;
  uint64_t seq = seq_;
  std::string payload;
  for (const std::vector<Change>* changes : writes) {
    payload = "{\"seq\":" + std::to_string(++seq) + ",\"changes\":[";
    bool first = true;
    for (const auto& c : *changes) {
      if (!first) payload += ',';
      first = false;
      payload += "{\"t\":";
      write_json_string(c.table, payload);
      payload += ",\"id\":";
      write_json_string(c.id, payload);
      payload += ",\"d\":";
      if (c.after) write_json(c.after->value, payload);
      else payload += "null";
      payload += '}';
    }
    payload += "]}";
    records += frame_record(payload);
  }
  auto fail = [&](int err, const char* what) {
    // Leave no partial record behind for the next append to follow. Should
    // the cut fail too, the next append still starts at the last whole
    // record and zero-fills past its own end, overwriting what is left.
    io_->truncate(fd_, static_cast<long long>(log_bytes_));
    ::lseek(fd_, static_cast<off_t>(log_bytes_), SEEK_SET);
    zeroed_to_ = log_bytes_;
    errno = err;
    return io_error(what);
  };
  try {
    // From the end of the last whole record, whatever an earlier failure left behind it.
    ::lseek(fd_, static_cast<off_t>(log_bytes_), SEEK_SET);
    if (int err = zero_ahead(log_bytes_ + records.size())) return fail(err, "write");
    if (int err = io_->write_all(fd_, records.data(), records.size())) return fail(err, "write");
    if (int err = io_->datasync(fd_)) return fail(err, "fdatasync");
  } catch (...) {
    // Out of memory inside a write, say: the records are cut as for an error,
    // so the caller that catches this can take the writes back.
    fail(EIO, "write");
    throw;
  }
  records_since_snapshot_ += seq - seq_;
  seq_ = seq;
  log_bytes_ += records.size();
  return Ok{};
}

SnapshotJob WriteAheadLog::begin_snapshot(const Store& store) const {
  SnapshotJob job;
  job.seq = seq_;
  job.log_offset = log_bytes_;
  for (const auto& entry : store.schema().tables) {
    auto& docs = job.tables.emplace_back(entry.first, std::vector<DocPtr>{}).second;
    const Table* t = store.table(entry.first);
    docs.reserve(t->size());
    t->scan_all([&](const DocPtr& d) {
      docs.push_back(d);
      return true;
    });
  }
  return job;
}

Result<SnapshotWritten> WriteAheadLog::write_snapshot(const SnapshotJob& job) const {
  auto write_to = [&](int fd, const std::string& bytes) -> Status {
    if (int err = io_->write_all(fd, bytes.data(), bytes.size())) {
      errno = err;
      return io_error("write snapshot");
    }
    return Ok{};
  };
  fs::path tmp = fs::path(dir_) / "snapshot.tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("open " + tmp.string());
  std::string out = "{\"version\":2,\"seq\":" + std::to_string(job.seq) + "}\n";
  SnapshotWritten written;
  Status st = Ok{};
  std::string line;
  for (const auto& [name, docs] : job.tables) {
    for (const DocPtr& d : docs) {
      line = "{\"t\":";
      write_json_string(name, line);
      line += ",\"id\":";
      write_json_string(d->id, line);
      line += ",\"d\":";
      write_json(d->value, line);
      line += "}";
      put_snapshot_line(out, line);
      ++written.documents;
      if (out.size() > (1 << 20)) {
        written.bytes += out.size();
        st = write_to(fd, out);
        out.clear();
        if (!st) break;
      }
    }
    if (!st) break;
  }
  if (st) {
    put_snapshot_line(out, "{\"end\":true,\"count\":" + std::to_string(written.documents) + "}");
    written.bytes += out.size();
    st = write_to(fd, out);
  }
  if (st && ::fsync(fd) != 0) st = io_error("fsync snapshot");
  ::close(fd);
  if (!st) return std::move(st).error();
  std::error_code ec;
  fs::rename(tmp, fs::path(dir_) / kSnapshot, ec);
  if (ec) return Error{ErrorCode::unavailable, "rename snapshot: " + ec.message(), std::nullopt};
  if (auto s = sync_dir(dir_); !s) return std::move(s).error();
  return written;
}

Status WriteAheadLog::finish_snapshot(const SnapshotJob& job, const SnapshotWritten& written) {
  // The snapshot is in place: recovery now skips the records it holds
  // (their seq is not above its own), so failing below loses nothing.
  records_since_snapshot_ = seq_ - job.seq;
  snapshot_documents_ = written.documents;
  snapshot_bytes_ = written.bytes;
  uint64_t tail = log_bytes_ - job.log_offset;
  if (tail == 0) {
    if (::ftruncate(fd_, 0) != 0 || ::lseek(fd_, 0, SEEK_SET) < 0 || ::fsync(fd_) != 0) return io_error("truncate log");
    log_bytes_ = 0;
    zeroed_to_ = 0;
    return Ok{};
  }
  // Writes were logged while the snapshot was written: their records begin
  // a new log, which replaces the old one in one rename.
  std::string records(tail, '\0');
  for (uint64_t done = 0; done < tail;) {
    ssize_t n = ::pread(fd_, records.data() + done, tail - done, static_cast<off_t>(job.log_offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return io_error("read the log's tail");
    done += static_cast<uint64_t>(n);
  }
  fs::path tmp = fs::path(dir_) / "wal.log.tmp";
  // Opened before the rename, so the descriptor is the new log's whatever happens after it.
  int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("open " + tmp.string());
  auto give_up = [&](Error e) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return e;
  };
  if (int err = io_->write_all(fd, records.data(), records.size())) {
    errno = err;
    return give_up(io_error("write " + tmp.string()));
  }
  if (::fsync(fd) != 0) return give_up(io_error("fsync " + tmp.string()));
  if (::rename(tmp.c_str(), (fs::path(dir_) / kLog).c_str()) != 0) return give_up(io_error("rename " + tmp.string()));
  ::close(fd_);
  fd_ = fd;
  log_bytes_ = tail;
  zeroed_to_ = tail;
  if (::lseek(fd_, static_cast<off_t>(tail), SEEK_SET) < 0) return io_error("seek log");
  return sync_dir(dir_);
}

Status WriteAheadLog::snapshot(const Store& store) {
  SnapshotJob job = begin_snapshot(store);
  auto written = write_snapshot(job);
  if (!written) return std::move(written).error();
  return finish_snapshot(job, *written);
}

}  // namespace dc
