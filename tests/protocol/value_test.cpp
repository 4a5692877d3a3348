#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "protocol/value.hpp"
#include "protocol/value_json.hpp"

using namespace dc;

namespace {
Value decode(const std::string& text) {
  auto v = value_from_json(Json::parse(text), "");
  REQUIRE(v.ok());
  return v.value();
}
}  // namespace

TEST_CASE("values: Convex's total order across types") {
  std::vector<Value> ascending = {Value(),          Value(nullptr),    Value(int64_t{5}),  Value(-1.0),
                                  Value(false),     Value(true),       Value("a"),         Value(Bytes{"\x01"}),
                                  Value(Array{}),   Value(Object{})};
  for (size_t i = 0; i + 1 < ascending.size(); ++i) {
    CAPTURE(i);
    CHECK(compare(ascending[i], ascending[i + 1]) < 0);
    CHECK(compare(ascending[i + 1], ascending[i]) > 0);
  }
}

TEST_CASE("values: float64 uses IEEE total order, so -0 sorts before +0 and NaN last") {
  double inf = std::numeric_limits<double>::infinity();
  double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(compare(Value(-inf), Value(-1.0)) < 0);
  CHECK(compare(Value(-0.0), Value(0.0)) < 0);
  CHECK(compare(Value(inf), Value(nan)) < 0);
  CHECK(compare(Value(2.5), Value(2.5)) == 0);
}

TEST_CASE("values: strings compare by UTF-8 bytes") {
  CHECK(compare(Value("Z"), Value("a")) < 0);
  CHECK(compare(Value("z"), Value("\xc3\x89")) < 0);  // 'z' < 'É'
  CHECK(compare(Value("ab"), Value("abc")) < 0);
}

TEST_CASE("values: arrays and objects compare element-wise, objects by sorted keys") {
  CHECK(compare(Value(Array{Value(1.0)}), Value(Array{Value(1.0), Value(0.0)})) < 0);
  Object a{{"b", Value(1.0)}, {"a", Value(2.0)}};
  Object b{{"a", Value(2.0)}, {"b", Value(1.0)}};
  CHECK(compare(Value(a), Value(b)) == 0);
}

TEST_CASE("value_json: int64 is $integer of 8 little-endian bytes") {
  CHECK(to_json_text(Value(int64_t{1})) == R"({"$integer":"AQAAAAAAAAA="})");
  CHECK(to_json_text(Value(int64_t{-1})) == R"({"$integer":"//////////8="})");
  CHECK(decode(R"({"$integer":"6AMAAAAAAAA="})").as_int64() == 1000);
}

TEST_CASE("value_json: only NaN, infinities and -0 use $float") {
  CHECK(to_json_text(Value(std::numeric_limits<double>::quiet_NaN())) == R"({"$float":"AAAAAAAA+H8="})");
  CHECK(to_json_text(Value(std::numeric_limits<double>::infinity())) == R"({"$float":"AAAAAAAA8H8="})");
  CHECK(to_json_text(Value(-0.0)) == R"({"$float":"AAAAAAAAAIA="})");
  Value neg_zero = decode(R"({"$float":"AAAAAAAAAIA="})");
  CHECK(std::signbit(neg_zero.as_float64()));
  auto finite = value_from_json(Json::parse(R"({"$float":"AAAAAAAA8D8="})"), "/where/x");
  REQUIRE_FALSE(finite.ok());
  CHECK(finite.error().path == "/where/x/$float");
}

TEST_CASE("value_json: bytes, numbers and nested values round-trip") {
  CHECK(to_json_text(decode(R"({"$bytes":"AQID"})")) == R"({"$bytes":"AQID"})");
  CHECK(decode("5").kind() == Value::Kind::float64);
  CHECK(to_json_text(decode(R"({"a":[1,2.5,"x",null,true]})")) == R"({"a":[1,2.5,"x",null,true]})");
  CHECK(to_json_text(Value(0.1)) == "0.1");
  CHECK(to_json_text(Value(1767225600000.5)) == "1767225600000.5");
}

TEST_CASE("value_json: field names starting with $ are rejected with their path") {
  auto v = value_from_json(Json::parse(R"({"ok":{"$bad":1}})"), "/values");
  REQUIRE_FALSE(v.ok());
  CHECK(v.error().path == "/values/ok/$bad");
  auto b = value_from_json(Json::parse(R"({"$integer":"AQ=="})"), "");
  REQUIRE_FALSE(b.ok());  // not 8 bytes
}

TEST_CASE("value_json: strings are escaped") {
  CHECK(to_json_text(Value(std::string("a\"b\\c\n\x01"))) == R"("a\"b\\c\n\u0001")");
}

TEST_CASE("values: lookup_path follows dotted paths") {
  Value doc = decode(R"({"address":{"city":"Paris"},"n":1})");
  REQUIRE(lookup_path(doc, "address.city") != nullptr);
  CHECK(lookup_path(doc, "address.city")->as_string() == "Paris");
  CHECK(lookup_path(doc, "address.zip") == nullptr);
  CHECK(lookup_path(doc, "n.x") == nullptr);
}

TEST_CASE("value_json: to_json builds the same JSON that write_json prints") {
  using dc::Value;
  dc::Object row{{"_id", Value("a1")},
                 {"n", Value(3.0)},
                 {"x", Value(0.1)},
                 {"big", Value(int64_t{-5})},
                 {"nan", Value(std::nan(""))},
                 {"neg0", Value(-0.0)},
                 {"s", Value("quote \" slash \\ tab \t é 😀")},
                 {"gone", Value()},
                 {"nested", Value(dc::Array{Value(nullptr), Value(true), Value(1e20), Value(dc::Object{{"k", Value(2.5)}})})}};
  Value v(row);
  dc::Json tree = dc::to_json(v);
  CHECK(tree.dump() == dc::to_json_text(v));
  CHECK(tree == dc::Json::parse(dc::to_json_text(v)));
  CHECK_FALSE(tree.contains("gone"));
}

TEST_CASE("value_json: the size estimate is the written length, but for escapes and fractional numbers") {
  Object row;
  row.emplace_back("name", Value("Ada Lovelace"));
  row.emplace_back("credits", Value(1234.0));
  row.emplace_back("debt", Value(-7.0));
  row.emplace_back("id", Value(int64_t{42}));
  row.emplace_back("admin", Value(false));
  row.emplace_back("ok", Value(true));
  row.emplace_back("nick", Value(nullptr));
  row.emplace_back("gone", Value());  // undefined: not written
  row.emplace_back("key", Value(Bytes{"abcd"}));
  row.emplace_back("tags", Value(Array{Value("a"), Value("bc")}));
  row.emplace_back("empty", Value(Array{}));
  row.emplace_back("nested", Value(Object{{"x", Value(1.0)}}));
  Value v(std::move(row));
  CHECK(json_size_estimate(v) == to_json_text(v).size());
  // The two estimates: an escaped character counts once, a fraction as its longest text.
  CHECK(json_size_estimate(Value("a\"b")) == 5);
  CHECK(to_json_text(Value("a\"b")).size() == 6);
  CHECK(json_size_estimate(Value(0.5)) == 24);
}
