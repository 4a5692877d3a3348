#include "server/backend/convex/acting_as.hpp"

#include <array>
#include <string_view>
#include <utility>

namespace dc {

namespace {

// OIDC standard claims → Convex's UserIdentityAttributes names.
constexpr std::array<std::pair<std::string_view, std::string_view>, 17> kStandard{{
    {"name", "name"},
    {"given_name", "givenName"},
    {"family_name", "familyName"},
    {"nickname", "nickname"},
    {"preferred_username", "preferredUsername"},
    {"profile", "profileUrl"},
    {"picture", "pictureUrl"},
    {"email", "email"},
    {"email_verified", "emailVerified"},
    {"gender", "gender"},
    {"birthdate", "birthday"},
    {"zoneinfo", "timezone"},
    {"locale", "language"},
    {"phone_number", "phoneNumber"},
    {"phone_number_verified", "phoneNumberVerified"},
    {"address", "address"},
    {"updated_at", "updatedAt"},
}};

// Token bookkeeping that is not about the user.
bool registered(std::string_view claim) {
  return claim == "iss" || claim == "sub" || claim == "aud" || claim == "exp" || claim == "nbf" || claim == "iat" || claim == "jti";
}

}  // namespace

std::optional<Json> convex_identity(const Json& claims, const std::string& default_issuer) {
  if (!claims.is_object() || !claims.contains("sub") || !claims["sub"].is_string() || claims["sub"].get<std::string>().empty()) {
    return std::nullopt;
  }
  std::string subject = claims["sub"].get<std::string>();
  std::string issuer = claims.contains("iss") && claims["iss"].is_string() ? claims["iss"].get<std::string>() : default_issuer;
  Json id = Json::object();
  id["issuer"] = issuer;
  id["subject"] = subject;
  id["tokenIdentifier"] = issuer + "|" + subject;
  for (const auto& [k, v] : claims.items()) {
    if (registered(k)) continue;
    std::string_view name = k;
    for (const auto& [oidc, convex] : kStandard) {
      if (k == oidc) name = convex;
    }
    // updatedAt is a string in Convex; OIDC's updated_at is seconds.
    if (name == "updatedAt" && v.is_number()) {
      id["updatedAt"] = std::to_string(v.get<int64_t>());
      continue;
    }
    if (!id.contains(std::string(name))) id[std::string(name)] = v;
  }
  return id;
}

std::string acting_as_authorization(const std::string& deploy_key, const Json& identity) {
  return "Convex " + deploy_key + ":" + base64_encode(identity.dump());
}

}  // namespace dc
