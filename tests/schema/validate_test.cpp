#include <doctest/doctest.h>

#include "server/schema/load.hpp"
#include "server/schema/validate.hpp"

using namespace dc;

namespace {

TableDef table_with(const std::string& fields_json) {
  Json j;
  j["tables"]["t"] = Json::parse(R"({"documentType":{"type":"object","value":)" + fields_json + "}}");
  auto s = load_schema(j);
  REQUIRE(s.ok());
  return s->tables.at("t");
}

Value parse(const std::string& text) {
  auto v = value_from_json(Json::parse(text), "");
  REQUIRE(v.ok());
  return v.value();
}

}  // namespace

TEST_CASE("validate: nesting deeper than 16 levels is refused, at the level where it happens") {
  TableDef t = table_with(R"({"blob":{"fieldType":{"type":"any"},"optional":false}})");
  // `levels` nested objects under "blob" (append, not operator+: GCC 12 warns falsely on the latter).
  auto nested = [](int levels) {
    std::string s = R"({"blob":)";
    for (int i = 0; i < levels; ++i) s.append(R"({"a":)");
    s.append("1");
    s.append(static_cast<size_t>(levels) + 1, '}');
    return s;
  };
  Value ok = parse(nested(15));  // the document is level 1: 16 in all
  CHECK(validate_document(t, ok, "/values").ok());
  Value bad = parse(nested(16));
  auto st = validate_document(t, bad, "/values");
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == ErrorCode::invalid_value);
  CHECK(st.error().message.find("16 levels") != std::string::npos);
}

TEST_CASE("validate: objects hold at most 1,024 fields") {
  TableDef t = table_with(R"({"m":{"fieldType":{"type":"record","keys":{"type":"string"},"values":{"fieldType":{"type":"number"},"optional":false}},"optional":false}})");
  Object m;
  for (int i = 0; i < 1025; ++i) m.emplace_back(std::to_string(i).insert(0, 1, 'k'), Value(1.0));
  Value doc(Object{{"m", Value(std::move(m))}});
  auto st = validate_document(t, doc, "/values");
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().path == "/values/m");
}

TEST_CASE("validate: unions take the first member that fits; int64 is coerced only where it must be") {
  TableDef t = table_with(R"({"n":{"fieldType":{"type":"union","value":[{"type":"bigint"},{"type":"string"}]},"optional":false},
                              "f":{"fieldType":{"type":"number"},"optional":false}})");
  Value doc = parse(R"({"n":7,"f":7})");
  REQUIRE(validate_document(t, doc, "/values").ok());
  CHECK(doc.field("n")->kind() == Value::Kind::int64);
  CHECK(doc.field("f")->kind() == Value::Kind::float64);
  Value bad = parse(R"({"n":7.5,"f":1})");
  auto st = validate_document(t, bad, "/values");
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().path == "/values/n");
  CHECK(st.error().message.find("int64 | string") != std::string::npos);
}

TEST_CASE("validate: assignments check one field; unset only optional ones; system fields never") {
  TableDef t = table_with(R"({"a":{"fieldType":{"type":"string"},"optional":false},"b":{"fieldType":{"type":"string"},"optional":true}})");
  Value v("x");
  CHECK(validate_assignment(t, "a", &v, "/set/a").ok());
  CHECK(validate_assignment(t, "b", nullptr, "/set/b").ok());
  auto required = validate_assignment(t, "a", nullptr, "/set/a");
  REQUIRE_FALSE(required.ok());
  CHECK(required.error().code == ErrorCode::invalid_value);
  auto system = validate_assignment(t, "_id", &v, "/set/_id");
  REQUIRE_FALSE(system.ok());
  CHECK(system.error().code == ErrorCode::invalid_query);
  Value n(1.0);
  auto wrong = validate_assignment(t, "a", &n, "/set/a");
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().path == "/set/a");
}
