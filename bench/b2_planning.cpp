// B2: planning time per query (parse + bind + plan) over the conformance
// queries, median and p99 in microseconds.
//
//   build/release/bench_planning [repo root]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "protocol/parse.hpp"
#include "server/planner/planner.hpp"
#include "server/schema/load.hpp"

namespace fs = std::filesystem;
using namespace dc;

namespace {

class FileStats : public TableStats {
 public:
  explicit FileStats(const fs::path& data) {
    for (const auto& dir : fs::directory_iterator(data)) {
      std::ifstream in(dir.path() / "documents.jsonl");
      uint64_t n = 0;
      std::string line;
      while (std::getline(in, line)) n += !line.empty();
      rows_[dir.path().filename().string()] = n;
    }
  }
  std::optional<uint64_t> row_count(std::string_view t) const override {
    auto it = rows_.find(std::string(t));
    if (it == rows_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::map<std::string, uint64_t> rows_;
};

}  // namespace

int main(int argc, char** argv) {
  fs::path root = argc > 1 ? argv[1] : ".";
  fs::path conf = root / "tests/conformance";
  auto schema = load_schema_file((conf / "fixtures/blog/schema.json").string());
  if (!schema) {
    std::fprintf(stderr, "schema: %s\n", schema.error().message.c_str());
    return 1;
  }
  FileStats stats(conf / "fixtures/blog/data");
  std::vector<std::string> queries;
  for (const auto& f : fs::directory_iterator(conf / "cases")) {
    std::ifstream in(f.path());
    Json spec = Json::parse(in);
    for (const auto& c : spec["cases"]) {
      if (!c.contains("query") || !c["query"].is_object()) continue;
      if (c.contains("expect") && c["expect"].value("status", 200) != 200) continue;  // plans only
      queries.push_back(c["query"].dump());
    }
  }
  ParseLimits limits;
  PlannerOptions opts;
  constexpr int kRounds = 200;
  std::vector<double> per_query_us;
  size_t planned = 0;
  for (const auto& text : queries) {
    std::vector<double> samples;
    for (int r = 0; r < kRounds; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      auto body = parse_json_body(text, limits);
      auto q = parse_read_query(*body, *schema, limits);
      bool ok = q.ok() && plan_read(*q, *schema, stats, opts).ok();
      auto t1 = std::chrono::steady_clock::now();
      if (!ok) break;
      samples.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    if (samples.empty()) continue;
    std::sort(samples.begin(), samples.end());
    per_query_us.push_back(samples[samples.size() / 2]);
    ++planned;
  }
  std::sort(per_query_us.begin(), per_query_us.end());
  auto pct = [&](double p) { return per_query_us[std::min(per_query_us.size() - 1, static_cast<size_t>(p * per_query_us.size()))]; };
  std::printf("B2 planning time (JSON parse + bind + plan), %zu conformance queries, median of %d runs each\n", planned, kRounds);
  std::printf("  per-query median: p50 %.1f us, p99 %.1f us, max %.1f us\n", pct(0.5), pct(0.99), per_query_us.back());
  return 0;
}
