// The request pipeline: the one place where a request is taken apart,
// checked, planned, run and answered, for HTTP (`handle`) and for every
// `subscribe` on /v1/live (`plan_json`, `write`) alike. Transport-free: no
// Beast or Asio type crosses it; net/ turns its Answers and Errors into
// bytes. Auth (who calls, their rate limit, their rules) is its first step
// after the front door.
//
// Owned by the composition root and shared (shared_ptr) by the sessions that
// call it, so it outlives any request still in flight. Thread-safe; answers
// arrive on whatever thread the backend completes on.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string_view>

#include "protocol/parse.hpp"
#include "server/backend/backend.hpp"
#include "server/live/hub.hpp"
#include "server/access/access_control.hpp"
#include "server/access/cursor_seal.hpp"
#include "server/pipeline/call.hpp"
#include "server/pipeline/http_metrics.hpp"
#include "server/pipeline/result_cache.hpp"
#include "server/pipeline/schema_slot.hpp"
#include "server/planner/plan_cache.hpp"
#include "server/pipeline/table_reads.hpp"

namespace dc {

struct PipelineOptions {
  ParseLimits limits;
  uint64_t read_budget = 32000;
  uint64_t answer_rows = 100000;
  uint64_t answer_bytes = 64ull << 20;
  bool explain_unredacted = false;
  size_t plan_cache_entries = 1024;  // 0 turns the read-plan cache off
  uint64_t result_cache_bytes = 64ull << 20;  // 0 turns the read-result cache off
  FrontDoorOptions front_door;
};

// HTTP counters for /metrics.
struct PipelineStats {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<uint64_t> docs_read{0};
  HttpMetrics http;
  TableReads tables;
};

// A request body, planned: exactly one of the two is set.
struct PlannedBody {
  std::shared_ptr<const ReadPlan> read;
  std::shared_ptr<const MutationPlan> mutation;
};
enum class Accept { reads, mutations, both };

class Pipeline {
 public:
  // `hub` may be null (no /v1/live).
  Pipeline(PipelineOptions options, std::shared_ptr<Backend> backend, std::shared_ptr<SchemaSlot> schema,
           std::shared_ptr<LiveHub> hub);

  // Admits one HTTP call (front_door), routes it by method and path
  // (protocol.md section 1) and runs it. `done` runs exactly once; an
  // exception thrown while handling becomes a 500 INTERNAL and a log line.
  void handle(const Call& call, const RequestContext& ctx, AnswerFn done);

  // The auth file in force; null turns auth off (every caller is admin).
  // Requests already admitted keep the rules they were admitted with.
  void set_auth(std::shared_ptr<const AuthConfig> config);
  // The auth step: credentials (the Authorization header) → who calls and
  // their rules; 401, 429 or 503 (no schema yet) otherwise.
  Result<Access> authorize(std::string_view authorization);
  // The same for /v1/live's connection_init token (not rate limited).
  Result<Access> authorize_token(std::string_view token);
  // One live request's worth of the caller's rate limit.
  Status take_rate(const Access& access);

  // Plans a query or mutation body for `access` (reads through the plan
  // cache). A body of a kind `accept` excludes is refused, naming the right endpoint.
  Result<PlannedBody> plan_text(std::string_view body, Accept accept, const Access& access = admin());
  // Plans a parsed body (a live `subscribe` payload): no printing and re-parsing.
  // A plan as explain shows it to `access` (indexes over columns it cannot see redacted).
  Json explained(const PlannedBody& planned, const Access& access) const;
  Result<PlannedBody> plan_json(const Json& body, Accept accept, const Access& access = admin());
  // Runs a planned mutation; `done` gets the result's JSON text.
  void write(std::shared_ptr<const MutationPlan> plan, const RequestContext& ctx,
             std::function<void(Result<WriteOutcome>)> done);

  // The endpoints, one each.
  void query(std::string_view body, const Access& access, const RequestContext& ctx, ResultFn done);
  void mutate(std::string_view body, const Access& access, const RequestContext& ctx, ResultFn done);
  Result<Answer> explain(std::string_view body, const Access& access);
  // explain with `"analyze": true`: runs the read, and each access shows what it read.
  void explain_analyze(Json body, const Access& access, const RequestContext& ctx, ResultFn done);
  Result<Answer> schema(const Access& access) const;
  Answer health() const;
  Result<Answer> ready() const;
  Answer metrics() const;

  const std::shared_ptr<LiveHub>& hub() const { return hub_; }
  const PipelineOptions& options() const { return options_; }
  const PipelineStats& stats() const { return stats_; }

  // The built-in admin: the caller when auth is off.
  static const Access& admin();

 private:
  void route(const Call& call, const RequestContext& ctx, ResultFn done);
  std::shared_ptr<AccessControl> access_control() const;

  PipelineOptions options_;
  std::shared_ptr<Backend> backend_;
  std::shared_ptr<SchemaSlot> schema_;
  std::shared_ptr<LiveHub> hub_;
  PlanCache plan_cache_;
  ResultCache result_cache_;
  PipelineStats stats_;
  mutable std::mutex access_mu_;
  std::shared_ptr<AccessControl> access_;  // null: auth off
  CursorSeal random_seal_ = CursorSeal::random();  // without the auth file's cursorKey
  CursorSeal seal_for(const Access& access) const;
};

// The answer to a successful read or write: {"data": RESULT}.
std::string data_body(std::string_view data_json);

}  // namespace dc
