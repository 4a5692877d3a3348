#include "server/backend/convex/convex_backend.hpp"

#include <algorithm>

#include "protocol/json_read.hpp"
#include "server/backend/convex/acting_as.hpp"
#include "server/planner/plan_json.hpp"

namespace dc {

ConvexBackend::ConvexBackend(std::shared_ptr<ConvexClient> client, std::shared_ptr<SyncClient> sync, ConvexBackendOptions options)
    : client_(std::move(client)), sync_(std::move(sync)), options_(std::move(options)) {}

namespace {

// The adapter's answer {data, docsRead} as a ReadOutcome; for a watch, with
// the data tree already parsed from Convex's message.
Result<ReadOutcome> adapter_outcome(const Json& v, bool with_tree = false) {
  if (!v.is_object() || !v.contains("data") || !v.value("docsRead", Json()).is_number_unsigned()) {
    return Error{ErrorCode::upstream_error, "the adapter answered in an unexpected shape (is it the same version as the proxy?)",
                 std::nullopt};
  }
  ReadOutcome out;
  try {
    out.data_json = v["data"].dump();
  } catch (const Json::exception& e) {
    return Error{ErrorCode::upstream_error, std::string("the adapter's answer cannot be encoded: ") + e.what(), std::nullopt};
  }
  out.docs_read = v["docsRead"].get<uint64_t>();
  // Reads per access id (explain's "analyze"); optional, and only taken whole and well formed.
  if (auto it = v.find("readsByAccess"); it != v.end() && it->is_array() && it->size() <= 65536 &&
                                         std::all_of(it->begin(), it->end(), [](const Json& n) { return n.is_number_unsigned(); })) {
    for (const auto& n : *it) out.reads_by_access.push_back(n.get<uint64_t>());
  }
  if (auto it = v.find("valueCounts"); it != v.end()) out.value_counts = value_counts_from_json(*it);
  if (with_tree) out.tree = std::make_shared<const Json>(v["data"]);
  return out;
}

class ConvexWatch final : public Watch {
 public:
  ConvexWatch(std::shared_ptr<SyncClient> sync, uint32_t id) : sync_(std::move(sync)), id_(id) {}
  ~ConvexWatch() override { sync_->remove(id_); }

 private:
  std::shared_ptr<SyncClient> sync_;
  uint32_t id_;
};

}  // namespace

void ConvexBackend::run(FunctionKind kind, const char* function, std::string plan_json, const RequestContext& ctx,
                        std::function<void(Result<ReadOutcome>)> done) {
  // The plan travels as JSON text: its keys ("$unset") are not valid Convex field names.
  Json args{{"plan", std::move(plan_json)}};
  CallOptions call;
  // The request's deadline (--request-timeout) reaches the call too: whichever comes first.
  call.deadline = std::min(Clock::now() + options_.timeout, ctx.deadline);
  call.cancelled = ctx.cancelled;
  // A verified caller: the call acts as them, so Convex's logs and ctx.auth see
  // the user (auth.md section 4). Without a `sub` Convex has no identity to use.
  if (ctx.identity.claims_json) {
    auto claims = Json::parse(*ctx.identity.claims_json, nullptr, false);
    if (!claims.is_discarded()) call.identity = convex_identity(claims, "drizzle-convex");
  }
  client_->call(kind, options_.module + ":" + function, std::move(args), call, [done = std::move(done)](Result<Json> r) {
    if (!r) return done(std::move(r).error());
    done(adapter_outcome(*r));
  });
}

void ConvexBackend::read(std::shared_ptr<const ReadPlan> plan, const RequestContext& ctx,
                         std::function<void(Result<ReadOutcome>)> done) {
  Json j = plan_to_json(*plan);
  bool learn = ObservedStats::worth_reporting(*plan);
  if (learn) j["reportReads"] = true;  // the adapter then adds its reads per access
  run(FunctionKind::query, "execute", j.dump(), ctx,
      [stats = stats_, plan, learn, done = std::move(done)](Result<ReadOutcome> out) {
        // The adapter's list ends at the last access that read anything.
        if (out && (learn || plan->analyze) && !out->reads_by_access.empty() && out->reads_by_access.size() <= plan->accesses) {
          stats->learn(*plan, out->reads_by_access, out->value_counts);
        }
        done(std::move(out));
      });
}

void ConvexBackend::write(std::shared_ptr<const MutationPlan> plan, const RequestContext& ctx,
                          std::function<void(Result<WriteOutcome>)> done) {
  // The request id goes with writes, so a mutation in Convex's logs can be
  // matched to the proxy's access line (the adapter logs it). Never with
  // reads: as part of a query's arguments it would make every read a
  // distinct query and defeat Convex's query cache.
  Json j = mutation_plan_to_json(*plan);
  if (!ctx.request_id.empty()) j["requestId"] = ctx.request_id;
  run(FunctionKind::mutation, "mutate", j.dump(), ctx, std::move(done));
}

// A Convex subscription to execute(plan): Convex re-runs it whenever what it
// read changes and sends the new value; a lost socket is re-established by
// the sync client, which re-adds the query.
std::unique_ptr<Watch> ConvexBackend::watch(std::shared_ptr<const ReadPlan> plan, const RequestContext&, WatchFn on_result) {
  Json args{{"plan", plan_to_json(*plan).dump()}};
  uint32_t id = sync_->add(options_.module + ":execute", std::move(args), [on_result = std::move(on_result)](Result<Json> v) {
    if (!v) return on_result(std::move(v).error());
    on_result(adapter_outcome(*v, true));
  });
  return std::make_unique<ConvexWatch>(sync_, id);
}

void ConvexBackend::write_metrics(MetricsText& out) const {
  client_->write_metrics(out);
  if (!sync_) return;
  out.counter("dc_convex_sync_connects_total", "Sync WebSockets opened to Convex (1 + reconnects).", sync_->connects());
  out.counter("dc_convex_sync_resyncs_total", "Convex Transitions that did not continue the last one (then the query set is re-added).",
              sync_->resyncs());
  out.gauge("dc_convex_sync_connected", "1 while the sync WebSocket to Convex is open.", sync_->connected() ? 1 : 0);
}

void ConvexBackend::describe(std::function<void(Result<Json>)> done) {
  CallOptions call;
  call.deadline = Clock::now() + options_.timeout;
  client_->call(FunctionKind::query, options_.module + ":describe", Json::object(), call, [done = std::move(done)](Result<Json> r) {
    if (!r) return done(std::move(r).error());
    if (!r->is_string()) return done(Error{ErrorCode::upstream_error, "describe did not return the schema as JSON text", std::nullopt});
    auto schema = read_json(r->get_ref<const std::string&>(), JsonLimits{kUpstreamJsonDepth}, "describe's schema", ErrorCode::upstream_error);
    if (!schema) return done(Error{ErrorCode::upstream_error, "describe returned a schema that cannot be read: " + schema.error().message, std::nullopt});
    if (auto st = take_adapter_plan_version(*schema); !st) return done(std::move(st).error());
    done(std::move(schema).value());
  });
}

Status take_adapter_plan_version(Json& described) {
  std::string have = "none (an adapter from before plan versions were checked)";
  bool match = false;
  if (described.is_object() && described.contains("planVersion")) {
    const Json& v = described["planVersion"];
    if (v.is_number_integer()) {
      have = std::to_string(v.get<int64_t>());
      match = v.get<int64_t>() == kPlanVersion;
    } else {
      have = "a " + std::string(v.type_name());
    }
    described.erase("planVersion");
  }
  if (match) return Ok{};
  return Error{ErrorCode::upstream_error,
               "the deployed adapter runs plan version " + have + "; this proxy sends version " + std::to_string(kPlanVersion) +
                   ": deploy the adapter (adapter/) from the proxy's own release, then the proxy gets ready by itself",
               std::nullopt};
}

}  // namespace dc
