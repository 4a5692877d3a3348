// The HTTP front door in process: a real listener and sessions on loopback
// (port 0) over the fake backend, driven by a Beast client.
#include <doctest/doctest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <future>
#include <thread>

#include "server/net/listener.hpp"
#include "tests/fakes/fake_backend.hpp"

using namespace dc;
using dc::testing::FakeBackend;
namespace net = boost::asio;
namespace beast = boost::beast;

namespace {

struct Server {
  net::io_context ioc;
  std::shared_ptr<FakeBackend> backend = std::make_shared<FakeBackend>();
  std::shared_ptr<NetContext> ctx = std::make_shared<NetContext>();
  std::shared_ptr<Listener> listener;
  std::thread thread;

  Server() {
    auto schema = std::make_shared<SchemaSlot>();
    schema->set(std::make_shared<const Schema>(dc::testing::blog_schema()));
    ctx->options.access_log = false;
    ctx->pipeline = std::make_shared<Pipeline>(PipelineOptions{}, backend, schema, std::make_shared<LiveHub>(backend));
    listener = std::make_shared<Listener>(ioc, std::vector<boost::asio::io_context*>{&ioc}, ctx);
    REQUIRE_FALSE(listener->open({net::ip::make_address("127.0.0.1"), 0}));
    listener->run();
    thread = std::thread([this] { ioc.run(); });
  }
  ~Server() {
    listener->stop();
    for (auto& s : ctx->http_sessions.alive()) s->close_soon();
    std::promise<void> idle;
    ctx->open.when_idle([&] { idle.set_value(); });
    idle.get_future().wait();
    ioc.stop();
    thread.join();
  }
};

// A keep-alive client connection.
struct Client {
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  explicit Client(uint16_t port) { stream.connect({net::ip::make_address("127.0.0.1"), port}); }
  http::response<http::string_body> send(http::verb method, const std::string& target, const std::string& body = "",
                                         const std::vector<std::pair<std::string, std::string>>& headers = {}, unsigned version = 11) {
    http::request<http::string_body> req{method, target, version};
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers) req.set(name, value);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    http::response_parser<http::string_body> parser;
    parser.skip(method == http::verb::head);  // a HEAD answer has a Content-Length but no body
    http::read(stream, buffer, parser);
    return parser.release();
  }
};

const char* kQuery = R"({"table":"users","op":"findMany","limit":1})";

}  // namespace

TEST_CASE("server: a handler that throws gets the client a 500 INTERNAL, and the server keeps serving") {
  Server s;
  s.backend->script.push_back(FakeBackend::throw_());
  s.backend->script.push_back(FakeBackend::answer(R"([{"_id":"u1"}])", 1));
  Client c(s.listener->port());
  auto bad = c.send(http::verb::post, "/v1/query", kQuery);
  CHECK(bad.result_int() == 500);
  CHECK(Json::parse(bad.body())["error"]["code"] == "INTERNAL");
  CHECK(bad.keep_alive());
  // The same connection, then a new one.
  auto good = c.send(http::verb::post, "/v1/query", kQuery);
  CHECK(good.result_int() == 200);
  CHECK(good["X-Docs-Read"] == "1");
  Client other(s.listener->port());
  CHECK(other.send(http::verb::get, "/healthz").result_int() == 200);
}

TEST_CASE("server: errors reach the wire through the one map, with their headers") {
  Server s;
  Client c(s.listener->port());
  auto get = c.send(http::verb::get, "/v1/query");
  CHECK(get.result_int() == 405);
  CHECK(get[http::field::allow] == "POST");
  CHECK(Json::parse(get.body())["error"]["code"] == "METHOD_NOT_ALLOWED");
  auto live = c.send(http::verb::get, "/v1/live?x=1");
  CHECK(live.result_int() == 426);
  CHECK(live[http::field::upgrade] == "websocket");
  auto head = c.send(http::verb::head, "/healthz");
  CHECK(head.result_int() == 200);
}

TEST_CASE("server: every reply carries the request's id, its own or a new one, errors and refusals included") {
  Server s;
  Client c(s.listener->port());
  auto ok = c.send(http::verb::get, "/healthz", "", {{"X-Request-Id", "req-42"}});
  CHECK(ok["X-Request-Id"] == "req-42");
  auto bad = c.send(http::verb::get, "/nope", "", {{"X-Request-Id", "req-43"}});
  CHECK(bad.result_int() == 404);
  CHECK(bad["X-Request-Id"] == "req-43");
  // Made up when not sent, and new for each request on one connection.
  auto a = c.send(http::verb::get, "/healthz");
  auto b = c.send(http::verb::get, "/healthz");
  CHECK_FALSE(a["X-Request-Id"].empty());
  CHECK(a["X-Request-Id"] != b["X-Request-Id"]);
  CHECK(a["X-Request-Id"].size() <= 15);
  Client cross(s.listener->port());
  auto refused = cross.send(http::verb::get, "/healthz", "", {{"Origin", "https://elsewhere.example"}, {"X-Request-Id", "req-44"}});
  CHECK(refused.result_int() == 403);
  CHECK(refused["X-Request-Id"] == "req-44");
}

TEST_CASE("server: response framing: Content-Length, HEAD, keep-alive on HTTP/1.0 and 1.1, Server") {
  Server s;
  s.backend->script.push_back(FakeBackend::answer(R"([{"_id":"u1"}])", 1));
  Client c(s.listener->port());
  auto got = c.send(http::verb::post, "/v1/query", kQuery);
  CHECK(got.result_int() == 200);
  CHECK(got[http::field::content_type] == "application/json; charset=utf-8");
  CHECK(got[http::field::content_length] == std::to_string(got.body().size()));
  CHECK(got[http::field::server] == "drizzle-convex");
  CHECK(got.keep_alive());
  auto head = c.send(http::verb::head, "/healthz");
  auto full = c.send(http::verb::get, "/healthz");
  CHECK(head.body().empty());
  CHECK(head[http::field::content_length] == std::to_string(full.body().size()));
  // HTTP/1.0: keep-alive only when asked for, and said so.
  Client old(s.listener->port());
  auto kept = old.send(http::verb::get, "/healthz", "", {{"Connection", "keep-alive"}}, 10);
  CHECK(kept.keep_alive());
  CHECK(kept[http::field::connection] == "keep-alive");
  auto closed = old.send(http::verb::get, "/healthz", "", {}, 10);
  CHECK_FALSE(closed.keep_alive());
  // HTTP/1.1 asking to close.
  Client once(s.listener->port());
  auto last = once.send(http::verb::get, "/healthz", "", {{"Connection", "close"}});
  CHECK(last[http::field::connection] == "close");
}

TEST_CASE("server: the open-session count follows connections, and shutdown is told when it reaches zero") {
  Server s;
  CHECK(s.ctx->open.open() == 0);
  s.backend->script.push_back(FakeBackend::hold());
  {
    Client c(s.listener->port());
    http::request<http::string_body> req{http::verb::post, "/v1/query", 11};
    req.set(http::field::host, "127.0.0.1");
    req.body() = kQuery;
    req.prepare_payload();
    http::write(c.stream, req);
    for (int i = 0; i < 500 && s.backend->held() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    REQUIRE(s.backend->held() == 1);
    CHECK(s.ctx->open.open() == 1);
    std::promise<void> idle;
    bool told = false;
    s.ctx->open.when_idle([&] {
      told = true;
      idle.set_value();
    });
    CHECK_FALSE(told);
    // The answer arrives; the client reads it and hangs up; the session ends.
    s.backend->release(ReadOutcome{"[]", 0, nullptr});
    http::response<http::string_body> res;
    http::read(c.stream, c.buffer, res);
    CHECK(res.result_int() == 200);
    beast::error_code ec;
    c.stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
    c.stream.close();
    CHECK(idle.get_future().wait_for(std::chrono::seconds(5)) == std::future_status::ready);
    CHECK(told);
  }
  CHECK(s.ctx->open.open() == 0);
}
