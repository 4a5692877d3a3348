// The integrity rules a write must keep: unique constraints, v.id
// references, and what deleting a row does to the rows that point at it.
// They depend only on the schema, so they are worked out once per schema
// and shared by every mutation plan (the plan carries them because the
// Convex adapter gets no other copy).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "server/schema/model.hpp"

namespace dc {

// What deleting a row of a table does to the rows that reference it: rows of
// `table` whose `field` equals the deleted row's `to` get `rule`.
struct ReferenceRule {
  std::string table;
  std::string field;
  std::string to;
  OnDelete rule = OnDelete::restrict_;
  bool nullable = false;  // setNull writes null (else the optional field is removed)
};

// A v.id field that must name an existing row of `target`.
struct IdReference {
  std::string field;
  std::string target;
};

struct TableRules {
  std::vector<std::vector<std::string>> unique;
  std::vector<IdReference> references;
  std::vector<ReferenceRule> on_delete;  // rows elsewhere that reference this table
};

using RulesByTable = std::map<std::string, TableRules, std::less<>>;

// The empty set of rules, shared (a plan that writes nothing, a table the
// schema does not know).
const std::shared_ptr<const RulesByTable>& no_rules();

class IntegrityRules {
 public:
  explicit IntegrityRules(const Schema& schema);

  // The rules of every table a mutation of `tables` may write: those tables
  // and, transitively, the ones their deletes cascade or setNull into. One
  // table (the usual write) costs a lookup; several build a merged map.
  std::shared_ptr<const RulesByTable> closure(const std::vector<std::string>& tables) const;

 private:
  std::map<std::string, std::shared_ptr<const RulesByTable>, std::less<>> closures_;
};

}  // namespace dc
