// The auth file's rules compiled against a schema, and bound for one caller
// (auth.md section 4). Compiling happens once per (auth file, schema): every
// name is checked, every filter parsed and every constant preset decoded,
// with errors at the JSON Pointer of the part in the auth file. Binding a
// caller puts their claims into the compiled rules as typed values
// (claim_binding.hpp); it parses nothing. The planner gets the result and
// never sees a claim. A bypass role gets no rules.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "protocol/error.hpp"
#include "server/access/claim_binding.hpp"
#include "server/access/auth_config.hpp"
#include "server/access/authenticator.hpp"
#include "server/planner/read_rules.hpp"
#include "server/planner/write_rules.hpp"
#include "server/schema/model.hpp"

namespace dc {

struct CompiledOpRule {
  std::optional<RuleFilter> filter;              // select, update, delete
  std::optional<RuleFilter> check;               // insert, update
  std::optional<std::set<std::string>> columns;
  std::vector<RulePreset> set;
  bool live = true;
};

struct CompiledRole {
  bool bypass = false;
  RoleLimits limits;
  std::map<std::string, CompiledOpRule, std::less<>> select, insert, update, delete_;
};

// Every role's rules against one schema. Holds the schema it was made for.
struct CompiledPolicies {
  std::shared_ptr<const Schema> schema;
  std::map<std::string, CompiledRole, std::less<>> roles;
};

// INVALID_VALUE with the auth file's JSON Pointer for a name the schema
// lacks, a filter that does not parse, a claim where no value goes, or a
// constant preset that does not decode.
Result<std::shared_ptr<const CompiledPolicies>> compile_policies(const AuthConfig& config, std::shared_ptr<const Schema> schema);

// The same checks, keeping nothing (start-up and SIGHUP check a file before using it).
Status check_rules_against(const AuthConfig& config, const Schema& schema);

struct CallerRules {
  std::shared_ptr<const ReadRules> read;    // null: reads without rules (bypass)
  std::shared_ptr<const WriteRules> write;  // null: writes without rules (bypass)
};

// The caller's rules. A role that is not defined is UNAUTHENTICATED. A
// claim the caller lacks makes a read rule match nothing and refuses the
// write; a claim of the wrong shape refuses reads and writes of that table
// (FORBIDDEN when the planner reaches it), naming the claim and the type.
Result<CallerRules> rules_for(const CompiledPolicies& policies, const Caller& caller);

}  // namespace dc
