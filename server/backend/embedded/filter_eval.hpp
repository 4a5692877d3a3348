// Evaluating a bound filter on one document with SQL's three-valued logic:
// any comparison on a null or missing field is unknown, and a row passes only
// when the whole filter is true.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "protocol/value.hpp"
#include "server/planner/plan.hpp"

namespace dc {

enum class Truth { false_, true_, unknown };

// Answers EXISTS for a relation step and one parent document.
using ExistsFn = std::function<bool(const RelationStep&, const Value& parent)>;

// `matched_bytes`, when given, grows by the length of every text a string
// pattern (like family, contains) was matched against: the work a budget
// can bound, since it does not depend on how many documents were read.
Truth eval_filter(const PlanFilter& f, const Value& doc, const ExistsFn& exists, uint64_t* matched_bytes = nullptr);

// SQL LIKE over Unicode code points: % any run, _ one character, \ escapes.
bool like_match(const std::string& text, const std::string& pattern, bool fold_case);

// Unicode simple lowercase mapping of a UTF-8 string (used for ilike).
std::string fold_case(const std::string& s);

}  // namespace dc
