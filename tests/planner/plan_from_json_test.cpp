// The plan format holds the whole plan: every golden plan the planner wrote
// reads back and writes out byte for byte, and passes the verifier; a
// malformed plan is refused naming the part at fault.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "server/planner/plan_from_json.hpp"
#include "server/planner/plan_verify.hpp"
#include "tests/planner/fixture.hpp"
#include "tests/source_dir.hpp"

using namespace dc;
using dc::testing::blog_schema;

TEST_CASE("plan_from_json: every golden plan reads back whole") {
  size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dc::testing::source_dir() + "/tests/planner/golden")) {
    if (entry.path().extension() != ".json") continue;
    CAPTURE(entry.path().filename().string());
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    auto plan = read_plan_from_json(Json::parse(text.str()), blog_schema());
    REQUIRE_MESSAGE(plan.ok(), (plan.ok() ? "" : plan.error().message + " at " + plan.error().path.value_or("")));
    CHECK(plan_to_json(*plan).dump(2) + "\n" == text.str());
    auto verdict = verify_plan(*plan, blog_schema());
    CHECK_MESSAGE(verdict.ok(), (verdict.ok() ? "" : verdict.error().message));
    ++n;
  }
  CHECK(n >= 16);
}

TEST_CASE("plan_from_json: a malformed plan is refused at the part at fault") {
  Json good = plan_to_json(dc::testing::must_plan(R"({"table":"users","where":{"role":"admin"},"with":{"posts":true}})"));
  auto refused = [&](const std::function<void(Json&)>& breakIt) {
    Json j = good;
    breakIt(j);
    auto p = read_plan_from_json(j, blog_schema());
    REQUIRE_FALSE(p.ok());
    return p.error().path.value_or("");
  };
  CHECK(refused([](Json& j) { j["planVersion"] = 2; }) == "/planVersion");
  CHECK(refused([](Json& j) { j["root"]["access"]["source"]["type"] = "indx"; }) == "/root/access/source/type");
  CHECK(refused([](Json& j) { j["root"]["access"]["table"] = "nope"; }) == "/root/access/table");
  CHECK(refused([](Json& j) { j["root"]["with"][0]["target"]["access"].erase("source"); }) == "/root/with/0/target/access");
  CHECK(refused([](Json& j) { j["root"]["access"]["indexFilter"][0]["op"] = "approx"; }) == "/root/access/indexFilter/0/op");
}
