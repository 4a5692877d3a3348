// Evaluating a bound filter on one document with SQL's three-valued logic:
// any comparison on a null or missing field is unknown, and a row passes only
// when the whole filter is true.
#pragma once

#include <functional>
#include <string>

#include "protocol/value.hpp"
#include "server/planner/plan.hpp"

namespace dc {

enum class Truth { false_, true_, unknown };

// Answers EXISTS for a relation step and one parent document.
using ExistsFn = std::function<bool(const RelationStep&, const Value& parent)>;

Truth eval_filter(const PlanFilter& f, const Value& doc, const ExistsFn& exists);

// SQL LIKE over Unicode code points: % any run, _ one character, \ escapes.
bool like_match(const std::string& text, const std::string& pattern, bool fold_case);

// Unicode simple lowercase mapping of a UTF-8 string (used for ilike).
std::string fold_case(const std::string& s);

}  // namespace dc
