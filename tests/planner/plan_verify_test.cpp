// The verifier: every golden-shaped plan passes it, and each invariant it
// names fails on a plan broken in exactly that way.
#include <doctest/doctest.h>

#include "server/planner/plan_verify.hpp"
#include "tests/planner/fixture.hpp"

using namespace dc;
using dc::testing::blog_schema;
using dc::testing::must_plan;
using dc::testing::plan;

namespace {

std::string verdict(const ReadPlan& p) {
  auto st = verify_plan(p, blog_schema());
  return st ? "" : st.error().message;
}

}  // namespace

TEST_CASE("plan_verify: plans of every kind pass") {
  for (const char* q : {
           R"({"table":"users","where":{"role":"admin","credits":{"gt":100}},"orderBy":{"credits":"asc"},"limit":2})",
           R"({"table":"posts","where":{"authorId":{"in":["u1","u4"]}},"orderBy":{"views":"desc"},"limit":3})",
           R"({"table":"users","where":{"_id":"u1"},"with":{"posts":{"limit":2,"with":{"comments":true}},"profile":true}})",
           R"({"table":"users","where":{"posts":{"published":false},"role":{"ne":"member"}}})",
           R"({"table":"tags","orderBy":{"name":"asc"},"with":{"posts":{"limit":1,"orderBy":{"views":"desc"}}}})",
           R"({"table":"posts","where":{"tags":{"name":"math"}},"columns":{"title":true}})",
           R"({"table":"posts","where":{"comments":{"author":{"email":"ada@x.io"}}},"orderBy":{"title":"asc"},"limit":2})",
           R"({"table":"users","where":{"OR":[{"role":"admin"},{"credits":{"gt":140}}]}})",
           R"x({"table":"users","orderBy":{"posts":{"comments":"desc(count)"},"name":"asc"},"limit":2})x",
           R"({"table":"posts","op":"paginate","numItems":5,"where":{"published":true},"orderBy":{"views":"desc"}})",
           R"({"table":"posts","where":{"views":{"lt":100}}})",
           R"({"table":"users","where":{"role":{"in":[]}}})",
       }) {
    CAPTURE(q);
    CHECK(verdict(must_plan(q)) == "");
  }
}

TEST_CASE("plan_verify: an access numbered twice, or a count that misses one") {
  auto p = must_plan(R"({"table":"users","with":{"posts":true}})");
  p.root.with[0].node.access.id = p.root.access.id;
  CHECK(verdict(p).find("numbered twice") != std::string::npos);
  auto q = must_plan(R"({"table":"users","with":{"posts":true}})");
  q.accesses = 1;
  CHECK(verdict(q).find("numbered twice or out of range") != std::string::npos);
}

TEST_CASE("plan_verify: ranges must lie inside their index, in order, apart") {
  auto p = must_plan(R"({"table":"users","where":{"role":{"in":["admin","member"]}}})");
  REQUIRE(p.root.access.source.intervals.size() == 2);
  std::swap(p.root.access.source.intervals[0], p.root.access.source.intervals[1]);
  CHECK(verdict(p).find("out of index order") != std::string::npos);

  auto q = must_plan(R"({"table":"users","where":{"role":"admin","credits":{"gt":100,"lt":200}}})");
  auto& iv = q.root.access.source.intervals.at(0);
  std::swap(iv.lower, iv.upper);
  CHECK(verdict(q).find("lower bound is above its upper") != std::string::npos);

  auto r = must_plan(R"({"table":"users","where":{"role":"admin"}})");
  r.root.access.source.intervals[0].lower->key.resize(5, Value(1.0));
  CHECK(verdict(r).find("longer than the index key") != std::string::npos);

  auto s = must_plan(R"({"table":"users","where":{"role":"admin"}})");
  s.root.access.source.index = "by_email";
  CHECK(verdict(s).find("index fields differ") != std::string::npos);
}

TEST_CASE("plan_verify: an index-then-ties order gives at least one key and at most all") {
  auto p = must_plan(R"({"table":"posts","where":{"published":true},"orderBy":{"views":"desc","_id":"asc"},"limit":3})");
  REQUIRE(p.root.access.order_source == OrderSource::index_ties);
  p.root.access.index_order_keys = 0;
  CHECK(verdict(p).find("gives 0 of") != std::string::npos);
  p.root.access.index_order_keys = p.root.access.order.size() + 1;
  CHECK(verdict(p).find("index-then-ties") != std::string::npos);
}

TEST_CASE("plan_verify: filters test only the table's fields; relation filters are planned") {
  auto p = must_plan(R"({"table":"users","where":{"name":{"like":"%a%"}}})");
  REQUIRE(p.root.access.post_filter);
  p.root.access.post_filter->field = "nope";
  CHECK(verdict(p).find("tests 'nope'") != std::string::npos);

  auto q = must_plan(R"({"table":"users","where":{"NOT":{"posts":{"published":true}}}})");
  REQUIRE(q.root.access.post_filter);
  PlanFilter* probe = &*q.root.access.post_filter;
  while (probe->kind != PlanFilter::Kind::exists) probe = &probe->children.at(0);
  probe->relation = nullptr;
  q.accesses -= 1;  // the probe's access is gone with it
  CHECK(verdict(q).find("is not planned") != std::string::npos);
}

TEST_CASE("plan_verify: a driven access takes as many keys as its driver gives") {
  auto p = must_plan(R"({"table":"posts","where":{"author":{"email":"ada@x.io"}}})");
  REQUIRE(p.root.access.driver);
  p.root.access.driver->related_fields.push_back("email");
  CHECK(verdict(p).find("different number of key fields") != std::string::npos);
}

TEST_CASE("plan_verify: the worst case bounds every access and fits the budget") {
  auto p = must_plan(R"({"table":"users","with":{"posts":true}})");
  p.root.with[0].node.access.max_reads = p.max_reads + 1;
  CHECK(verdict(p).find("more than the whole plan's bound") != std::string::npos);
  auto q = must_plan(R"({"table":"users"})");
  q.budget = q.max_reads - 1;
  CHECK(verdict(q).find("more than its budget") != std::string::npos);
  auto r = must_plan(R"({"table":"users"})");
  r.max_reads = kUnbounded;
  CHECK(verdict(r).find("nothing says the budget is enforced") != std::string::npos);
}

TEST_CASE("plan_verify: a relation's parent fields pair with its lookup key") {
  auto p = must_plan(R"({"table":"users","with":{"posts":true}})");
  p.root.with[0].parent_fields.clear();
  CHECK(verdict(p).find("pairs its parent's fields") != std::string::npos);
}
