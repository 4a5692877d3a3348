#include "server/access/authenticator.hpp"

#include <openssl/crypto.h>

#include <set>

#include "protocol/json_read.hpp"
#include "server/access/claims.hpp"

namespace dc {

namespace {

// A refused credential: 401 with the reason, which net/reply puts in the
// challenge's error_description (cut to RFC 6750's characters there).
Error refused(const std::string& why) {
  Error e{ErrorCode::unauthenticated, why, std::nullopt};
  e.detail = safe_text(why, 200);
  return e;
}

}  // namespace

std::string rules_key(const AuthConfig& config, const Caller& caller) {
  std::string key = caller.role;
  auto role = config.roles.find(caller.role);
  if (role == config.roles.end() || role->second.bypass) return key;
  std::set<std::string> used;
  for (const auto& [table, policy] : role->second.tables) {
    for (const auto* op : {&policy.select, &policy.insert, &policy.update, &policy.delete_}) {
      if (!*op) continue;
      if ((*op)->filter) claims_named(*(*op)->filter, used);
      if ((*op)->check) claims_named(*(*op)->check, used);
      claims_named((*op)->set, used);
    }
  }
  for (const auto& path : used) {
    const Json* v = claim_at(caller.claims, path);
    key += '\n';
    key += path;
    key += '=';
    key += v ? v->dump() : "-";
  }
  return key;
}

Caller Authenticator::keyed(Caller c) const {
  c.rules_key = rules_key(*config_, c);
  c.claims_json = std::make_shared<const std::string>(c.claims.dump());
  return c;
}

Authenticator::Authenticator(std::shared_ptr<const AuthConfig> config, size_t cache_entries)
    : config_(std::move(config)), capacity_(cache_entries) {
  if (config_->jwt) verifier_.emplace(*config_->jwt);
  if (config_->anonymous_role) anonymous_ = std::make_shared<const Caller>(keyed(Caller{*config_->anonymous_role, "", Json::object(), std::nullopt, "", nullptr}));
}

Result<std::shared_ptr<const Caller>> Authenticator::authenticate_shared(std::string_view authorization, int64_t now) {
  if (authorization.empty()) return authenticate_token_shared("", now);
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() <= kBearer.size() || authorization.substr(0, kBearer.size()) != kBearer) {
    return refused("the Authorization header must be \"Bearer <token>\"");
  }
  std::string_view token = authorization.substr(kBearer.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  if (token.empty()) return refused("the Authorization header names no token");
  return authenticate_token_shared(token, now);
}

Result<std::shared_ptr<const Caller>> Authenticator::authenticate_token_shared(std::string_view token, int64_t now) {
  if (token.empty()) {
    if (anonymous_) return anonymous_;
    Error e{ErrorCode::unauthenticated, "credentials are required: send Authorization: Bearer <token or API key>", std::nullopt};
    return e;  // no detail: a bare `Bearer` challenge
  }
  std::string key(token);
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      const Caller& c = *it->second.caller;
      // Cached until it expires; past `exp` (+ skew) it is verified again, and refused.
      if (!c.expires_at || now <= *c.expires_at + (config_->jwt ? config_->jwt->clock_skew_seconds : 0)) {
        order_.splice(order_.begin(), order_, it->second.order);
        return it->second.caller;
      }
      order_.erase(it->second.order);
      cache_.erase(it);
    }
  }
  Result<Caller> caller = Error{ErrorCode::internal, "", std::nullopt};
  if (!looks_like_jwt(token)) {
    caller = from_api_key(token);
  } else if (!verifier_) {
    return refused("this server accepts no JWTs (no \"jwt\" in its auth file)");
  } else {
    auto claims = verifier_->verify(token, now);
    if (!claims) return refused(claims.error().message);
    std::optional<int64_t> exp;
    if (claims->contains("exp") && (*claims)["exp"].is_number()) exp = static_cast<int64_t>((*claims)["exp"].get<double>());
    caller = from_claims(std::move(claims).value(), exp);
  }
  if (!caller) return std::move(caller).error();
  auto shared = std::make_shared<const Caller>(std::move(caller).value());
  std::lock_guard lock(mu_);
  if (capacity_ && !cache_.count(key)) {
    order_.push_front(key);
    cache_.emplace(std::move(key), Cached{shared, order_.begin()});
    if (cache_.size() > capacity_) {
      cache_.erase(order_.back());
      order_.pop_back();
    }
  }
  return shared;
}

Result<Caller> Authenticator::authenticate(std::string_view authorization, int64_t now) {
  auto c = authenticate_shared(authorization, now);
  if (!c) return std::move(c).error();
  return **c;
}

Result<Caller> Authenticator::authenticate_token(std::string_view token, int64_t now) {
  auto c = authenticate_token_shared(token, now);
  if (!c) return std::move(c).error();
  return **c;
}

Result<Caller> Authenticator::from_claims(Json claims, std::optional<int64_t> exp) const {
  std::string role;
  const Json* named = claim_at(claims, config_->role_claim);
  // A role claim that is there but unusable is refused: falling back to the
  // default role would let a token of the wrong shape pass as another role.
  // A path blocked by a non-object ("app.role" with "app": "admin") is there too.
  bool blocked = false;
  if (!named) {
    const Json* cur = &claims;
    std::string_view path = config_->role_claim;
    for (size_t dot = path.find('.'); dot != std::string_view::npos && cur; dot = path.find('.')) {
      auto it = cur->find(std::string(path.substr(0, dot)));
      if (it == cur->end()) break;
      if (!it->is_object()) {
        blocked = true;
        break;
      }
      cur = &*it;
      path.remove_prefix(dot + 1);
    }
  }
  if (blocked || (named && (!named->is_string() || named->get_ref<const std::string&>().empty()))) {
    return refused("the token's role claim \"" + config_->role_claim + "\" must be a non-empty string");
  }
  if (named) role = named->get<std::string>();
  else if (config_->default_role) role = *config_->default_role;
  else return refused("the token names no role (claim \"" + config_->role_claim + "\") and no defaultRole is set");
  if (!config_->roles.count(role)) return refused("the token's role \"" + safe_text(role, 64) + "\" is not defined");
  Caller c;
  c.role = std::move(role);
  c.subject = string_field(claims, "sub");
  c.claims = std::move(claims);
  c.expires_at = exp;
  return keyed(std::move(c));
}

Result<Caller> Authenticator::from_api_key(std::string_view key) const {
  auto digest = sha256_of(key);
  const ApiKey* found = nullptr;
  // Every key is compared, whatever matched: the time taken says nothing about which key is close.
  for (const auto& k : config_->api_keys) {
    if (CRYPTO_memcmp(k.sha256.data(), digest.data(), digest.size()) == 0) found = &k;
  }
  if (!found) return refused("unknown API key");
  return keyed(Caller{found->role, found->name, found->claims, std::nullopt, "", nullptr});
}

}  // namespace dc
