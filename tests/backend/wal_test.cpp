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
    REQUIRE(w.ok());
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

TEST_CASE("wal: records framed with a CRC-32") {
  CHECK(crc32_of("123456789") == 0xCBF43926u);  // the standard check value
  std::string f = frame_record("{}");
  CHECK(f.size() == 10);
  CHECK(static_cast<unsigned char>(f[0]) == 2);
}
