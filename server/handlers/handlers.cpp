#include "server/handlers/handlers.hpp"

#include "protocol/parse.hpp"
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

// The schema to plan against; until it is loaded (Convex's describe has not
// answered yet) replies 503 and returns nullptr.
std::shared_ptr<const LoadedSchema> schema_or_reply(const AppState& app, const ReplyFn& send) {
  auto loaded = app.schema();
  if (!loaded) {
    send(Reply{error_reply(Error{ErrorCode::unavailable,
                                 "the backend is not ready: the schema has not been loaded from the Convex deployment yet",
                                 std::nullopt})});
  }
  return loaded;
}

// Parses and plans a read body; on failure replies and returns nullptr. A
// mutation body is handed back parsed in `mutation` (and nothing is sent).
std::shared_ptr<const ReadPlan> plan_body(AppState& app, const Request& req, const ReplyFn& send,
                                          std::optional<Json>* mutation) {
  uint64_t version = app.backend->stats().version();
  if (auto cached = app.plan_cache.find(req.body(), version)) return cached;
  auto loaded = schema_or_reply(app, send);
  if (!loaded) return nullptr;
  const Schema& schema = *loaded->schema;
  auto body = parse_json_body(req.body(), app.config.limits);
  if (!body) {
    send(Reply{error_reply(body.error())});
    return nullptr;
  }
  if (body->is_object()) {
    auto op = body->find("op");
    if (op != body->end() && op->is_string() && is_mutation_op(op->get_ref<const std::string&>())) {
      *mutation = std::move(body).value();
      return nullptr;
    }
  }
  auto query = parse_read_query(*body, schema, app.config.limits);
  if (!query) {
    send(Reply{error_reply(query.error())});
    return nullptr;
  }
  PlannerOptions opts;
  opts.read_budget = app.config.read_budget;
  auto plan = plan_read(*query, schema, app.backend->stats(), opts);
  if (!plan) {
    send(Reply{error_reply(plan.error())});
    return nullptr;
  }
  auto shared = std::make_shared<const ReadPlan>(std::move(plan).value());
  app.plan_cache.insert(req.body(), version, shared);
  return shared;
}

// Parses and plans a mutation body; on failure replies and returns nullptr.
std::shared_ptr<const MutationPlan> plan_mutation_body(AppState& app, const Json& body, const ReplyFn& send) {
  auto loaded = schema_or_reply(app, send);
  if (!loaded) return nullptr;
  auto m = parse_mutation(body, *loaded->schema, app.config.limits);
  if (!m) {
    send(Reply{error_reply(m.error())});
    return nullptr;
  }
  PlannerOptions opts;
  opts.read_budget = app.config.read_budget;
  auto plan = plan_mutation(*m, *loaded->schema, app.backend->stats(), opts);
  if (!plan) {
    send(Reply{error_reply(plan.error())});
    return nullptr;
  }
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

void handle_query(AppState& app, const Request& req, const RequestContext& ctx, ReplyFn send) {
  std::optional<Json> mutation;
  auto plan = plan_body(app, req, send, &mutation);
  if (mutation) {
    send(Reply{error_reply(Error::query("mutations go to /v1/mutate", "/op"))});
    return;
  }
  if (!plan) return;
  app.backend->read(plan, ctx, [send = std::move(send)](Result<ReadOutcome> out) {
    if (!out) {
      send(Reply{error_reply(out.error())});
      return;
    }
    send(Reply{json_reply(http::status::ok, data_body(out->data_json)), out->docs_read});
  });
}

void handle_explain(AppState& app, const Request& req, const RequestContext&, ReplyFn send) {
  std::optional<Json> mutation;
  auto plan = plan_body(app, req, send, &mutation);
  if (mutation) {
    auto mplan = plan_mutation_body(app, *mutation, send);
    if (!mplan) return;
    send(Reply{json_reply(http::status::ok, Json{{"data", mutation_plan_to_json(*mplan)}}.dump())});
    return;
  }
  if (!plan) return;
  Json j{{"data", plan_to_json(*plan)}};
  send(Reply{json_reply(http::status::ok, j.dump())});
}

void handle_mutate(AppState& app, const Request& req, const RequestContext& ctx, ReplyFn send) {
  auto body = parse_json_body(req.body(), app.config.limits);
  if (!body) {
    send(Reply{error_reply(body.error())});
    return;
  }
  if (body->is_object()) {
    auto op = body->find("op");
    if (op != body->end() && op->is_string() && is_read_op(op->get_ref<const std::string&>())) {
      send(Reply{error_reply(Error::query("reads go to /v1/query", "/op"))});
      return;
    }
  }
  auto plan = plan_mutation_body(app, *body, send);
  if (!plan) return;
  app.backend->write(plan, ctx, [send = std::move(send)](Result<WriteOutcome> out) {
    if (!out) {
      send(Reply{error_reply(out.error())});
      return;
    }
    send(Reply{json_reply(http::status::ok, data_body(out->data_json)), out->docs_read});
  });
}

void handle_schema(AppState& app, ReplyFn send) {
  auto loaded = schema_or_reply(app, send);
  if (!loaded) return;
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
  body += "# HELP dc_http_requests_total HTTP requests handled.\n# TYPE dc_http_requests_total counter\n";
  body += "dc_http_requests_total " + std::to_string(app.requests.load()) + "\n";
  body += "# HELP dc_http_errors_total HTTP requests answered with a 4xx or 5xx.\n# TYPE dc_http_errors_total counter\n";
  body += "dc_http_errors_total " + std::to_string(app.errors.load()) + "\n";
  body += "# HELP dc_documents_read_total Documents read by the backend.\n# TYPE dc_documents_read_total counter\n";
  body += "dc_documents_read_total " + std::to_string(app.docs_read.load()) + "\n";
  body += "# HELP dc_plan_cache_hits_total Reads whose plan came from the plan cache.\n# TYPE dc_plan_cache_hits_total counter\n";
  body += "dc_plan_cache_hits_total " + std::to_string(app.plan_cache.hits()) + "\n";
  body += "# HELP dc_plan_cache_misses_total Reads planned from scratch.\n# TYPE dc_plan_cache_misses_total counter\n";
  body += "dc_plan_cache_misses_total " + std::to_string(app.plan_cache.misses()) + "\n";
  Response res{http::status::ok, 11};
  res.set(http::field::content_type, "text/plain; version=0.0.4");
  res.body() = std::move(body);
  send(Reply{std::move(res)});
}

}  // namespace dc
