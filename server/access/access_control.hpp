// The pipeline's auth step (auth.md): credentials → a caller, the role's
// rate limit, and the caller's rules compiled for the planner. One instance
// per loaded auth file; SIGHUP swaps in a new one. Without --auth there is
// none and every caller is the built-in admin. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "protocol/error.hpp"
#include "server/access/compiled_rules.hpp"
#include "server/access/auth_config.hpp"
#include "server/access/authenticator.hpp"
#include "server/access/rate_limiter.hpp"
#include "server/common/request_context.hpp"
#include "server/schema/model.hpp"

namespace dc {

// Who calls and what they may do, for one request or one live connection.
struct Access {
  std::shared_ptr<const Caller> caller;  // null: the built-in admin
  Identity identity;
  CallerRules rules;                     // both null: no rules (admin, bypass)
  std::string_view plan_key;             // keys the plan cache with the body ("" without rules); points into `caller`
  std::optional<int64_t> expires_at;     // a JWT's exp plus the clock skew (Unix s): live sockets close then
  std::optional<double> rate, burst;     // the role's requestsPerSecond and burst
  uint64_t rules_epoch = 0;              // the loaded auth file it was admitted under (0: none)
  std::shared_ptr<const AuthConfig> config;  // that file (null: none)
};

// Whether `fresh` (the same credentials admitted under a reloaded file) may
// go on being served as `old` was: the same role, the same claim values
// its rules use, and the role written the same in both files.
bool same_rules(const Access& old, const Access& fresh);

// The built-in admin (no --auth).
Access admin_access();

// Whether the caller's rules hide rows or columns of some table (a row
// filter or a column list). Such a caller is told nothing that counts or
// names what it cannot see: no X-Docs-Read, no explain `analyze`, no other
// row's _id in a 409, no index over a hidden column in explain (auth.md 5).
bool hides_rows_or_columns(const Access& access);

class AccessControl {
 public:
  explicit AccessControl(std::shared_ptr<const AuthConfig> config);

  // `authorization`: the HTTP header ("Bearer <token>", or empty). Refusals:
  // 401 UNAUTHENTICATED (Error::detail: why the credential was refused, empty when none was sent), 429
  // RATE_LIMITED (Error::detail: Retry-After seconds).
  Result<Access> admit_header(std::string_view authorization, const std::shared_ptr<const Schema>& schema);
  // /v1/live: connection_init's token ("" for none). Not rate limited:
  // each subscribe is (`take`).
  Result<Access> admit_token(std::string_view token, const std::shared_ptr<const Schema>& schema);
  // One request's worth of the caller's rate limit.
  Status take(const Access& access);

  // The /v1/schema body as `access` may see it: only tables it may read,
  // only the columns it may see, and indexes and relations on those.
  std::string schema_json(const Access& access, const std::shared_ptr<const Schema>& schema, const std::string& full_json);

  const AuthConfig& config() const { return *config_; }
  // Distinct for every AccessControl made in this process (each auth file loaded).
  uint64_t epoch() const { return epoch_; }

 private:
  Result<Access> access_for(Result<std::shared_ptr<const Caller>> caller, const std::shared_ptr<const Schema>& schema);

  std::shared_ptr<const AuthConfig> config_;
  uint64_t epoch_;
  Authenticator authenticator_;
  RateLimiter limiter_;
  std::mutex mu_;
  std::shared_ptr<const Schema> compiled_for_;            // the schema `policies_` was made against (held: no address reuse)
  std::shared_ptr<const CompiledPolicies> policies_;     // the file's rules compiled against `compiled_for_`
  std::unordered_map<std::string, CallerRules> compiled_;  // bound per rules_key
  std::unordered_map<std::string, std::string> schemas_;   // /v1/schema bodies by role
  std::optional<Error> schema_problem_;                    // the rules name what the schema lacks
};

}  // namespace dc
