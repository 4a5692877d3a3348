#include "server/backend/convex/convex_client.hpp"

#include <algorithm>
#include <cctype>
#include <random>

#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "protocol/json_read.hpp"
#include "server/backend/convex/acting_as.hpp"
#include "protocol/version.hpp"

namespace dc {

namespace {

const std::string kClientHeader = std::string("drizzle-convex-") + kVersion;

std::optional<ErrorCode> code_from_name(std::string_view name) {
  for (auto c : {ErrorCode::invalid_query, ErrorCode::invalid_value, ErrorCode::unauthenticated, ErrorCode::forbidden,
                 ErrorCode::not_found, ErrorCode::conflict, ErrorCode::too_large, ErrorCode::rate_limited,
                 ErrorCode::upstream_error}) {  // the adapter refusing a plan version it does not run
    if (code_name(c) == name) return c;
  }
  return std::nullopt;  // other upstream faults are ours to classify, not the adapter's
}

// Upstream text in our messages: bounded, and cut on a character boundary.
std::string short_text(const std::string& s) { return safe_text(s, 300); }

}  // namespace

Result<Json> interpret_function_outcome(const Json& body, const std::string& path) {
  const std::string status = string_field(body, "status");
  if (status == "success") return body.contains("value") ? body["value"] : Json(nullptr);
  if (status != "error") return Error{ErrorCode::upstream_error, "Convex answered " + path + " without a status", std::nullopt};
  const Json& data = body.contains("errorData") ? body["errorData"] : Json();
  if (data.is_object() && data.value("code", Json()).is_string()) {
    if (auto code = code_from_name(data["code"].get<std::string>())) {
      std::optional<std::string> p;
      if (data.value("path", Json()).is_string()) p = data["path"].get<std::string>();
      return Error{*code, safe_text(string_field(data, "message", "the adapter refused the plan"), 2000), p};
    }
  }
  return Error{ErrorCode::upstream_error, "Convex function " + path + " failed: " + short_text(string_field(body, "errorMessage", "(no message)")),
               std::nullopt};
}

namespace {

bool retryable_status(unsigned s) { return s == 429 || s >= 500; }

Error status_error(unsigned status, const std::string& body, const std::string& path) {
  std::string detail;
  auto j = read_json(body, JsonLimits{kUpstreamJsonDepth});
  if (j && j->is_object() && j->value("code", Json()).is_string() && j->value("message", Json()).is_string()) {
    detail = short_text((*j)["code"].get<std::string>() + ": " + (*j)["message"].get<std::string>());
  } else {
    detail = short_text(body);
  }
  std::string msg = "Convex answered " + std::to_string(status) + " to " + path + " (" + detail + ")";
  if (status == 429) return Error{ErrorCode::rate_limited, msg, std::nullopt};
  if (status == 503) return Error{ErrorCode::unavailable, msg, std::nullopt};
  if (status == 504) return Error{ErrorCode::upstream_timeout, msg, std::nullopt};
  return Error{ErrorCode::upstream_error, msg, std::nullopt};
}

}  // namespace

Result<Json> interpret_convex_response(unsigned status, const std::string& body, const std::string& path) {
  if (status == 200 || status == 560) {  // 560: "function failed" from older Convex edges; same body
    auto parsed = read_json(body, JsonLimits{kUpstreamJsonDepth}, "Convex's answer", ErrorCode::upstream_error);
    if (!parsed) return Error{ErrorCode::upstream_error, "Convex answered " + path + " with a body that cannot be read: " + parsed.error().message, std::nullopt};
    if (!parsed->is_object()) return Error{ErrorCode::upstream_error, "Convex answered " + path + " with a body that is not an object", std::nullopt};
    return interpret_function_outcome(*parsed, path);
  }
  return status_error(status, body, path);
}

struct ConvexClient::Attempt {
  FunctionKind kind;
  std::string path;
  std::string body;
  CallOptions options;
  std::function<void(Result<Json>)> done;
  int number = 0;
  std::unique_ptr<boost::asio::steady_timer> timer;
};

ConvexClient::ConvexClient(boost::asio::any_io_executor ex, Upstream upstream, std::string deploy_key, size_t connections,
                           const std::string& ca_file)
    : ex_(ex),
      pool_(std::make_shared<HttpPool>(ex, std::move(upstream), connections, ca_file)),
      deploy_key_(std::move(deploy_key)),
      durations_(std::make_shared<HistogramFamily>(std::vector<std::string>{"function", "outcome"})) {
  headers_ = {{"Authorization", "Convex " + deploy_key_}, {"Convex-Client", kClientHeader}};
}

void ConvexClient::write_metrics(MetricsText& out) const {
  durations_->write(out, "dc_convex_call_duration_seconds",
                    "Convex function calls, retries included, by the adapter function and the outcome (ok or the error code).");
}

namespace {
// A label from a bounded set: the adapter's functions by name, anything else "other".
std::string function_label(const std::string& path) {
  auto colon = path.rfind(':');
  std::string fn = colon == std::string::npos ? path : path.substr(colon + 1);
  for (const char* known : {"execute", "mutate", "describe"})
    if (fn == known) return fn;
  return "other";
}
std::string outcome_label(const Result<Json>& r) {
  if (r) return "ok";
  std::string name(code_name(r.error().code));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}
}  // namespace

void ConvexClient::call(FunctionKind kind, std::string path, Json args, CallOptions options,
                        std::function<void(Result<Json>)> done) {
  auto a = std::make_shared<Attempt>();
  a->kind = kind;
  a->path = std::move(path);
  a->body = Json{{"path", a->path}, {"args", std::move(args)}, {"format", "convex_encoded_json"}}.dump();
  a->options = options;
  a->done = [durations = durations_, fn = function_label(a->path), started = Clock::now(),
             done = std::move(done)](Result<Json> r) {
    durations->observe({fn, outcome_label(r)}, std::chrono::duration<double>(Clock::now() - started).count());
    done(std::move(r));
  };
  attempt(std::move(a));
}

namespace {
bool cancelled(const CallOptions& o, FunctionKind kind) {
  return kind == FunctionKind::query && o.cancelled && o.cancelled->load(std::memory_order_relaxed);
}
const char* const kCancelled = "the read was cancelled: its client closed the connection";
}  // namespace

void ConvexClient::attempt(std::shared_ptr<Attempt> a) {
  if (cancelled(a->options, a->kind)) return a->done(Error{ErrorCode::unavailable, kCancelled, std::nullopt});
  ++a->number;
  const char* target = a->kind == FunctionKind::query ? "/api/query" : "/api/mutation";
  HttpPool::Headers acting;
  if (a->options.identity) acting = {{"Authorization", acting_as_authorization(deploy_key_, *a->options.identity)}, {"Convex-Client", kClientHeader}};
  pool_->post(target, a->body, a->options.identity ? acting : headers_, a->options.deadline, [this, a](HttpOutcome out) {
    std::optional<Error> failure;
    bool may_retry = false;
    if (auto* r = std::get_if<HttpResponse>(&out)) {
      auto result = interpret_convex_response(r->status, r->body, a->path);
      if (result || !retryable_status(r->status)) return a->done(std::move(result));
      failure = std::move(result).error();
      // A 5xx may come after the mutation committed: never repeat one blindly.
      may_retry = a->kind == FunctionKind::query;
    } else {
      const auto& t = std::get<TransportError>(out);
      ErrorCode code = t.kind == TransportError::Kind::timeout                                          ? ErrorCode::upstream_timeout
                       : t.kind == TransportError::Kind::connect || t.kind == TransportError::Kind::overloaded ? ErrorCode::unavailable
                                                                                                                : ErrorCode::upstream_error;
      std::string what = t.kind == TransportError::Kind::timeout ? "Convex did not answer " + a->path + " in time: "
                                                                 : "Convex call " + a->path + " failed: ";
      failure = Error{code, what + t.message, std::nullopt};
      may_retry = a->kind == FunctionKind::query || !t.maybe_sent;
      if (t.kind == TransportError::Kind::timeout) may_retry = false;     // the deadline is spent
      if (t.kind == TransportError::Kind::overloaded) may_retry = false;  // retrying would only add to the queue
    }
    // A mutation that may have reached Convex is not repeated, and its caller
    // must know that it may have committed all the same.
    if (a->kind != FunctionKind::query && !may_retry) {
      bool unknown = std::holds_alternative<HttpResponse>(out) || std::get<TransportError>(out).maybe_sent;
      if (unknown) failure->message += "; the mutation may have been applied: read before repeating it";
    }
    auto now = Clock::now();
    if (!may_retry || a->number >= a->options.max_attempts || now >= a->options.deadline || cancelled(a->options, a->kind)) {
      return a->done(*failure);
    }
    // Jittered exponential steps: half to all of 50 ms, 100 ms, 200 ms ... capped at 1 s.
    thread_local std::mt19937 rng{std::random_device{}()};
    auto cap = std::min<int64_t>(1000, 50LL << std::min(a->number - 1, 5));
    auto wait = std::chrono::milliseconds(std::uniform_int_distribution<int64_t>(cap / 2, cap)(rng));
    if (now + wait >= a->options.deadline) return a->done(*failure);
    if (auto more = retry_log_.admit(a->path)) {
      spdlog::warn("Convex call {} attempt {} failed ({}); retrying in {} ms{}", a->path, a->number, failure->message, wait.count(), *more);
    }
    a->timer = std::make_unique<boost::asio::steady_timer>(ex_, wait);
    a->timer->async_wait([this, a](const boost::system::error_code&) { attempt(a); });
  });
}

}  // namespace dc
