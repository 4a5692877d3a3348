// Golden tests of the client's builder: every construct gives exactly the
// JSON of protocol.md written by hand, and the server's own parser reads
// it (so the builder cannot drift from the protocol).
#include <doctest/doctest.h>

#include "drizzle_convex/query.hpp"
#include "protocol/parse.hpp"
#include "protocol/parse_mutation.hpp"

using namespace drizzle_convex;

namespace {

// The demo schema's relations, as far as the parser needs them.
class Relations : public dc::RelationResolver {
 public:
  std::optional<std::string> relation_target(std::string_view table, std::string_view name) const override {
    if (table == "users" && name == "posts") return "posts";
    if (table == "users" && name == "profile") return "profiles";
    if (table == "posts" && name == "author") return "users";
    if (table == "posts" && name == "comments") return "comments";
    if (table == "comments" && name == "author") return "users";
    return std::nullopt;
  }
  bool has_table(std::string_view) const override { return true; }
};

Json hand(const char* text) { return Json::parse(text); }

void check_read(const ReadQuery& q, const char* expected) {
  CHECK(q.json() == hand(expected));
  CHECK(q.json().dump() == hand(expected).dump());  // the same key order too
  auto parsed = dc::parse_read_query(q.json(), Relations{}, dc::ParseLimits{});
  CHECK_MESSAGE(parsed.ok(), (parsed.ok() ? "" : parsed.error().message));
}

void check_filter(const Filter& f, const char* expected) {
  CHECK(f.json().dump() == hand(expected).dump());
  auto parsed = dc::parse_filter(f.json(), "users", Relations{}, dc::ParseLimits{}, "/where");
  CHECK_MESSAGE(parsed.ok(), (parsed.ok() ? "" : parsed.error().message));
}

void check_mutation(const Mutation& m, const char* expected) {
  CHECK(m.json().dump() == hand(expected).dump());
  auto parsed = dc::parse_mutation(m.json(), Relations{}, dc::ParseLimits{});
  CHECK_MESSAGE(parsed.ok(), (parsed.ok() ? "" : parsed.error().message));
}

}  // namespace

TEST_CASE("the issue's example reads as protocol JSON") {
  Db db;
  check_read(db.query("users").find_many({.where = and_(eq("role", "admin"), gt("credits", 100)),
                                          .with = {{"posts", {.limit = 5, .order_by = {desc("_creationTime")}}}},
                                          .limit = 10}),
             R"J({"table":"users","op":"findMany",
                 "where":{"AND":[{"role":{"eq":"admin"}},{"credits":{"gt":100}}]},
                 "with":{"posts":{"orderBy":{"_creationTime":"desc"},"limit":5}},
                 "limit":10})J");
}

TEST_CASE("every column operator, field first") {
  check_filter(eq("name", "Ada"), R"J({"name":{"eq":"Ada"}})J");
  check_filter(eq("nickname", nullptr), R"J({"nickname":{"eq":null}})J");
  check_filter(ne("role", "member"), R"J({"role":{"ne":"member"}})J");
  check_filter(gt("credits", 1), R"J({"credits":{"gt":1}})J");
  check_filter(gte("credits", 1.5), R"J({"credits":{"gte":1.5}})J");
  check_filter(lt("credits", -2), R"J({"credits":{"lt":-2}})J");
  check_filter(lte("credits", 0), R"J({"credits":{"lte":0}})J");
  check_filter(in_("role", {"admin", "editor"}), R"J({"role":{"in":["admin","editor"]}})J");
  check_filter(in_("role", {}), R"J({"role":{"in":[]}})J");
  check_filter(not_in("role", {"member"}), R"J({"role":{"notIn":["member"]}})J");
  check_filter(is_null("nickname"), R"J({"nickname":{"isNull":true}})J");
  check_filter(is_not_null("nickname"), R"J({"nickname":{"isNotNull":true}})J");
  check_filter(like("name", "A%"), R"J({"name":{"like":"A%"}})J");
  check_filter(ilike("name", "a%"), R"J({"name":{"ilike":"a%"}})J");
  check_filter(not_like("name", "%x"), R"J({"name":{"notLike":"%x"}})J");
  check_filter(not_ilike("name", "%X"), R"J({"name":{"notIlike":"%X"}})J");
  check_filter(between("credits", 10, 20), R"J({"credits":{"between":[10,20]}})J");
  check_filter(not_between("credits", 10, 20), R"J({"credits":{"notBetween":[10,20]}})J");
  check_filter(starts_with("email", "ada"), R"J({"email":{"startsWith":"ada"}})J");
  check_filter(ends_with("email", ".io"), R"J({"email":{"endsWith":".io"}})J");
  check_filter(contains("email", "@"), R"J({"email":{"contains":"@"}})J");
  check_filter(array_contains("tags", {"a"}), R"J({"tags":{"arrayContains":["a"]}})J");
  check_filter(array_contained("tags", {"a", "b"}), R"J({"tags":{"arrayContained":["a","b"]}})J");
  check_filter(array_overlaps("tags", {"b"}), R"J({"tags":{"arrayOverlaps":["b"]}})J");
  check_filter(eq("address.city", "Paris"), R"J({"address.city":{"eq":"Paris"}})J");
}

TEST_CASE("connectives at table and column level") {
  check_filter(and_(eq("role", "admin"), gt("credits", 1), is_null("nickname")),
               R"J({"AND":[{"role":{"eq":"admin"}},{"credits":{"gt":1}},{"nickname":{"isNull":true}}]})J");
  check_filter(or_(eq("role", "admin"), eq("role", "editor")), R"J({"OR":[{"role":{"eq":"admin"}},{"role":{"eq":"editor"}}]})J");
  check_filter(not_(eq("role", "admin")), R"J({"NOT":{"role":{"eq":"admin"}}})J");
  check_filter(field("credits", or_(lt(10), gt(300))), R"J({"credits":{"OR":[{"lt":10},{"gt":300}]}})J");
  check_filter(field("credits", and_(gte(10), lte(300))), R"J({"credits":{"AND":[{"gte":10},{"lte":300}]}})J");
  check_filter(field("role", not_(in_({"admin"}))), R"J({"role":{"NOT":{"in":["admin"]}}})J");
  check_filter(field("credits", gt(5)), R"J({"credits":{"gt":5}})J");
  check_filter(every_row(), R"J({})J");
}

TEST_CASE("relation filters") {
  check_filter(related("posts", eq("published", true)), R"J({"posts":{"published":{"eq":true}}})J");
  check_filter(has("posts"), R"J({"posts":true})J");
  check_filter(has_no("posts"), R"J({"posts":false})J");
  check_filter(related("posts", related("comments", contains("body", "great"))),
               R"J({"posts":{"comments":{"body":{"contains":"great"}}}})J");
}

TEST_CASE("values Convex cannot carry as plain JSON") {
  CHECK(int64(1).dump() == R"J({"$integer":"AQAAAAAAAAA="})J");
  CHECK(int64(-1).dump() == R"J({"$integer":"//////////8="})J");
  CHECK(as_int64(int64(1234567890123456789)) == 1234567890123456789);
  CHECK(bytes("hi").dump() == R"J({"$bytes":"aGk="})J");
  CHECK(as_bytes(bytes(std::string("\0\1", 2))) == std::string("\0\1", 2));
  CHECK(float64(2.5).dump() == "2.5");
  CHECK(float64(-0.0).dump() == R"J({"$float":"AAAAAAAAAIA="})J");
  CHECK(std::isnan(*as_float64(float64(std::nan("")))));
  CHECK(unset().dump() == R"J({"$unset":true})J");
  check_filter(eq("credits", int64(7)), R"J({"credits":{"eq":{"$integer":"BwAAAAAAAAA="}}})J");
}

TEST_CASE("read configuration: columns, with at depth, order, limit, offset") {
  Db db;
  check_read(db.query("users").find_many({.columns = include({"name", "email"})}),
             R"J({"table":"users","op":"findMany","columns":{"name":true,"email":true}})J");
  check_read(db.query("users").find_many({.columns = exclude({"email"})}),
             R"J({"table":"users","op":"findMany","columns":{"email":false}})J");
  check_read(db.query("users").find_many({.columns = include({}), .with = {{"profile"}}}),
             R"J({"table":"users","op":"findMany","columns":{},"with":{"profile":true}})J");
  // Relation counts (protocol.md section 11) go under with._count, after the loaded relations.
  check_read(db.query("users").find_many({.columns = include({"name"}),
                                          .with = {{"profile"}},
                                          .count = {{"profile"}, {"posts", eq("published", true)}}}),
             R"J({"table":"users","op":"findMany","columns":{"name":true},
                 "with":{"profile":true,"_count":{"profile":true,"posts":{"where":{"published":{"eq":true}}}}}})J");
  check_read(db.query("users").find_many({.columns = include({}), .count = {{"posts"}}}),
             R"J({"table":"users","op":"findMany","columns":{},"with":{"_count":{"posts":true}}})J");
  check_read(db.query("users").find_many({.with = {{"posts", {.columns = include({"title"}),
                                                             .where = eq("published", true),
                                                             .with = {{"comments", {.with = {{"author"}}}}},
                                                             .limit = 2,
                                                             .offset = 1}},
                                                   {"profile", {}}},
                                          .order_by = {desc("credits"), asc("name")}}),
             R"J({"table":"users","op":"findMany",
                 "with":{"posts":{"columns":{"title":true},"where":{"published":{"eq":true}},
                                  "with":{"comments":{"with":{"author":true}}},"limit":2,"offset":1},
                         "profile":true},
                 "orderBy":{"credits":"desc","name":"asc"}})J");
  check_read(db.query("users").find_first({.where = eq("email", "ada@example.com")}),
             R"J({"table":"users","op":"findFirst","where":{"email":{"eq":"ada@example.com"}}})J");
}

TEST_CASE("orders through relations (Drizzle 1.0)") {
  Db db;
  check_read(db.query("posts").find_many({.order_by = {asc({"author"}, "name")}}),
             R"J({"table":"posts","op":"findMany","orderBy":{"author":{"name":"asc"}}})J");
  check_read(db.query("users").find_many({.order_by = {desc({"posts"}, "", Aggregate::count)}}),
             R"J({"table":"users","op":"findMany","orderBy":{"posts":"desc(count)"}})J");
  check_read(db.query("users").find_many({.order_by = {desc({"posts"}, "views", Aggregate::max)}}),
             R"J({"table":"users","op":"findMany","orderBy":{"posts":{"views":"desc(max)"}}})J");
  check_read(db.query("users").find_many({.order_by = {asc({"posts", "comments"}, "", Aggregate::count)}}),
             R"J({"table":"users","op":"findMany","orderBy":{"posts":{"comments":"asc(count)"}}})J");
}

TEST_CASE("paginate, count and search") {
  Db db;
  auto first = db.query("posts").paginate(2, {.where = eq("published", true), .order_by = {desc("views")}});
  check_read(first, R"J({"table":"posts","op":"paginate","where":{"published":{"eq":true}},
                        "orderBy":{"views":"desc"},"numItems":2,"cursor":null})J");
  check_read(first.with_cursor("abc"), R"J({"table":"posts","op":"paginate","where":{"published":{"eq":true}},
                                           "orderBy":{"views":"desc"},"numItems":2,"cursor":"abc"})J");
  check_read(db.query("posts").count(), R"J({"table":"posts","op":"count"})J");
  check_read(db.query("posts").count(eq("published", false)), R"J({"table":"posts","op":"count","where":{"published":{"eq":false}}})J");
  check_read(db.query("posts").aggregate({.where = eq("published", true),
                                          .group_by = {"authorId", "category"},
                                          .aggregates = {{"n", count_rows()}, {"views", sum("views")}, {"mean", avg("views")},
                                                         {"low", min_of("views")}, {"high", max_of("views")},
                                                         {"cats", count_distinct("category")}, {"withCat", count_of("category")}},
                                          .having = gte("n", 2),
                                          .order_by = {desc("n"), asc("authorId")},
                                          .limit = 10,
                                          .offset = 5}),
             R"J({"table":"posts","op":"aggregate","where":{"published":{"eq":true}},"groupBy":["authorId","category"],
                 "aggregates":{"n":{"count":true},"views":{"sum":"views"},"mean":{"avg":"views"},"low":{"min":"views"},
                               "high":{"max":"views"},"cats":{"countDistinct":"category"},"withCat":{"count":"category"}},
                 "having":{"n":{"gte":2}},"orderBy":{"n":"desc","authorId":"asc"},"limit":10,"offset":5})J");
  check_read(db.query("posts").find_many({.where = eq("published", true),
                                          .limit = 5,
                                          .search = Search{.index = "search_body", .query = "convex", .filters = {{"category", "db"}}}}),
             R"J({"table":"posts","op":"findMany","search":{"index":"search_body","query":"convex","filters":{"category":"db"}},
                 "where":{"published":{"eq":true}},"limit":5})J");
}

TEST_CASE("mutations: insert, update, delete, transaction, returning, onConflict") {
  Db db;
  check_mutation(db.insert("users").values({{"name", "Ada"}, {"email", "ada@x.io"}}).returning(),
                 R"J({"op":"insert","table":"users","values":{"name":"Ada","email":"ada@x.io"},"returning":true})J");
  check_mutation(db.insert("tags").values(Json::array({{{"name", "a"}}, {{"name", "b"}}})).on_conflict_do_nothing({"name"}),
                 R"J({"op":"insert","table":"tags","values":[{"name":"a"},{"name":"b"}],"onConflict":{"target":["name"],"do":"nothing"}})J");
  check_mutation(db.insert("users").values({{"email", "ada@x.io"}}).on_conflict_do_update({"email"}, {{"name", "Ada L."}}),
                 R"J({"op":"insert","table":"users","values":{"email":"ada@x.io"},
                     "onConflict":{"target":["email"],"do":"update","set":{"name":"Ada L."}}})J");
  check_mutation(db.update("users").set({{"credits", 5}, {"nickname", unset()}}).where(eq("_id", "x")).returning(include({"_id", "credits"})),
                 R"J({"op":"update","table":"users","set":{"credits":5,"nickname":{"$unset":true}},"where":{"_id":{"eq":"x"}},
                     "returning":{"_id":true,"credits":true}})J");
  check_mutation(db.update("users").set({{"credits", 0}}).where(every_row()),
                 R"J({"op":"update","table":"users","set":{"credits":0},"where":{}})J");
  check_mutation(db.delete_("posts").where(eq("published", false)).returning(),
                 R"J({"op":"delete","table":"posts","where":{"published":{"eq":false}},"returning":true})J");
  check_mutation(db.transaction({db.insert("tags").values({{"name", "t"}}), db.delete_("tags").where(eq("name", "t"))}),
                 R"J({"op":"transaction","ops":[{"op":"insert","table":"tags","values":{"name":"t"}},
                                              {"op":"delete","table":"tags","where":{"name":{"eq":"t"}}}]})J");
}

TEST_CASE("builders are values: a finished builder is not changed by the next step") {
  Db db;
  auto base = db.update("users").set({{"credits", 1}});
  auto narrowed = base.where(eq("role", "admin"));
  CHECK_FALSE(base.json().contains("where"));
  CHECK(narrowed.json().contains("where"));
}
