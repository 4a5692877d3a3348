#include <doctest/doctest.h>

#include <random>

#include "server/live/differ.hpp"

using dc::Json;

namespace {

Json row(const std::string& id, Json fields = Json::object()) {
  Json r{{"_id", id}, {"_creationTime", 1.0}};
  for (auto it = fields.begin(); it != fields.end(); ++it) r[it.key()] = it.value();
  return r;
}

// "r7": built without `"lit" + std::string`, which GCC 12 at -O3 flags with -Wrestrict.
std::string key(const char* prefix, long n) {
  std::string s(prefix);
  s += std::to_string(n);
  return s;
}

// The property every subscriber relies on: applying the patch to the old
// result gives exactly the new one.
void check_roundtrip(const Json& before, const Json& after) {
  Json ops = dc::diff_results(before, after);
  Json patched = before.patch(ops);
  REQUIRE_MESSAGE(patched.dump() == after.dump(), "before " << before.dump() << "\nafter " << after.dump() << "\nops " << ops.dump());
}

}  // namespace

TEST_CASE("differ: equal results give no operations") {
  Json a = Json::array({row("a", {{"n", 1}}), row("b")});
  CHECK(dc::diff_results(a, a).empty());
}

TEST_CASE("differ: a row inserted in the middle of a list is one add, not a rewrite of the tail") {
  Json before = Json::array({row("a"), row("b"), row("c"), row("d")});
  Json after = Json::array({row("a"), row("b"), row("x"), row("c"), row("d")});
  Json ops = dc::diff_results(before, after);
  REQUIRE(ops.size() == 1);
  CHECK(ops[0]["op"] == "add");
  CHECK(ops[0]["path"] == "/2");
  CHECK(ops[0]["value"]["_id"] == "x");
  check_roundtrip(before, after);
}

TEST_CASE("differ: a removed row is one remove; a changed field is one replace at its path") {
  Json before = Json::array({row("a", {{"title", "x"}}), row("b", {{"title", "y"}}), row("c")});
  Json after = Json::array({row("a", {{"title", "x"}}), row("c")});
  Json ops = dc::diff_results(before, after);
  REQUIRE(ops.size() == 1);
  CHECK(ops[0] == Json{{"op", "remove"}, {"path", "/1"}});

  Json edited = Json::array({row("a", {{"title", "z"}}), row("b", {{"title", "y"}}), row("c")});
  ops = dc::diff_results(before, edited);
  REQUIRE(ops.size() == 1);
  CHECK(ops[0] == Json{{"op", "replace"}, {"path", "/0/title"}, {"value", "z"}});
}

TEST_CASE("differ: a row that moves to the front is one move") {
  Json before = Json::array({row("a"), row("b"), row("c")});
  Json after = Json::array({row("c"), row("a"), row("b")});
  Json ops = dc::diff_results(before, after);
  REQUIRE(ops.size() == 1);
  CHECK(ops[0]["op"] == "move");
  CHECK(ops[0]["from"] == "/2");
  CHECK(ops[0]["path"] == "/0");
}

TEST_CASE("differ: keys with / and ~ are escaped; a missing optional field is a remove") {
  Json before{{"a/b", 1}, {"c~d", 2}, {"opt", 3}};
  Json after{{"a/b", 2}, {"c~d", 2}};
  Json ops = dc::diff_results(before, after);
  CHECK(ops.dump() == R"([{"op":"remove","path":"/opt"},{"op":"replace","path":"/a~1b","value":2}])");
  check_roundtrip(before, after);
}

TEST_CASE("differ: findFirst results, paginate pages and type changes round-trip") {
  check_roundtrip(Json(nullptr), row("a"));
  check_roundtrip(row("a"), Json(nullptr));
  Json page1{{"page", Json::array({row("a"), row("b")})}, {"continueCursor", "c1"}, {"isDone", false}};
  Json page2{{"page", Json::array({row("b"), row("c")})}, {"continueCursor", "c2"}, {"isDone", true}};
  check_roundtrip(page1, page2);
  check_roundtrip(Json::array({1, 2, 3}), Json::array({1, 4, 2, 3, 5}));
  check_roundtrip(Json::array({1, 2, 3}), Json::array());
  // Rows without ids (a `columns` selection without _id) are diffed by position.
  check_roundtrip(Json::array({Json{{"n", 1}}, Json{{"n", 2}}}), Json::array({Json{{"n", 0}}, Json{{"n", 1}}, Json{{"n", 2}}}));
}

TEST_CASE("differ: property: random write sequences on a live list, patches reproduce every result") {
  std::mt19937 rng(20261122);
  for (int trial = 0; trial < 200; ++trial) {
    Json rows = Json::array();
    int next_id = 0;
    for (int i = 0; i < static_cast<int>(rng() % 8); ++i) rows.push_back(row(key("r", next_id++), {{"n", static_cast<int>(rng() % 5)}}));
    Json client = rows;  // what a subscriber holds, built only from patches
    for (int step = 0; step < 30; ++step) {
      Json next = rows;
      int writes = 1 + static_cast<int>(rng() % 3);
      for (int w = 0; w < writes; ++w) {
        auto pick = [&] { return static_cast<size_t>(rng() % next.size()); };
        switch (rng() % 6) {
          case 0:
          case 1: {  // insert anywhere
            size_t at = next.empty() ? 0 : static_cast<size_t>(rng() % (next.size() + 1));
            Json r = row(key("r", next_id++), {{"n", static_cast<int>(rng() % 5)}});
            if (rng() % 2) r["tags"] = Json::array({key("t", static_cast<long>(rng() % 3))});
            next.insert(next.begin() + static_cast<std::ptrdiff_t>(at), r);
            break;
          }
          case 2:  // delete
            if (!next.empty()) next.erase(next.begin() + static_cast<std::ptrdiff_t>(pick()));
            break;
          case 3:  // update a field, maybe to a nested value
            if (!next.empty()) {
              auto& r = next[pick()];
              if (rng() % 3 == 0) {
                r["meta"] = Json{{"k", static_cast<int>(rng() % 4)}, {"$integer", "AQAAAAAAAAA="}};
              } else {
                r["n"] = static_cast<int>(rng() % 5);
              }
            }
            break;
          case 4:  // an optional field disappears
            if (!next.empty()) next[pick()].erase("tags");
            break;
          case 5:  // the order changes (an orderBy key was updated)
            if (next.size() > 1) {
              size_t from = pick(), to = pick();
              Json r = next[from];
              next.erase(next.begin() + static_cast<std::ptrdiff_t>(from));
              next.insert(next.begin() + static_cast<std::ptrdiff_t>(to), r);
            }
            break;
        }
      }
      Json ops = dc::diff_results(rows, next);
      client = client.patch(ops);
      REQUIRE_MESSAGE(client.dump() == next.dump(), "trial " << trial << " step " << step << " ops " << ops.dump());
      // Only a change gives operations.
      CHECK((ops.empty() == (rows == next)));
      rows = next;
    }
  }
}
