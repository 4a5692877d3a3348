#include <doctest/doctest.h>

#include <atomic>
#include <cstdio>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>

#include "protocol/parse_mutation.hpp"
#include "server/backend/embedded/embedded_backend.hpp"
#include "server/common/metrics_text.hpp"
#include "tests/planner/fixture.hpp"

using namespace dc;
using dc::testing::blog_schema;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// The real file calls, with fdatasync counted, optionally held until the
// test releases it, or failed with EIO (as a disk does).
class FaultyIo final : public FileIo {
 public:
  std::atomic<int> syncs{0};
  std::atomic<int> fail_syncs{0};  // the next this-many fdatasyncs fail
  std::atomic<int> fail_writes{0};
  std::atomic<int> snapshots{0};  // snapshot files begun
  std::atomic<bool> fail_snapshots{false};  // a snapshot's first write fails: disk full
  // What no disk returns: an exception from inside the call (out of memory).
  std::atomic<int> throw_syncs{0};
  std::atomic<bool> throw_snapshots{false};

  int write_all(int fd, const char* data, size_t size) override {
    if (std::string_view(data, size).starts_with(R"({"version")")) {
      ++snapshots;
      if (fail_snapshots) return ENOSPC;
      if (throw_snapshots) throw std::bad_alloc();
      std::unique_lock lock(mu_);
      snapshot_entered_ = true;
      entered_cv_.notify_all();
      released_cv_.wait(lock, [&] { return !holding_snapshots_; });
    }
    if (fail_writes > 0) {
      --fail_writes;
      // A short write, then the error: the log is left with part of a record.
      posix_file_io()->write_all(fd, data, size / 2);
      return ENOSPC;
    }
    return posix_file_io()->write_all(fd, data, size);
  }
  int datasync(int fd) override {
    {
      std::unique_lock lock(mu_);
      ++entered_;
      entered_cv_.notify_all();
      released_cv_.wait(lock, [&] { return !holding_; });
    }
    ++syncs;
    if (throw_syncs > 0) {
      --throw_syncs;
      throw std::bad_alloc();
    }
    if (fail_syncs > 0) {
      --fail_syncs;
      return EIO;
    }
    return posix_file_io()->datasync(fd);
  }
  int truncate(int fd, long long length) override { return posix_file_io()->truncate(fd, length); }

  void hold() { set_holding(holding_, true); }
  void release() { set_holding(holding_, false); }
  // A snapshot's first write (its header) waits until release_snapshots().
  void hold_snapshots() { set_holding(holding_snapshots_, true); }
  void release_snapshots() { set_holding(holding_snapshots_, false); }
  void wait_snapshot_entered() {
    std::unique_lock lock(mu_);
    REQUIRE(entered_cv_.wait_for(lock, 10s, [&] { return snapshot_entered_; }));
  }
  // Waits until `n` fdatasyncs have started.
  void wait_entered(int n) {
    std::unique_lock lock(mu_);
    REQUIRE(entered_cv_.wait_for(lock, 10s, [&] { return entered_ >= n; }));
  }

 private:
  void set_holding(bool& flag, bool value) {
    {
      std::lock_guard lock(mu_);
      flag = value;
    }
    released_cv_.notify_all();
  }

  std::mutex mu_;
  std::condition_variable entered_cv_, released_cv_;
  bool holding_ = false;
  bool holding_snapshots_ = false;
  bool snapshot_entered_ = false;
  int entered_ = 0;
};

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("dc-group-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
  TempDir() { fs::remove_all(path); }
  ~TempDir() { fs::remove_all(path); }
  static int& counter() {
    static int n = 0;
    return n;
  }
};

std::shared_ptr<const MutationPlan> insert_tag(const std::string& name, const EmbeddedBackend& stats) {
  auto m = parse_mutation(Json::parse(R"({"op":"insert","table":"tags","values":{"name":")" + name + R"("}})"), blog_schema(),
                          ParseLimits{});
  REQUIRE(m.ok());
  auto p = plan_mutation(*m, blog_schema(), stats, PlannerOptions{});
  REQUIRE(p.ok());
  return std::make_shared<const MutationPlan>(std::move(p).value());
}

// A durable engine on `dir` whose log appends go through `io`.
std::shared_ptr<EmbeddedBackend> durable(const fs::path& dir, std::shared_ptr<FileIo> io, unsigned threads) {
  EmbeddedOptions options;
  options.threads = threads;
  auto b = std::make_shared<EmbeddedBackend>(std::make_shared<const Schema>(blog_schema()), 3, options);
  RecoveryReport report;
  RecoveryOptions recovery;
  recovery.io = std::move(io);
  REQUIRE(b->enable_durability(dir.string(), &report, recovery).ok());
  return b;
}

// Writes without waiting; the futures carry the answers.
std::future<Result<WriteOutcome>> write_async(EmbeddedBackend& b, const std::string& name) {
  auto promise = std::make_shared<std::promise<Result<WriteOutcome>>>();
  auto future = promise->get_future();
  b.write(insert_tag(name, b), RequestContext{}, [promise](Result<WriteOutcome> r) { promise->set_value(std::move(r)); });
  return future;
}

uint64_t tags_in(EmbeddedBackend& b) { return b.row_count("tags").value(); }

// Not "t" + std::to_string(i): GCC 12 at -O3 warns falsely (-Wrestrict, bug 105329).
std::string numbered(const char* prefix, int i) {
  char name[32];
  std::snprintf(name, sizeof name, "%s%d", prefix, i);
  return name;
}

// The engine as a restart finds `dir`, with what recovery saw.
std::shared_ptr<EmbeddedBackend> reopen(const fs::path& dir, RecoveryReport& report) {
  auto b = std::make_shared<EmbeddedBackend>(std::make_shared<const Schema>(blog_schema()), 3);
  REQUIRE(b->enable_durability(dir.string(), &report).ok());
  return b;
}

uint64_t tags_after_reopen(const fs::path& dir) {
  RecoveryReport report;
  return tags_in(*reopen(dir, report));
}

}  // namespace

TEST_CASE("group commit: writes waiting behind an fdatasync are made durable together by one more, and all acknowledged") {
  TempDir dir;
  auto io = std::make_shared<FaultyIo>();
  auto b = durable(dir.path, io, 2);
  io->hold();
  auto first = write_async(*b, "first");
  io->wait_entered(1);  // the first group is syncing; the others queue behind it
  std::vector<std::future<Result<WriteOutcome>>> rest;
  for (int i = 0; i < 50; ++i) {
    rest.push_back(write_async(*b, numbered("t", i)));
  }
  CHECK(first.wait_for(50ms) == std::future_status::timeout);  // not acknowledged before it is durable
  io->release();
  REQUIRE(first.get().ok());
  for (auto& f : rest) REQUIRE(f.get().ok());
  CHECK(io->syncs == 2);
  b->drain();
  CHECK(tags_after_reopen(dir.path) == 51);
}

TEST_CASE("group commit: a failing fdatasync answers 503 to every write of its group, and nothing of them is left") {
  TempDir dir;
  auto io = std::make_shared<FaultyIo>();
  auto b = durable(dir.path, io, 2);
  REQUIRE(write_async(*b, "kept").get().ok());
  io->hold();
  auto blocker = write_async(*b, "blocker");
  io->wait_entered(2);
  std::vector<std::future<Result<WriteOutcome>>> group;
  for (int i = 0; i < 5; ++i) group.push_back(write_async(*b, numbered("lost", i)));
  io->fail_syncs = 2;  // the blocker's sync and the group's
  io->release();
  for (auto* f : {&blocker}) {
    auto r = f->get();
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::unavailable);
  }
  for (auto& f : group) {
    auto r = f.get();
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::unavailable);
    CHECK(r.error().message == "the write could not be made durable; nothing was written");
  }
  CHECK(tags_in(*b) == 1);  // rolled back: no reader can see them
  // The log was cut back: the next write goes on from the last durable record.
  REQUIRE(write_async(*b, "after").get().ok());
  b->drain();
  b.reset();
  CHECK(tags_after_reopen(dir.path) == 2);
}

TEST_CASE("group commit: a short write (disk full) is cut from the log and answered 503; recovery sees no torn record") {
  TempDir dir;
  auto io = std::make_shared<FaultyIo>();
  auto b = durable(dir.path, io, 0);  // inline: a group of one
  REQUIRE(write_async(*b, "kept").get().ok());
  io->fail_writes = 1;
  auto r = write_async(*b, "lost").get();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::unavailable);
  CHECK(tags_in(*b) == 1);
  REQUIRE(write_async(*b, "after").get().ok());
  b.reset();
  RecoveryReport report;
  auto reopened = reopen(dir.path, report);
  CHECK(report.torn_bytes == 0);
  CHECK(report.log_records == 2);
  CHECK(tags_in(*reopened) == 2);
}

TEST_CASE("group commit: a point read never waits on the caller's thread for a group's fdatasync") {
  TempDir dir;
  auto io = std::make_shared<FaultyIo>();
  auto b = durable(dir.path, io, 2);
  REQUIRE(write_async(*b, "kept").get().ok());
  io->hold();
  auto pending = write_async(*b, "pending");
  io->wait_entered(2);  // the commit thread holds the write lock through its sync
  // Planning and reading, as a socket thread does them, on a thread of their own.
  auto answered = std::make_shared<std::promise<Result<ReadOutcome>>>();
  auto caller = std::async(std::launch::async, [&] {
    auto q = parse_read_query(Json::parse(R"({"table":"tags","op":"findMany","limit":1})"), blog_schema(), ParseLimits{});
    REQUIRE(q.ok());
    auto p = plan_read(*q, blog_schema(), *b, PlannerOptions{});  // row counts without the lock
    REQUIRE(p.ok());
    REQUIRE(p->max_reads <= EmbeddedOptions{}.inline_reads);
    b->read(std::make_shared<const ReadPlan>(std::move(p).value()), RequestContext{},
            [answered](Result<ReadOutcome> r) { answered->set_value(std::move(r)); });
  });
  bool caller_returned = caller.wait_for(5s) == std::future_status::ready;
  CHECK(caller_returned);  // the caller went back to its sockets while the sync is held
  auto future = answered->get_future();
  CHECK(future.wait_for(50ms) == std::future_status::timeout);  // the read waits, on the engine's threads
  io->release();
  caller.get();
  REQUIRE(pending.get().ok());
  auto r = future.get();
  REQUIRE(r.ok());
  CHECK(r->data_json.find("kept") != std::string::npos);
}

TEST_CASE("group commit: writes are made durable and acknowledged while a snapshot is being written") {
  TempDir dir;
  auto io = std::make_shared<FaultyIo>();
  auto b = durable(dir.path, io, 2);
  b->snapshot_every_records = 3;
  io->hold_snapshots();
  std::vector<std::future<Result<WriteOutcome>>> writes;
  for (int i = 0; i < 3; ++i) {
    writes.push_back(write_async(*b, numbered("before", i)));
    writes.back().wait_for(10s);  // one group each
  }
  io->wait_snapshot_entered();  // the third write started a snapshot; its file write is held
  for (int i = 0; i < 5; ++i) writes.push_back(write_async(*b, numbered("during", i)));
  bool all_answered = true;
  for (auto& f : writes) all_answered = all_answered && f.wait_for(10s) == std::future_status::ready;
  // Before: the snapshot ran on the commit thread under the write lock, so
  // the third write and every one after it waited for the whole snapshot.
  CHECK(all_answered);
  io->release_snapshots();
  for (auto& f : writes) REQUIRE(f.get().ok());
  b->drain();
  b.reset();
  RecoveryReport report;
  auto reopened = reopen(dir.path, report);
  CHECK(tags_in(*reopened) == 8);
  CHECK(report.snapshot_documents == 3);
  CHECK(report.log_records == 5);  // only the writes logged after the snapshot began
}

TEST_CASE("group commit: a failing snapshot is tried again after another --snapshot-every writes, not after every write") {
  TempDir dir;
  auto io = std::make_shared<FaultyIo>();
  auto b = durable(dir.path, io, 0);  // inline: each write's snapshot decision is made before it returns
  b->snapshot_every_records = 3;
  io->fail_snapshots = true;
  for (int i = 0; i < 5; ++i) REQUIRE(write_async(*b, numbered("w", i)).get().ok());
  CHECK(io->snapshots.load() == 1);  // due from the third write on; failed once, not again on the fourth and fifth
  REQUIRE(write_async(*b, "w5").get().ok());
  CHECK(io->snapshots.load() == 2);  // three more writes since the failure
  io->fail_snapshots = false;
  for (int i = 6; i < 9; ++i) REQUIRE(write_async(*b, numbered("w", i)).get().ok());
  CHECK(io->snapshots.load() == 3);
  MetricsText metrics;
  b->write_metrics(metrics);
  std::string text = metrics.take();
  CHECK(text.find("\ndc_engine_snapshot_failures_total 2\n") != std::string::npos);
  CHECK(text.find("\ndc_engine_snapshot_duration_seconds_count 1\n") != std::string::npos);
  b.reset();
  RecoveryReport report;
  auto reopened = reopen(dir.path, report);
  CHECK(tags_in(*reopened) == 9);
  CHECK(report.snapshot_documents == 9);
}

TEST_CASE("group commit: an exception inside a group's commit answers each of its writes and leaves nothing of them; the engine goes on") {
  TempDir dir;
  auto io = std::make_shared<FaultyIo>();
  auto b = durable(dir.path, io, 2);  // the commit thread, where an escaping exception ended the process
  REQUIRE(write_async(*b, "kept").get().ok());
  io->throw_syncs = 1;
  auto r = write_async(*b, "lost").get();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::internal);
  CHECK(r.error().message == "the write failed unexpectedly; nothing was written");
  CHECK(tags_in(*b) == 1);  // taken back
  REQUIRE(write_async(*b, "after").get().ok());  // the commit thread is alive, the log goes on
  b->drain();
  b.reset();
  CHECK(tags_after_reopen(dir.path) == 2);
}

TEST_CASE("group commit: an exception on the snapshot thread fails that snapshot like a full disk; writes go on and survive") {
  TempDir dir;
  auto io = std::make_shared<FaultyIo>();
  auto b = durable(dir.path, io, 2);
  b->snapshot_every_records = 3;
  io->throw_snapshots = true;
  for (int i = 0; i < 6; ++i) REQUIRE(write_async(*b, numbered("w", i)).get().ok());
  b->drain();
  CHECK(io->snapshots.load() >= 1);
  MetricsText metrics;
  b->write_metrics(metrics);
  CHECK(metrics.take().find("\ndc_engine_snapshot_failures_total 0\n") == std::string::npos);
  b.reset();
  CHECK(tags_after_reopen(dir.path) == 6);
}
