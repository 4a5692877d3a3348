#include <doctest/doctest.h>

#include "protocol/parse_mutation.hpp"
#include "server/backend/convex/sync_client.hpp"
#include "server/backend/embedded/embedded_backend.hpp"
#include "server/backend/embedded/import.hpp"
#include "tests/planner/fixture.hpp"
#include "tests/source_dir.hpp"

using namespace dc;
using dc::testing::blog_schema;

namespace {

// The blog fixture on an embedded backend whose watches run inline, so each
// write's re-evaluations have happened when write() returns.
struct Live {
  std::shared_ptr<EmbeddedBackend> backend = std::make_shared<EmbeddedBackend>(std::make_shared<const Schema>(blog_schema()), 7);
  Live() {
    auto n = import_export_dir(backend->store_for_loading(), backend->ids(),
                               dc::testing::source_dir() + "/tests/conformance/fixtures/blog/data");
    REQUIRE(n.ok());
  }
  struct Watched {
    std::unique_ptr<Watch> watch;
    std::shared_ptr<int> runs = std::make_shared<int>(0);
    std::shared_ptr<std::string> last = std::make_shared<std::string>();
  };
  Watched watch(const std::string& query) {
    auto q = parse_read_query(Json::parse(query), blog_schema(), ParseLimits{});
    REQUIRE(q.ok());
    auto p = plan_read(*q, blog_schema(), *backend, PlannerOptions{});
    REQUIRE(p.ok());
    Watched w;
    w.watch = backend->watch(std::make_shared<const ReadPlan>(std::move(p).value()), RequestContext{},
                             [runs = w.runs, last = w.last](Result<ReadOutcome> r) {
                               REQUIRE(r.ok());
                               ++*runs;
                               *last = r->data_json;
                             });
    return w;
  }
  void write(const std::string& mutation) {
    auto m = parse_mutation(Json::parse(mutation), blog_schema(), ParseLimits{});
    REQUIRE_MESSAGE(m.ok(), (m.ok() ? "" : m.error().message));
    auto p = plan_mutation(*m, blog_schema(), *backend, PlannerOptions{});
    REQUIRE(p.ok());
    bool ok = false;
    backend->write(std::make_shared<const MutationPlan>(std::move(p).value()), RequestContext{},
                   [&](Result<WriteOutcome> r) { ok = r.ok(); });
    REQUIRE(ok);
  }
};

}  // namespace

TEST_CASE("embedded watch: a write re-runs a query only when it touches the root's index range") {
  Live live;
  auto u1_posts = live.watch(R"({"table":"posts","op":"findMany","where":{"authorId":"u1"}})");
  CHECK(*u1_posts.runs == 1);  // the first result
  live.write(R"({"op":"insert","table":"posts","values":{"authorId":"u2","title":"x","published":true,"category":"misc","views":1}})");
  CHECK(*u1_posts.runs == 1);
  live.write(R"({"op":"insert","table":"posts","values":{"authorId":"u1","title":"y","published":true,"category":"misc","views":1}})");
  CHECK(*u1_posts.runs == 2);
  CHECK(u1_posts.last->find("\"title\":\"y\"") != std::string::npos);
  // A row moving into the range (its new image) and out of it (its old image) both count.
  live.write(R"({"op":"update","table":"posts","where":{"_id":"p4"},"set":{"authorId":"u1"}})");
  CHECK(*u1_posts.runs == 3);
  live.write(R"({"op":"update","table":"posts","where":{"_id":"p4"},"set":{"authorId":"u3"}})");
  CHECK(*u1_posts.runs == 4);
  live.write(R"({"op":"update","table":"posts","where":{"_id":"p4"},"set":{"views":7}})");
  CHECK(*u1_posts.runs == 4);
}

TEST_CASE("embedded watch: get by id, relation tables, other tables, and a stopped watch") {
  Live live;
  auto one = live.watch(R"({"table":"users","op":"findFirst","where":{"_id":"u1"}})");
  auto with_posts = live.watch(R"({"table":"users","op":"findMany","limit":2,"with":{"posts":true}})");
  auto tags = live.watch(R"({"table":"tags","op":"findMany"})");
  live.write(R"({"op":"update","table":"users","where":{"_id":"u2"},"set":{"credits":5}})");
  CHECK(*one.runs == 1);
  CHECK(*with_posts.runs == 2);  // users is its root, read by a full scan
  CHECK(*tags.runs == 1);
  live.write(R"({"op":"update","table":"users","where":{"_id":"u1"},"set":{"credits":6}})");
  CHECK(*one.runs == 2);
  // Relation targets are tracked per table: any posts write re-runs the query.
  live.write(R"({"op":"update","table":"posts","where":{"_id":"p12"},"set":{"views":1}})");
  CHECK(*with_posts.runs == 4);
  CHECK(*one.runs == 2);
  tags.watch.reset();
  live.write(R"({"op":"insert","table":"tags","values":{"name":"new"}})");
  CHECK(*tags.runs == 1);
}

TEST_CASE("embedded watch: relation filters track their target tables, at the root, in with levels and through junctions") {
  Live live;
  // NOT EXISTS reads an empty range: a new post by u5 must still re-run it.
  auto quiet = live.watch(R"({"table":"users","op":"findMany","columns":{"name":true},"where":{"posts":false}})");
  auto nested = live.watch(
      R"({"table":"tags","op":"findMany","where":{"name":"unused"},"with":{"posts":{"where":{"author":{"role":"member"}}}}})");
  auto tagged = live.watch(R"({"table":"tags","op":"findMany","where":{"posts":{"views":{"gt":0}}}})");
  CHECK(quiet.last->find("Barbara") != std::string::npos);
  live.write(R"({"op":"insert","table":"posts","values":{"authorId":"u5","title":"CLU","published":true,"views":1}})");
  CHECK(*quiet.runs == 2);
  CHECK(quiet.last->find("Barbara") == std::string::npos);
  int nested_before = *nested.runs;
  live.write(R"({"op":"update","table":"users","where":{"_id":"u3"},"set":{"credits":1}})");
  CHECK(*nested.runs == nested_before + 1);  // users is read by the relation filter inside the with level
  int before = *tagged.runs;
  live.write(R"({"op":"insert","table":"postTags","values":{"postId":"p2","tagId":"t4"}})");
  CHECK(*tagged.runs == before + 1);  // the junction of tags.posts
  CHECK(tagged.last->find("unused") != std::string::npos);
}

TEST_CASE("sync client: Transition versions parse from base64 little-endian u64 and round-trip") {
  auto v = parse_sync_version(Json::parse(R"({"querySet":3,"identity":1,"ts":"AQAAAAAAAAA="})"));
  REQUIRE(v);
  CHECK(v->query_set == 3);
  CHECK(v->identity == 1);
  CHECK(v->ts == 1);
  CHECK(base64_u64_le(0) == "AAAAAAAAAAA=");
  uint64_t big = 1795307522124000000ull;
  auto built = parse_sync_version(Json{{"querySet", 0}, {"identity", 0}, {"ts", base64_u64_le(big)}});
  REQUIRE(built);
  CHECK(built->ts == big);
  CHECK_FALSE(parse_sync_version(Json::parse(R"({"querySet":3,"identity":1,"ts":"AQAA"})")));
  CHECK_FALSE(parse_sync_version(Json::parse(R"({"querySet":-1,"identity":1,"ts":"AQAAAAAAAAA="})")));
}

namespace {

// A read run as the result cache runs it: the caller keeps the result.
std::shared_ptr<const Freshness> kept_read(Live& live, const std::string& query) {
  auto q = parse_read_query(Json::parse(query), blog_schema(), ParseLimits{});
  REQUIRE(q.ok());
  auto p = plan_read(*q, blog_schema(), *live.backend, PlannerOptions{});
  REQUIRE(p.ok());
  RequestContext ctx;
  ctx.keep_result = true;
  std::shared_ptr<const Freshness> fresh;
  live.backend->read(std::make_shared<const ReadPlan>(std::move(p).value()), ctx, [&](Result<ReadOutcome> r) {
    REQUIRE(r.ok());
    fresh = r->fresh;
  });
  REQUIRE(fresh);
  CHECK(fresh->holds());
  return fresh;
}

}  // namespace

TEST_CASE("kept reads: a write makes stale exactly the kept results whose read set it reaches, before it is acknowledged") {
  Live live;
  auto u1_posts = kept_read(live, R"({"table":"posts","op":"findMany","where":{"authorId":"u1"}})");
  auto one_user = kept_read(live, R"({"table":"users","op":"findFirst","where":{"_id":"u1"}})");
  auto with_posts = kept_read(live, R"({"table":"users","op":"findMany","limit":2,"with":{"posts":true}})");
  auto tags = kept_read(live, R"({"table":"tags","op":"findMany"})");
  // A post of another author: outside u1's range, but the relation load reads posts whole.
  live.write(R"({"op":"insert","table":"posts","values":{"authorId":"u2","title":"x","published":true,"category":"misc","views":1}})");
  CHECK(u1_posts->holds());
  CHECK_FALSE(with_posts->holds());
  CHECK(one_user->holds());
  CHECK(tags->holds());
  // A row moving into the range.
  live.write(R"({"op":"update","table":"posts","where":{"_id":"p4"},"set":{"authorId":"u1"}})");
  CHECK_FALSE(u1_posts->holds());
  // Another user's row leaves u1's point read alone; u1's own does not.
  live.write(R"({"op":"update","table":"users","where":{"_id":"u2"},"set":{"credits":5}})");
  CHECK(one_user->holds());
  // Stale as soon as the write is acknowledged: checked inside its callback.
  auto q = parse_mutation(Json::parse(R"({"op":"update","table":"users","where":{"_id":"u1"},"set":{"credits":6}})"), blog_schema(),
                          ParseLimits{});
  REQUIRE(q.ok());
  auto p = plan_mutation(*q, blog_schema(), *live.backend, PlannerOptions{});
  REQUIRE(p.ok());
  bool stale_at_ack = false;
  live.backend->write(std::make_shared<const MutationPlan>(std::move(p).value()), RequestContext{},
                      [&](Result<WriteOutcome> r) { stale_at_ack = r.ok() && !one_user->holds(); });
  CHECK(stale_at_ack);
  CHECK(tags->holds());
  // A write that fails changes nothing and makes nothing stale: u1 takes u2's email (unique).
  auto again = kept_read(live, R"({"table":"users","op":"findFirst","where":{"_id":"u1"}})");
  auto bad = parse_mutation(Json::parse(R"({"op":"update","table":"users","where":{"_id":"u1"},"set":{"email":"grace@x.io"}})"),
                            blog_schema(), ParseLimits{});
  REQUIRE(bad.ok());
  auto bp = plan_mutation(*bad, blog_schema(), *live.backend, PlannerOptions{});
  REQUIRE(bp.ok());
  bool failed = false;
  live.backend->write(std::make_shared<const MutationPlan>(std::move(bp).value()), RequestContext{},
                      [&](Result<WriteOutcome> r) { failed = !r.ok(); });
  REQUIRE(failed);
  CHECK(again->holds());
  // Without the flag, nothing is kept.
  auto q2 = parse_read_query(Json::parse(R"({"table":"tags","op":"findMany"})"), blog_schema(), ParseLimits{});
  auto p2 = plan_read(*q2, blog_schema(), *live.backend, PlannerOptions{});
  live.backend->read(std::make_shared<const ReadPlan>(std::move(p2).value()), RequestContext{},
                     [](Result<ReadOutcome> r) { CHECK_FALSE(r->fresh); });
}

TEST_CASE("kept reads: point reads are found by id; a table's range reads are bounded; a large group makes them all stale") {
  Live live;
  auto u1 = kept_read(live, R"({"table":"users","op":"findFirst","where":{"_id":"u1"}})");
  auto u1u2 = kept_read(live, R"({"table":"users","op":"findMany","where":{"_id":{"in":["u1","u2"]}}})");
  auto ranged = kept_read(live, R"({"table":"users","op":"findMany","where":{"credits":{"gte":1000000}}})");
  live.write(R"({"op":"update","table":"users","where":{"_id":"u2"},"set":{"credits":5}})");
  CHECK(u1->holds());
  CHECK_FALSE(u1u2->holds());
  CHECK(ranged->holds());  // 5 credits is outside the range
  live.write(R"({"op":"update","table":"users","where":{"_id":"u1"},"set":{"credits":2000000}})");
  CHECK_FALSE(u1->holds());
  CHECK_FALSE(ranged->holds());
}

TEST_CASE("kept reads: past 4,096 kept range reads of a table the next one is not kept; one gone frees a slot") {
  Live live;
  auto q = parse_read_query(Json::parse(R"({"table":"posts","op":"findMany","where":{"views":{"gte":100}}})"), blog_schema(), ParseLimits{});
  REQUIRE(q.ok());
  auto p = plan_read(*q, blog_schema(), *live.backend, PlannerOptions{});
  REQUIRE(p.ok());
  auto plan = std::make_shared<const ReadPlan>(std::move(p).value());
  auto read = [&] {
    RequestContext ctx;
    ctx.keep_result = true;
    std::shared_ptr<const Freshness> fresh;
    live.backend->read(plan, ctx, [&](Result<ReadOutcome> r) {
      REQUIRE(r.ok());
      fresh = r->fresh;
    });
    return fresh;
  };
  std::vector<std::shared_ptr<const Freshness>> held;
  for (size_t i = 0; i < FreshReads::kRangeReadsPerTable; ++i) {
    held.push_back(read());
    REQUIRE(held.back());
  }
  CHECK_FALSE(read());  // the table's list is full of reads still held
  held.pop_back();      // the cache let one go
  CHECK(read());
}
