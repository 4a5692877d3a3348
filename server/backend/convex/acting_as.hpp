// Convex's acting-as form of the admin key (reference/convex-wire.md):
// `Authorization: Convex <deploy key>:<base64 of UserIdentityAttributes>`,
// so a call made for a verified caller runs in Convex as that user
// (`ctx.auth.getUserIdentity()`, Convex's logs), not as the proxy. The
// identity is built from the caller's claims: OIDC's snake_case standard
// claims become Convex's camelCase fields, `iss` + `sub` give `issuer`,
// `subject` and `tokenIdentifier`, other claims pass as custom claims.
// Pure.
#pragma once

#include <optional>
#include <string>

#include "protocol/value_json.hpp"

namespace dc {

// The UserIdentityAttributes object for `claims`; nullopt when there is no
// `sub` (Convex requires a subject). `default_issuer` stands in for a
// missing `iss` (API keys carry no issuer).
std::optional<Json> convex_identity(const Json& claims, const std::string& default_issuer);

// The Authorization header value: "Convex <key>:<base64(identity JSON)>".
std::string acting_as_authorization(const std::string& deploy_key, const Json& identity);

}  // namespace dc
