#include "server/backend/embedded/wal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/crc.hpp>
#include <cerrno>
#include <cstring>
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

Status write_all(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("write");
    }
    done += static_cast<size_t>(n);
  }
  return Ok{};
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

uint32_t crc32_of(const std::string& bytes) {
  boost::crc_32_type crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

std::string frame_record(const std::string& payload) {
  std::string out;
  out.reserve(payload.size() + 8);
  put_u32(out, static_cast<uint32_t>(payload.size()));
  put_u32(out, crc32_of(payload));
  out += payload;
  return out;
}

Result<std::unique_ptr<WriteAheadLog>> WriteAheadLog::open(const std::string& dir, Store& store, IdGenerator& ids,
                                                           RecoveryReport* report) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Error{ErrorCode::unavailable, "cannot create " + dir + ": " + ec.message(), std::nullopt};
  uint64_t seq = 0;
  // 1. The snapshot: a header line, then one document per line.
  fs::path snap = fs::path(dir) / kSnapshot;
  if (fs::exists(snap)) {
    report->had_data = true;
    std::ifstream in(snap);
    std::string line;
    size_t lineno = 0;
    while (std::getline(in, line)) {
      ++lineno;
      std::string where = snap.string() + ":" + std::to_string(lineno);
      auto parsed = read_json(line, JsonLimits{kRecordDepth}, "snapshot record", ErrorCode::internal);
      if (!parsed) return Error{ErrorCode::internal, where + ": corrupt snapshot: " + parsed.error().message, std::nullopt};
      Json j = std::move(parsed).value();
      if (lineno == 1) {
        seq = j.value("seq", uint64_t{0});
        continue;
      }
      if (auto st = apply_change(store, ids, j.value("t", ""), j.value("id", ""), j["d"], where); !st) {
        return std::move(st).error();
      }
      ++report->snapshot_documents;
    }
  }
  // 2. The log: records until the end or the first torn/corrupt one.
  fs::path log = fs::path(dir) / kLog;
  int fd = ::open(log.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("open " + log.string());
  std::unique_ptr<WriteAheadLog> wal(new WriteAheadLog(dir, fd));
  std::string bytes;
  {
    std::ifstream in(log, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  size_t pos = 0;
  while (pos + 8 <= bytes.size()) {
    uint32_t len = get_u32(bytes.data() + pos);
    uint32_t crc = get_u32(bytes.data() + pos + 4);
    if (pos + 8 + len > bytes.size()) break;  // torn: the write did not finish
    std::string payload = bytes.substr(pos + 8, len);
    if (crc32_of(payload) != crc) break;       // torn or corrupt
    auto parsed = read_json(payload, JsonLimits{kRecordDepth}, "log record", ErrorCode::internal);
    if (!parsed) break;
    Json rec = std::move(parsed).value();
    uint64_t rec_seq = rec.value("seq", uint64_t{0});
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
    pos += 8 + len;
  }
  if (pos < bytes.size()) {
    report->torn_bytes = bytes.size() - pos;
    if (::ftruncate(fd, static_cast<off_t>(pos)) != 0 || ::fsync(fd) != 0) return io_error("truncate " + log.string());
  }
  if (::lseek(fd, static_cast<off_t>(pos), SEEK_SET) < 0) return io_error("seek " + log.string());
  wal->seq_ = seq;
  wal->log_bytes_ = pos;
  return wal;
}

WriteAheadLog::~WriteAheadLog() {
  if (fd_ >= 0) ::close(fd_);
}

Status WriteAheadLog::append(const std::vector<Change>& changes) {
  std::string payload = "{\"seq\":" + std::to_string(seq_ + 1) + ",\"changes\":[";
  bool first = true;
  for (const auto& c : changes) {
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
  std::string record = frame_record(payload);
  off_t start = static_cast<off_t>(log_bytes_);
  Status st = write_all(fd_, record);
  if (st && ::fdatasync(fd_) != 0) st = io_error("fdatasync");
  if (!st) {
    // Leave no partial record behind for the next append to follow.
    if (::ftruncate(fd_, start) == 0) ::lseek(fd_, start, SEEK_SET);
    return st;
  }
  ++seq_;
  ++records_since_snapshot_;
  log_bytes_ += record.size();
  return Ok{};
}

Status WriteAheadLog::snapshot(const Store& store) {
  fs::path tmp = fs::path(dir_) / "snapshot.tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("open " + tmp.string());
  std::string out = "{\"version\":1,\"seq\":" + std::to_string(seq_) + "}\n";
  Status st = Ok{};
  for (const auto& [name, def] : store.schema().tables) {
    const Table* t = store.table(name);
    t->scan_all([&](const DocPtr& d) {
      out += "{\"t\":";
      write_json_string(name, out);
      out += ",\"id\":";
      write_json_string(d->id, out);
      out += ",\"d\":";
      write_json(d->value, out);
      out += "}\n";
      if (out.size() > (1 << 20)) {
        st = write_all(fd, out);
        out.clear();
      }
      return static_cast<bool>(st);
    });
    if (!st) break;
  }
  if (st) st = write_all(fd, out);
  if (st && ::fsync(fd) != 0) st = io_error("fsync snapshot");
  ::close(fd);
  if (!st) return st;
  std::error_code ec;
  fs::rename(tmp, fs::path(dir_) / kSnapshot, ec);
  if (ec) return Error{ErrorCode::unavailable, "rename snapshot: " + ec.message(), std::nullopt};
  if (auto s = sync_dir(dir_); !s) return s;
  // The snapshot holds everything the log did; replay is idempotent if we stop before this.
  if (::ftruncate(fd_, 0) != 0 || ::lseek(fd_, 0, SEEK_SET) < 0 || ::fsync(fd_) != 0) return io_error("truncate log");
  records_since_snapshot_ = 0;
  log_bytes_ = 0;
  return Ok{};
}

}  // namespace dc
