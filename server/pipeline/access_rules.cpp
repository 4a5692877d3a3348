#include "server/pipeline/access_rules.hpp"

#include "protocol/parse.hpp"
#include "server/auth/claims.hpp"

namespace dc {

Result<std::shared_ptr<const ReadRules>> read_rules_for(const AuthConfig& config, const Caller& caller, const Schema& schema) {
  auto role = config.roles.find(caller.role);
  if (role == config.roles.end()) return Error{ErrorCode::unauthenticated, "the role \"" + caller.role + "\" is not defined", std::nullopt};
  if (role->second.bypass) return std::shared_ptr<const ReadRules>();
  auto rules = std::make_shared<ReadRules>();
  rules->role = caller.role;
  rules->max_limit = role->second.limits.max_limit;
  rules->max_depth = role->second.limits.max_depth;
  for (const auto& [table, policy] : role->second.tables) {
    if (!policy.select) continue;
    TableReadRule r;
    r.columns = policy.select->columns;
    r.live = policy.select->live;
    if (policy.select->filter) {
      auto filter = substitute_claims(*policy.select->filter, caller.claims);
      if (!filter) {
        // A claim the rule needs is missing: the rule matches nothing.
        FilterNode none;
        none.kind = FilterNode::Kind::constant;
        none.constant = false;
        r.filter = std::move(none);
      } else {
        auto parsed = parse_filter(*filter, table, schema, ParseLimits{}, "");
        if (!parsed) {
          return Error{ErrorCode::internal,
                       "the select filter of role '" + caller.role + "' on '" + table + "' cannot be used: " + parsed.error().message +
                           (parsed.error().path ? " at " + *parsed.error().path : std::string()),
                       std::nullopt};
        }
        r.filter = std::move(parsed).value();
      }
    }
    rules->tables.emplace(table, std::move(r));
  }
  return std::shared_ptr<const ReadRules>(std::move(rules));
}

}  // namespace dc
