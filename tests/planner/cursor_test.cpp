#include <doctest/doctest.h>

#include "protocol/value_json.hpp"
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
