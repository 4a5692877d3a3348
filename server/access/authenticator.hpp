// Credentials → who calls (../shared/docs/auth.md section 3): a bearer
// token of three base64url parts is a JWT, anything else an API key
// (compared by SHA-256 in constant time); no credentials is the anonymous
// role when the file names one. The role comes from the claims (roleClaim,
// a dotted path) or the default role, and must be defined. Verified tokens
// are cached (LRU, by the token's SHA-256) until they expire, so a client
// that sends the same token on every request pays for one signature check.
// Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "protocol/error.hpp"
#include "protocol/value_json.hpp"
#include "server/access/auth_config.hpp"

namespace dc {

struct Caller {
  std::string role;
  std::string subject;                 // the `sub` claim or the API key's name; empty when anonymous
  Json claims = Json::object();        // what $claim reads
  std::optional<int64_t> expires_at;   // a JWT's `exp` (Unix seconds): live sockets close then
  // The role and the values of the claims its rules name: callers with equal
  // keys get equal rules and equal plans (so they share plan-cache entries
  // and live topics).
  std::string rules_key;
  std::shared_ptr<const std::string> claims_json;  // `claims` as JSON text, made once per verified token
};

std::string rules_key(const AuthConfig& config, const Caller& caller);

class Authenticator {
 public:
  explicit Authenticator(std::shared_ptr<const AuthConfig> config, size_t cache_entries = 10000);

  // `authorization` is the Authorization header ("Bearer <token>") or empty.
  // Failures are UNAUTHENTICATED; `Error::detail` holds the reason a
  // credential was refused (empty when none was sent), which net/reply
  // sends as the WWW-Authenticate challenge's error_description. The caller is shared with
  // the cache: a repeated token costs a lookup, no copy.
  Result<std::shared_ptr<const Caller>> authenticate_shared(std::string_view authorization, int64_t now);
  // The same for a bare token (connection_init.payload.token); empty: none.
  Result<std::shared_ptr<const Caller>> authenticate_token_shared(std::string_view token, int64_t now);
  // Copies of the above, for callers that keep the Caller.
  Result<Caller> authenticate(std::string_view authorization, int64_t now);
  Result<Caller> authenticate_token(std::string_view token, int64_t now);

  const AuthConfig& config() const { return *config_; }

 private:
  Result<Caller> from_claims(Json claims, std::optional<int64_t> exp) const;
  Result<Caller> from_api_key(std::string_view key) const;
  Caller keyed(Caller c) const;

  std::shared_ptr<const AuthConfig> config_;
  std::optional<JwtVerifier> verifier_;
  std::shared_ptr<const Caller> anonymous_;  // the anonymous role's caller, when the file names one
  // Verified tokens and known API keys by their text, most recently used
  // first. JWTs stay until they expire; keys until they drop out.
  struct Cached {
    std::shared_ptr<const Caller> caller;
    std::list<std::string>::iterator order;
  };
  std::mutex mu_;
  size_t capacity_;
  std::list<std::string> order_;
  std::unordered_map<std::string, Cached> cache_;
};

}  // namespace dc
