// Read rules (auth.md section 4) planned and run on the embedded engine
// over the blog fixture: each place a table is read gets the rule's rows
// only; columns, limits and nesting are checked with the path of the part.
#include <doctest/doctest.h>

#include "server/backend/embedded/embedded_backend.hpp"
#include "server/backend/embedded/import.hpp"
#include "tests/planner/fixture.hpp"
#include "tests/source_dir.hpp"

using namespace dc;
using dc::testing::blog_schema;

namespace {

struct Blog {
  std::shared_ptr<EmbeddedBackend> backend = std::make_shared<EmbeddedBackend>(std::make_shared<const Schema>(blog_schema()), 7);
  Blog() {
    auto n = import_export_dir(backend->store_for_loading(), backend->ids(), dc::testing::source_dir() + "/tests/conformance/fixtures/blog/data");
    REQUIRE(n.ok());
  }

  Result<ReadPlan> plan(const std::string& query, const std::shared_ptr<const ReadRules>& rules) {
    auto q = parse_read_query(Json::parse(query), blog_schema(), ParseLimits{});
    REQUIRE_MESSAGE(q.ok(), (q.ok() ? "" : q.error().message));
    PlannerOptions o;
    o.rules = rules;
    return plan_read(*q, blog_schema(), *backend, o);
  }

  Json run(const std::string& query, const std::shared_ptr<const ReadRules>& rules) {
    auto p = plan(query, rules);
    REQUIRE_MESSAGE(p.ok(), (p.ok() ? "" : p.error().message + " at " + p.error().path.value_or("")));
    Json out;
    backend->read(std::make_shared<const ReadPlan>(std::move(p).value()), RequestContext{}, [&](Result<ReadOutcome> r) {
      REQUIRE(r.ok());
      out = Json::parse(r->data_json);
    });
    return out;
  }

  Error refused(const std::string& query, const std::shared_ptr<const ReadRules>& rules) {
    auto p = plan(query, rules);
    REQUIRE_FALSE(p.ok());
    CHECK(p.error().code == ErrorCode::forbidden);
    return p.error();
  }
};

TableReadRule rule(const std::string& table, const char* filter = nullptr, std::optional<std::set<std::string>> columns = std::nullopt) {
  TableReadRule r;
  if (filter) {
    auto f = parse_filter(Json::parse(filter), table, blog_schema(), ParseLimits{}, "");
    REQUIRE(f.ok());
    r.filter = std::move(f).value();
  }
  r.columns = std::move(columns);
  return r;
}

// A reader of published posts (and of the users, tags and links around them).
std::shared_ptr<ReadRules> reader() {
  auto r = std::make_shared<ReadRules>();
  r->role = "reader";
  r->tables.emplace("posts", rule("posts", R"({"published": true})"));
  r->tables.emplace("users", rule("users", nullptr, std::set<std::string>{"_id", "name", "role"}));
  r->tables.emplace("tags", rule("tags"));
  r->tables.emplace("postTags", rule("postTags", R"({"tagId": {"ne": "t2"}})"));
  return r;
}

std::vector<std::string> ids(const Json& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r["_id"]);
  return out;
}

}  // namespace

TEST_CASE("read rules: the root, count and paginate see the rule's rows only") {
  Blog b;
  auto r = reader();
  CHECK(ids(b.run(R"({"table":"posts","op":"findMany","where":{"authorId":"u1"}})", r)) == std::vector<std::string>{"p1", "p3"});
  CHECK(b.run(R"({"table":"posts","op":"count"})", r) == Json{{"count", 9}});
  auto page = b.run(R"({"table":"posts","op":"paginate","numItems":5,"orderBy":{"views":"asc"}})", r);
  CHECK(ids(page["page"]) == std::vector<std::string>{"p3", "p9", "p4", "p1", "p10"});  // p2, p8 and p11 are not published
}

TEST_CASE("read rules: every `with` level and every relation filter probe applies the target's rule") {
  Blog b;
  auto r = reader();
  auto users = b.run(R"({"table":"users","op":"findMany","where":{"_id":{"in":["u1","u4"]}},"with":{"posts":{"columns":{"_id":true}}}})", r);
  REQUIRE(users.size() == 2);
  CHECK(ids(users[0]["posts"]) == std::vector<std::string>{"p1", "p3"});
  CHECK(ids(users[1]["posts"]) == std::vector<std::string>{"p7", "p9"});
  // u1 and u6 have unpublished posts with fewer views (20, 50); the probe must not find them.
  auto low = b.run(R"({"table":"users","op":"findMany","where":{"posts":{"views":{"lt":60}}}})", r);
  CHECK(low.empty());
  auto admin = b.run(R"({"table":"users","op":"findMany","where":{"posts":{"views":{"lt":60}}}})", nullptr);
  CHECK(ids(admin) == std::vector<std::string>{"u1", "u6"});
}

TEST_CASE("read rules: a junction table needs its own rule, and its filter hides links") {
  Blog b;
  auto r = reader();
  auto p6 = b.run(R"({"table":"posts","op":"findFirst","where":{"_id":"p6"},"with":{"tags":true}})", r);
  CHECK(ids(p6["tags"]) == std::vector<std::string>{"t3"});  // the link to t2 is filtered out
  auto no_links = std::make_shared<ReadRules>(*r);
  no_links->tables.erase("postTags");
  auto e = b.refused(R"({"table":"posts","op":"findMany","with":{"tags":true}})", no_links);
  CHECK(e.message == "role 'reader' may not read table 'postTags'");
  CHECK(e.path == "/with/tags");
}

TEST_CASE("read rules: a table without a rule is refused where it is named") {
  Blog b;
  auto r = reader();
  auto e = b.refused(R"({"table":"comments","op":"findMany"})", r);
  CHECK(e.path == "/table");
  CHECK(b.refused(R"({"table":"posts","op":"findMany","with":{"comments":true}})", r).path == "/with/comments");
  CHECK(b.refused(R"({"table":"users","op":"findMany","where":{"comments":{"body":"x"}}})", r).path == "/where/comments");
}

TEST_CASE("read rules: columns outside the role's list are refused in columns, where and orderBy; without columns only visible ones come back") {
  Blog b;
  auto r = reader();
  auto users = b.run(R"({"table":"users","op":"findFirst","where":{"_id":"u1"}})", r);
  CHECK(users == Json{{"_id", "u1"}, {"name", "Ada Lovelace"}, {"role", "admin"}});
  CHECK(b.refused(R"({"table":"users","op":"findMany","columns":{"email":true}})", r).path == "/columns/email");
  auto w = b.refused(R"({"table":"users","op":"findMany","where":{"credits":{"gt":1}}})", r);
  CHECK(w.path == "/where/credits/gt");
  CHECK(w.message == "role 'reader' may not read column 'credits' of table 'users'");
  CHECK(b.refused(R"({"table":"users","op":"findMany","orderBy":{"email":"asc"}})", r).path == "/orderBy/email");
  // Excluding columns leaves the visible rest.
  CHECK(b.run(R"({"table":"users","op":"findFirst","where":{"_id":"u1"},"columns":{"role":false}})", r) ==
        Json{{"_id", "u1"}, {"name", "Ada Lovelace"}});
}

TEST_CASE("read rules: the rule's own filter may use hidden columns, and an index serves it") {
  Blog b;
  auto r = std::make_shared<ReadRules>();
  r->role = "u1";
  r->tables.emplace("posts", rule("posts", R"({"authorId": "u1"})", std::set<std::string>{"_id", "title"}));
  auto p = b.plan(R"({"table":"posts","op":"findMany"})", r);
  REQUIRE(p.ok());
  CHECK(p->root.access.source.index == "by_author");
  CHECK(p->root.access.source.intervals.size() == 1);
  CHECK(ids(b.run(R"({"table":"posts","op":"findMany"})", r)) == std::vector<std::string>{"p1", "p2", "p3"});
}

TEST_CASE("read rules: maxLimit refuses a larger limit or numItems; maxDepth refuses deeper nesting") {
  Blog b;
  auto r = reader();
  r->max_limit = 5;
  r->max_depth = 1;
  auto e = b.refused(R"({"table":"posts","op":"findMany","limit":6})", r);
  CHECK(e.path == "/limit");
  CHECK(e.message == "limit 6 is over the maxLimit of role 'reader' (5)");
  CHECK(b.refused(R"({"table":"posts","op":"paginate","numItems":6})", r).path == "/numItems");
  CHECK(b.refused(R"({"table":"users","op":"findMany","limit":1,"with":{"posts":{"limit":9}}})", r).path == "/with/posts/limit");
  CHECK(b.run(R"({"table":"posts","op":"findMany","limit":5,"with":{"author":true}})", r).size() == 5);
  CHECK(b.refused(R"({"table":"posts","op":"findMany","limit":5,"with":{"author":{"with":{"posts":true}}}})", r).path ==
        "/with/author/with/posts");
}
