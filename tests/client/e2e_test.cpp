// The client library against a running server. tests/e2e/client.test.mjs
// starts the servers and runs this program with:
//   DC_URL          a proxy on the embedded engine with the demo data
//   DC_CONVEX_URL   a proxy in front of the Convex emulator (blog fixture)
// and answers requests this program writes to stdout ("@faults {...}",
// "@restart"), one line each, with a line on stdin once done.
#include <doctest/doctest.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include "drizzle_convex/async_client.hpp"
#include "drizzle_convex/client.hpp"

using namespace drizzle_convex;
using namespace std::chrono_literals;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// Asks the harness to do something to the servers and waits until it has;
// returns what it says after "ok".
std::string harness(const std::string& request) {
  std::cout << "@" << request << std::endl;
  std::string reply;
  std::getline(std::cin, reply);
  REQUIRE(reply.starts_with("ok"));
  return reply.size() > 3 ? reply.substr(3) : "";
}

// Waits until `pred` holds (checked under `m`) or 15 s pass.
template <class Pred>
bool eventually(std::mutex& m, std::condition_variable& cv, Pred pred) {
  std::unique_lock lock(m);
  return cv.wait_for(lock, 15s, pred);
}

bool has_name(const Json& rows, const std::string& name) {
  for (const auto& r : rows)
    if (r.value("name", "") == name) return true;
  return false;
}

Db db;

template <class T>
std::string why(const Result<T>& r) {
  return r.ok() ? std::string() : r.error().describe();
}

}  // namespace

TEST_CASE("reads and writes on the embedded engine, blocking") {
  Client client({.url = env("DC_URL")});
  auto admins = client.query(db.query("users").find_many(
      {.columns = include({"name", "role"}), .where = eq("role", "admin"), .order_by = {asc("name")}}));
  REQUIRE_MESSAGE(admins.ok(), why(admins));
  REQUIRE(admins->is_array());
  REQUIRE(!admins->empty());
  for (const auto& row : *admins) CHECK(row["role"] == "admin");

  auto with = client.query(db.query("users").find_first(
      {.where = eq("role", "admin"), .with = {{"posts", {.columns = include({"title"}), .limit = 2}}}}));
  REQUIRE(with.ok());
  CHECK((*with)["posts"].is_array());

  auto inserted = client.mutate(db.insert("tags").values({{"name", "client-e2e"}}).returning());
  REQUIRE_MESSAGE(inserted.ok(), why(inserted));
  CHECK((*inserted)[0]["name"] == "client-e2e");
  auto found = client.query(db.query("tags").count(eq("name", "client-e2e")));
  REQUIRE(found.ok());
  CHECK((*found)["count"] == 1);

  // The same email twice breaks the unique constraint: 409, nothing written.
  auto email = client.query(db.query("users").find_first({.columns = include({"email"})}));
  REQUIRE(email.ok());
  auto dup = client.mutate(db.insert("users").values(
      {{"name", "Twin"}, {"email", (*email)["email"]}, {"role", "member"}, {"credits", 1}}));
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.error().status == 409);
  CHECK(dup.error().code == "CONFLICT");

  auto tx = client.mutate(db.transaction({db.insert("tags").values({{"name", "tx-a"}}),
                                          db.update("tags").set({{"name", "tx-b"}}).where(eq("name", "tx-a"))}));
  REQUIRE(tx.ok());
  CHECK((*client.query(db.query("tags").count(eq("name", "tx-b"))))["count"] == 1);

  auto plan = client.explain(db.query("users").find_many({.where = eq("email", "a@b.c")}).json());
  REQUIRE(plan.ok());
  CHECK(plan->dump().find("by_email") != std::string::npos);
  auto schema = client.schema();
  REQUIRE(schema.ok());
  CHECK((*schema)["tables"].contains("users"));
}

TEST_CASE("errors carry the server's code, message and path") {
  Client client({.url = env("DC_URL")});
  auto r = client.query(db.query("users").find_many({.where = and_(eq("role", "admin"), gt("nmae", 1))}));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == Error::Kind::server);
  CHECK(r.error().status == 400);
  CHECK(r.error().code == "INVALID_QUERY");
  CHECK(r.error().path == "/where/AND/1/nmae/gt");
  CHECK(r.error().message.find("nmae") != std::string::npos);

  auto bad_value = client.mutate(db.insert("users").values({{"name", 5}}));
  REQUIRE_FALSE(bad_value.ok());
  CHECK(bad_value.error().code == "INVALID_VALUE");
  REQUIRE(bad_value.error().path);

  Client nowhere({.url = "http://127.0.0.1:1", .timeout = 2s, .backoff = 10ms});
  auto down = nowhere.query(db.query("users").find_many());
  REQUIRE_FALSE(down.ok());
  CHECK(down.error().kind == Error::Kind::connection);
  CHECK(down.error().code == "CONNECTION_FAILED");
}

namespace {
// Pages of 3 until isDone: every row once, as many as count says.
void walk_pages(const std::string& url) {
  Client client({.url = url});
  auto total = client.query(db.query("posts").count());
  REQUIRE_MESSAGE(total.ok(), why(total));
  int rows = 0, pages = 0;
  std::set<std::string> ids;
  for (const auto& page : client.pages(db.query("posts").paginate(3, {.order_by = {desc("_creationTime")}}))) {
    REQUIRE_MESSAGE(page.ok(), why(page));
    ++pages;
    for (const auto& row : page->rows) {
      ids.insert(row["_id"].get<std::string>());
      ++rows;
    }
  }
  CHECK(rows == (*total)["count"].get<int>());
  CHECK(ids.size() == static_cast<size_t>(rows));
  CHECK(pages >= rows / 3);
}
}  // namespace

namespace {
// Groups agree with counts: each group's n is the count of its rows, and the groups add up to the table.
void aggregate_groups(const std::string& url) {
  Client client({.url = url});
  auto groups = client.query(db.query("posts").aggregate(
      {.group_by = {"published"}, .aggregates = {{"n", count_rows()}, {"top", max_of("views")}}, .order_by = {desc("n")}}));
  REQUIRE_MESSAGE(groups.ok(), why(groups));
  REQUIRE(groups->is_array());
  int total = 0;
  for (const auto& g : *groups) {
    auto n = client.query(db.query("posts").count(eq("published", g["published"])));
    REQUIRE_MESSAGE(n.ok(), why(n));
    CHECK(g["n"] == (*n)["count"]);
    total += g["n"].get<int>();
  }
  CHECK(total == (*client.query(db.query("posts").count()))["count"].get<int>());
  if (groups->size() == 2) CHECK((*groups)[0]["n"].get<int>() >= (*groups)[1]["n"].get<int>());
  auto bad = client.query(db.query("posts").aggregate({.aggregates = {{"s", sum("title")}}}));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().path == "/aggregates/s/sum");
}
}  // namespace

TEST_CASE("aggregate: groups, functions and order (embedded engine)") { aggregate_groups(env("DC_URL")); }
TEST_CASE("aggregate: groups, functions and order (Convex emulator)") { aggregate_groups(env("DC_CONVEX_URL")); }

TEST_CASE("the paginate iterator walks every page once (embedded engine)") { walk_pages(env("DC_URL")); }
TEST_CASE("the paginate iterator walks every page once (Convex emulator)") { walk_pages(env("DC_CONVEX_URL")); }

TEST_CASE("the Asio interface: callbacks, use_future, use_awaitable") {
  boost::asio::io_context io;
  AsyncClient client(io.get_executor(), {.url = env("DC_URL")});
  auto q = db.query("tags").count();
  std::optional<Result<Json>> by_callback;
  client.async_query(q, {}, [&](Result<Json> r) { by_callback = std::move(r); });
  std::future<Result<Json>> by_future = client.async_query(q, {}, boost::asio::use_future);
  std::optional<Result<Json>> by_coroutine;
  boost::asio::co_spawn(io, [&]() -> boost::asio::awaitable<void> {
    by_coroutine = co_await client.async_query(q, {}, boost::asio::use_awaitable);
  }, boost::asio::detached);
  io.run();
  REQUIRE(by_callback);
  REQUIRE(by_callback->ok());
  REQUIRE(by_coroutine);
  REQUIRE(by_coroutine->ok());
  auto f = by_future.get();
  REQUIRE(f.ok());
  CHECK(*f == **by_callback);
  CHECK(**by_coroutine == **by_callback);
}

TEST_CASE("a bearer token goes with every call") {
  // The demo server lets anyone in, so the token is checked where it is
  // required: the Convex-backed proxy runs with the blog's auth file.
  Client anonymous({.url = env("DC_AUTH_URL")});
  auto refused = anonymous.query(db.query("posts").find_many({.limit = 1}));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().status == 401);
  Client service({.url = env("DC_AUTH_URL"), .token = env("DC_AUTH_TOKEN")});
  auto allowed = service.query(db.query("posts").find_many({.limit = 1}));
  CHECK_MESSAGE(allowed.ok(), why(allowed));
  auto per_call = anonymous.query(db.query("posts").find_many({.limit = 1}), {.token = env("DC_AUTH_TOKEN")});
  CHECK(per_call.ok());
}

TEST_CASE("https: verified against a CA file, with the host name checked") {
  Client trusted({.url = env("DC_TLS_URL"), .ca_file = env("DC_TLS_CA")});
  auto ok = trusted.query(db.query("tags").count());
  REQUIRE_MESSAGE(ok.ok(), why(ok));
  CHECK((*ok)["count"].get<int>() > 0);

  // wss:// the same way.
  std::mutex m;
  std::condition_variable cv;
  std::optional<Json> live;
  auto sub = trusted.watch(db.query("tags").count(), [&](const Json& r) {
    std::lock_guard lock(m);
    live = r;
    cv.notify_all();
  });
  REQUIRE(eventually(m, cv, [&] { return live.has_value(); }));
  CHECK(*live == *ok);
  sub.complete();

  Client system_store({.url = env("DC_TLS_URL"), .max_attempts = 1});
  auto refused = system_store.query(db.query("tags").count());
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == "CONNECTION_FAILED");
  CHECK(refused.error().message.find("certificate verify failed") != std::string::npos);

  // The certificate names localhost only: 127.0.0.1 is another host.
  Client wrong_name({.url = env("DC_TLS_IP_URL"), .max_attempts = 1, .ca_file = env("DC_TLS_CA")});
  auto mismatch = wrong_name.query(db.query("tags").count());
  REQUIRE_FALSE(mismatch.ok());
  CHECK(mismatch.error().code == "CONNECTION_FAILED");

  Client unchecked({.url = env("DC_TLS_IP_URL"), .verify_tls = false});
  CHECK(unchecked.query(db.query("tags").count()).ok());
}

TEST_CASE("calls one after another share one kept-alive connection") {
  Client client({.url = env("DC_TLS_URL"), .ca_file = env("DC_TLS_CA")});
  int before = std::stoi(harness("tls-connections"));
  for (int i = 0; i < 20; ++i) REQUIRE(client.query(db.query("tags").count()).ok());
  int after = std::stoi(harness("tls-connections"));
  CHECK(after - before == 1);
}

TEST_CASE("through the Convex emulator: reads, a deadline, a retried 503") {
  Client client({.url = env("DC_CONVEX_URL")});
  auto tags = client.query(db.query("tags").find_many({.order_by = {asc("name")}}));
  REQUIRE_MESSAGE(tags.ok(), why(tags));
  CHECK(!tags->empty());

  // The proxy itself retries Convex 4 times; the 5th answer is ours to retry.
  harness(R"(faults {"failNext": 4, "failStatus": 503})");
  auto retried = client.query(db.query("tags").count());
  CHECK_MESSAGE(retried.ok(), why(retried));

  harness(R"(faults {"failNext": 4, "failStatus": 503})");
  Client once({.url = env("DC_CONVEX_URL"), .max_attempts = 1});
  auto failed = once.query(db.query("tags").count());
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().status == 503);
  harness(R"(faults {"failNext": 0})");

  // A mutation is never repeated once sent: the 503 comes back as it is.
  harness(R"(faults {"failNext": 4, "failStatus": 503})");
  auto write = client.mutate(db.insert("tags").values({{"name", "not-twice"}}));
  REQUIRE_FALSE(write.ok());
  CHECK(write.error().status == 503);
  harness(R"(faults {"failNext": 0})");
  CHECK((*client.query(db.query("tags").count(eq("name", "not-twice"))))["count"] == 0);

  harness(R"(faults {"latencyMs": 1500})");
  auto start = std::chrono::steady_clock::now();
  auto late = client.query(db.query("tags").count(), {.timeout = 300ms});
  auto took = std::chrono::steady_clock::now() - start;
  harness(R"(faults {"latencyMs": 0})");
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().kind == Error::Kind::timeout);
  CHECK(late.error().code == "TIMEOUT");
  CHECK(took < 1400ms);
}

TEST_CASE("watch: the whole result after each change, across a server restart") {
  Client client({.url = env("DC_URL")});
  std::mutex m;
  std::condition_variable cv;
  std::vector<Json> seen;
  auto sub = client.watch(db.query("tags").find_many({.columns = include({"name"}), .order_by = {asc("name")}}),
                          [&](const Json& result) {
                            std::lock_guard lock(m);
                            seen.push_back(result);
                            cv.notify_all();
                          });
  REQUIRE(eventually(m, cv, [&] { return !seen.empty(); }));
  CHECK(seen.front().is_array());

  REQUIRE(client.mutate(db.insert("tags").values({{"name", "watched-1"}})).ok());
  REQUIRE(eventually(m, cv, [&] { return has_name(seen.back(), "watched-1"); }));
  // The patched result equals a fresh read.
  {
    std::lock_guard lock(m);
    CHECK(seen.back() == *client.query(db.query("tags").find_many({.columns = include({"name"}), .order_by = {asc("name")}})));
  }

  harness("restart");  // the proxy stops and starts again on the same port, with fresh demo data
  for (int i = 0; i < 150 && sub.connections() < 2; ++i) std::this_thread::sleep_for(100ms);
  REQUIRE(sub.connections() >= 2);
  // The new server answers; a write there reaches the watch.
  for (int i = 0; i < 100 && !client.mutate(db.insert("tags").values({{"name", "watched-2"}})).ok(); ++i)
    std::this_thread::sleep_for(100ms);
  REQUIRE(eventually(m, cv, [&] { return has_name(seen.back(), "watched-2"); }));
  CHECK(sub.connections() >= 2);
  sub.complete();
  CHECK_FALSE(sub.active());
}

TEST_CASE("watch through the Convex emulator: a write reaches the watcher") {
  Client client({.url = env("DC_CONVEX_URL")});
  std::mutex m;
  std::condition_variable cv;
  std::optional<Json> latest;
  auto q = db.query("tags").find_many({.columns = include({"name"}), .where = like("name", "convex-w%")});
  auto sub = client.watch(q, [&](const Json& r) {
    std::lock_guard lock(m);
    latest = r;
    cv.notify_all();
  });
  REQUIRE(eventually(m, cv, [&] { return latest.has_value(); }));
  CHECK(latest->empty());
  REQUIRE(client.mutate(db.insert("tags").values({{"name", "convex-watched"}})).ok());
  REQUIRE(eventually(m, cv, [&] { return has_name(*latest, "convex-watched"); }));
}

TEST_CASE("a subscription may outlive its client: the client stops it") {
  Subscription sub;
  std::atomic<int> results{0};
  {
    Client client({.url = env("DC_URL")});
    sub = client.watch(db.query("tags").count(), [&](const Json&) { ++results; });
    for (int i = 0; i < 100 && results == 0; ++i) std::this_thread::sleep_for(50ms);
    CHECK(results == 1);
  }
  sub.complete();  // after the client: nothing left to do, and nothing touched
  CHECK_FALSE(sub.active());
}

TEST_CASE("watch: a query the server refuses ends with its error") {
  Client client({.url = env("DC_URL")});
  std::mutex m;
  std::condition_variable cv;
  std::optional<Error> error;
  auto sub = client.watch(Json::parse(R"({"table":"users","op":"findMany","where":{"nmae":1}})"), [](const Json&) {},
                          [&](const Error& e) {
                            std::lock_guard lock(m);
                            error = e;
                            cv.notify_all();
                          });
  REQUIRE(eventually(m, cv, [&] { return error.has_value(); }));
  CHECK(error->code == "INVALID_QUERY");
  CHECK(error->path == "/where/nmae");
}
