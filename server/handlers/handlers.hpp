// Endpoint handlers: one function per route of protocol.md section 1. They
// turn a request into a Response; errors go through net/reply.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include <boost/beast/http.hpp>

#include "server/backend/backend.hpp"
#include "server/config.hpp"
#include "server/planner/plan_cache.hpp"
#include "server/net/reply.hpp"
#include "server/live/hub.hpp"
#include "server/schema/model.hpp"

namespace dc {

using Request = http::request<http::string_body>;

// The schema requests are planned against, with its /v1/schema body.
struct LoadedSchema {
  std::shared_ptr<const Schema> schema;
  std::string json;  // serialized once
};

// What the handlers share. Built once by the app; only the schema may arrive
// later (a Convex deployment's describe answering after start-up).
struct AppState {
  Config config;
  std::shared_ptr<Backend> backend;
  std::shared_ptr<LiveHub> live;  // /v1/live topics and connections
  PlanCache plan_cache;

  std::shared_ptr<const LoadedSchema> schema() const {
    std::lock_guard lock(schema_mu_);
    return schema_;
  }
  void set_schema(std::shared_ptr<const Schema> s);

  explicit AppState(const Config& c) : config(c), plan_cache(c.plan_cache_entries) {}
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<uint64_t> docs_read{0};

 private:
  // A mutex, not std::atomic<std::shared_ptr>: with GCC 12's, the ASan+UBSan build
  // reported corrupted neighbouring fields on the first request; with a mutex it does not.
  mutable std::mutex schema_mu_;
  std::shared_ptr<const LoadedSchema> schema_;
};

struct Reply {
  Response response;
  uint64_t docs_read = 0;
};
using ReplyFn = std::function<void(Reply)>;

// A request body, planned: exactly one of the two is set.
struct PlannedBody {
  std::shared_ptr<const ReadPlan> read;
  std::shared_ptr<const MutationPlan> mutation;
};
enum class Accept { reads, mutations, both };
// Parses and plans a query or mutation body (reads through the plan cache).
// A body of a kind `accept` excludes is refused, naming the right endpoint.
Result<PlannedBody> plan_request(AppState& app, std::string_view body, Accept accept);

void handle_query(AppState& app, const Request& req, const RequestContext& ctx, ReplyFn send);
void handle_explain(AppState& app, const Request& req, const RequestContext& ctx, ReplyFn send);
void handle_mutate(AppState& app, const Request& req, const RequestContext& ctx, ReplyFn send);
void handle_schema(AppState& app, ReplyFn send);
void handle_health(ReplyFn send);
void handle_ready(AppState& app, ReplyFn send);
void handle_metrics(AppState& app, ReplyFn send);

}  // namespace dc
