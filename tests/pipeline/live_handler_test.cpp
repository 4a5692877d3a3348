#include <doctest/doctest.h>

#include "server/pipeline/live_handler.hpp"
#include "tests/fakes/fake_backend.hpp"

using namespace dc;
using dc::testing::FakeBackend;

namespace {

// A transport that records what the handler sends; topic deliveries queue up
// until the test pumps them (as a session's strand would run them later).
class RecordingOutput final : public LiveOutput, public LiveSink, public std::enable_shared_from_this<RecordingOutput> {
 public:
  struct Update {
    uint64_t key;
    LiveUpdatePtr update;
    bool patch;
  };
  void send_text(std::string text) override { texts.push_back(Json::parse(text)); }
  void send_error(std::string_view id, const Error& e) override { errors.emplace_back(std::string(id), e); }
  void send_update(uint64_t key, LiveUpdatePtr update, bool patch) override { updates.push_back({key, std::move(update), patch}); }
  void close(uint16_t code, std::string reason) override {
    if (!closed) closed = std::make_pair(code, std::move(reason));
  }
  std::weak_ptr<LiveSink> sink() override { return std::static_pointer_cast<LiveSink>(shared_from_this()); }
  Poster poster() override {
    return [](std::function<void()> f) { f(); };
  }
  void deliver(uint64_t key, LiveUpdatePtr update) override { pending.emplace_back(key, std::move(update)); }

  std::vector<Json> texts;
  std::vector<std::pair<std::string, Error>> errors;
  std::vector<Update> updates;
  std::optional<std::pair<uint16_t, std::string>> closed;
  std::vector<std::pair<uint64_t, LiveUpdatePtr>> pending;
};

struct Fixture {
  std::shared_ptr<FakeBackend> backend = std::make_shared<FakeBackend>();
  std::shared_ptr<SchemaSlot> schema = std::make_shared<SchemaSlot>();
  std::shared_ptr<Pipeline> pipeline;
  std::shared_ptr<RecordingOutput> out = std::make_shared<RecordingOutput>();
  std::unique_ptr<LiveHandler> handler;

  explicit Fixture(size_t max_subscriptions = 100) {
    schema->set(std::make_shared<const Schema>(dc::testing::blog_schema()));
    pipeline = std::make_shared<Pipeline>(PipelineOptions{}, backend, schema, std::make_shared<LiveHub>(backend));
    handler = std::make_unique<LiveHandler>(pipeline, LiveLimits{max_subscriptions}, *out, RequestContext{});
  }
  void send(const std::string& text) { handler->on_message(text); }
  void init(bool patches = false) {
    send(std::string(R"({"type":"connection_init","payload":{"patches":)") + (patches ? "true" : "false") + "}}");
  }
  void subscribe(const std::string& id, const std::string& query = R"({"table":"users","op":"findMany"})") {
    send(R"({"type":"subscribe","id":")" + id + R"(","payload":)" + query + "}");
  }
  void pump() {
    auto queued = std::move(out->pending);
    out->pending.clear();
    for (auto& [key, update] : queued) handler->on_update(key, update);
  }
  // Each queued update written as the transport would: envelope + body + tail.
  std::vector<Json> written() {
    std::vector<Json> msgs;
    for (auto& u : out->updates) {
      auto head = handler->next_head(u.key, u.patch);
      if (!head) continue;
      msgs.push_back(Json::parse(*head + (u.patch ? *u.update->patch : *u.update->data) + std::string(live::next_tail())));
    }
    out->updates.clear();
    return msgs;
  }
};

ReadOutcome result(std::string json) {
  ReadOutcome r;
  r.data_json = std::move(json);
  return r;
}

}  // namespace

TEST_CASE("live handler: connection_init is acknowledged once; a second one closes 4429") {
  Fixture f;
  f.init();
  REQUIRE(f.out->texts.size() == 1);
  CHECK(f.out->texts[0]["type"] == "connection_ack");
  CHECK(f.handler->initialised());
  f.init();
  REQUIRE(f.out->closed);
  CHECK(f.out->closed->first == live::close_code::too_many_inits);
}

TEST_CASE("live handler: subscribe before connection_init closes 4401") {
  Fixture f;
  f.subscribe("q1");
  REQUIRE(f.out->closed);
  CHECK(f.out->closed->first == live::close_code::unauthorized);
  CHECK(f.backend->watches_started == 0);
}

TEST_CASE("live handler: no connection_init in time closes 4408, unless it came") {
  Fixture late;
  late.handler->on_init_timeout();
  REQUIRE(late.out->closed);
  CHECK(late.out->closed->first == live::close_code::init_timeout);
  Fixture on_time;
  on_time.init();
  on_time.handler->on_init_timeout();
  CHECK_FALSE(on_time.out->closed);
}

TEST_CASE("live handler: a running id subscribed again closes 4409; malformed messages close 4400") {
  Fixture f;
  f.init();
  f.subscribe("q1");
  CHECK_FALSE(f.out->closed);
  f.subscribe("q1");
  REQUIRE(f.out->closed);
  CHECK(f.out->closed->first == live::close_code::subscriber_exists);
  Fixture g;
  g.send("{]");
  REQUIRE(g.out->closed);
  CHECK(g.out->closed->first == live::close_code::bad_request);
}

TEST_CASE("live handler: ping gets pong, pong nothing") {
  Fixture f;
  f.send(R"({"type":"ping"})");
  f.send(R"({"type":"pong"})");
  REQUIRE(f.out->texts.size() == 1);
  CHECK(f.out->texts[0]["type"] == "pong");
}

TEST_CASE("live handler: results arrive as versions 1, 2, ...; patches only when asked and only without a gap") {
  Fixture f;
  f.init(true);
  f.subscribe("q1");
  REQUIRE(f.backend->watches_started == 1);
  f.backend->emit(result(R"([{"_id":"a","n":1}])"));
  f.pump();
  f.backend->emit(result(R"([{"_id":"a","n":2}])"));
  f.pump();
  auto msgs = f.written();
  REQUIRE(msgs.size() == 2);
  CHECK(msgs[0]["id"] == "q1");
  CHECK(msgs[0]["payload"]["version"] == 1);
  CHECK(msgs[0]["payload"]["data"][0]["n"] == 1);
  CHECK(msgs[1]["payload"]["version"] == 2);
  CHECK(msgs[1]["payload"].contains("patch"));

  Fixture full;
  full.init(false);
  full.subscribe("q1");
  full.backend->emit(result(R"([1])"));
  full.pump();
  full.backend->emit(result(R"([2])"));
  full.pump();
  auto fm = full.written();
  REQUIRE(fm.size() == 2);
  CHECK(fm[1]["payload"]["data"] == Json::parse("[2]"));
}

TEST_CASE("live handler: an older revision arriving late is dropped") {
  Fixture f;
  f.init(true);
  f.subscribe("q1");
  f.backend->emit(result("[1]"));
  f.backend->emit(result("[2]"));
  // Deliveries overtaken on the way: revision 2 first, then 1.
  std::reverse(f.out->pending.begin(), f.out->pending.end());
  f.pump();
  auto msgs = f.written();
  REQUIRE(msgs.size() == 1);
  CHECK(msgs[0]["payload"]["data"] == Json::parse("[2]"));
}

TEST_CASE("live handler: a bad query is an error for its id only; the limit on subscriptions too") {
  Fixture f(1);
  f.init();
  f.subscribe("bad", R"({"table":"users","op":"findMany","where":{"nope":1}})");
  REQUIRE(f.out->errors.size() == 1);
  CHECK(f.out->errors[0].first == "bad");
  CHECK(f.out->errors[0].second.path == "/where/nope");
  f.subscribe("ok");
  f.subscribe("over");
  REQUIRE(f.out->errors.size() == 2);
  CHECK(f.out->errors[1].first == "over");
  CHECK_FALSE(f.out->closed);
  // The failed id is free again.
  f.send(R"({"type":"complete","id":"ok"})");
  f.subscribe("bad");
  CHECK_FALSE(f.out->closed);
}

TEST_CASE("live handler: a query failing later ends its subscription with an error") {
  Fixture f;
  f.init();
  f.subscribe("q1");
  f.backend->emit(Error::query("over the read budget", "/where"));
  f.pump();
  REQUIRE(f.out->errors.size() == 1);
  CHECK(f.out->errors[0].first == "q1");
  CHECK(f.backend->open_watches() == 0);
}

TEST_CASE("live handler: a mutation sent as subscribe runs once: one next, then complete") {
  Fixture f;
  f.init();
  f.backend->script.push_back(FakeBackend::answer(R"({"rowsAffected":1})"));
  f.subscribe("m1", R"({"op":"insert","table":"tags","values":{"name":"t"}})");
  CHECK(f.backend->writes.size() == 1);
  REQUIRE(f.out->texts.size() == 3);  // ack, next, complete
  CHECK(f.out->texts[1]["type"] == "next");
  CHECK(f.out->texts[1]["payload"]["data"]["rowsAffected"] == 1);
  CHECK(f.out->texts[2] == Json::parse(R"({"type":"complete","id":"m1"})"));
  // The id is free once it completed.
  f.subscribe("m1", R"({"table":"tags","op":"count"})");
  CHECK_FALSE(f.out->closed);
}

TEST_CASE("live handler: complete leaves the topic; shut_down completes what runs; finish leaves everything") {
  Fixture f;
  f.init();
  f.subscribe("a");
  f.subscribe("b", R"({"table":"posts","op":"findMany"})");
  CHECK(f.backend->open_watches() == 2);
  f.send(R"({"type":"complete","id":"a"})");
  CHECK(f.backend->open_watches() == 1);
  f.handler->shut_down();
  CHECK(f.out->texts.back() == Json::parse(R"({"type":"complete","id":"b"})"));
  f.handler->finish();
  CHECK(f.backend->open_watches() == 0);
  // An update for a finished subscription is dropped.
  f.backend->emit(result("[]"));
  f.pump();
  CHECK(f.written().empty());
}
