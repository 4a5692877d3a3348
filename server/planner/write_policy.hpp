// The caller's write rules applied to one mutation op at planning time
// (auth.md section 4): deny by default, writable columns, presets, the rows
// an update or delete may touch, the check each written row must pass, and
// `returning` cut to what the caller may read. Used by plan_mutation only.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "protocol/error.hpp"
#include "protocol/mutation.hpp"
#include "server/planner/plan.hpp"
#include "server/planner/read_rules.hpp"
#include "server/planner/write_rules.hpp"
#include "server/schema/model.hpp"

namespace dc {

enum class WriteOp { insert, update, delete_ };

// The rule for `op` on `table`, or FORBIDDEN at `path` (also when a claim the
// rule needs is missing).
Result<const TableWriteRule*> find_write_rule(const WriteRules& rules, WriteOp op, const std::string& table, const std::string& path);

// An insert row: every client field must be writable (presets excepted),
// then the presets replace the client's values.
Status apply_row_rule(const WriteRules& rules, const TableWriteRule& rule, const std::string& table, Value& row,
                      const std::string& row_path);
// An update's `set` (or an upsert's): the same for assignments.
Status apply_set_rule(const WriteRules& rules, const TableWriteRule& rule, const std::string& table, std::vector<FieldAssignment>& set,
                      const std::string& set_path);

// The rule's check bound on `table`; relation filters are refused (a check
// looks at the written row alone).
Result<std::optional<PlanFilter>> bind_check(const WriteRules& rules, const TableWriteRule& rule, const Schema& schema, const TableDef& table);

// An upsert's update filter, checked on the existing row inside the write.
// One that uses relation filters is refused (FORBIDDEN at `path`): the
// write checks the row alone.
Result<std::optional<PlanFilter>> bind_upsert_filter(const WriteRules& rules, const TableWriteRule& rule, const Schema& schema,
                                                     const TableDef& table, const std::string& path);

// The read rules an update's or delete's row selection is planned with: the
// caller's, with the op's filter in place of the table's select filter.
ReadRules selection_rules(const ReadRules& read, const TableWriteRule& rule, const std::string& table);

// `returning` limited to the columns the caller may read; naming another
// one, or returning rows of a table it may not read, is FORBIDDEN.
Status restrict_returning(const ReadRules& read, const TableDef& table, Returning& r, const std::string& op_path);

}  // namespace dc
