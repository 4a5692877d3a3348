#include <doctest/doctest.h>

#include "server/pipeline/result_cache.hpp"

using namespace dc;

namespace {

std::shared_ptr<Freshness> fresh() { return std::make_shared<Freshness>(); }
std::shared_ptr<const std::string> text(std::string s) { return std::make_shared<const std::string>(std::move(s)); }
const std::shared_ptr<const int> kSchema = std::make_shared<const int>(1);

ResultCache::Key key(std::string_view body, std::string_view rules = "", uint64_t epoch = 0, const void* schema = kSchema.get()) {
  return ResultCache::Key{rules, body, epoch, schema};
}

uint64_t metric(const ResultCache& cache, std::string_view name) {
  MetricsText out;
  cache.write_metrics(out);
  std::string all = out.take();
  std::string line = "\n" + std::string(name) + " ";
  auto at = all.find(line);
  REQUIRE(at != std::string::npos);
  return std::stoull(all.substr(at + line.size()));
}

}  // namespace

TEST_CASE("result cache: an answer is served while it holds, under the same rules, epoch and schema only") {
  ResultCache cache(1 << 20);
  auto f = fresh();
  cache.insert(key("{\"q\":1}", "role\x01" "u1"), text("{\"data\":[1]}"), f, kSchema);
  auto hit = cache.find(key("{\"q\":1}", "role\x01" "u1"));
  REQUIRE(hit);
  CHECK(*hit == "{\"data\":[1]}");
  // Another caller's rules, another body, another auth file, another schema: none of them.
  CHECK_FALSE(cache.find(key("{\"q\":1}", "role\x01" "u2")));
  CHECK_FALSE(cache.find(key("{\"q\":1}")));
  CHECK_FALSE(cache.find(key("{\"q\": 1}", "role\x01" "u1")));
  CHECK_FALSE(cache.find(key("{\"q\":1}", "role\x01" "u1", 7)));
  auto other_schema = std::make_shared<const int>(2);
  CHECK_FALSE(cache.find(key("{\"q\":1}", "role\x01" "u1", 0, other_schema.get())));
  // The rules key and the body are told apart even when their concatenation is equal.
  cache.insert(key("b", "a"), text("ab"), fresh(), kSchema);
  CHECK_FALSE(cache.find(key("", "ab")));
  CHECK(metric(cache, "dc_result_cache_hits_total") == 1);
  // Stale: never served again, and dropped.
  f->stale = true;
  CHECK_FALSE(cache.find(key("{\"q\":1}", "role\x01" "u1")));
  CHECK(metric(cache, "dc_result_cache_invalidations_total") == 1);
  CHECK(metric(cache, "dc_result_cache_entries") == 1);
}

TEST_CASE("result cache: bounded in bytes, least recently used out first; 0 keeps nothing") {
  const uint64_t per = 1000 + 2 + ResultCache::kEntryOverhead;  // a 1000-byte answer, a one-byte body, the separator
  ResultCache cache(per * 10);
  for (int i = 0; i < 10; ++i) cache.insert(key(std::to_string(i)), text(std::string(1000, 'x')), fresh(), kSchema);
  CHECK(cache.bytes() == per * 10);
  CHECK(cache.find(key("0")));  // 0 is now the most recent
  cache.insert(key("a"), text(std::string(1000, 'y')), fresh(), kSchema);
  CHECK(cache.bytes() <= per * 10);
  CHECK(cache.find(key("0")));
  CHECK_FALSE(cache.find(key("1")));  // the least recently used went
  CHECK(metric(cache, "dc_result_cache_evictions_total") == 1);
  // One answer over an eighth of the budget is not kept.
  cache.insert(key("big"), text(std::string(per * 2, 'z')), fresh(), kSchema);
  CHECK_FALSE(cache.find(key("big")));
  // Stale before it was kept: not kept.
  auto gone = fresh();
  gone->stale = true;
  cache.insert(key("late"), text("x"), gone, kSchema);
  CHECK_FALSE(cache.find(key("late")));
  cache.clear();
  CHECK(cache.bytes() == 0);
  CHECK_FALSE(cache.find(key("0")));

  ResultCache off(0);
  CHECK_FALSE(off.on());
  off.insert(key("0"), text("x"), fresh(), kSchema);
  CHECK_FALSE(off.find(key("0")));
}

TEST_CASE("result cache: inserting a key again replaces the answer") {
  ResultCache cache(1 << 20);
  cache.insert(key("q"), text("old"), fresh(), kSchema);
  cache.insert(key("q"), text("new"), fresh(), kSchema);
  auto hit = cache.find(key("q"));
  REQUIRE(hit);
  CHECK(*hit == "new");
  CHECK(metric(cache, "dc_result_cache_entries") == 1);
}
