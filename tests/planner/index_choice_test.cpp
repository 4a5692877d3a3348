#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "server/planner/index_choice.hpp"
#include "server/planner/plan_json.hpp"
#include "tests/planner/fixture.hpp"
#include "tests/source_dir.hpp"

using namespace dc;
using dc::testing::must_plan;
using dc::testing::plan;

namespace {

const TableAccess& root(const ReadPlan& p) { return p.root.access; }

}  // namespace

TEST_CASE("index_choice: equality on every field of an index beats a shorter prefix") {
  auto p = must_plan(R"({"table":"users","where":{"role":"admin","credits":120}})");
  CHECK(root(p).source.index == "by_role_credits");
  REQUIRE(root(p).source.intervals.size() == 1);
  CHECK(root(p).source.intervals[0].lower->key.size() == 2);
  CHECK_FALSE(root(p).post_filter.has_value());
}

TEST_CASE("index_choice: equality prefix plus one range on the next field") {
  auto p = must_plan(R"({"table":"users","where":{"role":"admin","credits":{"gt":100,"lte":300}}})");
  const auto& a = root(p);
  CHECK(a.source.index == "by_role_credits");
  const Interval& iv = a.source.intervals.at(0);
  CHECK(iv.lower->key.size() == 2);
  CHECK_FALSE(iv.lower->inclusive);
  CHECK(iv.upper->inclusive);
  CHECK(a.served.size() == 3);
  CHECK_FALSE(a.post_filter.has_value());
}

TEST_CASE("index_choice: a range alone starts above null so null and missing never match") {
  auto p = must_plan(R"({"table":"posts","where":{"category":{"lt":"m"}}})");
  const Interval& iv = root(p).source.intervals.at(0);
  REQUIRE(iv.lower.has_value());
  CHECK(iv.lower->key.at(0).is_null());
  CHECK_FALSE(iv.lower->inclusive);
}

TEST_CASE("index_choice: isNull is the range up to null, covering missing too") {
  auto p = must_plan(R"({"table":"posts","where":{"category":null}})");
  const Interval& iv = root(p).source.intervals.at(0);
  CHECK_FALSE(iv.lower.has_value());
  CHECK(iv.upper->key.at(0).is_null());
  CHECK(iv.upper->inclusive);
}

TEST_CASE("index_choice: in becomes an index union, one range per distinct value") {
  auto p = must_plan(R"({"table":"posts","where":{"authorId":{"in":["u4","u1","u4"]}}})");
  CHECK(root(p).source.index == "by_author");
  REQUIRE(root(p).source.intervals.size() == 2);
  CHECK(root(p).source.intervals[0].lower->key[0].as_string() == "u1");
  CHECK(root(p).source.intervals[1].lower->key[0].as_string() == "u4");
}

TEST_CASE("index_choice: ne and notIn become the complement ranges above null") {
  auto p = must_plan(R"({"table":"posts","where":{"category":{"notIn":["math","history"]}}})");
  CHECK(root(p).source.index == "by_category");
  CHECK(root(p).source.intervals.size() == 3);
  CHECK_FALSE(root(p).post_filter.has_value());
}

TEST_CASE("index_choice: _id equality and in lists are gets") {
  auto p = must_plan(R"({"table":"users","where":{"_id":{"in":["u2","u1"]},"role":"admin"}})");
  CHECK(root(p).source.kind == Source::Kind::get);
  CHECK(root(p).source.ids.size() == 2);
  CHECK(root(p).post_filter.has_value());  // role is checked after the get
  CHECK(p.max_reads == 2);
}

TEST_CASE("index_choice: the order is pushed down when the index serves it, multi-field too") {
  auto p = must_plan(R"({"table":"users","orderBy":{"role":"desc","credits":"desc"},"limit":3})");
  CHECK(root(p).source.index == "by_role_credits");
  CHECK(root(p).source.descending);
  // desc on the user keys, but ties must come back by _creationTime ascending.
  CHECK(root(p).order_source == OrderSource::index_ties);
  CHECK(p.max_reads == 8);  // the last tie group may be long: bounded by the table
}

TEST_CASE("index_choice: a tie-break other than the index's own still stops after the limit's tie group") {
  // by_published_views ends in _creationTime, _id: the index gives views desc,
  // not the _id asc tie-break, so the rows tying on views are re-sorted.
  auto p = must_plan(R"({"table":"posts","where":{"published":true},"orderBy":{"views":"desc","_id":"asc"},"limit":3})");
  CHECK(root(p).source.index == "by_published_views");
  CHECK(root(p).source.descending);
  CHECK(root(p).order_source == OrderSource::index_ties);
  CHECK(root(p).index_order_keys == 1);
  CHECK(root(p).user_order_keys == 2);
  // A first key no index gives cannot stop early.
  auto s = must_plan(R"({"table":"posts","where":{"published":true},"orderBy":{"title":"asc","views":"desc"},"limit":3})");
  CHECK(root(s).order_source == OrderSource::sort);
}

TEST_CASE("index_choice: an OR of ranges on the field after an equality prefix is several ranges of one index") {
  auto p = must_plan(R"({"table":"posts","where":{"published":true,"OR":[{"views":{"gt":800}},{"views":{"lt":100}}]}})");
  const TableAccess& a = root(p);
  CHECK(a.source.index == "by_published_views");
  REQUIRE(a.source.intervals.size() == 2);
  // Ascending, whatever the branches' order: (true, null) .. (true, 100), then (true, 800) .. (true].
  CHECK(a.source.intervals[0].upper->key.at(1) == Value(100.0));
  CHECK(a.source.intervals[1].lower->key.at(1) == Value(800.0));
  CHECK_FALSE(a.source.intervals[1].lower->inclusive);
  CHECK_FALSE(a.post_filter);  // the ranges answer the OR exactly

  // Overlapping or touching branches merge; a branch on another field keeps the OR a post-filter.
  auto m = must_plan(R"({"table":"posts","where":{"published":true,"OR":[{"views":{"gte":100,"lte":500}},{"views":{"gte":500}},{"views":50}]}})");
  CHECK(root(m).source.intervals.size() == 2);
  auto other = must_plan(R"({"table":"posts","where":{"published":true,"OR":[{"views":{"gt":800}},{"title":"x"}]}})");
  CHECK(root(other).source.intervals.size() == 1);
  CHECK(root(other).post_filter);
  // The same on users(role, credits), the branches given in descending order.
  auto lead = must_plan(R"({"table":"users","where":{"OR":[{"credits":{"gt":140}},{"credits":{"lt":10}}],"role":"admin"}})");
  CHECK(root(lead).source.index == "by_role_credits");
  CHECK(root(lead).source.intervals.size() == 2);
  CHECK_FALSE(root(lead).post_filter);
}

TEST_CASE("index_choice: an equality-pinned field drops out of the order check") {
  auto p = must_plan(R"({"table":"users","where":{"role":"admin"},"orderBy":{"credits":"asc"},"limit":1})");
  CHECK(root(p).source.index == "by_role_credits");
  CHECK(root(p).order_source == OrderSource::index);
  CHECK(p.max_reads == 1);
  auto c = must_plan(R"({"table":"posts","where":{"authorId":"u1"},"orderBy":{"_creationTime":"desc"},"limit":2})");
  CHECK(root(c).order_source == OrderSource::index);
  CHECK(root(c).source.descending);
  CHECK(c.max_reads == 2);
}

TEST_CASE("index_choice: in ranges each in the order merge: the limit plus one look-ahead per range") {
  auto p = must_plan(R"({"table":"users","where":{"role":{"in":["admin","member","editor"]}},"orderBy":{"credits":"asc"},"limit":4})");
  CHECK(root(p).source.index == "by_role_credits");
  CHECK(root(p).source.intervals.size() == 3);
  CHECK(root(p).order_source == OrderSource::index);
  CHECK(p.max_reads == 4 + 3 - 1);  // not 3 x 4: the ranges stop together
}

TEST_CASE("index_choice: an order no index serves is sorted in memory, with a warning naming an index") {
  auto p = must_plan(R"({"table":"users","where":{"role":"admin"},"orderBy":{"name":"asc"}})");
  CHECK(root(p).order_source == OrderSource::sort);
  REQUIRE_FALSE(p.warnings.empty());
  CHECK(p.warnings[0].find("users(role, name)") != std::string::npos);
}

TEST_CASE("index_choice: skip-scan over a required boolean or union of literals serves the next field") {
  auto p = must_plan(R"({"table":"posts","where":{"views":{"lt":100}}})");
  const TableAccess& a = root(p);
  CHECK(a.source.index == "by_published_views");
  CHECK(a.source.skip_field == "published");
  REQUIRE(a.source.intervals.size() == 2);  // published = false, then true
  CHECK(a.source.intervals[0].lower->key.at(0) == Value(false));
  CHECK(a.source.intervals[1].upper->key.at(1) == Value(100.0));
  CHECK_FALSE(a.post_filter);  // the ranges answer the filter exactly
  CHECK(p.warnings.empty());

  auto roles = must_plan(R"({"table":"users","where":{"credits":{"gte":100}}})");
  CHECK(root(roles).source.skip_field == "role");
  CHECK(root(roles).source.intervals.size() == 3);  // admin, editor, member

  // Ordered by the second field with a limit: each range stops after the limit.
  auto top = must_plan(R"({"table":"posts","orderBy":{"views":"desc"},"limit":2})");
  CHECK(root(top).source.skip_field == "published");
  CHECK(root(top).order_source == OrderSource::index_ties);
  // The bound stays the table: the tie group at each range's boundary has no
  // proven size (conformance 17_read_less counts the 6 actually read).
}

TEST_CASE("index_choice: no skip-scan where a filter pins the leading field, or nothing follows it") {
  auto pinned = must_plan(R"({"table":"posts","where":{"published":true,"views":{"lt":100}}})");
  CHECK(root(pinned).source.skip_field.empty());
  CHECK(root(pinned).source.intervals.size() == 1);
  // published in a range of its own is no skip: the filter is served as written.
  auto ne = must_plan(R"({"table":"posts","where":{"published":{"ne":true},"views":{"lt":100}}})");
  CHECK(root(ne).source.skip_field.empty());
  // Nothing on views and no order: a skip-scan would read everything in more ranges.
  auto none = must_plan(R"({"table":"posts","where":{"title":"x"}})");
  CHECK(root(none).source.skip_field.empty());
}

TEST_CASE("index_choice: a selective relation filter drives a scan from the related side") {
  auto p = must_plan(R"({"table":"posts","where":{"author":{"role":"admin"},"title":{"like":"%e%"}}})");
  const TableAccess& a = root(p);
  REQUIRE(a.driver);
  CHECK(a.driver->relation == "author");
  CHECK(a.driver->related.access.table == "users");
  CHECK(a.driver->related.access.source.index == "by_role_credits");
  CHECK(a.driver->related_fields == FieldList{"_id"});
  CHECK(a.key_fields == FieldList{"authorId"});  // posts looked up by the authors found
  CHECK(a.source.index == "by_author");
  REQUIRE(a.post_filter);  // the like still applies; the relation filter holds by construction
  CHECK(a.post_filter->kind == PlanFilter::Kind::cmp);
  CHECK(a.order_source == OrderSource::sort);
  CHECK(a.driver->estimated_reads * 2 <= a.driver->estimated_scan);

  auto j = must_plan(R"({"table":"posts","where":{"tags":{"name":"math"}}})");
  REQUIRE(root(j).driver);
  REQUIRE(root(j).driver->junction);
  CHECK(root(j).driver->junction->key_fields == FieldList{"tagId"});
  CHECK(root(j).driver->junction_fields == FieldList{"postId"});
  CHECK(root(j).source.kind == Source::Kind::get);
}

TEST_CASE("index_choice: without a limit the order only breaks ties; the filter picks the index") {
  // Every match is read anyway: the complement ranges of `ne` read the non-members, the scan all users.
  auto all = must_plan(R"({"table":"users","where":{"role":{"ne":"member"}},"orderBy":{"_creationTime":"asc"}})");
  CHECK(root(all).source.index == "by_role_credits");
  CHECK(root(all).order_source == OrderSource::sort);
  // With a limit the scan in creation order may stop after a few rows.
  auto first = must_plan(R"({"table":"users","where":{"role":{"ne":"member"}},"orderBy":{"_creationTime":"asc"},"limit":1})");
  CHECK(root(first).source.kind == Source::Kind::full_scan);
  // A range on an index's second field: skip-scanned rather than scanned for the order.
  auto range = must_plan(R"({"table":"users","where":{"credits":{"gte":80,"lte":95}},"orderBy":{"_creationTime":"asc"}})");
  CHECK(root(range).source.skip_field == "role");
  // Paginate reads page by page: the order still counts.
  auto q = parse_read_query(Json::parse(R"({"table":"users","op":"paginate","numItems":2,"where":{"role":{"ne":"member"}},"orderBy":{"_creationTime":"asc"}})"),
                            testing::blog_schema(), ParseLimits{});
  REQUIRE(q.ok());
  testing::FakeStats stats;
  auto pg = plan_read(*q, testing::blog_schema(), stats, PlannerOptions{});
  REQUIRE(pg.ok());
  CHECK(pg->root.access.source.kind == Source::Kind::full_scan);
}

TEST_CASE("index_choice: an in list after a skip-scanned field: one range per pair") {
  auto p = must_plan(R"({"table":"posts","where":{"views":{"in":[500,20]}},"orderBy":{"views":"desc"}})");
  CHECK(root(p).source.index == "by_published_views");
  CHECK(root(p).source.skip_field == "published");
  CHECK(root(p).source.intervals.size() == 4);
  CHECK_FALSE(root(p).post_filter.has_value());
}

TEST_CASE("index_choice: counted values decide whether a relation filter drives, not the guess") {
  const char* q = R"({"table":"posts","where":{"author":{"role":"admin"}}})";
  // No counts: role has 4 known values, so the guess keeps 2 of 8 users; driving wins.
  CHECK(root(must_plan(q)).driver);
  // Counted: 7 of the 8 users are admins; their posts cost more than scanning the 12 posts.
  testing::FakeStats skewed;
  skewed.counts = {{"users.role=admin", 7}, {"users.role=member", 1}};
  auto p = testing::plan(q, 32000, skewed);
  REQUIRE(p.ok());
  CHECK_FALSE(p->root.access.driver);
  // And a rare value drives even where the guess would not: `in` over two roles of one user each.
  testing::FakeStats rare;
  rare.counts = {{"users.role=admin", 1}, {"users.role=editor", 1}, {"users.role=member", 6}};
  auto r = testing::plan(R"({"table":"posts","where":{"author":{"role":{"in":["admin","editor"]}}}})", 32000, rare);
  REQUIRE(r.ok());
  REQUIRE(r->root.access.driver);
  CHECK(r->root.access.driver->estimated_reads == 2 + 2);  // two users, then posts looked up by two keys
}

TEST_CASE("index_choice: a relation filter drives against an access's own index when that reads more before its limit") {
  // The skip-scan serves the order, but only ~1 post in 6 has the tag: it
  // would read ~12 posts (and probe each) to find 2; the tag, its links and
  // the posts by id cost ~5.
  auto p = must_plan(R"({"table":"posts","where":{"tags":{"name":"classic"}},"orderBy":{"views":"desc"},"limit":2})");
  const TableAccess& a = root(p);
  REQUIRE(a.driver);
  CHECK(a.source.kind == Source::Kind::get);
  CHECK(a.order_source == OrderSource::sort);
  CHECK(a.driver->estimated_reads == 5);
  CHECK(a.driver->estimated_scan == 24);
  // Without table sizes (Convex) only a scan is replaced.
  testing::FakeStats unknown;
  unknown.rows.clear();
  auto u = testing::plan(R"({"table":"posts","where":{"tags":{"name":"classic"}},"orderBy":{"views":"desc"},"limit":2})", 32000, unknown);
  REQUIRE(u.ok());
  CHECK_FALSE(u->root.access.driver);
  CHECK(u->root.access.source.skip_field == "published");
}

TEST_CASE("index_choice: no driving under NOT, from an unselective side, or when the access's own index reads less") {
  CHECK_FALSE(root(must_plan(R"({"table":"posts","where":{"NOT":{"tags":{"name":"math"}}}})")).driver);
  // publishedPosts: its where (published = true) keeps half the posts by the guess: scanning users costs less.
  CHECK_FALSE(root(must_plan(R"({"table":"users","where":{"publishedPosts":true}})")).driver);
  // A relation filter with nothing an index serves on the related side.
  CHECK_FALSE(root(must_plan(R"({"table":"users","where":{"posts":{"title":{"like":"%x%"}}}})")).driver);
  // The access's own equality keeps ~2 posts by its index: less than the tag, its links and the lookups.
  CHECK_FALSE(root(must_plan(R"({"table":"posts","where":{"authorId":"u1","tags":{"name":"math"}}})")).driver);
  // Lookups (relations in with) keep their per-parent probes.
  auto w = must_plan(R"({"table":"users","with":{"posts":{"where":{"tags":{"name":"math"}}}}})");
  CHECK_FALSE(w.root.with.at(0).node.access.driver);
}

TEST_CASE("index_choice: under an order with a limit, a union whose branches each serve the order is merged") {
  const char* q = R"({"table":"posts","where":{"OR":[{"published":true},{"views":{"lt":60}}]},"orderBy":{"views":"desc"},"limit":2})";
  ReadPlan p = must_plan(q);
  const TableAccess& a = root(p);
  REQUIRE(a.source.kind == Source::Kind::union_);
  CHECK(a.order_source == OrderSource::index_ties);  // views desc; ties by _creationTime asc are re-sorted
  REQUIRE(a.source.branches.size() == 2);
  CHECK(a.source.branches[0].descending);
  CHECK(a.source.branches[1].skip_field == "published");
  CHECK(a.source.branches[1].descending);
  // Without a limit every branch is read whole and sorted.
  auto all = must_plan(R"({"table":"posts","where":{"OR":[{"published":true},{"views":{"lt":60}}]},"orderBy":{"views":"desc"}})");
  CHECK(root(all).order_source == OrderSource::sort);
  // A branch no index orders (category, then views): the union stays unordered.
  auto mixed = must_plan(R"({"table":"posts","where":{"OR":[{"category":"math"},{"views":{"lt":60}}]},"orderBy":{"views":"desc"},"limit":2})");
  CHECK(root(mixed).source.kind == Source::Kind::union_);
  CHECK(root(mixed).order_source == OrderSource::sort);
}

TEST_CASE("index_choice: an OR across fields is a union of its branches' ranges when every branch has one") {
  auto p = must_plan(R"({"table":"posts","where":{"OR":[{"category":"math"},{"authorId":"u2"},{"_id":"p1"}]}})");
  const TableAccess& a = root(p);
  REQUIRE(a.source.kind == Source::Kind::union_);
  REQUIRE(a.source.branches.size() == 3);
  CHECK(a.source.branches[0].index == "by_category");
  CHECK(a.source.branches[1].index == "by_author");
  CHECK(a.source.branches[2].kind == Source::Kind::get);
  REQUIRE(a.post_filter);  // every row a branch reads is checked against the whole OR
  CHECK(a.post_filter->kind == PlanFilter::Kind::or_);
  CHECK(a.order_source == OrderSource::sort);  // in the scan's order: _creationTime, _id
  CHECK(a.order.at(0).field == "_creationTime");
  CHECK(p.max_reads == 12 + 12 + 1);  // each range branch up to the table, the get one row

  // A branch no index serves: the scan stays.
  auto scan = must_plan(R"({"table":"users","where":{"OR":[{"role":"admin"},{"name":{"like":"%K%"}}]}})");
  CHECK(root(scan).source.kind == Source::Kind::full_scan);
  // Inside relation loads (lookups by parent key): never.
  auto w = must_plan(R"({"table":"users","with":{"posts":{"where":{"OR":[{"category":"math"},{"views":1}]}}}})");
  CHECK(w.root.with.at(0).node.access.source.kind != Source::Kind::union_);
  // Where each branch could read the whole table and the budget could not take that, the scan stays.
  auto tight = plan(R"({"table":"posts","where":{"OR":[{"category":"math"},{"authorId":"u2"}]}})", 20);
  REQUIRE(tight.ok());
  CHECK(root(tight.value()).source.kind == Source::Kind::full_scan);
}

TEST_CASE("index_choice: a key read through relations is sorted in memory and is no tie-breaker, even on _id") {
  auto p = must_plan(R"({"table":"posts","where":{"authorId":"u1"},"orderBy":{"author":{"_id":"asc"}},"limit":1})");
  const TableAccess& a = root(p);
  CHECK(a.order_source == OrderSource::sort);  // by_author would otherwise serve _creationTime order
  REQUIRE(a.order.size() == 3);
  CHECK(a.order[1].field == "_creationTime");  // the related row's _id does not order the posts totally
  CHECK(a.order[2].field == "_id");
  REQUIRE(a.order_paths.size() == 1);
  REQUIRE(a.order_paths[0]);
  REQUIRE(a.order_paths[0]->steps.size() == 1);
  CHECK(a.order_paths[0]->steps[0].node.access.table == "users");
  CHECK(a.order_paths[0]->steps[0].node.access.source.kind == Source::Kind::get);
  REQUIRE_FALSE(p.warnings.empty());
  CHECK(p.warnings[0].find("related rows") != std::string::npos);
  CHECK(p.max_reads == 12 + 8);  // every post read (no early stop despite the limit), then a get per post, at most 8 users
}

TEST_CASE("index_choice: a filter no index serves is a full scan with a warning") {
  auto p = must_plan(R"({"table":"users","where":{"name":{"like":"%a%"}}})");
  CHECK(root(p).source.kind == Source::Kind::full_scan);
  REQUIRE_FALSE(p.warnings.empty());
  CHECK(p.warnings[0].find("users(name)") != std::string::npos);
}

TEST_CASE("index_choice: relation loads look up by the foreign-key index, keys per parent") {
  auto p = must_plan(R"({"table":"users","with":{"posts":{"limit":2,"orderBy":{"_creationTime":"desc"}},"profile":true}})");
  REQUIRE(p.root.with.size() == 2);
  const TableAccess& posts = p.root.with[0].node.access;
  CHECK(posts.key_fields == FieldList{"authorId"});
  CHECK(posts.source.index == "by_author");
  CHECK(posts.order_source == OrderSource::index);
  CHECK(posts.max_reads == 12);  // 8 parents x 2, capped by the table
  const TableAccess& profile = p.root.with[1].node.access;
  CHECK(profile.source.index == "by_user");
  CHECK(profile.at_most_one_per_range);
}

TEST_CASE("index_choice: many-to-many goes through the junction's index, then gets") {
  auto p = must_plan(R"({"table":"posts","with":{"tags":true}})");
  const RelationStep& s = p.root.with.at(0);
  REQUIRE(s.junction.has_value());
  CHECK(s.junction->source.index == "by_post");
  CHECK(s.node.access.source.kind == Source::Kind::get);
}

TEST_CASE("index_choice: a plan over the read budget is refused with the reason and an index") {
  auto p = plan(R"({"table":"users","where":{"name":{"like":"%a%"}}})", 5);
  REQUIRE_FALSE(p.ok());
  CHECK(p.error().code == ErrorCode::invalid_query);
  CHECK(p.error().message.find("budget of 5") != std::string::npos);
  CHECK(p.error().message.find("users(name)") != std::string::npos);
}

TEST_CASE("index_choice: LIKE prefixes narrow an index range but are re-checked") {
  CHECK(like_prefix("ab%") == "ab");
  CHECK(like_prefix("a\\%b%") == "a%b");
  CHECK(like_prefix("%x") == "");
  CHECK(prefix_successor("ab") == "ac");
  CHECK(prefix_successor(std::string("a\xff", 2)) == "b");
}

// Plan-shape tests: EXPLAIN output compared with golden files
// (DC_UPDATE_GOLDEN=1 rewrites them; review the diff before committing).
TEST_CASE("index_choice: golden plans") {
  const std::pair<const char*, const char*> cases[] = {
      {"eq_prefix_and_range", R"({"table":"users","where":{"role":"member","credits":{"gte":80}},"orderBy":{"credits":"asc"},"limit":2})"},
      {"in_union_ordered", R"({"table":"posts","where":{"authorId":{"in":["u1","u4"]}},"orderBy":{"views":"desc"},"limit":3})"},
      {"get_by_id_with_relations", R"({"table":"users","where":{"_id":"u1"},"columns":{"name":true},"with":{"posts":{"limit":2,"orderBy":{"_creationTime":"desc"},"with":{"comments":true}},"profile":true}})"},
      {"relation_filter_semi_join", R"({"table":"users","where":{"posts":{"published":false},"role":{"ne":"member"}}})"},
      {"many_to_many", R"({"table":"tags","orderBy":{"name":"asc"},"with":{"posts":{"limit":1,"orderBy":{"views":"desc"}}}})"},
      {"full_scan_with_warning", R"({"table":"users","where":{"name":{"ilike":"%ada%"}},"limit":10})"},
      {"index_order_only", R"({"table":"tags","orderBy":{"name":"desc"},"limit":2})"},
      {"paginate_index", R"({"table":"posts","op":"paginate","numItems":5,"where":{"published":true},"orderBy":{"views":"desc"}})"},
      {"count_is_null", R"({"table":"posts","op":"count","where":{"category":{"isNull":true}}})"},
      {"aggregate_groups", R"({"table":"posts","op":"aggregate","where":{"published":true},"groupBy":["authorId"],"aggregates":{"n":{"count":true},"views":{"sum":"views"}},"having":{"n":{"gte":2}},"orderBy":{"views":"desc"},"limit":5})"},
      {"contradiction_reads_nothing", R"({"table":"users","where":{"role":{"in":[]}}})"},
      {"skip_scan_range", R"({"table":"posts","where":{"views":{"lt":100}}})"},
      {"skip_scan_order_limit", R"({"table":"posts","orderBy":{"views":"desc"},"limit":2})"},
      {"driven_through_junction", R"({"table":"posts","where":{"tags":{"name":"math"}},"columns":{"title":true}})"},
      {"driven_two_hops", R"({"table":"posts","where":{"comments":{"author":{"email":"ada@x.io"}}},"orderBy":{"title":"asc"},"limit":2})"},
      {"index_union", R"({"table":"users","where":{"OR":[{"role":"admin"},{"credits":{"gt":140}}]},"columns":{"name":true}})"},
      {"order_through_relations", R"x({"table":"users","where":{"role":"admin"},"orderBy":{"posts":{"comments":"desc(count)"},"name":"asc"},"limit":2})x"},
      {"or_ranges_in_order", R"({"table":"posts","where":{"published":true,"OR":[{"views":{"lt":400}},{"views":{"gte":900}}]},"orderBy":{"views":"desc","_id":"asc"},"limit":2})"},
  };
  bool update = std::getenv("DC_UPDATE_GOLDEN") != nullptr;
  for (const auto& [name, query] : cases) {
    CAPTURE(name);
    std::string got = plan_to_json(must_plan(query)).dump(2) + "\n";
    std::string file = dc::testing::source_dir() + "/tests/planner/golden/" + name + ".json";
    if (update) {
      std::ofstream(file) << got;
      continue;
    }
    std::ifstream in(file);
    REQUIRE_MESSAGE(in.good(), "missing golden file " << file << " (run with DC_UPDATE_GOLDEN=1)");
    std::stringstream want;
    want << in.rdbuf();
    CHECK(got == want.str());
  }
}

TEST_CASE("index_choice: a key over several fields uses an index led by them in any order, and the parent's fields follow") {
  auto org = load_schema_file(dc::testing::source_dir() + "/tests/conformance/fixtures/org/schema.json");
  REQUIRE(org.ok());
  testing::FakeStats stats;
  auto q = parse_read_query(Json::parse(R"({"table":"regions","with":{"offices":true,"partneredBy":true}})"), *org, ParseLimits{});
  REQUIRE(q.ok());
  auto p = plan_read(*q, *org, stats, PlannerOptions{});
  REQUIRE(p.ok());
  // regions.offices: from [country, code] to [country, regionCode]; offices is indexed on (regionCode, country).
  const RelationStep& offices = p->root.with[0];
  CHECK(offices.node.access.source.index == "by_region");
  CHECK(offices.node.access.key_fields == FieldList{"regionCode", "country"});
  CHECK(offices.parent_fields == FieldList{"code", "country"});
  // partneredBy: no junction index on (toCode, toCountry): one scan, grouped by key; the target by (country, code).
  const RelationStep& back = p->root.with[1];
  CHECK(back.junction->source.kind == Source::Kind::full_scan);
  CHECK(back.junction->key_fields == FieldList{"toCode", "toCountry"});
  CHECK(back.parent_fields == FieldList{"code", "country"});
  CHECK(back.node.access.source.index == "by_country_code");
  CHECK(back.node.access.key_fields == FieldList{"country", "code"});
  CHECK(back.through_to == FieldList{"fromCountry", "fromCode"});
  REQUIRE_FALSE(back.junction->warnings.empty());
  CHECK(back.junction->warnings[0].find("partnerships(toCode, toCountry)") != std::string::npos);
}

TEST_CASE("index_choice: lists of nulls and empty OR branches are never read as ranges") {
  // x IN (NULL) and x NOT IN (.., NULL) are never true: the post-filter decides, no range answers them.
  // At the top of the filter they read nothing; under NOT (never true either) the post-filter decides.
  CHECK(root(must_plan(R"({"table":"posts","where":{"category":{"in":[null]}}})")).source.kind == Source::Kind::empty);
  CHECK(root(must_plan(R"({"table":"posts","where":{"category":{"notIn":["math",null]}}})")).source.kind == Source::Kind::empty);
  auto in_null = must_plan(R"({"table":"posts","where":{"OR":[{"category":{"in":[null]}},{"views":{"lt":0}}],"published":true}})");
  CHECK(root(in_null).post_filter);
  auto not_in_null = must_plan(R"({"table":"posts","where":{"NOT":{"category":{"notIn":["math",null]}}}})");
  CHECK(root(not_in_null).source.kind != Source::Kind::empty);
  // A branch with no values (views > 500 AND views < 200) reads no range; the others do.
  auto empty = must_plan(R"({"table":"posts","where":{"published":true,"OR":[{"views":{"lt":100}},{"views":{"gt":500,"lt":200}}]}})");
  CHECK(root(empty).source.intervals.size() == 1);
  CHECK_FALSE(root(empty).post_filter);
}
