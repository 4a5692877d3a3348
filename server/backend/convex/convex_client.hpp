// Convex's public HTTP API (convex-wire.md section 1) for the proxy: one
// function call per request, with the deploy key, an explicit format, a
// deadline covering retries, and retries with jittered backoff only where
// repeating is safe (queries; a mutation only when it never left).
#pragma once

#include <functional>
#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "protocol/error.hpp"
#include "protocol/value_json.hpp"
#include "server/backend/convex/http_pool.hpp"
#include "server/common/histogram_family.hpp"
#include "server/common/log_limiter.hpp"

namespace dc {

enum class FunctionKind { query, mutation };

// How deep an answer from Convex may nest: results nest documents (at most
// 16 deep) inside relation levels; anything deeper is refused unread.
constexpr size_t kUpstreamJsonDepth = 256;

struct CallOptions {
  Clock::time_point deadline;
  // Set when the request's client went away: a query is not tried again
  // (nor sent, if it has not been yet). Mutations never look at it: one
  // that was asked for is sent.
  std::shared_ptr<std::atomic<bool>> cancelled;
  int max_attempts = 4;
  // The caller's UserIdentityAttributes: the call acts as that user
  // (acting_as.hpp); nullopt: as the deploy key's admin.
  std::optional<Json> identity;
};

class ConvexClient {
 public:
  ConvexClient(boost::asio::any_io_executor ex, Upstream upstream, std::string deploy_key, size_t connections,
               const std::string& ca_file = "");

  // Runs `path` ("module:function") with `args`; the function's return value
  // (Convex's encoded JSON) or an Error with a protocol code. `done` runs once.
  void call(FunctionKind kind, std::string path, Json args, CallOptions options, std::function<void(Result<Json>)> done);

  void close_idle() { pool_->close_idle(); }
  // dc_convex_call_duration_seconds{function, outcome}: each call with its retries, start to answer.
  void write_metrics(MetricsText& out) const;
  const Upstream& upstream() const { return pool_->upstream(); }

 private:
  struct Attempt;
  void attempt(std::shared_ptr<Attempt> a);

  boost::asio::any_io_executor ex_;
  std::shared_ptr<HttpPool> pool_;
  HttpPool::Headers headers_;
  std::string deploy_key_;  // never logged
  std::shared_ptr<HistogramFamily> durations_;
  LogLimiter retry_log_;  // a retry line per function per 10 s
};

// The function ran: its value, or its failure (`body` is {status, value,
// errorMessage, errorData}). A ConvexError thrown by the adapter carries
// {code, message, path}; anything else is an upstream fault.
Result<Json> interpret_function_outcome(const Json& body, const std::string& path);

// Interprets one HTTP answer of /api/query or /api/mutation. Exposed for tests.
Result<Json> interpret_convex_response(unsigned status, const std::string& body, const std::string& path);

}  // namespace dc
