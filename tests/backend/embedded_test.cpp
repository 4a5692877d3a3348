#include <doctest/doctest.h>

#include "protocol/value_json.hpp"
#include "server/backend/embedded/executor.hpp"
#include "server/backend/embedded/filter_eval.hpp"
#include "server/backend/embedded/ids.hpp"
#include "server/backend/embedded/import.hpp"
#include "tests/planner/fixture.hpp"
#include "tests/source_dir.hpp"

using namespace dc;
using dc::testing::blog_schema;

namespace {

// The conformance fixture, loaded the way --import loads it.
struct Engine {
  Store store{blog_schema()};
  IdGenerator ids{7};
  Engine() {
    auto n = import_export_dir(store, ids, dc::testing::source_dir() + "/tests/conformance/fixtures/blog/data");
    REQUIRE(n.ok());
  }
  struct Stats : TableStats {
    const Store* s;
    bool count_ranges = false;  // as EmbeddedBackend does
    std::optional<uint64_t> row_count(std::string_view t) const override { return s->table(t)->size(); }
    std::optional<uint64_t> interval_count(std::string_view t, std::string_view index, const Interval& iv,
                                           uint64_t cap) const override {
      if (!count_ranges) return std::nullopt;
      return s->table(t)->index(index)->count(iv, cap);
    }
  };
  bool count_ranges = false;
  struct Run {
    Value value;
    uint64_t reads;
  };
  Run run(const std::string& query, uint64_t exec_budget = 32000) {
    Stats stats;
    stats.s = &store;
    stats.count_ranges = count_ranges;
    auto q = parse_read_query(Json::parse(query), blog_schema(), ParseLimits{});
    REQUIRE(q.ok());
    auto p = plan_read(*q, blog_schema(), stats, PlannerOptions{});
    REQUIRE_MESSAGE(p.ok(), (p.ok() ? "" : p.error().message));
    Executor ex(store, exec_budget);
    auto v = ex.run(*p);
    REQUIRE_MESSAGE(v.ok(), (v.ok() ? "" : v.error().message));
    return {v.value(), ex.docs_read()};
  }
};

ReadPlan plan_for(const std::string& query, const Store& store) {
  Engine::Stats stats;
  stats.s = &store;
  auto q = parse_read_query(Json::parse(query), blog_schema(), ParseLimits{});
  REQUIRE(q.ok());
  auto p = plan_read(*q, blog_schema(), stats, PlannerOptions{});
  REQUIRE(p.ok());
  return std::move(p).value();
}

std::vector<std::string> names(const Value& rows, const char* field = "name") {
  std::vector<std::string> out;
  for (const auto& r : rows.as_array()) out.push_back(r.field(field)->as_string());
  return out;
}

}  // namespace

TEST_CASE("embedded: index keys sort missing before null before values") {
  Engine e;
  const Index* idx = e.store.table("users")->index("by_nickname");
  std::vector<std::string> order;
  idx->scan(Interval{}, false, [&](const DocPtr& d) {
    order.push_back(d->id);
    return true;
  });
  // missing: u2 u4 u6 u8 (by _creationTime), null: u3, then "ace" u1, "babs" u5, "kt" u7
  CHECK(order == std::vector<std::string>{"u2", "u4", "u6", "u8", "u3", "u1", "u5", "u7"});
}

TEST_CASE("embedded: an index range for lt excludes null and missing, and reads only its range") {
  Engine e;
  auto r = e.run(R"({"table":"users","columns":{"name":true},"where":{"nickname":{"lt":"b"}}})");
  CHECK(names(r.value) == std::vector<std::string>{"Ada Lovelace"});
  CHECK(r.reads == 1);
}

TEST_CASE("embedded: a get reads one document; a limited index scan reads only the limit") {
  Engine e;
  CHECK(e.run(R"({"table":"users","where":{"_id":"u3"}})").reads == 1);
  auto r = e.run(R"({"table":"posts","where":{"published":true},"orderBy":{"views":"asc"},"limit":2})");
  CHECK(r.value.as_array().size() == 2);
  CHECK(r.reads == 2);
  // Descending: ties must still come back by _creationTime ascending, so one
  // more row is read to see that the last value has no tie.
  auto d = e.run(R"({"table":"posts","where":{"published":true},"orderBy":{"views":"desc"},"limit":2})");
  CHECK(d.reads == 3);
}

TEST_CASE("embedded: relation keys are deduplicated across parents") {
  Engine e;
  // Three posts by one author: the author is read once.
  auto r = e.run(R"({"table":"posts","where":{"authorId":"u1"},"with":{"author":true}})");
  CHECK(r.value.as_array().size() == 3);
  CHECK(r.reads == 3 + 1);
}

TEST_CASE("embedded: the ranges of an in list merge in order: the limit plus one look-ahead per range") {
  Engine e;
  auto r = e.run(R"({"table":"posts","where":{"authorId":{"in":["u1","u4","u7"]}},"columns":{"title":true},"orderBy":{"_creationTime":"asc"},"limit":1})");
  CHECK(names(r.value, "title") == std::vector<std::string>{"Notes on the Engine"});
  CHECK(r.reads == 3);
  auto two = e.run(R"({"table":"posts","where":{"authorId":{"in":["u1","u4","u7"]}},"columns":{"title":true},"orderBy":{"_creationTime":"asc"},"limit":2})");
  CHECK(two.value.as_array().size() == 2);
  CHECK(two.reads == 2 + 3 - 1);  // each range read up to the limit would be 6
}

TEST_CASE("embedded: rows per leading index value follow every write") {
  Engine e;
  Table& users = *e.store.table("users");
  const Index* by_role = users.counting("role");
  REQUIRE(by_role);
  CHECK(by_role->name() == "by_role_credits");
  CHECK(by_role->leading_count(Value("admin")) == 2);
  CHECK(by_role->leading_count(Value("member")) == 4);
  CHECK(by_role->leading_count(Value("guest")) == 0);
  const Index* by_nickname = users.counting("nickname");
  REQUIRE(by_nickname);
  CHECK(by_nickname->leading_count(Value()) == 4);         // the field missing
  CHECK(by_nickname->leading_count(Value(nullptr)) == 1);  // null
  CHECK_FALSE(users.counting("credits"));                  // leads no index
  CHECK_FALSE(users.counting("_creationTime"));            // by_creation_time keeps no counts
  CHECK_FALSE(users.counting("email"));                    // unique: every count would be one
  // An update moves a row between values; a delete removes it; an insert adds one.
  DocPtr ada = users.get("u1");
  REQUIRE(ada);
  auto changed = std::make_shared<Document>(*ada);
  for (auto& [k, v] : changed->value.as_object()) {
    if (k == "role") v = Value("member");
  }
  e.store.put(users, ada, changed);
  CHECK(by_role->leading_count(Value("admin")) == 1);
  CHECK(by_role->leading_count(Value("member")) == 5);
  e.store.put(users, changed, nullptr);
  CHECK(by_role->leading_count(Value("member")) == 4);
  e.store.put(users, nullptr, ada);
  CHECK(by_role->leading_count(Value("admin")) == 2);
  // Past kMaxCounted distinct values the counts are dropped for good.
  Table& posts = *e.store.table("posts");
  REQUIRE(posts.counting("category"));
  for (size_t i = 0; i <= Index::kMaxCounted; ++i) {
    auto d = std::make_shared<Document>();
    // Appended, not "x" + to_string(i): GCC 12 at -O3 reports a false -Wrestrict in the latter.
    d->id = "x";
    d->id += std::to_string(i);
    std::string category = "c";
    category += std::to_string(i);
    d->creation_time = e.store.next_creation_time(1e12);
    d->value = Value(Object{{"_id", Value(d->id)}, {"_creationTime", Value(d->creation_time)}, {"category", Value(category)}});
    e.store.insert(posts, d);
  }
  CHECK_FALSE(posts.counting("category"));
  CHECK(posts.counting("authorId"));  // other fields keep theirs
}

TEST_CASE("embedded: a range of an index's leading field is counted, from the counts or entry by entry") {
  Engine e;
  const Table& users = *e.store.table("users");
  const Index* by_role = users.led_by("role");
  REQUIRE(by_role);
  REQUIRE(by_role->counted());
  // admin 2, editor 2, member 4.
  CHECK(by_role->leading_range_count(Value("admin"), true, Value("editor"), true, 10) == 4u);
  CHECK(by_role->leading_range_count(Value("admin"), false, Value("member"), false, 10) == 2u);
  CHECK(by_role->leading_range_count(Value("b"), true, std::nullopt, false, 10) == 6u);
  CHECK(by_role->leading_range_count(std::nullopt, false, std::nullopt, false, 10) == 8u);
  CHECK(by_role->leading_range_count(Value("z"), true, Value("a"), true, 10) == 0u);  // crossed: empty
  CHECK(by_role->leading_range_count(Value("member"), true, Value("admin"), true, 10) == 0u);
  CHECK(by_role->leading_range_count(Value("admin"), false, Value("admin"), true, 10) == 0u);
  // nickname: 4 missing, 1 null, 3 strings: a comparison range starts above null.
  const Index* by_nickname = users.led_by("nickname");
  CHECK(by_nickname->leading_range_count(Value(nullptr), false, std::nullopt, false, 10) == 3u);
  // email is unique, so uncounted: counted entry by entry, up to the cap.
  const Index* by_email = users.led_by("email");
  REQUIRE(by_email);
  REQUIRE_FALSE(by_email->counted());
  CHECK(by_email->leading_range_count(Value("d"), true, Value("f"), false, 10) == 3u);  // donald, edsger, emilie
  CHECK(by_email->leading_range_count(Value(nullptr), false, std::nullopt, false, 10) == 8u);
  CHECK_FALSE(by_email->leading_range_count(Value(nullptr), false, std::nullopt, false, 5));  // past the cap
  CHECK_FALSE(users.led_by("credits"));  // leads no index
  // An interval on the leading field alone is counted from the counts, past any cap.
  Interval members{Bound{{Value("member")}, true}, Bound{{Value("member")}, true}};
  CHECK(by_role->count(members, 1) == 4u);
  Interval above_admin{Bound{{Value("admin")}, false}, std::nullopt};
  CHECK(by_role->count(above_admin, 1) == 6u);
  CHECK(by_email->count(Interval{}, 1) == 8u);  // the whole index: its size
  // With a second key part it walks the entries, up to the cap.
  Interval rich_members{Bound{{Value("member"), Value(100.0)}, true}, Bound{{Value("member")}, true}};
  CHECK(by_role->count(rich_members, 10) == 1u);  // Ken Thompson, 150
  CHECK_FALSE(by_role->count(rich_members, 0));
}

TEST_CASE("embedded: counted index ranges let a rare related range drive a relation filter") {
  // Two posts have views >= 850; four users are members. Guessed (a range
  // keeps a third of the posts), the related side looks as large as the
  // members and each member is probed; counted, the two posts come first.
  const std::string q = R"({"table":"users","columns":{"name":true},"where":{"role":"member","posts":{"views":{"gte":850}}}})";
  Engine guessed;
  auto g = guessed.run(q);
  Engine counted;
  counted.count_ranges = true;
  auto c = counted.run(q);
  CHECK(names(g.value) == std::vector<std::string>{"Ken Thompson"});
  CHECK(names(c.value) == names(g.value));
  CHECK(g.reads == 6);  // 4 members, then a post read by each probe that finds one (2)
  CHECK(c.reads == 4);  // the 2 posts, then their 2 authors by _id
}

TEST_CASE("embedded: counted ranges pick the side of a notIn next to an equality") {
  // published = true holds 9 posts; category notIn three of the categories
  // leaves 2. By score the equality wins; counted, the complement ranges do.
  const std::string q = R"({"table":"posts","columns":{"title":true},"where":{"published":true,"category":{"notIn":["history","opinion","math"]}}})";
  Engine guessed;
  auto g = guessed.run(q);
  Engine counted;
  counted.count_ranges = true;
  auto c = counted.run(q);
  CHECK(names(c.value, "title") == names(g.value, "title"));
  CHECK(names(c.value, "title").size() == 2);
  CHECK(g.reads == 9);
  CHECK(c.reads == 2);
  // Where the equality is the rarer side, counting keeps it.
  const std::string rare = R"({"table":"posts","columns":{"title":true},"where":{"published":false,"category":{"notIn":["history"]}}})";
  CHECK(counted.run(rare).reads == 3);
}

TEST_CASE("embedded: a small related table no index filters is scanned once and joined") {
  Engine e;
  // 3 profiles: read them all, then their 3 users by _id; not 8 users each probed.
  auto one = e.run(R"({"table":"users","columns":{"name":true},"where":{"profile":true},"orderBy":{"_creationTime":"asc"}})");
  CHECK(names(one.value) == std::vector<std::string>{"Ada Lovelace", "Grace Hopper", "Edsger Dijkstra"});
  CHECK(one.reads == 6);
  // 12 posts behind 8 users: probing each user reads less than scanning the posts.
  auto probe = plan_for(R"({"table":"users","where":{"posts":{"title":{"like":"%o%"}}}})", e.store);
  CHECK_FALSE(probe.root.access.driver);
}

TEST_CASE("embedded: the executor fails past its budget instead of returning a short result") {
  Engine e;
  Engine::Stats stats;
  stats.s = &e.store;
  auto q = parse_read_query(Json::parse(R"({"table":"users"})"), blog_schema(), ParseLimits{});
  auto p = plan_read(*q, blog_schema(), stats, PlannerOptions{});
  REQUIRE(p.ok());
  Executor ex(e.store, 3);
  auto v = ex.run(*p);
  REQUIRE_FALSE(v.ok());
  CHECK(v.error().message.find("budget") != std::string::npos);
}

TEST_CASE("embedded: paginate cursors continue exactly after the last row") {
  Engine e;
  auto first = e.run(R"({"table":"tags","op":"paginate","numItems":3,"orderBy":{"name":"asc"},"columns":{"name":true}})");
  CHECK(names(*first.value.field("page")) == std::vector<std::string>{"classic", "history", "math"});
  CHECK_FALSE(first.value.field("isDone")->as_bool());
  std::string cursor = first.value.field("continueCursor")->as_string();
  auto second = e.run(R"({"table":"tags","op":"paginate","numItems":3,"orderBy":{"name":"asc"},"columns":{"name":true},"cursor":")" +
                      cursor + "\"}");
  CHECK(names(*second.value.field("page")) == std::vector<std::string>{"unused"});
  CHECK(second.value.field("isDone")->as_bool());
  CHECK(second.reads == 1);  // the cursor seeks; earlier pages are not re-read
}

TEST_CASE("filter_eval: LIKE wildcards, escapes and Unicode") {
  CHECK(like_match("Ada Lovelace", "A%", false));
  CHECK(like_match("Ada", "_da", false));
  CHECK_FALSE(like_match("Ada", "_d", false));
  CHECK(like_match("100%", "100\\%", false));
  CHECK_FALSE(like_match("1000", "100\\%", false));
  CHECK(like_match("a_b", "a\\_b", false));
  CHECK_FALSE(like_match("axb", "a\\_b", false));
  CHECK(like_match("Émilie", "_milie", false));  // one code point, two bytes
  CHECK(like_match("ÉMILIE", "émilie", true));
  CHECK_FALSE(like_match("Châtelet", "%a%", true));
  CHECK(like_match("abcabcabd", "%abd", false));
  CHECK(like_match("", "%", false));
  CHECK(fold_case("ĞÜŞ ΣΑΣ") == "ğüş σασ");
}

TEST_CASE("filter_eval: three-valued logic") {
  Value doc(Object{{"a", Value(1.0)}, {"n", Value(nullptr)}});
  auto cmp = [](const char* field, CmpOp op, Value arg) {
    PlanFilter f;
    f.kind = PlanFilter::Kind::cmp;
    f.field = field;
    f.op = op;
    f.arg = std::move(arg);
    return f;
  };
  ExistsFn none = [](const RelationStep&, const Value&) { return false; };
  CHECK(eval_filter(cmp("n", CmpOp::eq, Value(1.0)), doc, none) == Truth::unknown);
  CHECK(eval_filter(cmp("missing", CmpOp::ne, Value(1.0)), doc, none) == Truth::unknown);
  CHECK(eval_filter(cmp("n", CmpOp::is_null, Value()), doc, none) == Truth::true_);
  CHECK(eval_filter(cmp("missing", CmpOp::is_null, Value()), doc, none) == Truth::true_);
  PlanFilter n;
  n.kind = PlanFilter::Kind::not_;
  n.children.push_back(cmp("n", CmpOp::starts_with, Value("x")));
  CHECK(eval_filter(n, doc, none) == Truth::unknown);
  PlanFilter o;
  o.kind = PlanFilter::Kind::or_;
  o.children.push_back(cmp("n", CmpOp::eq, Value(1.0)));
  o.children.push_back(cmp("a", CmpOp::eq, Value(1.0)));
  CHECK(eval_filter(o, doc, none) == Truth::true_);
  o.kind = PlanFilter::Kind::and_;
  CHECK(eval_filter(o, doc, none) == Truth::unknown);
  CHECK(eval_filter(cmp("a", CmpOp::in, Value(Array{Value(2.0), Value(nullptr)})), doc, none) == Truth::unknown);
  CHECK(eval_filter(cmp("a", CmpOp::not_in, Value(Array{Value(2.0)})), doc, none) == Truth::true_);
}

TEST_CASE("ids: Convex-like ids carry their table number and a checksum") {
  IdGenerator gen(1);
  std::string id = gen.next(10001);
  CHECK(id.size() >= 31);
  CHECK(id.size() <= 37);
  CHECK(id_table_number(id) == 10001);
  std::string corrupted = id;
  corrupted[5] = corrupted[5] == 'a' ? 'b' : 'a';
  CHECK(id_table_number(corrupted) == -1);
  CHECK(gen.next(10001) != id);
}

TEST_CASE("import: documents that do not match the schema are refused with their line") {
  Store store(blog_schema());
  IdGenerator ids(1);
  auto bad = load_document(store, ids, "tags", Value(Object{{"name", Value(3.0)}}), "tags/documents.jsonl:4");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("tags/documents.jsonl:4") != std::string::npos);
  auto ok = load_document(store, ids, "tags", Value(Object{{"name", Value("x")}}), "here");
  CHECK(ok.ok());
  CHECK(store.table("tags")->size() == 1);
}

TEST_CASE("embedded: a skip-scan over leading values the data holds, re-read when the plan runs") {
  // `group` is a free string: the schema gives it no finite domain, the engine's counts do.
  auto schema = load_schema(Json::parse(R"({"tables":{"items":{
      "documentType":{"type":"object","value":{"group":{"fieldType":{"type":"string"},"optional":false},
                                               "n":{"fieldType":{"type":"number"},"optional":false}}},
      "indexes":[{"indexDescriptor":"by_group_n","fields":["group","n"]}]}}})"));
  REQUIRE_MESSAGE(schema.ok(), (schema.ok() ? "" : schema.error().message));
  Store store(*schema);
  Table& items = *store.table("items");
  int next = 0;
  auto add = [&](const char* group, double n) {
    auto d = std::make_shared<Document>();
    d->id = "i" + std::to_string(++next);
    d->creation_time = store.next_creation_time(1000);
    d->value = Value(Object{{"_id", Value(d->id)}, {"_creationTime", Value(d->creation_time)}, {"group", Value(group)}, {"n", Value(n)}});
    store.insert(items, d);
  };
  for (const char* g : {"a", "b", "c"}) {
    for (double n : {1.0, 7.0, 20.0}) add(g, n);
  }
  struct Stats : TableStats {
    const Store* s;
    std::optional<uint64_t> row_count(std::string_view t) const override { return s->table(t)->size(); }
    std::optional<std::vector<Value>> leading_values(std::string_view t, std::string_view f, size_t at_most) const override {
      const Index* idx = s->table(t)->counting(f);
      if (!idx || idx->leading_distinct() > at_most) return std::nullopt;
      return idx->leading_values();
    }
  } stats;
  stats.s = &store;
  auto q = parse_read_query(Json::parse(R"({"table":"items","where":{"n":{"gt":5,"lt":10}}})"), *schema, ParseLimits{});
  REQUIRE(q.ok());
  auto plan = plan_read(*q, *schema, stats, PlannerOptions{});
  REQUIRE(plan.ok());
  const Source& src = plan->root.access.source;
  CHECK(src.skip_field == "group");
  CHECK(src.skip_observed);
  CHECK(src.intervals.size() == 3);
  CHECK_FALSE(plan->root.access.post_filter);
  {
    Executor ex(store, 1000);
    auto rows = ex.run(*plan);
    REQUIRE(rows.ok());
    CHECK(rows->as_array().size() == 3);  // n = 7 in each group
    CHECK(ex.docs_read() == 3);
  }
  // A new group after planning: the same plan finds its row.
  add("d", 8);
  Executor ex(store, 1000);
  auto rows = ex.run(*plan);
  REQUIRE(rows.ok());
  CHECK(rows->as_array().size() == 4);
  CHECK(ex.docs_read() == 4);
  // Past 16 values the skip-scan is not chosen: a scan reads everything once.
  for (int g = 0; g < 16; ++g) add(("g" + std::to_string(g)).c_str(), 1);
  auto many = plan_read(*q, *schema, stats, PlannerOptions{});
  REQUIRE(many.ok());
  CHECK(many->root.access.source.skip_field.empty());
}
