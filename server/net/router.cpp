#include "server/net/router.hpp"

namespace dc {

void route(AppState& app, const Request& req, const RequestContext& ctx, ReplyFn send) {
  std::string_view target(req.target().data(), req.target().size());
  std::string_view path = target.substr(0, target.find('?'));
  auto method = req.method();
  auto wrong_method = [&](const char* allowed) {
    Response res = error_reply(Error::query(std::string("use ") + allowed + " for " + std::string(path), ""));
    res.result(http::status::method_not_allowed);
    res.set(http::field::allow, allowed);
    send(Reply{std::move(res)});
  };
  if (path == "/v1/query" || path == "/v1/explain" || path == "/v1/mutate") {
    if (method != http::verb::post) return wrong_method("POST");
    if (path == "/v1/query") return handle_query(app, req, ctx, std::move(send));
    if (path == "/v1/explain") return handle_explain(app, req, ctx, std::move(send));
    return handle_mutate(app, req, ctx, std::move(send));
  }
  if (path == "/v1/schema" || path == "/healthz" || path == "/readyz" || path == "/metrics") {
    if (method != http::verb::get && method != http::verb::head) return wrong_method("GET");
    if (path == "/v1/schema") return handle_schema(app, std::move(send));
    if (path == "/healthz") return handle_health(std::move(send));
    if (path == "/readyz") return handle_ready(app, std::move(send));
    return handle_metrics(app, std::move(send));
  }
  if (path == "/v1/live") {
    // Upgrade requests never get here (net/http_session hands them to a LiveSession).
    Response res = error_reply(Error::query("/v1/live is a WebSocket endpoint (subprotocol graphql-transport-ws)", ""));
    res.result(http::status::upgrade_required);
    res.set(http::field::upgrade, "websocket");
    send(Reply{std::move(res)});
    return;
  }
  send(Reply{error_reply(Error{ErrorCode::not_found, "no route " + std::string(path), std::nullopt})});
}

}  // namespace dc
