#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "server/backend/embedded/wal.hpp"
#include "tests/planner/fixture.hpp"

using namespace dc;
using dc::testing::blog_schema;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("dc-wal-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    fs::remove_all(path);
  }
  ~TempDir() { fs::remove_all(path); }
  static int& counter() {
    static int n = 0;
    return n;
  }
};

DocPtr tag(const std::string& id, double ct, const std::string& name) {
  auto d = std::make_shared<Document>();
  d->id = id;
  d->creation_time = ct;
  d->value = Value(Object{{"_id", Value(id)}, {"_creationTime", Value(ct)}, {"name", Value(name)}});
  return d;
}

std::vector<std::string> tag_names(const Store& s) {
  std::vector<std::string> out;
  s.table("tags")->scan_all([&](const DocPtr& d) {
    out.push_back(d->value.field("name")->as_string());
    return true;
  });
  return out;
}

// A store with the log of `dir` opened into it.
struct Opened {
  Store store{blog_schema()};
  IdGenerator ids{1};
  RecoveryReport report;
  std::unique_ptr<WriteAheadLog> wal;
  explicit Opened(const fs::path& dir) {
    auto w = WriteAheadLog::open(dir.string(), store, ids, &report);
    REQUIRE_MESSAGE(w.ok(), (w.ok() ? std::string() : w.error().message));
    wal = std::move(w).value();
  }
};

// Opens the directory into a fresh store and returns the store's tag names.
std::vector<std::string> reopen(const fs::path& dir, RecoveryReport* report = nullptr) {
  Opened o(dir);
  if (report) *report = o.report;
  return tag_names(o.store);
}

}  // namespace

TEST_CASE("wal: appended writes come back after a reopen, deletions included") {
  TempDir dir;
  {
    Opened o(dir.path);
    CHECK_FALSE(o.report.had_data);
    REQUIRE(o.wal->append({Change{"tags", "a", tag("a", 1, "alpha"), nullptr}, Change{"tags", "b", tag("b", 2, "beta"), nullptr}}).ok());
    REQUIRE(o.wal->append({Change{"tags", "a", nullptr, nullptr}, Change{"tags", "b", tag("b", 2, "beta2"), nullptr}}).ok());
  }
  RecoveryReport r;
  CHECK(reopen(dir.path, &r) == std::vector<std::string>{"beta2"});
  CHECK(r.log_records == 2);
  CHECK(r.torn_bytes == 0);
}

TEST_CASE("wal: a torn last record is detected and dropped, and the log truncated") {
  TempDir dir;
  REQUIRE(Opened(dir.path).wal->append({Change{"tags", "a", tag("a", 1, "alpha"), nullptr}}).ok());
  auto good_size = fs::file_size(dir.path / "wal.log");
  std::string next = frame_record(R"({"seq":2,"changes":[{"t":"tags","id":"b","d":{"_id":"b","_creationTime":2,"name":"beta"}}]})");
  {
    std::ofstream out(dir.path / "wal.log", std::ios::binary | std::ios::app);
    out.write(next.data(), static_cast<std::streamsize>(next.size() - 5));  // the crash cut it short
  }
  RecoveryReport r;
  CHECK(reopen(dir.path, &r) == std::vector<std::string>{"alpha"});
  CHECK(r.torn_bytes == next.size() - 5);
  CHECK(fs::file_size(dir.path / "wal.log") == good_size);
}

TEST_CASE("wal: a record whose checksum does not match is dropped") {
  TempDir dir;
  {
    Opened o(dir.path);
    REQUIRE(o.wal->append({Change{"tags", "a", tag("a", 1, "alpha"), nullptr}}).ok());
    REQUIRE(o.wal->append({Change{"tags", "b", tag("b", 2, "beta"), nullptr}}).ok());
  }
  {
    std::fstream f(dir.path / "wal.log", std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(-3, std::ios::end);
    f.put('X');  // flip a byte inside the last payload
  }
  RecoveryReport r;
  CHECK(reopen(dir.path, &r) == std::vector<std::string>{"alpha"});
  CHECK(r.torn_bytes > 0);
}

TEST_CASE("wal: a snapshot truncates the log; later writes replay on top of it") {
  TempDir dir;
  {
    Opened o(dir.path);
    REQUIRE(o.wal->append({Change{"tags", "a", tag("a", 1, "alpha"), nullptr}}).ok());
    o.store.insert(*o.store.table("tags"), tag("a", 1, "alpha"));
    REQUIRE(o.wal->snapshot(o.store).ok());
    CHECK(fs::file_size(dir.path / "wal.log") == 0);
    REQUIRE(o.wal->append({Change{"tags", "b", tag("b", 2, "beta"), nullptr}}).ok());
  }
  RecoveryReport r;
  CHECK(reopen(dir.path, &r) == std::vector<std::string>{"alpha", "beta"});
  CHECK(r.snapshot_documents == 1);
  CHECK(r.log_records == 1);
}

TEST_CASE("wal: a snapshot written while writes go on keeps them: the log after it holds only what was logged since it began") {
  TempDir dir;
  uint64_t tail = 0;
  {
    Opened o(dir.path);
    for (const char* name : {"alpha", "beta"}) {
      REQUIRE(o.wal->append({Change{"tags", name, tag(name, 1, name), nullptr}}).ok());
      o.store.insert(*o.store.table("tags"), tag(name, 1, name));
    }
    SnapshotJob job = o.wal->begin_snapshot(o.store);
    uint64_t before = o.wal->log_bytes();
    REQUIRE(o.wal->append({Change{"tags", "gamma", tag("gamma", 3, "gamma"), nullptr}}).ok());  // while it is written
    tail = o.wal->log_bytes() - before;
    auto written = o.wal->write_snapshot(job);
    REQUIRE(written.ok());
    CHECK(written->documents == 2);
    REQUIRE(o.wal->finish_snapshot(job, *written).ok());
    CHECK(o.wal->log_bytes() == tail);
    CHECK(fs::file_size(dir.path / "wal.log") >= tail);
    CHECK(o.wal->records_since_snapshot() == 1);
    REQUIRE(o.wal->append({Change{"tags", "delta", tag("delta", 4, "delta"), nullptr}}).ok());  // the new log goes on
  }
  RecoveryReport r;
  CHECK(reopen(dir.path, &r) == std::vector<std::string>{"alpha", "beta", "gamma", "delta"});
  CHECK(r.snapshot_documents == 2);
  CHECK(r.log_records == 2);
  CHECK(r.torn_bytes == 0);
}

TEST_CASE("wal: a crash after a snapshot is in place but before the log was cut replays only the records past it") {
  TempDir dir;
  Opened o(dir.path);
  for (const char* name : {"alpha", "beta"}) {
    REQUIRE(o.wal->append({Change{"tags", name, tag(name, 1, name), nullptr}}).ok());
    o.store.insert(*o.store.table("tags"), tag(name, 1, name));
  }
  SnapshotJob job = o.wal->begin_snapshot(o.store);
  REQUIRE(o.wal->append({Change{"tags", "alpha", nullptr, nullptr}}).ok());  // a delete logged while it is written
  REQUIRE(o.wal->write_snapshot(job).ok());
  fs::path image = dir.path.string() + "-crashed";
  fs::remove_all(image);
  fs::copy(dir.path, image);  // the crash: finish_snapshot never ran
  RecoveryReport r;
  CHECK(reopen(image, &r) == std::vector<std::string>{"beta"});
  CHECK(r.snapshot_documents == 2);
  CHECK(r.log_records == 1);  // the two records the snapshot holds are skipped
  fs::remove_all(image);
}

TEST_CASE("wal: records framed with a CRC-32") {
  CHECK(crc32_of("123456789") == 0xCBF43926u);  // the standard check value
  std::string f = frame_record("{}");
  CHECK(f.size() == 10);
  CHECK(static_cast<unsigned char>(f[0]) == 2);
}

namespace {

// Three acknowledged writes: alpha, beta, gamma.
void three_writes(const fs::path& dir) {
  Opened o(dir);
  REQUIRE(o.wal->append({Change{"tags", "a", tag("a", 1, "alpha"), nullptr}}).ok());
  REQUIRE(o.wal->append({Change{"tags", "b", tag("b", 2, "beta"), nullptr}}).ok());
  REQUIRE(o.wal->append({Change{"tags", "c", tag("c", 3, "gamma"), nullptr}}).ok());
}

void flip_byte(const fs::path& file, std::streamoff at) {
  std::fstream f(file, std::ios::binary | std::ios::in | std::ios::out);
  f.seekg(at);
  char c = 0;
  f.get(c);
  f.seekp(at);
  f.put(static_cast<char>(c ^ 0x5a));
}

Result<std::unique_ptr<WriteAheadLog>> try_open(const fs::path& dir, Store& store, RecoveryReport& report, bool truncate = false) {
  IdGenerator ids{1};
  return WriteAheadLog::open(dir.string(), store, ids, &report, RecoveryOptions{truncate});
}

// Three writes with a byte flipped in the middle record; returns the log's size.
uintmax_t corrupt_middle(const fs::path& dir) {
  three_writes(dir);
  auto size = fs::file_size(dir / "wal.log");
  flip_byte(dir / "wal.log", static_cast<std::streamoff>(size / 2));
  return size;
}

}  // namespace

TEST_CASE("wal: a flipped byte in a middle record is corruption: recovery refuses to start, naming the offset") {
  TempDir dir;
  auto size = corrupt_middle(dir.path);
  Store store{blog_schema()};
  RecoveryReport r;
  auto w = try_open(dir.path, store, r);
  REQUIRE_FALSE(w.ok());
  CHECK(w.error().message.find("corrupt at byte") != std::string::npos);
  CHECK(w.error().message.find("--recover-truncate") != std::string::npos);
  CHECK(fs::file_size(dir.path / "wal.log") == size);  // nothing was cut
}

TEST_CASE("wal: a flipped byte in the first record's length is corruption too, not a torn tail") {
  TempDir dir;
  three_writes(dir.path);
  flip_byte(dir.path / "wal.log", 1);  // the length now points past the end of the file
  Store store{blog_schema()};
  RecoveryReport r;
  CHECK_FALSE(try_open(dir.path, store, r).ok());
}

TEST_CASE("wal: --recover-truncate accepts the loss explicitly, keeping the original log aside") {
  TempDir dir;
  auto size = corrupt_middle(dir.path);
  Store store{blog_schema()};
  RecoveryReport r;
  auto w = try_open(dir.path, store, r, true);
  REQUIRE(w.ok());
  CHECK(tag_names(store) == std::vector<std::string>{"alpha"});
  CHECK(r.corrupt_offset > 0);
  CHECK(r.corrupt_offset + r.corrupt_dropped_bytes == size);
  REQUIRE(fs::exists(r.kept_aside));
  CHECK(fs::file_size(r.kept_aside) == size);
  CHECK(fs::file_size(dir.path / "wal.log") == r.corrupt_offset);
  w->reset();
  CHECK(reopen(dir.path) == std::vector<std::string>{"alpha"});  // and it opens normally from now on
}

TEST_CASE("wal: snapshots carry checksums and a count; a truncated or altered one refuses to start") {
  TempDir dir;
  {
    Opened o(dir.path);
    for (int i = 0; i < 20; ++i) o.store.insert(*o.store.table("tags"), tag("t" + std::to_string(i), i + 1, "tag-" + std::to_string(i)));
    REQUIRE(o.wal->snapshot(o.store).ok());
  }
  RecoveryReport ok;
  CHECK(reopen(dir.path, &ok).size() == 20);
  CHECK(ok.snapshot_documents == 20);

  auto snap = dir.path / "snapshot.jsonl";
  std::string whole;
  {
    std::ifstream in(snap, std::ios::binary);
    whole.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  auto write = [&](const std::string& text) {
    std::ofstream out(snap, std::ios::binary | std::ios::trunc);
    out << text;
  };
  Store store{blog_schema()};
  RecoveryReport r;
  write(whole.substr(0, whole.size() / 2));  // cut in the middle of a line
  CHECK_FALSE(try_open(dir.path, store, r).ok());
  write(whole.substr(0, whole.rfind('\n', whole.size() - 2) + 1));  // whole lines, trailer gone
  auto cut = try_open(dir.path, store, r);
  REQUIRE_FALSE(cut.ok());
  CHECK(cut.error().message.find("truncated") != std::string::npos);
  std::string altered = whole;
  altered[altered.find("tag-7") + 4] = '8';
  write(altered);
  Store store2{blog_schema()};
  CHECK_FALSE(try_open(dir.path, store2, r).ok());
}

namespace {

// What a crash leaves: the log as it is on disk while the server still has it open.
fs::path crash_image(const fs::path& dir) {
  fs::path image = dir.string() + "-crashed";
  fs::remove_all(image);
  fs::create_directories(image);
  fs::copy_file(dir / "wal.log", image / "wal.log");
  return image;
}

}  // namespace

TEST_CASE("wal: the log is zero-filled ahead of its end while open, and a clean close cuts the zeros off") {
  TempDir dir;
  uintmax_t open_size = 0;
  {
    Opened o(dir.path);
    REQUIRE(o.wal->append({Change{"tags", "a", tag("a", 1, "alpha"), nullptr}}).ok());
    open_size = fs::file_size(dir.path / "wal.log");
    CHECK(o.wal->log_bytes() < 200);
    CHECK(open_size >= 1u << 20);  // the sync after the next appends need not commit a new file size
  }
  CHECK(open_size > fs::file_size(dir.path / "wal.log"));
  RecoveryReport r;
  CHECK(reopen(dir.path, &r) == std::vector<std::string>{"alpha"});
  CHECK(r.torn_bytes == 0);
}

TEST_CASE("wal: after a crash, the zeros written ahead are the log's end: every record back, nothing called torn") {
  TempDir dir;
  Opened o(dir.path);
  REQUIRE(o.wal->append({Change{"tags", "a", tag("a", 1, "alpha"), nullptr}}).ok());
  REQUIRE(o.wal->append({Change{"tags", "b", tag("b", 2, "beta"), nullptr}}).ok());
  fs::path image = crash_image(dir.path);
  RecoveryReport r;
  CHECK(reopen(image, &r) == std::vector<std::string>{"alpha", "beta"});
  CHECK(r.torn_bytes == 0);
  CHECK(r.log_records == 2);
  CHECK(fs::file_size(image / "wal.log") == o.wal->log_bytes());  // the zeros are cut at recovery
  {
    Opened again(image);  // and appends go on from the last record
    REQUIRE(again.wal->append({Change{"tags", "c", tag("c", 3, "gamma"), nullptr}}).ok());
  }
  CHECK(reopen(image) == std::vector<std::string>{"alpha", "beta", "gamma"});
  fs::remove_all(image);
}

TEST_CASE("wal: a record torn inside the zeros written ahead is dropped as torn, counting only its own bytes") {
  TempDir dir;
  Opened o(dir.path);
  REQUIRE(o.wal->append({Change{"tags", "a", tag("a", 1, "alpha"), nullptr}}).ok());
  fs::path image = crash_image(dir.path);
  std::string next = frame_record(R"({"seq":2,"changes":[{"t":"tags","id":"b","d":{"_id":"b","_creationTime":2,"name":"beta"}}]})");
  {
    std::fstream f(image / "wal.log", std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(o.wal->log_bytes()));
    f.write(next.data(), static_cast<std::streamsize>(next.size() - 5));  // the crash cut it short
  }
  RecoveryReport r;
  CHECK(reopen(image, &r) == std::vector<std::string>{"alpha"});
  CHECK(r.torn_bytes == next.size() - 5);
  fs::remove_all(image);
}

TEST_CASE("wal: a flipped byte in a middle record is still corruption when the zeros written ahead follow the log") {
  TempDir dir;
  Opened o(dir.path);
  for (const char* name : {"alpha", "beta", "gamma"}) {
    REQUIRE(o.wal->append({Change{"tags", name, tag(name, 1, name), nullptr}}).ok());
  }
  fs::path image = crash_image(dir.path);
  flip_byte(image / "wal.log", static_cast<std::streamoff>(o.wal->log_bytes() / 2));
  Store store{blog_schema()};
  RecoveryReport r;
  auto w = try_open(image, store, r);
  REQUIRE_FALSE(w.ok());
  CHECK(w.error().message.find("corrupt at byte") != std::string::npos);
  fs::remove_all(image);
}

namespace {

// Real file calls, except that the next `fail_writes` writes stop half-way with ENOSPC.
class FullDisk final : public FileIo {
 public:
  int fail_writes = 0;
  int write_all(int fd, const char* data, size_t size) override {
    if (fail_writes > 0) {
      --fail_writes;
      posix_file_io()->write_all(fd, data, size / 2);
      return ENOSPC;
    }
    return posix_file_io()->write_all(fd, data, size);
  }
  int datasync(int fd) override { return posix_file_io()->datasync(fd); }
  int truncate(int fd, long long length) override { return posix_file_io()->truncate(fd, length); }
};

}  // namespace

TEST_CASE("wal: a disk full while zero-filling ahead fails that append only; the log goes on from its last record") {
  TempDir dir;
  auto io = std::make_shared<FullDisk>();
  {
    Store store{blog_schema()};
    IdGenerator ids{1};
    RecoveryReport report;
    auto w = WriteAheadLog::open(dir.path.string(), store, ids, &report, RecoveryOptions{false, io});
    REQUIRE(w.ok());
    auto& wal = *w.value();
    io->fail_writes = 1;  // the first append must zero-fill first: that write fails
    auto lost = wal.append({Change{"tags", "a", tag("a", 1, "lost"), nullptr}});
    REQUIRE_FALSE(lost.ok());
    CHECK(lost.error().message.find("No space left") != std::string::npos);
    CHECK(wal.log_bytes() == 0);
    CHECK(fs::file_size(dir.path / "wal.log") == 0);
    REQUIRE(wal.append({Change{"tags", "b", tag("b", 2, "kept"), nullptr}}).ok());
  }
  RecoveryReport r;
  CHECK(reopen(dir.path, &r) == std::vector<std::string>{"kept"});
  CHECK(r.torn_bytes == 0);
}

TEST_CASE("wal: a version 1 snapshot (older builds: no checksums) still loads") {
  TempDir dir;
  fs::create_directories(dir.path);
  {
    std::ofstream out(dir.path / "snapshot.jsonl");
    out << R"({"version":1,"seq":0})" << "\n"
        << R"({"t":"tags","id":"a","d":{"_id":"a","_creationTime":1,"name":"old"}})" << "\n";
  }
  CHECK(reopen(dir.path) == std::vector<std::string>{"old"});
}

// Found by fuzz_log: a version 1 line that is JSON but not a record threw out of recovery (std::terminate at start-up).
TEST_CASE("wal: a snapshot or log record of the wrong shape stops recovery with a message, never an exception") {
  for (const char* line : {"99999999999999", R"(["tags"])", R"({"t":1,"id":"a","d":null})", R"({"t":"tags","id":"a","d":[1]})"}) {
    std::string shown = line;
    CAPTURE(shown);
    TempDir dir;
    fs::create_directories(dir.path);
    {
      std::ofstream out(dir.path / "snapshot.jsonl");
      out << R"({"version":1,"seq":0})" << "\n" << line << "\n";
    }
    Store store{blog_schema()};
    IdGenerator ids{1};
    RecoveryReport report;
    auto w = WriteAheadLog::open(dir.path.string(), store, ids, &report);
    REQUIRE_FALSE(w.ok());
    CHECK_FALSE(w.error().message.empty());
  }
}
