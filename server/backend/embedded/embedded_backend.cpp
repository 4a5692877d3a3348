#include "server/backend/embedded/embedded_backend.hpp"

#include <random>

#include "protocol/value_json.hpp"
#include "server/backend/embedded/executor.hpp"

namespace dc {

EmbeddedBackend::EmbeddedBackend(std::shared_ptr<const Schema> schema, uint64_t id_seed)
    : schema_(std::move(schema)), store_(*schema_), ids_(id_seed ? id_seed : std::random_device{}()) {}

void EmbeddedBackend::read(std::shared_ptr<const ReadPlan> plan, const RequestContext&,
                           std::function<void(Result<ReadOutcome>)> done) {
  Result<Value> result = Value();
  uint64_t reads = 0;
  {
    std::shared_lock lock(mu_);
    Executor ex(store_, plan->budget);
    result = ex.run(*plan);
    reads = ex.docs_read();
  }
  if (!result) {
    done(std::move(result).error());
    return;
  }
  ReadOutcome out;
  out.docs_read = reads;
  write_json(result.value(), out.data_json);
  done(std::move(out));
}

std::optional<uint64_t> EmbeddedBackend::row_count(std::string_view table) const {
  std::shared_lock lock(mu_);
  const Table* t = store_.table(table);
  if (!t) return std::nullopt;
  return t->size();
}

}  // namespace dc
