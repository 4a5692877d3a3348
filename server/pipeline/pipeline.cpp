#include "server/pipeline/pipeline.hpp"
#include "server/pipeline/process_metrics.hpp"

#include <spdlog/spdlog.h>

#include <exception>

#include "protocol/json_read.hpp"
#include "protocol/parse_mutation.hpp"
#include "server/access/explain_redaction.hpp"
#include "server/planner/mutation_plan.hpp"
#include "server/planner/plan_json.hpp"
#include "server/pipeline/service_documents.hpp"
#include "server/planner/planner.hpp"
#include "server/schema/schema_json.hpp"

namespace dc {

void SchemaSlot::set(std::shared_ptr<const Schema> schema) {
  auto loaded = std::make_shared<LoadedSchema>();
  loaded->json = schema_to_json(*schema).dump();
  loaded->integrity = std::make_shared<const IntegrityRules>(*schema);
  loaded->schema = std::move(schema);
  std::lock_guard lock(mu_);
  loaded_ = std::move(loaded);
}

namespace {

// The table a write counts under in dc_table_documents_read_total.
std::string_view table_of(const MutationPlan& plan) {
  if (plan.steps.empty()) return "(several)";
  for (const auto& step : plan.steps)
    if (step.table != plan.steps.front().table) return "(several)";
  return plan.steps.front().table;
}

const Error kSchemaNotLoaded{ErrorCode::unavailable,
                             "the backend is not ready: the schema has not been loaded from the Convex deployment yet", std::nullopt};

std::string_view op_of(const Json& body) {
  if (!body.is_object()) return {};
  auto it = body.find("op");
  if (it == body.end() || !it->is_string()) return {};
  return it->get_ref<const std::string&>();
}

Answer json_answer(std::string body, uint64_t docs_read = 0) {
  Answer a;
  a.body = std::move(body);
  a.docs_read = docs_read;
  return a;
}

}  // namespace

std::string data_body(std::string_view data_json) {
  std::string body;
  body.reserve(data_json.size() + 10);
  body += "{\"data\":";
  body += data_json;
  body += "}";
  return body;
}

Pipeline::Pipeline(PipelineOptions options, std::shared_ptr<Backend> backend, std::shared_ptr<SchemaSlot> schema,
                   std::shared_ptr<LiveHub> hub)
    : options_(std::move(options)),
      backend_(std::move(backend)),
      schema_(std::move(schema)),
      hub_(std::move(hub)),
      plan_cache_(options_.plan_cache_entries),
      result_cache_(options_.result_cache_bytes) {}

// ---- auth -----------------------------------------------------------------

const Access& Pipeline::admin() {
  static const Access a = admin_access();
  return a;
}

void Pipeline::set_auth(std::shared_ptr<const AuthConfig> config) {
  auto fresh = config ? std::make_shared<AccessControl>(std::move(config)) : nullptr;
  uint64_t epoch = fresh ? fresh->epoch() : 0;
  {
    std::lock_guard lock(access_mu_);
    access_ = std::move(fresh);
  }
  // Plans made under the old rules are keyed by their epoch and never match
  // again; dropping them at once also frees their memory.
  plan_cache_.clear();
  result_cache_.clear();
  // Live subscriptions were planned under the old rules too: their sockets
  // close (1012) and clients reconnect under the new ones.
  if (hub_) hub_->rules_replaced(epoch);
}

std::shared_ptr<AccessControl> Pipeline::access_control() const {
  std::lock_guard lock(access_mu_);
  return access_;
}

Result<Access> Pipeline::authorize(std::string_view authorization) {
  auto control = access_control();
  if (!control) return admin();
  auto loaded = schema_->get();
  if (!loaded) return kSchemaNotLoaded;
  return control->admit_header(authorization, loaded->schema);
}

Result<Access> Pipeline::authorize_token(std::string_view token) {
  auto control = access_control();
  if (!control) return admin();
  auto loaded = schema_->get();
  if (!loaded) return kSchemaNotLoaded;
  return control->admit_token(token, loaded->schema);
}

Status Pipeline::take_rate(const Access& access) {
  auto control = access_control();
  return control ? control->take(access) : Status(Ok{});
}

// ---- planning -------------------------------------------------------------

Result<PlannedBody> Pipeline::plan_json(const Json& sent, Accept accept, const Access& access) {
  auto loaded = schema_->get();
  if (!loaded) return kSchemaNotLoaded;
  // A caller whose rules hide rows or columns pages with sealed cursors
  // (auth.md 5): opened here, for /v1/query, /v1/explain and live alike,
  // after the body was parsed (however its key is written). With
  // --explain-unredacted a plain cursor passes too (a harness that runs
  // explained plans gets plain ones back).
  Json opened;
  const Json* use = &sent;
  if (sent.is_object() && sent.contains("cursor") && sent["cursor"].is_string() && hides_rows_or_columns(access)) {
    auto plain = seal_for(access).open(sent["cursor"].get_ref<const std::string&>());
    if (plain) {
      opened = sent;
      opened["cursor"] = std::move(*plain);
      use = &opened;
    } else if (!options_.explain_unredacted) {
      return Error::query("invalid cursor: pass null or the continueCursor of the previous page of this query", "/cursor");
    }
  }
  const Json& body = *use;
  std::string_view op = op_of(body);
  if (accept == Accept::reads && is_mutation_op(op)) return Error::query("mutations go to /v1/mutate", "/op");
  if (accept == Accept::mutations && is_read_op(op)) return Error::query("reads go to /v1/query", "/op");
  PlannerOptions opts;
  opts.read_budget = options_.read_budget;
  opts.answer_rows = options_.answer_rows;
  opts.answer_bytes = options_.answer_bytes;
  opts.rules = access.rules.read;
  opts.write_rules = access.rules.write;
  if (accept == Accept::mutations || is_mutation_op(op)) {
    auto m = parse_mutation(body, *loaded->schema, options_.limits);
    if (!m) return std::move(m).error();
    auto plan = plan_mutation(*m, *loaded->schema, backend_->stats(), opts, loaded->integrity.get());
    if (!plan) return std::move(plan).error();
    return PlannedBody{nullptr, std::make_shared<const MutationPlan>(std::move(plan).value())};
  }
  auto query = parse_read_query(body, *loaded->schema, options_.limits);
  if (!query) return std::move(query).error();
  auto plan = plan_read(*query, *loaded->schema, backend_->stats(), opts);
  if (!plan) return std::move(plan).error();
  return PlannedBody{std::make_shared<const ReadPlan>(std::move(plan).value()), nullptr};
}

Result<PlannedBody> Pipeline::plan_text(std::string_view text, Accept accept, const Access& access) {
  // The cache is keyed by the body's bytes (after the caller's rules key:
  // callers with equal rules share plans) and the statistics' version: a hit
  // skips parsing and planning altogether.
  uint64_t version = backend_->stats().version();
  std::string keyed;
  std::string_view key = text;
  if (!access.plan_key.empty()) {
    keyed.reserve(access.plan_key.size() + 1 + text.size());
    keyed.append(access.plan_key).append(1, '\0').append(text);
    key = keyed;
  }
  if (accept != Accept::mutations) {
    if (auto cached = plan_cache_.find(key, version, access.rules_epoch)) return PlannedBody{cached, nullptr};
  }
  if (!schema_->get()) return kSchemaNotLoaded;
  auto body = parse_json_body(text, options_.limits);
  if (!body) return std::move(body).error();
  auto planned = plan_json(*body, accept, access);
  if (planned && planned->read) plan_cache_.insert(key, version, planned->read, access.rules_epoch);
  return planned;
}

// ---- endpoints ------------------------------------------------------------

CursorSeal Pipeline::seal_for(const Access& access) const {
  if (access.config && access.config->cursor_key) {
    std::array<unsigned char, CursorSeal::kKeyBytes> key{};
    std::copy(access.config->cursor_key->begin(), access.config->cursor_key->end(), key.begin());
    return CursorSeal(key);
  }
  return random_seal_;
}

namespace {

// Where the value of `key` starts in a JSON object's text, at its top level
// only (a row in the page may have a field of that name); npos when absent.
size_t top_level_value(std::string_view text, std::string_view key) {
  int depth = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '"') {
      size_t start = i + 1;
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\') ++i;
      }
      if (depth != 1) continue;
      size_t after = i + 1;
      while (after < text.size() && (text[after] == ' ' || text[after] == '\n' || text[after] == '\t' || text[after] == '\r')) ++after;
      if (after < text.size() && text[after] == ':' && text.substr(start, i - start) == key) {
        for (++after; after < text.size() && text[after] != '"' && text[after] != '{' && text[after] != '['; ++after) {
        }
        return after;
      }
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return std::string_view::npos;
}

// A paginate answer's continueCursor, sealed in place.
void seal_continue_cursor(std::string& data_json, const CursorSeal& seal) {
  size_t at = top_level_value(data_json, "continueCursor");
  if (at == std::string::npos || at >= data_json.size() || data_json[at] != '"') return;
  size_t start = at + 1;
  size_t end = data_json.find('"', start);  // base64: no escapes inside
  if (end == std::string::npos) return;
  data_json.replace(start, end - start, seal.seal(std::string_view(data_json).substr(start, end - start)));
}

}  // namespace

void Pipeline::query(std::string_view body, const Access& access, const RequestContext& ctx, ResultFn done) {
  // For a caller whose rules hide rows or columns: cursors are sealed (they
  // hold the last row's _id), and X-Docs-Read is not sent (it counts rows
  // the caller may not see: an index range on a visible column would tell them apart).
  bool hides = hides_rows_or_columns(access);
  // The result cache first: after auth and the rate limit (they ran in
  // route), before parsing. A hit read nothing now, and says so.
  std::optional<ResultCache::Key> kept;
  std::shared_ptr<const LoadedSchema> loaded;
  if (result_cache_.on() && (loaded = schema_->get())) {
    kept = ResultCache::Key{access.plan_key, body, access.rules_epoch, loaded.get()};
    if (auto answer = result_cache_.find(*kept)) {
      Answer a;
      a.shared_body = std::move(answer);
      a.show_docs_read = !hides;
      return done(std::move(a));
    }
  }
  auto planned = plan_text(body, Accept::reads, access);
  if (!planned) return done(std::move(planned).error());
  std::optional<CursorSeal> seal;
  if (hides && planned->read->op == ReadOp::paginate) seal = seal_for(access);
  // A page sealed for a caller whose rules hide rows is not kept: its
  // cursor is sealed afresh each time, so a kept one would tell a hit (the
  // same bytes) from a miss (new bytes), and a miss can mean a write to a
  // row the caller cannot see.
  bool keepable = !seal;
  auto finish = [this, hides, seal, keepable, plan = planned->read, done = std::move(done)](Result<ReadOutcome>& out) {
    if (!out) {
      done(std::move(out).error());
      return std::shared_ptr<const std::string>();
    }
    stats_.tables.add(plan->root.access.table, out->docs_read);
    if (seal) seal_continue_cursor(out->data_json, *seal);
    Answer a;
    a.docs_read = out->docs_read;
    a.show_docs_read = !hides;
    std::shared_ptr<const std::string> kept;
    if (keepable && out->fresh) {
      // Built once, shared by the answer and the cache (which may still decline it).
      kept = std::make_shared<const std::string>(data_body(out->data_json));
      a.shared_body = kept;
    } else {
      a.body = data_body(out->data_json);
    }
    done(std::move(a));
    return kept;
  };
  if (!kept) {
    return backend_->read(planned->read, ctx, [finish = std::move(finish)](Result<ReadOutcome> out) mutable { finish(out); });
  }
  // The key's views point into the request, which is gone once the answer
  // is sent: the key is copied, once, for the insert.
  auto key = std::make_shared<ResultCache::OwnedKey>(*kept);
  RequestContext keeping = ctx;
  keeping.keep_result = true;
  backend_->read(planned->read, keeping, [this, key, loaded, finish = std::move(finish)](Result<ReadOutcome> out) mutable {
    auto fresh = out ? out->fresh : nullptr;
    if (auto text = finish(out)) result_cache_.insert(std::move(*key), std::move(text), std::move(fresh), loaded);
  });
}

void Pipeline::mutate(std::string_view body, const Access& access, const RequestContext& ctx, ResultFn done) {
  auto planned = plan_text(body, Accept::mutations, access);
  if (!planned) return done(std::move(planned).error());
  bool show = !hides_rows_or_columns(access);
  write(planned->mutation, ctx, [this, show, plan = planned->mutation, done = std::move(done)](Result<WriteOutcome> out) {
    if (!out) return done(std::move(out).error());
    stats_.tables.add(table_of(*plan), out->docs_read);
    Answer a = json_answer(data_body(out->data_json), out->docs_read);
    a.show_docs_read = show;
    done(std::move(a));
  });
}

void Pipeline::write(std::shared_ptr<const MutationPlan> plan, const RequestContext& ctx,
                     std::function<void(Result<WriteOutcome>)> done) {
  backend_->write(std::move(plan), ctx, std::move(done));
}

Json Pipeline::explained(const PlannedBody& planned, const Access& access) const {
  Json plan = planned.read ? plan_to_json(*planned.read) : mutation_plan_to_json(*planned.mutation);
  if (!options_.explain_unredacted && hides_rows_or_columns(access)) {
    if (auto loaded = schema_->get()) redact_hidden_columns(plan, *access.rules.read, *loaded->schema);
  }
  return plan;
}

Result<Answer> Pipeline::explain(std::string_view body, const Access& access) {
  auto planned = plan_text(body, Accept::both, access);
  if (!planned) return std::move(planned).error();
  Json j{{"data", explained(*planned, access)}};
  return json_answer(j.dump());
}

namespace {
Error forbidden_analyze(const Access& access) {
  return Error{ErrorCode::forbidden,
               "analyze counts documents the rules of role '" + access.identity.role +
                   "' hide; explain without it shows the plan",
               "/analyze"};
}
}  // namespace

void Pipeline::explain_analyze(Json body, const Access& access, const RequestContext& ctx, ResultFn done) {
  const Json& flag = body["analyze"];
  if (!flag.is_boolean()) return done(Error::query("analyze takes true or false", "/analyze"));
  bool analyze = flag.get<bool>();
  body.erase("analyze");
  auto planned = plan_json(body, Accept::both, access);
  if (!planned) return done(std::move(planned).error());
  if (!analyze || !planned->read) {
    if (analyze) return done(Error::query("analyze runs reads only: explain a mutation without it", "/analyze"));
    Json j{{"data", explained(*planned, access)}};
    return done(json_answer(j.dump()));
  }
  if (hides_rows_or_columns(access)) {
    return done(forbidden_analyze(access));
  }
  auto plan = std::make_shared<ReadPlan>(*planned->read);
  plan->analyze = true;
  backend_->read(plan, ctx, [plan, done = std::move(done)](Result<ReadOutcome> out) {
    if (!out) return done(std::move(out).error());
    Json data = plan_to_json(*plan, &out->reads_by_access);
    data["docsRead"] = out->docs_read;
    done(json_answer(Json{{"data", std::move(data)}}.dump(), out->docs_read));
  });
}

Result<Answer> Pipeline::schema(const Access& access) const {
  auto loaded = schema_->get();
  if (!loaded) return kSchemaNotLoaded;
  auto control = access_control();
  if (!control || !access.rules.read) return json_answer(loaded->json);
  return json_answer(control->schema_json(access, loaded->schema, loaded->json));
}

Answer Pipeline::health() const {
  return json_answer(std::string(R"({"status":"ok","version":")") + kVersion + R"(","planVersion":)" + std::to_string(kPlanVersion) + "}");
}

Result<Answer> Pipeline::ready() const {
  if (!schema_->get() || !backend_->ready()) {
    std::string why = backend_->not_ready_reason();
    return Error{ErrorCode::unavailable, "the backend is not ready" + (why.empty() ? std::string() : ": " + why), std::nullopt};
  }
  return json_answer(R"({"status":"ready","backend":")" + std::string(backend_->name()) + "\"}");
}

Answer Pipeline::metrics() const {
  MetricsText out;
  const std::string plan_version = std::to_string(kPlanVersion);
  out.family("dc_build_info", "gauge", "The release and the plan version this server runs (always 1).",
             {{{{"version", kVersion}, {"plan_version", plan_version}}, 1}});
  out.counter("dc_http_requests_total", "HTTP requests handled.", stats_.requests.load());
  out.counter("dc_http_errors_total", "HTTP requests answered with a 4xx or 5xx.", stats_.errors.load());
  out.counter("dc_documents_read_total", "Documents read by the backend.", stats_.docs_read.load());
  out.counter("dc_plan_cache_hits_total", "Reads whose plan came from the plan cache.", plan_cache_.hits());
  out.counter("dc_plan_cache_misses_total", "Reads planned from scratch.", plan_cache_.misses());
  result_cache_.write_metrics(out);
  stats_.http.write(out);
  stats_.tables.write(out);
  if (hub_) hub_->write_metrics(out);
  backend_->write_metrics(out);
  write_process_metrics(out);
  Answer a;
  a.content_type = "text/plain; version=0.0.4";
  a.body = out.take();
  return a;
}

// ---- routing --------------------------------------------------------------

void Pipeline::handle(const Call& call, const RequestContext& ctx, AnswerFn done) {
  // Counted once, whichever thread answers; a second answer (a handler that
  // answered and then threw) is dropped.
  struct Once {
    AnswerFn done;
    Headers headers;
    std::atomic<bool> answered{false};
    PipelineStats* stats;
    size_t route;
    std::chrono::steady_clock::time_point started;
  };
  // X-Request-Id is the transport's to add to every reply: it has the id
  // before the pipeline runs, and replies the pipeline never sees.
  auto once = std::make_shared<Once>();
  once->done = std::move(done);
  once->stats = &stats_;
  once->route = HttpMetrics::route_of(call.path);
  once->started = ctx.started == std::chrono::steady_clock::time_point{} ? std::chrono::steady_clock::now() : ctx.started;
  auto finish = [](Once& o, Result<Answer> r) {
    if (o.answered.exchange(true)) return;
    o.stats->requests.fetch_add(1, std::memory_order_relaxed);
    if (r) o.stats->docs_read.fetch_add(r->docs_read, std::memory_order_relaxed);
    if (!r || r->status >= 400) o.stats->errors.fetch_add(1, std::memory_order_relaxed);
    if (!r) o.stats->http.refused(r.error());
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - o.started;
    o.stats->http.observe(o.route, r ? static_cast<int>(r->status) : http_status(r.error().code), took.count());
    o.done(std::move(r), std::move(o.headers));
  };
  ResultFn answer = [once, finish](Result<Answer> r) { finish(*once, std::move(r)); };
  // Browsers: origins and Host names first, before anything is parsed.
  Admission admission = admit(options_.front_door, call.host, call.origin);
  if (admission.refusal) return finish(*once, std::move(*admission.refusal));
  once->headers.insert(once->headers.end(), admission.headers.begin(), admission.headers.end());
  if (call.method == "OPTIONS" && call.origin) {
    Answer preflight;
    preflight.status = 204;
    preflight.content_type = {};
    preflight.headers = preflight_headers();
    return finish(*once, std::move(preflight));
  }
  try {
    route(call, ctx, std::move(answer));  // moved, not copied: a copy is an allocation per request
  } catch (const std::exception& e) {
    spdlog::error("request {} {} {} failed with an exception: {}", ctx.request_id, call.method, call.path, e.what());
    finish(*once, Error{ErrorCode::internal, "internal error", std::nullopt});
  } catch (...) {
    spdlog::error("request {} {} {} failed with an unknown exception", ctx.request_id, call.method, call.path);
    finish(*once, Error{ErrorCode::internal, "internal error", std::nullopt});
  }
}

void Pipeline::route(const Call& call, const RequestContext& ctx, ResultFn done) {
  const std::string_view path = call.path;
  auto wrong_method = [&](const char* allowed) {
    Error e{ErrorCode::method_not_allowed, std::string("use ") + allowed + " for " + std::string(path), std::nullopt};
    e.detail = allowed;
    done(std::move(e));
  };
  // The auth step, for the endpoints that read or write data; /healthz,
  // /readyz and /metrics need no credentials.
  auto admitted = [&]() -> std::optional<std::pair<Access, RequestContext>> {
    auto access = authorize(call.authorization);
    if (!access) {
      done(std::move(access).error());
      return std::nullopt;
    }
    if (call.role) *call.role = access->identity.role;
    RequestContext as = ctx;
    as.identity = access->identity;
    return std::make_pair(std::move(access).value(), std::move(as));
  };
  if (path == "/v1/query" || path == "/v1/explain" || path == "/v1/mutate") {
    if (call.method != "POST") return wrong_method("POST");
    if (call.content_type && !json_content_type(*call.content_type)) {
      return done(Error{ErrorCode::unsupported_media_type,
                        "the body must be JSON: send Content-Type: application/json (or none), not " + safe_text(*call.content_type, 100),
                        std::nullopt});
    }
    auto who = admitted();
    if (!who) return;
    const auto& [access, as] = *who;
    if (path == "/v1/query") return query(call.body, access, as, std::move(done));
    if (path == "/v1/mutate") return mutate(call.body, access, as, std::move(done));
    if (call.body.find("\"analyze\"") != std::string_view::npos) {
      // Only bodies that may hold the key are parsed here; the rest keep the plan cache.
      auto body = parse_json_body(call.body, options_.limits);
      if (!body) return done(std::move(body).error());
      if (body->is_object() && body->contains("analyze")) return explain_analyze(std::move(body).value(), access, as, std::move(done));
    }
    return done(explain(call.body, access));
  }
  if (path == "/v1/schema" || path == "/healthz" || path == "/readyz" || path == "/metrics") {
    if (call.method != "GET" && call.method != "HEAD") return wrong_method("GET");
    if (path == "/v1/schema") {
      auto who = admitted();
      if (!who) return;
      return done(schema(who->first));
    }
    if (path == "/healthz") return done(health());
    if (path == "/readyz") return done(ready());
    return done(metrics());
  }
  if (path == "/" || path == "/v1/openapi.json") {
    if (call.method != "GET" && call.method != "HEAD") return wrong_method("GET");
    return done(path == "/" ? home_answer() : openapi_answer());
  }
  if (path == "/v1/live") {
    // WebSocket upgrades never get here (net/ hands them to a live session).
    return done(Error{ErrorCode::upgrade_required, "/v1/live is a WebSocket endpoint (subprotocol graphql-transport-ws)", std::nullopt});
  }
  done(Error{ErrorCode::not_found, "no route " + std::string(path), std::nullopt});
}

}  // namespace dc
