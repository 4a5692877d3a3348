#include "fuzz/harness.hpp"

#include <cstdlib>
#include <optional>

#include "server/backend/embedded/import.hpp"
#include "server/schema/load.hpp"
#include "tests/source_dir.hpp"

namespace dc::fuzz {

namespace {

std::string fixture_dir(Fixture fixture) {
  return dc::testing::source_dir() + "/tests/conformance/fixtures/" + (fixture == Fixture::blog ? "blog" : "org");
}

std::shared_ptr<const Schema> schema_of(Fixture fixture) {
  static std::shared_ptr<const Schema> schemas[2];
  auto& slot = schemas[fixture == Fixture::blog ? 0 : 1];
  if (!slot) {
    auto s = load_schema_file(fixture_dir(fixture) + "/schema.json");
    if (!s) std::abort();
    slot = std::make_shared<const Schema>(std::move(s).value());
  }
  return slot;
}

// A finding is a crash, a sanitizer report or an answer that is not JSON.
void require_json(std::string_view text) {
  if (!Json::accept(text)) std::abort();
}

}  // namespace

void Server::call(std::string_view method, std::string_view path, std::string_view body) {
  Call c{method, path, body, {}, "127.0.0.1:8787", std::nullopt};
  int answers = 0;
  pipeline->handle(c, RequestContext{}, [&](Result<Answer> r, Headers) {
    ++answers;
    if (r) require_json(r->text());
    else if (r.error().message.empty()) std::abort();
  });
  if (answers != 1) std::abort();  // inline engine: exactly one answer, now
}

Server fresh_server(Fixture fixture) {
  Server s;
  s.backend = std::make_shared<EmbeddedBackend>(schema_of(fixture), 11);
  if (!import_export_dir(s.backend->store_for_loading(), s.backend->ids(), fixture_dir(fixture) + "/data")) std::abort();
  auto slot = std::make_shared<SchemaSlot>();
  slot->set(schema_of(fixture));
  PipelineOptions options;
  options.plan_cache_entries = 0;  // every input planned and run: nothing hidden behind a cache hit
  options.result_cache_bytes = 0;
  s.pipeline = std::make_shared<Pipeline>(options, s.backend, slot, nullptr);
  return s;
}

Server& shared_server(Fixture fixture) {
  static std::optional<Server> servers[2];
  auto& slot = servers[fixture == Fixture::blog ? 0 : 1];
  if (!slot) slot = fresh_server(fixture);
  return *slot;
}

}  // namespace dc::fuzz
