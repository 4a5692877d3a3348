// A caller's rules, compiled for the planner: the role's policies from the
// auth file with the caller's claims substituted and the filters parsed
// against the schema (auth.md section 4). A bypass role gets no rules.
#pragma once

#include <memory>
#include <string>

#include "protocol/error.hpp"
#include "server/auth/auth_config.hpp"
#include "server/auth/authenticator.hpp"
#include "server/planner/read_rules.hpp"
#include "server/planner/write_rules.hpp"
#include "server/schema/model.hpp"

namespace dc {

struct CallerRules {
  std::shared_ptr<const ReadRules> read;    // null: reads without rules (bypass)
  std::shared_ptr<const WriteRules> write;  // null: writes without rules (bypass)
};

Result<CallerRules> rules_for(const AuthConfig& config, const Caller& caller, const Schema& schema);

// Checks every name the rules use against `schema`: tables, columns,
// preset fields, and the columns and relations their filters name. The
// error (INVALID_VALUE) has the JSON Pointer of the part in the auth file.
Status check_rules_against(const AuthConfig& config, const Schema& schema);

// Only the read half (what `rules_for` gives as `read`).
Result<std::shared_ptr<const ReadRules>> read_rules_for(const AuthConfig& config, const Caller& caller, const Schema& schema);

}  // namespace dc
