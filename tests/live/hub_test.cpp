#include <doctest/doctest.h>

#include "server/live/hub.hpp"
#include "tests/fakes/fake_backend.hpp"

using namespace dc;
using dc::testing::FakeBackend;

namespace {

// Records deliveries; may run a hook inside deliver (as a session completing meanwhile would).
class RecordingSink final : public LiveSink {
 public:
  void deliver(uint64_t key, LiveUpdatePtr update) override {
    got.emplace_back(key, update);
    if (hook) hook(key, update);
  }
  std::vector<std::pair<uint64_t, LiveUpdatePtr>> got;
  std::function<void(uint64_t, const LiveUpdatePtr&)> hook;
};

std::shared_ptr<const ReadPlan> plan_of(const std::string& query) {
  auto p = dc::testing::plan(query);
  REQUIRE(p.ok());
  return std::make_shared<const ReadPlan>(std::move(p).value());
}

RequestContext as(const std::string& subject) {
  RequestContext ctx;
  ctx.identity.subject = subject;
  return ctx;
}

ReadOutcome result(std::string json) {
  ReadOutcome r;
  r.data_json = std::move(json);
  return r;
}

const char* kQuery = R"({"table":"users","op":"findMany","limit":5})";

}  // namespace

TEST_CASE("live hub: equal plans share one topic and one backend watch") {
  auto backend = std::make_shared<FakeBackend>();
  LiveHub hub(backend);
  auto a = std::make_shared<RecordingSink>(), b = std::make_shared<RecordingSink>();
  // Key order differs in the request; the plan is the same.
  auto t1 = hub.subscribe(plan_of(kQuery), as("u1"), a, hub.new_key());
  // Another caller: the rules a caller reads under are in its plan, so equal plans are equal answers.
  auto t2 = hub.subscribe(plan_of(R"({"limit":5,"op":"findMany","table":"users"})"), as("u2"), b, hub.new_key());
  CHECK(t1 == t2);
  CHECK(hub.topics() == 1);
  CHECK(backend->watches_started == 1);
  backend->emit(result("[1]"));
  REQUIRE(a->got.size() == 1);
  REQUIRE(b->got.size() == 1);
  CHECK(a->got[0].second == b->got[0].second);  // one serialized update shared by both
}

TEST_CASE("live hub: another plan is another topic") {
  auto backend = std::make_shared<FakeBackend>();
  LiveHub hub(backend);
  auto s = std::make_shared<RecordingSink>();
  hub.subscribe(plan_of(kQuery), as("u1"), s, hub.new_key());
  hub.subscribe(plan_of(R"({"table":"users","op":"findMany","limit":6})"), as("u1"), s, hub.new_key());
  hub.subscribe(plan_of(R"({"table":"users","op":"findMany","limit":6,"where":{"role":"admin"}})"), as("u1"), s, hub.new_key());
  CHECK(hub.topics() == 3);
  CHECK(backend->watches_started == 3);
}

TEST_CASE("live hub: revisions increase by one per change; unchanged results are not sent; a late subscriber gets the current one") {
  auto backend = std::make_shared<FakeBackend>();
  LiveHub hub(backend);
  auto early = std::make_shared<RecordingSink>();
  hub.subscribe(plan_of(kQuery), as("u"), early, hub.new_key());
  backend->emit(result(R"([{"_id":"a"}])"));
  backend->emit(result(R"([{"_id":"a"}])"));  // the same: nothing sent
  backend->emit(result(R"([{"_id":"a"},{"_id":"b"}])"));
  REQUIRE(early->got.size() == 2);
  CHECK(early->got[0].second->revision == 1);
  CHECK(early->got[0].second->patch == nullptr);
  CHECK(early->got[1].second->revision == 2);
  REQUIRE(early->got[1].second->patch);
  CHECK(Json::parse(*early->got[1].second->patch)[0]["op"] == "add");
  auto late = std::make_shared<RecordingSink>();
  hub.subscribe(plan_of(kQuery), as("u"), late, hub.new_key());
  REQUIRE(late->got.size() == 1);
  CHECK(late->got[0].second->revision == 2);
  CHECK(*late->got[0].second->data == R"([{"_id":"a"},{"_id":"b"}])");
}

TEST_CASE("live hub: the last unsubscribe stops the watch; a failed topic is replaced for new subscribers") {
  auto backend = std::make_shared<FakeBackend>();
  LiveHub hub(backend);
  auto s = std::make_shared<RecordingSink>();
  uint64_t k1 = hub.new_key(), k2 = hub.new_key();
  auto t = hub.subscribe(plan_of(kQuery), as("u"), s, k1);
  hub.subscribe(plan_of(kQuery), as("u"), s, k2);
  hub.unsubscribe(t, k1);
  CHECK(backend->open_watches() == 1);
  backend->emit(Error::query("over budget", ""));
  REQUIRE(s->got.size() == 1);
  CHECK(s->got[0].second->error);
  CHECK(t->failed());
  // A new subscription to the same query starts afresh instead of inheriting the error.
  auto fresh_sink = std::make_shared<RecordingSink>();
  auto fresh = hub.subscribe(plan_of(kQuery), as("u"), fresh_sink, hub.new_key());
  CHECK(fresh != t);
  CHECK(backend->watches_started == 2);
  CHECK(fresh_sink->got.empty());
  hub.unsubscribe(t, k2);
  CHECK(hub.topics() == 1);  // the failed topic's last subscriber left, the fresh one stays
}

TEST_CASE("live hub: a subscriber completing while its result is being delivered does not deadlock or lose the others") {
  auto backend = std::make_shared<FakeBackend>();
  LiveHub hub(backend);
  auto quitter = std::make_shared<RecordingSink>(), stayer = std::make_shared<RecordingSink>();
  uint64_t kq = hub.new_key(), ks = hub.new_key();
  auto topic = hub.subscribe(plan_of(kQuery), as("u"), quitter, kq);
  hub.subscribe(plan_of(kQuery), as("u"), stayer, ks);
  quitter->hook = [&](uint64_t key, const LiveUpdatePtr&) { hub.unsubscribe(topic, key); };
  backend->emit(result("[1]"));
  CHECK(quitter->got.size() == 1);
  CHECK(stayer->got.size() == 1);
  backend->emit(result("[2]"));
  CHECK(quitter->got.size() == 1);  // gone
  CHECK(stayer->got.size() == 2);
  CHECK(hub.topics() == 1);
  // The last one leaving from inside its own delivery drops the topic and the watch.
  stayer->hook = [&](uint64_t key, const LiveUpdatePtr&) {
    hub.unsubscribe(topic, key);
    topic.reset();  // as a session drops its subscription
  };
  backend->emit(result("[3]"));
  CHECK(hub.topics() == 0);
  CHECK(backend->open_watches() == 0);
}

TEST_CASE("live hub: a sink that is gone is skipped") {
  auto backend = std::make_shared<FakeBackend>();
  LiveHub hub(backend);
  auto kept = std::make_shared<RecordingSink>();
  {
    auto gone = std::make_shared<RecordingSink>();
    hub.subscribe(plan_of(kQuery), as("u"), gone, hub.new_key());
  }
  hub.subscribe(plan_of(kQuery), as("u"), kept, hub.new_key());
  backend->emit(result("[1]"));
  CHECK(kept->got.size() == 1);
}

TEST_CASE("live hub: a topic's result counts against the live memory budget until the topic goes; past it new subscriptions are refused") {
  auto backend = std::make_shared<FakeBackend>();
  LiveHub hub(backend);
  hub.set_memory_budget(10000);
  auto a = std::make_shared<RecordingSink>();
  uint64_t key = hub.new_key();
  auto topic = hub.subscribe(plan_of(kQuery), as("u1"), a, key);
  CHECK_FALSE(hub.over_budget());
  std::string big = "[\"" + std::string(3000, 'x') + "\"]";
  backend->emit(result(big));
  // The text and the tree the next diff starts from.
  CHECK(topic->bytes() == big.size() * (1 + Topic::kTreeFactor));
  CHECK(hub.live_bytes() == topic->bytes());
  CHECK(hub.over_budget());
  CHECK(hub.stats().refused.load() == 1);
  backend->emit(result("[1]"));  // the result shrinks: so does what it counts
  CHECK(hub.live_bytes() == topic->bytes());
  CHECK(topic->bytes() < 200);  // "[1]" and its patch
  CHECK_FALSE(hub.over_budget());
  hub.unsubscribe(topic, key);
  topic.reset();
  CHECK(hub.live_bytes() == 0);
}
