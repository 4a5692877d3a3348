#include <doctest/doctest.h>

#include "protocol/value_json.hpp"
#include "server/planner/cursor_codec.hpp"
#include "tests/planner/fixture.hpp"

using namespace dc;

namespace {

const char* kPage = R"({"table":"posts","op":"paginate","numItems":5,"orderBy":{"views":"desc"}})";

Result<ReadPlan> page_after(const std::string& cursor_text) {
  Json q = Json::parse(kPage);
  q["cursor"] = base64_encode(cursor_text);
  return dc::testing::plan(q.dump());
}

// The fingerprint a genuine cursor of kPage carries: with it, the keys are decoded.
std::string fingerprint() {
  auto p = dc::testing::plan(kPage);
  REQUIRE(p.ok());
  Json q;
  q["q"] = p->fingerprint;
  return q.dump().substr(5, q.dump().size() - 6);  // the quoted string
}

}  // namespace

TEST_CASE("cursor: one nested 30,000 deep is refused as invalid, without recursion") {
  std::string deep = R"({"q":)" + fingerprint() + R"(,"k":[)" + std::string(30000, '[') + std::string(30000, ']') + "]}";
  auto p = page_after(deep);
  REQUIRE_FALSE(p.ok());
  CHECK(p.error().code == ErrorCode::invalid_query);
  CHECK(p.error().path == "/cursor");
}

TEST_CASE("cursor: a genuine one with shallow keys is accepted") {
  CHECK(page_after(R"({"q":)" + fingerprint() + R"(,"k":[10,1.5,"id"]})").ok());
}

TEST_CASE("cursor: not JSON, duplicate keys or another query's fingerprint are invalid") {
  for (const char* text : {"not json", R"({"q":"a","q":"b","k":[]})", R"({"q":"another query","k":[]})"}) {
    CAPTURE(text);
    auto p = page_after(text);
    REQUIRE_FALSE(p.ok());
    CHECK(p.error().path == "/cursor");
  }
}

TEST_CASE("cursor: bound to the query, not to the access path the data chose") {
  // The same query over other data may be planned another way (driven from
  // the author or scanned): a cursor from the first page stays valid.
  const char* q = R"({"table":"posts","op":"paginate","numItems":2,"where":{"author":{"email":"ada@x.io"}}})";
  dc::testing::FakeStats few;
  few.rows["posts"] = 1;
  auto driven = dc::testing::plan(q);
  auto scanned = dc::testing::plan(q, 32000, few);
  REQUIRE(driven.ok());
  REQUIRE(scanned.ok());
  REQUIRE(driven->root.access.driver);
  REQUIRE_FALSE(scanned->root.access.driver);
  CHECK(driven->fingerprint == scanned->fingerprint);
  // Another filter or order is another query.
  auto other = dc::testing::plan(R"({"table":"posts","op":"paginate","numItems":2,"where":{"author":{"email":"ken@x.io"}}})");
  auto desc = dc::testing::plan(R"({"table":"posts","op":"paginate","numItems":2,"where":{"author":{"email":"ada@x.io"}},"orderBy":{"_creationTime":"desc"}})");
  CHECK(other->fingerprint != driven->fingerprint);
  CHECK(desc->fingerprint != driven->fingerprint);
}

TEST_CASE("cursor: a plan that seeks in another index's range refuses the cursor instead of misreading it") {
  // Page 1 seeks in by_published_views, its cursor holding that index's key;
  // a page 2 planned over another index (or driven) could not read it.
  const char* q = R"({"table":"posts","op":"paginate","numItems":2,"where":{"published":true},"orderBy":{"views":"asc"}})";
  auto seeking = dc::testing::plan(q);
  REQUIRE(seeking.ok());
  REQUIRE(seek_index(seeking->root.access) == "by_published_views");
  TableAccess other = seeking->root.access;
  other.source.index = "by_creation_time";
  CHECK(plan_fingerprint("posts", std::nullopt, other.order, seek_index(other)) !=
        plan_fingerprint("posts", std::nullopt, other.order, seek_index(seeking->root.access)));
  // Plans that hold the order's key share one form, whatever reads the rows.
  TableAccess sorted = seeking->root.access;
  sorted.order_source = OrderSource::sort;
  TableAccess driven_like = sorted;
  driven_like.source.kind = Source::Kind::get;
  CHECK(seek_index(sorted).empty());
  CHECK(seek_index(driven_like).empty());
}
