// A strict fake of the Backend seam for in-process tests: reads and writes
// are answered from a script (an answer, a failure, or a throw), or held
// until the test releases them (a delay the test controls, so no test waits
// on a clock); watches are driven by the test, which emits their results.
// Records every call. Thread-safe enough for one test thread plus the
// server's I/O threads.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "server/backend/backend.hpp"
#include "tests/planner/fixture.hpp"

namespace dc::testing {

class FakeBackend final : public Backend {
 public:
  // What the next read or write does.
  struct Step {
    enum class Kind { answer, fail, hold, throw_ } kind = Kind::answer;
    std::string data_json = "[]";
    uint64_t docs_read = 0;
    Error error;
  };
  static Step answer(std::string data_json, uint64_t docs_read = 0) { return Step{Step::Kind::answer, std::move(data_json), docs_read, {}}; }
  static Step fail(Error e) { return Step{Step::Kind::fail, {}, 0, std::move(e)}; }
  static Step hold() { return Step{Step::Kind::hold, {}, 0, {}}; }
  static Step throw_() { return Step{Step::Kind::throw_, {}, 0, {}}; }

  std::string_view name() const override { return "fake"; }
  const TableStats& stats() const override { return stats_; }
  bool ready() const override { return is_ready; }

  void read(std::shared_ptr<const ReadPlan> plan, const RequestContext& ctx, std::function<void(Result<ReadOutcome>)> done) override {
    {
      std::lock_guard lock(mu_);
      reads.push_back(plan);
      contexts.push_back(ctx);
    }
    run(std::move(done));
  }
  void write(std::shared_ptr<const MutationPlan> plan, const RequestContext& ctx, std::function<void(Result<WriteOutcome>)> done) override {
    {
      std::lock_guard lock(mu_);
      writes.push_back(plan);
      contexts.push_back(ctx);
    }
    run(std::move(done));
  }

  class FakeWatch final : public Watch {
   public:
    FakeWatch(FakeBackend& b, uint64_t id) : b_(b), id_(id) {}
    ~FakeWatch() override {
      std::lock_guard lock(b_.mu_);
      b_.watches_.erase(id_);
      ++b_.watches_stopped;
    }

   private:
    FakeBackend& b_;
    uint64_t id_;
  };
  std::unique_ptr<Watch> watch(std::shared_ptr<const ReadPlan> plan, const RequestContext&, WatchFn on_result) override {
    std::lock_guard lock(mu_);
    uint64_t id = ++next_watch_;
    watches_[id] = WatchEntry{std::move(plan), std::move(on_result)};
    ++watches_started;
    return std::make_unique<FakeWatch>(*this, id);
  }

  void write_metrics(MetricsText& out) const override { out.counter("dc_fake_backend_calls_total", "Calls the fake backend took.", calls_); }

  // Emits a result to every open watch (as a backend does after a write).
  void emit(const Result<ReadOutcome>& r) {
    std::vector<WatchFn> fns;
    {
      std::lock_guard lock(mu_);
      for (auto& [id, w] : watches_) fns.push_back(w.on_result);
    }
    for (auto& f : fns) f(r);
  }
  size_t open_watches() {
    std::lock_guard lock(mu_);
    return watches_.size();
  }
  // Answers the oldest held call.
  void release(Result<ReadOutcome> r) {
    std::function<void(Result<ReadOutcome>)> done;
    {
      std::lock_guard lock(mu_);
      REQUIRE(!held_.empty());
      done = std::move(held_.front());
      held_.pop_front();
    }
    done(std::move(r));
  }
  size_t held() {
    std::lock_guard lock(mu_);
    return held_.size();
  }

  std::deque<Step> script;  // consumed front first; empty: answer "[]"
  bool is_ready = true;
  std::vector<std::shared_ptr<const ReadPlan>> reads;
  std::vector<std::shared_ptr<const MutationPlan>> writes;
  std::vector<RequestContext> contexts;
  size_t watches_started = 0;
  size_t watches_stopped = 0;

 private:
  struct WatchEntry {
    std::shared_ptr<const ReadPlan> plan;
    WatchFn on_result;
  };
  void run(std::function<void(Result<ReadOutcome>)> done) {
    Step step;
    {
      std::lock_guard lock(mu_);
      ++calls_;
      if (!script.empty()) {
        step = std::move(script.front());
        script.pop_front();
      }
      if (step.kind == Step::Kind::hold) {
        held_.push_back(std::move(done));
        return;
      }
    }
    switch (step.kind) {
      case Step::Kind::throw_: throw std::runtime_error("the fake backend was told to throw");
      case Step::Kind::fail: return done(std::move(step.error));
      default: {
        ReadOutcome out;
        out.data_json = std::move(step.data_json);
        out.docs_read = step.docs_read;
        return done(std::move(out));
      }
    }
  }

  mutable std::mutex mu_;
  FakeStats stats_;
  std::atomic<uint64_t> calls_{0};
  uint64_t next_watch_ = 0;
  std::map<uint64_t, WatchEntry> watches_;
  std::deque<std::function<void(Result<ReadOutcome>)>> held_;
};

}  // namespace dc::testing
