// The schema requests are planned against, with its /v1/schema body. Set
// once at start-up, or later when a Convex deployment's `describe` answers;
// read by every request. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "server/planner/integrity_rules.hpp"
#include "server/schema/model.hpp"

namespace dc {

struct LoadedSchema {
  std::shared_ptr<const Schema> schema;
  std::string json;  // serialized once
  std::shared_ptr<const IntegrityRules> integrity;  // worked out once, shared by every mutation plan
};

class SchemaSlot {
 public:
  // Null until a schema was set.
  std::shared_ptr<const LoadedSchema> get() const {
    std::lock_guard lock(mu_);
    return loaded_;
  }
  void set(std::shared_ptr<const Schema> schema);

 private:
  // A mutex, not std::atomic<std::shared_ptr>: with GCC 12's, the ASan+UBSan build
  // reported corrupted neighbouring fields on the first request; with a mutex it does not.
  mutable std::mutex mu_;
  std::shared_ptr<const LoadedSchema> loaded_;
};

}  // namespace dc
