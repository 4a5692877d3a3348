#include <doctest/doctest.h>

#include "server/planner/plan_cache.hpp"

using namespace dc;

TEST_CASE("plan_cache: a hit needs the same body and the same stats version") {
  PlanCache cache(4);
  auto plan = std::make_shared<const ReadPlan>();
  cache.insert(R"({"table":"t"})", 7, plan);
  CHECK(cache.find(R"({"table":"t"})", 7) == plan);
  CHECK(cache.find(R"({"table":"t"})", 8) == nullptr);   // table sizes changed since
  CHECK(cache.find(R"({"table": "t"})", 7) == nullptr);  // bytes differ
  CHECK(cache.hits() == 1);
  CHECK(cache.misses() == 2);
}

TEST_CASE("plan_cache: a plan made under another auth file's rules is never served; clear drops everything") {
  PlanCache cache(4);
  auto old_rules = std::make_shared<const ReadPlan>();
  cache.insert("q", 7, old_rules, /*rules_epoch=*/1);
  CHECK(cache.find("q", 7, 1) == old_rules);
  CHECK(cache.find("q", 7, 2) == nullptr);  // reloaded: same body, same stats, new rules
  cache.insert("r", 7, old_rules, 1);
  cache.clear();
  CHECK(cache.size() == 0);
  CHECK(cache.find("r", 7, 1) == nullptr);
}

TEST_CASE("plan_cache: least recently used entries go first; oversized bodies are not cached") {
  PlanCache cache(2, 16);
  auto a = std::make_shared<const ReadPlan>();
  auto b = std::make_shared<const ReadPlan>();
  auto c = std::make_shared<const ReadPlan>();
  cache.insert("a", 1, a);
  cache.insert("b", 1, b);
  CHECK(cache.find("a", 1) == a);  // a is now the most recent
  cache.insert("c", 1, c);         // evicts b
  CHECK(cache.find("b", 1) == nullptr);
  CHECK(cache.find("a", 1) == a);
  CHECK(cache.find("c", 1) == c);
  cache.insert(std::string(17, 'x'), 1, a);
  CHECK(cache.find(std::string(17, 'x'), 1) == nullptr);
  PlanCache off(0);
  off.insert("a", 1, a);
  CHECK(off.find("a", 1) == nullptr);
}
