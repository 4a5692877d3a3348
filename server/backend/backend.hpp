// The Backend seam: everything that runs a Plan. The embedded engine runs it
// in process; the Convex backend (issue 4) ships it to the adapter in one
// call. Completion callbacks keep the seam asynchronous for upstreams.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/error.hpp"
#include "server/common/metrics_text.hpp"
#include "server/common/request_context.hpp"
#include "server/planner/mutation_plan.hpp"
#include "server/planner/plan.hpp"
#include "server/planner/planner.hpp"

namespace dc {

// Whether a kept read result still holds. A backend that sees every write
// (the embedded engine) hands one out with a read whose caller asked to keep
// it (RequestContext::keep_result). It turns stale at the first committed
// write that may change that result, before the write is acknowledged, so
// nobody is answered from it after a write they saw succeed.
struct Freshness {
  std::atomic<bool> stale{false};
  bool holds() const { return !stale.load(std::memory_order_acquire); }
};

struct ReadOutcome {
  std::string data_json;  // the result, encoded as protocol.md section 2
  uint64_t docs_read = 0;
  // The same result as a JSON tree, when a watch's backend has one at hand:
  // the live differ uses it instead of parsing data_json again.
  std::shared_ptr<const nlohmann::ordered_json> tree;
  std::vector<uint64_t> reads_by_access = {};  // by TableAccess::id, when the backend counts them
  // Rows per value of the fields leading an index, counted while the root
  // read its whole table (Convex: the adapter counts them; the proxy learns).
  struct ValueCount {
    std::string field;
    Value value;
    uint64_t rows = 0;
  };
  std::vector<ValueCount> value_counts = {};
  // Set when the caller asked to keep the result and the backend can tell
  // how long it holds; null otherwise (Convex: writers it cannot see).
  std::shared_ptr<const Freshness> fresh = nullptr;
};
using WriteOutcome = ReadOutcome;

// A live read (Backend::watch). Destroying it stops the updates.
class Watch {
 public:
  virtual ~Watch() = default;
};
using WatchFn = std::function<void(Result<ReadOutcome>)>;

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view name() const = 0;
  virtual const TableStats& stats() const = 0;
  virtual bool ready() const = 0;
  // Why ready() is false, in the operator's words (/readyz says it); empty if unknown.
  virtual std::string not_ready_reason() const { return {}; }
  // Runs a read plan. `done` may be called inline or later, on any thread.
  virtual void read(std::shared_ptr<const ReadPlan> plan, const RequestContext& ctx,
                    std::function<void(Result<ReadOutcome>)> done) = 0;
  // Runs a mutation plan atomically. `done` is called only once the result is
  // durable (for a durable backend) or has failed and left nothing behind.
  virtual void write(std::shared_ptr<const MutationPlan> plan, const RequestContext& ctx,
                     std::function<void(Result<WriteOutcome>)> done) = 0;
  // Runs a read plan now and again whenever its result may have changed:
  // `on_result` gets each result (possibly unchanged; the live hub compares),
  // never two calls at once. An error ends the watch.
  virtual std::unique_ptr<Watch> watch(std::shared_ptr<const ReadPlan> plan, const RequestContext& ctx, WatchFn on_result) = 0;
  // The server is stopping: drop idle upstream connections so nothing keeps it waiting.
  virtual void shutdown() {}
  // The server has stopped serving: finish or drop background work before
  // the I/O context goes (its jobs hold sessions).
  virtual void drain() {}
  // Appends the backend's own metrics to /metrics (upstream connections, ...).
  virtual void write_metrics(MetricsText&) const {}
};

}  // namespace dc
