// Applies one MutationPlan to the store, all or nothing: every change is
// recorded in an undo log, and any failure (validation, unique conflict,
// restrict, budget) rolls the store back before the error is returned.
// Enforces unique constraints, references (v.id fields point at rows that
// exist) and onDelete rules (cascade, setNull, restrict) transitively.
// The caller holds the store's exclusive lock.
#pragma once

#include <string>
#include <vector>

#include "protocol/error.hpp"
#include "server/backend/embedded/executor.hpp"
#include "server/backend/embedded/ids.hpp"
#include "server/backend/embedded/store.hpp"
#include "server/planner/mutation_plan.hpp"

namespace dc {

// A net change to one document, for the write-ahead log and live queries.
struct Change {
  std::string table;
  std::string id;
  DocPtr after;   // null: deleted
  DocPtr before = nullptr;  // null: inserted
};

class Writer {
 public:
  // `limits` bound the row selection of update and delete like any read.
  Writer(Store& store, IdGenerator& ids, ReadLimits limits = {}) : store_(store), ids_(ids), limits_(limits) {}
  // Applies `plan`; the integrity rules come from the plan only.
  Result<Value> run(const MutationPlan& plan);
  // The documents this run changed, each once with its final state.
  std::vector<Change> changes() const;
  uint64_t docs_read() const { return reads_; }
  // Takes back everything run() applied (when the write could not be made durable).
  void undo() { rollback(); }

 private:
  struct Undo {
    Table* table;
    DocPtr before;
    DocPtr after;
  };
  Result<Value> apply(const MutationStep& step, uint64_t budget);
  Result<DocPtr> insert_row(Table& table, const Value& fields, const std::string& path);
  Result<DocPtr> update_row(Table& table, const DocPtr& row, const std::vector<FieldAssignment>& set, const std::string& path);
  Status delete_row(Table& table, const DocPtr& row, const std::string& path, int depth);
  Status check_unique(Table& table, const Document& doc, const std::string& path);
  Status check_references(const Table& table, const Document& doc, const std::string& path);
  std::vector<DocPtr> find_equal(const Table& table, const std::vector<std::string>& fields,
                                 const std::vector<Value>& values);
  void put(Table& table, DocPtr before, DocPtr after);
  void rollback();
  double next_creation_time();

  Store& store_;
  IdGenerator& ids_;
  ReadLimits limits_;
  const TableRules& rules(const Table& table) const;

  const MutationPlan* plan_ = nullptr;
  std::vector<Undo> undo_;
  uint64_t reads_ = 0;
};

}  // namespace dc
