// The embedded engine's files as recovery finds them: the input is the
// write-ahead log (first byte 'L') or the snapshot (first byte 'S'), with
// the rest as its bytes; recovery runs with and without --recover-truncate
// (second byte odd/even), then one write is logged on top when it started.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fuzz/harness.hpp"
#include "protocol/parse_mutation.hpp"
#include "server/schema/load.hpp"
#include "tests/source_dir.hpp"

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2 || (data[0] != 'L' && data[0] != 'S')) return 0;
  static const fs::path dir = [] {
    fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    return base / ("dc-fuzz-log-" + std::to_string(::getpid()));
  }();
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    std::ofstream out(dir / (data[0] == 'L' ? "wal.log" : "snapshot.jsonl"), std::ios::binary);
    out.write(reinterpret_cast<const char*>(data) + 2, static_cast<std::streamsize>(size - 2));
  }
  static auto schema = [] {
    auto s = dc::load_schema_file(dc::testing::source_dir() + "/tests/conformance/fixtures/blog/schema.json");
    if (!s) std::abort();
    return std::make_shared<const dc::Schema>(std::move(s).value());
  }();
  auto backend = std::make_shared<dc::EmbeddedBackend>(schema, 5);
  dc::RecoveryReport report;
  dc::RecoveryOptions options;
  options.truncate_corrupt = data[1] & 1;
  if (backend->enable_durability(dir.string(), &report, options)) {
    auto m = dc::parse_mutation(dc::Json::parse(R"({"op":"insert","table":"tags","values":{"name":"after recovery"}})"), *schema,
                                dc::ParseLimits{});
    auto p = dc::plan_mutation(*m, *schema, *backend, dc::PlannerOptions{});
    if (!p) std::abort();
    bool ok = false;
    backend->write(std::make_shared<const dc::MutationPlan>(std::move(p).value()), dc::RequestContext{},
                   [&](dc::Result<dc::WriteOutcome> r) { ok = r.ok(); });
    // A recovered store accepts writes, unless the recovered data broke a unique rule on 'after recovery'.
    (void)ok;
  }
  fs::remove_all(dir);
  return 0;
}
