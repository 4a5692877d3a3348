#include <doctest/doctest.h>

#include "server/pipeline/pipeline.hpp"
#include "server/planner/plan_json.hpp"
#include "tests/fakes/fake_backend.hpp"

using namespace dc;
using dc::testing::FakeBackend;

namespace {

// The pipeline over the fake backend and the blog schema; calls answer inline.
struct Fixture {
  std::shared_ptr<FakeBackend> backend = std::make_shared<FakeBackend>();
  std::shared_ptr<SchemaSlot> schema = std::make_shared<SchemaSlot>();
  std::shared_ptr<LiveHub> hub = std::make_shared<LiveHub>(backend);
  std::shared_ptr<Pipeline> pipeline;

  explicit Fixture(bool with_schema = true, PipelineOptions options = {}) {
    if (with_schema) schema->set(std::make_shared<const Schema>(dc::testing::blog_schema()));
    pipeline = std::make_shared<Pipeline>(options, backend, schema, hub);
  }

  Result<Answer> call(std::string_view method, std::string_view path, std::string_view body = "") {
    return call_with(Call{method, path, body, {}, "127.0.0.1:8787", std::nullopt}).first;
  }
  std::pair<Result<Answer>, Headers> call_with(const Call& c, const RequestContext& ctx = {}) {
    std::optional<Result<Answer>> got;
    Headers headers;
    int answers = 0;
    pipeline->handle(c, ctx, [&](Result<Answer> r, Headers h) {
      ++answers;
      got.emplace(std::move(r));
      headers = std::move(h);
    });
    REQUIRE(answers == 1);
    return {std::move(*got), std::move(headers)};
  }
};

const char* kUsersQuery = R"({"table":"users","op":"findMany","where":{"role":"admin"},"limit":2})";

}  // namespace

TEST_CASE("pipeline: /v1/query plans once, makes one backend read and wraps its result in data") {
  Fixture f;
  f.backend->script.push_back(FakeBackend::answer(R"([{"_id":"u1"}])", 3));
  auto r = f.call("POST", "/v1/query", kUsersQuery);
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  CHECK(r->content_type == "application/json; charset=utf-8");
  CHECK(Json::parse(r->body) == Json::parse(R"({"data":[{"_id":"u1"}]})"));
  CHECK(r->docs_read == 3);
  REQUIRE(f.backend->reads.size() == 1);
  CHECK(f.backend->reads[0]->root.access.table == "users");
  CHECK(f.backend->writes.empty());
}

TEST_CASE("pipeline: /v1/query refuses a mutation body, naming /op, and calls nothing") {
  Fixture f;
  auto r = f.call("POST", "/v1/query", R"({"op":"delete","table":"users","where":{}})");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::invalid_query);
  CHECK(r.error().path == "/op");
  CHECK(f.backend->reads.empty());
  CHECK(f.backend->writes.empty());
}

TEST_CASE("pipeline: a bad query is a 400 with its JSON Pointer and reaches no backend") {
  Fixture f;
  auto r = f.call("POST", "/v1/query", R"({"table":"users","op":"findMany","where":{"nope":1}})");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::invalid_query);
  CHECK(r.error().path == "/where/nope");
  CHECK(f.backend->reads.empty());
}

TEST_CASE("pipeline: /v1/mutate makes one backend write; a read body is refused") {
  Fixture f;
  f.backend->script.push_back(FakeBackend::answer(R"({"rowsAffected":1})", 1));
  auto r = f.call("POST", "/v1/mutate", R"({"op":"update","table":"users","set":{"credits":1},"where":{"role":"admin"}})");
  REQUIRE(r.ok());
  CHECK(Json::parse(r->body)["data"]["rowsAffected"] == 1);
  CHECK(f.backend->writes.size() == 1);
  auto read = f.call("POST", "/v1/mutate", kUsersQuery);
  REQUIRE_FALSE(read.ok());
  CHECK(read.error().path == "/op");
  CHECK(f.backend->writes.size() == 1);
}

TEST_CASE("pipeline: /v1/explain plans reads and mutations and runs nothing") {
  Fixture f;
  auto read = f.call("POST", "/v1/explain", kUsersQuery);
  REQUIRE(read.ok());
  CHECK(Json::parse(read->body)["data"]["kind"] == "read");
  auto write = f.call("POST", "/v1/explain", R"({"op":"delete","table":"posts","where":{"published":false}})");
  REQUIRE(write.ok());
  CHECK(Json::parse(write->body)["data"]["kind"] == "mutation");
  CHECK(f.backend->reads.empty());
  CHECK(f.backend->writes.empty());
}

TEST_CASE("pipeline: backend failures pass through with their code") {
  Fixture f;
  f.backend->script.push_back(FakeBackend::fail(Error{ErrorCode::upstream_timeout, "slow", std::nullopt}));
  auto r = f.call("POST", "/v1/query", kUsersQuery);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::upstream_timeout);
}

TEST_CASE("pipeline: a handler that throws answers 500 INTERNAL once, and the next call is served") {
  Fixture f;
  f.backend->script.push_back(FakeBackend::throw_());
  auto r = f.call("POST", "/v1/query", kUsersQuery);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::internal);
  auto next = f.call("POST", "/v1/query", kUsersQuery);
  CHECK(next.ok());
  CHECK(f.pipeline->stats().requests == 2);
  CHECK(f.pipeline->stats().errors == 1);
}

TEST_CASE("pipeline: /v1/schema, /healthz and /readyz") {
  Fixture f;
  auto schema = f.call("GET", "/v1/schema");
  REQUIRE(schema.ok());
  CHECK(Json::parse(schema->body)["tables"].contains("users"));
  CHECK(f.call("GET", "/healthz")->body == std::string(R"({"status":"ok","version":")") + kVersion + R"(","planVersion":)" + std::to_string(kPlanVersion) + "}");
  CHECK(Json::parse(f.call("GET", "/readyz")->body)["backend"] == "fake");
  f.backend->is_ready = false;
  auto not_ready = f.call("GET", "/readyz");
  REQUIRE_FALSE(not_ready.ok());
  CHECK(not_ready.error().code == ErrorCode::unavailable);
  CHECK(f.call("HEAD", "/healthz").ok());
}

TEST_CASE("pipeline: before the schema is loaded, schema and queries answer UNAVAILABLE") {
  Fixture f(false);
  CHECK(f.call("GET", "/v1/schema").error().code == ErrorCode::unavailable);
  CHECK(f.call("POST", "/v1/query", kUsersQuery).error().code == ErrorCode::unavailable);
  CHECK(f.call("GET", "/readyz").error().code == ErrorCode::unavailable);
  CHECK(f.call("GET", "/healthz").ok());
}

TEST_CASE("pipeline: /metrics is Prometheus text with the pipeline's, the hub's and the backend's metrics") {
  Fixture f;
  f.call("POST", "/v1/query", kUsersQuery);
  f.call("GET", "/nowhere");
  auto m = f.call("GET", "/metrics");
  REQUIRE(m.ok());
  CHECK(m->content_type == "text/plain; version=0.0.4");
  CHECK(m->body.find("dc_http_requests_total 2\n") != std::string::npos);
  CHECK(m->body.find("dc_http_errors_total 1\n") != std::string::npos);
  CHECK(m->body.find("# TYPE dc_live_topics gauge\n") != std::string::npos);
  CHECK(m->body.find("dc_fake_backend_calls_total 1\n") != std::string::npos);
}

TEST_CASE("pipeline: routing errors carry their own codes") {
  Fixture f;
  auto get_query = f.call("GET", "/v1/query");
  REQUIRE_FALSE(get_query.ok());
  CHECK(get_query.error().code == ErrorCode::method_not_allowed);
  CHECK(get_query.error().detail == "POST");
  auto post_schema = f.call("POST", "/metrics");
  CHECK(post_schema.error().code == ErrorCode::method_not_allowed);
  CHECK(post_schema.error().detail == "GET");
  CHECK(f.call("GET", "/v1/live").error().code == ErrorCode::upgrade_required);
  CHECK(f.call("GET", "/v2/query").error().code == ErrorCode::not_found);
}

TEST_CASE("pipeline: a parsed live payload plans to the same plan as its text") {
  Fixture f;
  auto from_text = f.pipeline->plan_text(kUsersQuery, Accept::both);
  auto from_json = f.pipeline->plan_json(Json::parse(kUsersQuery), Accept::both);
  REQUIRE(from_text.ok());
  REQUIRE(from_json.ok());
  REQUIRE(from_text->read);
  REQUIRE(from_json->read);
  CHECK(plan_to_json(*from_text->read) == plan_to_json(*from_json->read));
  auto mutation = f.pipeline->plan_json(Json::parse(R"({"op":"insert","table":"tags","values":{"name":"x"}})"), Accept::both);
  REQUIRE(mutation.ok());
  CHECK(mutation->mutation);
  CHECK_FALSE(mutation->read);
}

namespace {

std::optional<std::string> header(const Headers& h, std::string_view name) {
  for (const auto& [k, v] : h) {
    if (k == name) return v;
  }
  return std::nullopt;
}

PipelineOptions with_origins(std::vector<std::string> origins) {
  PipelineOptions o;
  o.front_door.cors_origins = std::move(origins);
  return o;
}

}  // namespace

TEST_CASE("pipeline: a browser origin not listed is refused with 403 before anything runs") {
  Fixture f(true, with_origins({"https://app.example.com"}));
  auto [r, h] = f.call_with(Call{"POST", "/v1/mutate", R"({"op":"delete","table":"tags","where":{}})", {}, "127.0.0.1:8787",
                                 std::string_view("https://evil.example")});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::forbidden);
  CHECK(f.backend->writes.empty());
  CHECK_FALSE(header(h, "Access-Control-Allow-Origin"));
}

TEST_CASE("pipeline: a listed origin gets CORS headers on answers and errors alike, and its preflight") {
  Fixture f(true, with_origins({"https://app.example.com"}));
  std::optional<std::string_view> origin = "https://app.example.com";
  auto [ok, oh] = f.call_with(Call{"POST", "/v1/query", kUsersQuery, {}, "localhost:8787", origin});
  CHECK(ok.ok());
  CHECK(header(oh, "Access-Control-Allow-Origin") == "https://app.example.com");
  CHECK(header(oh, "Vary") == "Origin");
  auto [bad, bh] = f.call_with(Call{"POST", "/v1/query", "{", {}, "localhost:8787", origin});
  CHECK_FALSE(bad.ok());
  CHECK(header(bh, "Access-Control-Allow-Origin") == "https://app.example.com");
  auto [pre, ph] = f.call_with(Call{"OPTIONS", "/v1/mutate", "", {}, "localhost:8787", origin});
  REQUIRE(pre.ok());
  CHECK(pre->status == 204);
  CHECK(header(pre->headers, "Access-Control-Allow-Methods") == "GET, POST");
  CHECK(header(pre->headers, "Access-Control-Allow-Headers") == "Authorization, Content-Type, X-Request-Id");
  CHECK(header(ph, "Access-Control-Allow-Origin") == "https://app.example.com");
  CHECK(f.backend->writes.empty());
}

TEST_CASE("pipeline: on loopback, a foreign Host (DNS rebinding) is refused; requests without Origin are unaffected") {
  Fixture f;
  auto [r, h] = f.call_with(Call{"POST", "/v1/query", kUsersQuery, {}, "attacker.example:8787", std::nullopt});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::forbidden);
  CHECK(f.backend->reads.empty());
  for (const char* host : {"localhost", "LOCALHOST:1", "127.0.0.1", "[::1]:8787", ""}) {
    CAPTURE(host);
    CHECK(f.call_with(Call{"GET", "/healthz", "", {}, host, std::nullopt}).first.ok());
  }
  PipelineOptions open;
  open.front_door.loopback = false;  // --host 0.0.0.0 behind a proxy: any Host
  Fixture g(true, open);
  CHECK(g.call_with(Call{"GET", "/healthz", "", {}, "api.example.com", std::nullopt}).first.ok());
}

