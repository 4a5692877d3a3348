#include <doctest/doctest.h>

#include "protocol/parse.hpp"

using namespace dc;

namespace {

// A fake schema: users has relation posts → posts; posts has author → users.
class FakeResolver : public RelationResolver {
 public:
  std::optional<std::string> relation_target(std::string_view table, std::string_view name) const override {
    if (table == "users" && name == "posts") return "posts";
    if (table == "posts" && name == "author") return "users";
    return std::nullopt;
  }
  bool has_table(std::string_view t) const override { return t == "users" || t == "posts"; }
};

const FakeResolver kSchema;
const ParseLimits kLimits;

Result<ReadQuery> parse(const std::string& text, const ParseLimits& limits = kLimits) {
  return parse_read_query(Json::parse(text), kSchema, limits);
}

FilterNode where(const std::string& filter) {
  auto q = parse(R"({"table":"users","where":)" + filter + "}");
  REQUIRE_MESSAGE(q.ok(), (q.ok() ? "" : q.error().message));
  REQUIRE(q->config.where.has_value());
  return *q->config.where;
}

void expect_error(const std::string& text, const std::string& path, const std::string& fragment = "") {
  auto q = parse(text);
  CAPTURE(text);
  REQUIRE_FALSE(q.ok());
  CHECK(q.error().code == ErrorCode::invalid_query);
  CHECK(q.error().path == path);
  if (!fragment.empty()) CHECK(q.error().message.find(fragment) != std::string::npos);
}

}  // namespace

TEST_CASE("parse: every column operator") {
  struct Row {
    const char* json;
    CmpOp op;
  };
  const Row rows[] = {
      {R"({"eq":1})", CmpOp::eq},           {R"({"ne":1})", CmpOp::ne},
      {R"({"gt":1})", CmpOp::gt},           {R"({"gte":1})", CmpOp::gte},
      {R"({"lt":1})", CmpOp::lt},           {R"({"lte":1})", CmpOp::lte},
      {R"({"in":[1]})", CmpOp::in},         {R"({"notIn":[1]})", CmpOp::not_in},
      {R"({"isNull":true})", CmpOp::is_null}, {R"({"isNotNull":true})", CmpOp::is_not_null},
      {R"({"like":"a%"})", CmpOp::like},    {R"({"ilike":"a%"})", CmpOp::ilike},
      {R"({"notLike":"a"})", CmpOp::not_like}, {R"({"notIlike":"a"})", CmpOp::not_ilike},
      {R"({"between":[1,2]})", CmpOp::between}, {R"({"notBetween":[1,2]})", CmpOp::not_between},
      {R"({"startsWith":"a"})", CmpOp::starts_with}, {R"({"endsWith":"a"})", CmpOp::ends_with},
      {R"({"contains":"a"})", CmpOp::contains}, {R"({"arrayContains":[1]})", CmpOp::array_contains},
      {R"({"arrayContained":[1]})", CmpOp::array_contained}, {R"({"arrayOverlaps":[1]})", CmpOp::array_overlaps},
  };
  for (const auto& r : rows) {
    CAPTURE(r.json);
    FilterNode n = where(std::string(R"({"x":)") + r.json + "}");
    CHECK(n.kind == FilterNode::Kind::cmp);
    CHECK(n.op == r.op);
    CHECK(n.field == "x");
    CHECK(n.path == std::string("/where/x/") + std::string(op_name(r.op)));
  }
}

TEST_CASE("parse: JSON null means isNull, ne null means isNotNull") {
  CHECK(where(R"({"x":null})").op == CmpOp::is_null);
  CHECK(where(R"({"x":{"eq":null}})").op == CmpOp::is_null);
  CHECK(where(R"({"x":{"ne":null}})").op == CmpOp::is_not_null);
  FilterNode eq = where(R"({"x":"v"})");
  CHECK(eq.op == CmpOp::eq);
  CHECK(eq.arg.as_string() == "v");
}

TEST_CASE("parse: column-level OR/AND/NOT are lifted to filter nodes on that column") {
  FilterNode n = where(R"({"age":{"OR":[{"lt":18},{"gt":65}]}})");
  REQUIRE(n.kind == FilterNode::Kind::or_);
  REQUIRE(n.children.size() == 2);
  CHECK(n.children[0].field == "age");
  CHECK(n.children[1].op == CmpOp::gt);
  FilterNode x = where(R"({"age":{"NOT":{"gt":65}}})");
  REQUIRE(x.kind == FilterNode::Kind::not_);
  CHECK(x.children[0].op == CmpOp::gt);
}

TEST_CASE("parse: several keys are an AND in document order") {
  FilterNode n = where(R"({"b":1,"a":2,"OR":[{"c":3}]})");
  REQUIRE(n.kind == FilterNode::Kind::and_);
  REQUIRE(n.children.size() == 3);
  CHECK(n.children[0].field == "b");
  CHECK(n.children[1].field == "a");
  CHECK(n.children[2].kind == FilterNode::Kind::or_);
}

TEST_CASE("parse: relation filters use the target table") {
  FilterNode t = where(R"({"posts":true})");
  CHECK(t.kind == FilterNode::Kind::relation);
  CHECK(t.exists);
  CHECK_FALSE(where(R"({"posts":false})").exists);
  FilterNode nested = where(R"({"posts":{"author":{"name":"Ada"}}})");
  REQUIRE(nested.children.size() == 1);
  REQUIRE(nested.children[0].kind == FilterNode::Kind::relation);
  CHECK(nested.children[0].relation == "author");
  CHECK(nested.children[0].children[0].path == "/where/posts/author/name");
}

TEST_CASE("parse: orderBy keeps key order, in object and array form") {
  auto q = parse(R"({"table":"users","orderBy":{"z":"desc","a":"asc"}})");
  REQUIRE(q.ok());
  REQUIRE(q->config.order_by.size() == 2);
  CHECK(q->config.order_by[0].field == "z");
  CHECK(q->config.order_by[0].descending);
  CHECK(q->config.order_by[1].field == "a");
  auto a = parse(R"({"table":"users","orderBy":[{"y":"asc"},{"b":"desc"}]})");
  REQUIRE(a.ok());
  CHECK(a->config.order_by[0].field == "y");
  CHECK(a->config.order_by[1].descending);
}

TEST_CASE("parse: columns modes follow Drizzle") {
  auto inc = parse(R"({"table":"users","columns":{"a":true,"b":false}})");
  REQUIRE(inc.ok());
  CHECK(inc->config.columns.mode == ColumnSelection::Mode::include);
  CHECK(inc->config.columns.fields == std::vector<std::string>{"a"});
  auto exc = parse(R"({"table":"users","columns":{"a":false}})");
  CHECK(exc->config.columns.mode == ColumnSelection::Mode::exclude);
  // Drizzle: `columns: {}` alone selects nothing and is refused; with relations it
  // gives rows holding only those.
  expect_error(R"({"table":"users","columns":{}})", "/columns", "no fields selected");
  expect_error(R"({"table":"users","with":{"posts":{"columns":{}}}})", "/with/posts/columns", "no fields selected");
  expect_error(R"({"table":"users","columns":{},"with":{"posts":false}})", "/columns");
  auto only_relations = parse(R"({"table":"users","columns":{},"with":{"posts":true}})");
  REQUIRE(only_relations.ok());
  CHECK(only_relations->config.columns.mode == ColumnSelection::Mode::include);
  CHECK(only_relations->config.columns.fields.empty());
  auto counted = parse(R"({"table":"users","op":"count","where":{"a":1}})");
  CHECK(counted.ok());
}

TEST_CASE("parse: a bare value inside column-level OR/AND/NOT means eq, as at the top level") {
  FilterNode any = where(R"({"id":{"OR":[3,4]}})");
  REQUIRE(any.kind == FilterNode::Kind::or_);
  REQUIRE(any.children.size() == 2);
  CHECK(any.children[0].op == CmpOp::eq);
  CHECK(any.children[0].field == "id");
  CHECK(any.children[1].arg == Value(4.0));
  CHECK(any.children[1].path == "/where/id/OR/1");
  FilterNode mixed = where(R"({"id":{"OR":[{"eq":2},3]}})");
  CHECK(mixed.children[0].op == CmpOp::eq);
  CHECK(mixed.children[1].op == CmpOp::eq);
  FilterNode negated = where(R"({"ownerId":{"NOT":3}})");
  REQUIRE(negated.kind == FilterNode::Kind::not_);
  CHECK(negated.children[0].op == CmpOp::eq);
  CHECK(negated.children[0].field == "ownerId");
  FilterNode all = where(R"({"id":{"AND":[3]}})");
  CHECK(all.kind == FilterNode::Kind::and_);
  CHECK(all.children[0].op == CmpOp::eq);
  FilterNode null_item = where(R"({"id":{"OR":[null,{"$integer":"AQAAAAAAAAA="}]}})");
  CHECK(null_item.children[0].op == CmpOp::is_null);
  CHECK(null_item.children[1].op == CmpOp::eq);
  CHECK(where(R"({"id":{"NOT":[1,2]}})").children[0].arg.is_array());  // an array value, as at the top level
}

TEST_CASE("parse: with nests configs and counts depth") {
  auto q = parse(R"({"table":"users","with":{"posts":{"limit":2,"with":{"author":true}}}})");
  REQUIRE(q.ok());
  REQUIRE(q->config.with.size() == 1);
  CHECK(q->config.with[0].config->limit == 2);
  CHECK(q->config.with[0].config->with[0].name == "author");
  ParseLimits shallow;
  shallow.max_with_depth = 1;
  auto deep = parse(R"({"table":"users","with":{"posts":{"with":{"author":true}}}})", shallow);
  REQUIRE_FALSE(deep.ok());
  CHECK(deep.error().path == "/with/posts/with");
}

TEST_CASE("parse: findFirst is limit 1; paginate takes numItems and cursor") {
  auto f = parse(R"({"table":"users","op":"findFirst"})");
  CHECK(f->config.limit == 1);
  auto p = parse(R"({"table":"users","op":"paginate","numItems":10,"cursor":"abc"})");
  REQUIRE(p.ok());
  CHECK(p->num_items == 10);
  CHECK(p->cursor == "abc");
}

TEST_CASE("parse: errors carry the JSON Pointer of the bad part") {
  expect_error(R"({"op":"findMany"})", "/table");
  expect_error(R"({"table":"nope"})", "/table", "unknown table");
  expect_error(R"({"table":"users","op":"select"})", "/op");
  expect_error(R"({"table":"users","where":{"x":{"gt":null}}})", "/where/x/gt");
  expect_error(R"({"table":"users","where":{"x":{"in":3}}})", "/where/x/in");
  expect_error(R"({"table":"users","where":{"x":{"between":[1]}}})", "/where/x/between");
  expect_error(R"({"table":"users","where":{"x":{"between":[null,1]}}})", "/where/x/between/0");
  expect_error(R"({"table":"users","where":{"x":{"like":5}}})", "/where/x/like");
  expect_error(R"({"table":"users","where":{"x":{"isNull":"yes"}}})", "/where/x/isNull");
  expect_error(R"({"table":"users","where":{"x":{"bogus":1}}})", "/where/x/bogus", "unknown operator");
  expect_error(R"({"table":"users","where":{"OR":{"x":1}}})", "/where/OR");
  expect_error(R"({"table":"users","where":{"RAW":"1"}})", "/where/RAW");
  expect_error(R"({"table":"users","where":[]})", "/where");
  expect_error(R"({"table":"users","where":{"posts":1}})", "/where/posts");
  expect_error(R"({"table":"users","limit":-1})", "/limit");
  expect_error(R"({"table":"users","limit":1001})", "/limit");
  expect_error(R"({"table":"users","offset":"2"})", "/offset");
  expect_error(R"({"table":"users","orderBy":{"a":"sideways"}})", "/orderBy/a");
  expect_error(R"({"table":"users","orderBy":[{"a":"asc","b":"asc"}]})", "/orderBy/0");
  expect_error(R"({"table":"users","columns":{"a":"yes"}})", "/columns/a");
  expect_error(R"({"table":"users","with":{"nope":true}})", "/with/nope");
  expect_error(R"({"table":"users","with":{"posts":3}})", "/with/posts");
  expect_error(R"({"table":"users","op":"count","orderBy":{"a":"asc"}})", "/orderBy");
  expect_error(R"({"table":"users","op":"paginate"})", "/numItems");
  expect_error(R"({"table":"users","op":"paginate","numItems":0})", "/numItems");
  expect_error(R"({"table":"users","op":"paginate","numItems":5,"cursor":7})", "/cursor");
  expect_error(R"({"table":"users","cursor":"x"})", "/cursor");
  expect_error(R"({"table":"users","search":{"query":"x"}})", "/search/index");
  expect_error(R"({"table":"users","search":{"index":"s","query":"x"},"orderBy":{"a":"asc"}})", "/orderBy");
  expect_error(R"({"table":"users","surprise":1})", "/surprise");
  expect_error(R"({"table":"users","where":{"OR":[]}})", "/where/OR", "non-empty");      // Drizzle 1.0 throws too
  expect_error(R"({"table":"users","where":{"x":{"AND":[]}}})", "/where/x/AND", "non-empty");
}

TEST_CASE("parse: falsy orderBy and with entries are skipped, as Drizzle skips them") {
  auto q = parse(R"({"table":"users","orderBy":{"a":null,"b":"desc","c":false,"d":0,"e":""},"with":{"posts":null}})");
  REQUIRE(q.ok());
  REQUIRE(q->config.order_by.size() == 1);
  CHECK(q->config.order_by[0].field == "b");
  CHECK(q->config.with.empty());
  expect_error(R"({"table":"users","orderBy":{"a":1}})", "/orderBy/a");
}

TEST_CASE("parse: in lists and filters are bounded") {
  ParseLimits small;
  small.max_in_values = 3;
  auto q = parse(R"({"table":"users","where":{"x":{"in":[1,2,3,4]}}})", small);
  REQUIRE_FALSE(q.ok());
  CHECK(q.error().path == "/where/x/in");
  small.max_filter_nodes = 4;
  auto many = parse(R"({"table":"users","where":{"a":1,"b":2,"c":3,"d":4,"e":5}})", small);
  REQUIRE_FALSE(many.ok());
}

TEST_CASE("parse_json_body: malformed JSON and deep nesting are errors, never throws") {
  auto bad = parse_json_body("{\"a\":", kLimits);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().path == "");
  std::string deep(1000, '[');
  deep += std::string(1000, ']');
  auto d = parse_json_body(deep, kLimits);
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().message.find("nested") != std::string::npos);
  std::string brackets_in_string = "{\"a\":\"" + std::string(500, '[') + "\"}";
  CHECK(parse_json_body(brackets_in_string, kLimits).ok());
}

TEST_CASE("parse: a limit far beyond int64 is named as written, not as an overflowed integer") {
  auto q = parse(R"({"table":"users","limit":1e20})");
  REQUIRE_FALSE(q.ok());
  CHECK(q.error().path == "/limit");
  CHECK(q.error().message.find("-9223372036854775808") == std::string::npos);
  CHECK(q.error().message.find("1e+20") != std::string::npos);
}

TEST_CASE("parse: like patterns and substring arguments are bounded (256 bytes)") {
  std::string ok(256, 'a'), long_one(257, 'a');
  CHECK(parse(R"({"table":"users","where":{"name":{"like":")" + ok + R"("}}})").ok());
  for (const char* op : {"like", "ilike", "notLike", "notIlike", "startsWith", "endsWith", "contains"}) {
    CAPTURE(op);
    auto q = parse(std::string(R"({"table":"users","where":{"name":{")") + op + R"(":")" + long_one + R"("}}})");
    REQUIRE_FALSE(q.ok());
    CHECK(q.error().path == std::string("/where/name/") + op);
  }
}

TEST_CASE("parse: Drizzle 1.0's root options about SQL and caching are accepted, checked and without effect") {
  auto q = parse(R"({"table":"users","strategy":"basic","comment":{"route":"/users","n":1},"withCache":false})");
  REQUIRE(q.ok());
  CHECK(parse(R"({"table":"users","comment":"plain"})").ok());
  expect_error(R"({"table":"users","strategy":"fast"})", "/strategy");
  expect_error(R"({"table":"users","withCache":"yes"})", "/withCache");
  expect_error(R"({"table":"users","comment":{"a":{"b":1}}})", "/comment");
  expect_error(R"({"table":"users","with":{"posts":{"strategy":"basic"}}})", "/with/posts/strategy");  // root only, as in Drizzle
}

TEST_CASE("parse: orderBy through relations (Drizzle 1.0) flattens to keys in precedence order") {
  auto q = parse(R"x({"table":"users","orderBy":{"posts":{"author":{"name":"desc(max)"},"views":"asc(avg)"},"name":"asc"}})x");
  REQUIRE(q.ok());
  const auto& keys = q.value().config.order_by;
  REQUIRE(keys.size() == 3);
  CHECK(keys[0].via == std::vector<std::string>{"posts", "author"});
  CHECK(keys[0].field == "name");
  CHECK(keys[0].descending);
  CHECK(keys[0].aggregate == OrderAggregate::max);
  CHECK(keys[0].path == "/orderBy/posts/author/name");
  CHECK(keys[1].via == std::vector<std::string>{"posts"});
  CHECK(keys[1].aggregate == OrderAggregate::avg);
  CHECK(keys[2].on_row());
  CHECK(keys[2].field == "name");

  auto count = parse(R"x({"table":"users","orderBy":{"posts":"asc(count)"}})x");
  REQUIRE(count.ok());
  CHECK(count.value().config.order_by[0].field.empty());  // the number of related rows
  CHECK(count.value().config.order_by[0].aggregate == OrderAggregate::count);

  // Falsy entries are skipped at every level, as in Drizzle.
  auto skipped = parse(R"({"table":"users","orderBy":{"posts":{"views":null},"name":false}})");
  REQUIRE(skipped.ok());
  CHECK(skipped.value().config.order_by.empty());
}

TEST_CASE("parse: orderBy through relations refuses malformed directions where they are written") {
  expect_error(R"({"table":"users","orderBy":{"posts":"asc"}})", "/orderBy/posts", "asc(count)");
  expect_error(R"x({"table":"users","orderBy":{"posts":"desc(sum)"}})x", "/orderBy/posts");
  expect_error(R"x({"table":"users","orderBy":{"name":"asc(max)"}})x", "/orderBy/name");  // an aggregate needs related rows
  expect_error(R"x({"table":"users","orderBy":{"posts":{"views":"up(max)"}}})x", "/orderBy/posts/views");
  expect_error(R"x({"table":"users","orderBy":{"posts":{"views":"asc(max"}}})x", "/orderBy/posts/views");
  expect_error(R"x({"table":"users","orderBy":{"posts":{"views":["asc"]}}})x", "/orderBy/posts/views");
  // The chain of relations is bounded like `with`'s nesting.
  expect_error(R"x({"table":"users","orderBy":{"posts":{"author":{"posts":{"author":{"posts":{"views":"asc(max)"}}}}}}})x",
               "/orderBy/posts/author/posts/author/posts");
}
