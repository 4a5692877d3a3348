// An auth file and a caller's claims, as the server reads them: the input's
// first line is the auth file (JSON), the rest the claims of a caller
// (JSON). The file is read and compiled against the blog fixture's schema;
// when it loads, the claims are bound into every role's rules and a read
// and a write of every table are planned under them. A finding is a crash,
// a sanitizer report, or an exception escaping: bad files and bad claims
// must come back as errors.
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/json_read.hpp"
#include "protocol/parse.hpp"
#include "protocol/parse_mutation.hpp"
#include "server/access/compiled_rules.hpp"
#include "server/planner/mutation_plan.hpp"
#include "server/planner/planner.hpp"
#include "server/schema/load.hpp"
#include "tests/source_dir.hpp"

namespace {

class NoStats final : public dc::TableStats {
 public:
  std::optional<uint64_t> row_count(std::string_view) const override { return 100; }
};

std::shared_ptr<const dc::Schema> blog() {
  static std::shared_ptr<const dc::Schema> s = [] {
    auto loaded = dc::load_schema_file(dc::testing::source_dir() + "/tests/conformance/fixtures/blog/schema.json");
    if (!loaded) std::abort();
    return std::make_shared<const dc::Schema>(std::move(loaded).value());
  }();
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t cut = input.find('\n');
  std::string_view file_text = input.substr(0, cut);
  std::string_view claims_text = cut == std::string_view::npos ? std::string_view("{}") : input.substr(cut + 1);
  auto file = dc::read_json(file_text, dc::JsonLimits{32});
  if (!file) return 0;
  auto config = dc::read_auth_config(*file, "/nonexistent-fuzz-dir");
  if (!config) return 0;
  auto policies = dc::compile_policies(*config, blog());
  if (!policies) return 0;
  auto claims = dc::read_json(claims_text, dc::JsonLimits{32});
  if (!claims || !claims->is_object()) return 0;
  NoStats stats;
  for (const auto& [role, _] : config->roles) {
    dc::Caller caller;
    caller.role = role;
    caller.claims = *claims;
    auto rules = dc::rules_for(**policies, caller);
    if (!rules) continue;
    dc::PlannerOptions options;
    options.rules = rules->read;
    options.write_rules = rules->write;
    for (const auto& [table, def] : blog()->tables) {
      auto read = dc::parse_read_query(dc::Json{{"table", table}, {"op", "findMany"}, {"limit", 5}}, *blog(), dc::ParseLimits{});
      if (read) (void)dc::plan_read(*read, *blog(), stats, options);
      auto write = dc::parse_mutation(dc::Json{{"op", "delete"}, {"table", table}, {"where", dc::Json::object()}}, *blog(), dc::ParseLimits{});
      if (write) (void)dc::plan_mutation(*write, *blog(), stats, options);
    }
  }
  return 0;
}
