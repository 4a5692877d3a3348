#include "server/handlers/handlers.hpp"

#include "protocol/parse.hpp"
#include "server/backend/convex/convex_backend.hpp"
#include "protocol/parse_mutation.hpp"
#include "server/planner/mutation_plan.hpp"
#include "server/planner/plan_json.hpp"
#include "server/planner/planner.hpp"
#include "server/schema/schema_json.hpp"

namespace dc {

void AppState::set_schema(std::shared_ptr<const Schema> s) {
  auto loaded = std::make_shared<LoadedSchema>();
  loaded->json = schema_to_json(*s).dump();
  loaded->schema = std::move(s);
  std::lock_guard lock(schema_mu_);
  schema_ = std::move(loaded);
}

namespace {

const Error kSchemaNotLoaded{ErrorCode::unavailable,
                             "the backend is not ready: the schema has not been loaded from the Convex deployment yet", std::nullopt};

Result<std::shared_ptr<const MutationPlan>> plan_mutation_json(AppState& app, const Json& body) {
  auto loaded = app.schema();
  if (!loaded) return kSchemaNotLoaded;
  auto m = parse_mutation(body, *loaded->schema, app.config.limits);
  if (!m) return std::move(m).error();
  PlannerOptions opts;
  opts.read_budget = app.config.read_budget;
  auto plan = plan_mutation(*m, *loaded->schema, app.backend->stats(), opts);
  if (!plan) return std::move(plan).error();
  return std::make_shared<const MutationPlan>(std::move(plan).value());
}

std::string data_body(const std::string& data_json) {
  std::string body;
  body.reserve(data_json.size() + 10);
  body += "{\"data\":";
  body += data_json;
  body += "}";
  return body;
}

}  // namespace

Result<PlannedBody> plan_request(AppState& app, std::string_view text, Accept accept) {
  uint64_t version = app.backend->stats().version();
  if (accept != Accept::mutations) {
    if (auto cached = app.plan_cache.find(text, version)) return PlannedBody{cached, nullptr};
  }
  auto loaded = app.schema();
  if (!loaded) return kSchemaNotLoaded;
  auto body = parse_json_body(text, app.config.limits);
  if (!body) return std::move(body).error();
  std::string_view op;
  if (body->is_object()) {
    auto it = body->find("op");
    if (it != body->end() && it->is_string()) op = it->get_ref<const std::string&>();
  }
  if (accept == Accept::reads && is_mutation_op(op)) return Error::query("mutations go to /v1/mutate", "/op");
  if (accept == Accept::mutations && is_read_op(op)) return Error::query("reads go to /v1/query", "/op");
  if (accept == Accept::mutations || is_mutation_op(op)) {
    auto plan = plan_mutation_json(app, *body);
    if (!plan) return std::move(plan).error();
    return PlannedBody{nullptr, std::move(plan).value()};
  }
  auto query = parse_read_query(*body, *loaded->schema, app.config.limits);
  if (!query) return std::move(query).error();
  PlannerOptions opts;
  opts.read_budget = app.config.read_budget;
  auto plan = plan_read(*query, *loaded->schema, app.backend->stats(), opts);
  if (!plan) return std::move(plan).error();
  auto shared = std::make_shared<const ReadPlan>(std::move(plan).value());
  app.plan_cache.insert(text, version, shared);
  return PlannedBody{shared, nullptr};
}

void handle_query(AppState& app, const Request& req, const RequestContext& ctx, ReplyFn send) {
  auto planned = plan_request(app, req.body(), Accept::reads);
  if (!planned) return send(Reply{error_reply(planned.error())});
  app.backend->read(planned->read, ctx, [send = std::move(send)](Result<ReadOutcome> out) {
    if (!out) {
      send(Reply{error_reply(out.error())});
      return;
    }
    send(Reply{json_reply(http::status::ok, data_body(out->data_json)), out->docs_read});
  });
}

void handle_explain(AppState& app, const Request& req, const RequestContext&, ReplyFn send) {
  auto planned = plan_request(app, req.body(), Accept::both);
  if (!planned) return send(Reply{error_reply(planned.error())});
  Json j{{"data", planned->read ? plan_to_json(*planned->read) : mutation_plan_to_json(*planned->mutation)}};
  send(Reply{json_reply(http::status::ok, j.dump())});
}

void handle_mutate(AppState& app, const Request& req, const RequestContext& ctx, ReplyFn send) {
  auto planned = plan_request(app, req.body(), Accept::mutations);
  if (!planned) return send(Reply{error_reply(planned.error())});
  app.backend->write(planned->mutation, ctx, [send = std::move(send)](Result<WriteOutcome> out) {
    if (!out) {
      send(Reply{error_reply(out.error())});
      return;
    }
    send(Reply{json_reply(http::status::ok, data_body(out->data_json)), out->docs_read});
  });
}

void handle_schema(AppState& app, ReplyFn send) {
  auto loaded = app.schema();
  if (!loaded) return send(Reply{error_reply(kSchemaNotLoaded)});
  send(Reply{json_reply(http::status::ok, loaded->json)});
}

void handle_health(ReplyFn send) { send(Reply{json_reply(http::status::ok, R"({"status":"ok"})")}); }

void handle_ready(AppState& app, ReplyFn send) {
  bool ready = app.schema() && app.backend && app.backend->ready();
  if (ready) {
    send(Reply{json_reply(http::status::ok, R"({"status":"ready","backend":")" + std::string(app.backend->name()) + "\"}")});
  } else {
    send(Reply{error_reply(Error{ErrorCode::unavailable, "the backend is not ready", std::nullopt})});
  }
}

void handle_metrics(AppState& app, ReplyFn send) {
  std::string body;
  auto metric = [&](const char* name, const char* type, const char* help, uint64_t v) {
    body += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " + std::to_string(v) + "\n";
  };
  metric("dc_http_requests_total", "counter", "HTTP requests handled.", app.requests.load());
  metric("dc_http_errors_total", "counter", "HTTP requests answered with a 4xx or 5xx.", app.errors.load());
  metric("dc_documents_read_total", "counter", "Documents read by the backend.", app.docs_read.load());
  metric("dc_plan_cache_hits_total", "counter", "Reads whose plan came from the plan cache.", app.plan_cache.hits());
  metric("dc_plan_cache_misses_total", "counter", "Reads planned from scratch.", app.plan_cache.misses());
  if (app.live) {
    auto& live = app.live->stats();
    metric("dc_live_connections", "gauge", "Open /v1/live sockets.", app.live->connections());
    metric("dc_live_topics", "gauge", "Distinct live queries being evaluated (shared by equal subscriptions).", app.live->topics());
    metric("dc_live_subscriptions_total", "counter", "Live subscriptions started.", app.live->subscriptions_total());
    metric("dc_live_evaluations_total", "counter", "Live query results received from the backend.", live.evaluations.load());
    metric("dc_live_changes_total", "counter", "Live query results that changed and were pushed.", live.changes.load());
    metric("dc_live_messages_total", "counter", "Messages written to live sockets.", live.messages.load());
    metric("dc_live_collapses_total", "counter", "Live outbox overflows (queued patches replaced by one full result).", live.collapses.load());
    metric("dc_live_slow_closes_total", "counter", "Live sockets closed because the client stopped reading (4008).", live.slow_closes.load());
    auto convex = std::dynamic_pointer_cast<ConvexBackend>(app.backend);
    if (convex && convex->sync()) {
      metric("dc_convex_sync_connects_total", "counter", "Sync WebSockets opened to Convex (1 + reconnects).", convex->sync()->connects());
      metric("dc_convex_sync_resyncs_total", "counter", "Convex Transitions that did not continue the last one (then the query set is re-added).",
             convex->sync()->resyncs());
      metric("dc_convex_sync_connected", "gauge", "1 while the sync WebSocket to Convex is open.", convex->sync()->connected() ? 1 : 0);
    }
  }
  Response res{http::status::ok, 11};
  res.set(http::field::content_type, "text/plain; version=0.0.4");
  res.body() = std::move(body);
  send(Reply{std::move(res)});
}

}  // namespace dc
