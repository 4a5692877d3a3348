#include <doctest/doctest.h>

#include "server/backend/convex/acting_as.hpp"

using namespace dc;

TEST_CASE("acting as: claims become Convex's UserIdentityAttributes; the header carries them in base64") {
  Json claims = Json::parse(R"({"sub":"user_2abc","iss":"https://clerk.example","aud":"drizzle-convex","exp":1800000000,
                                "email":"ada@example.com","email_verified":true,"given_name":"Ada","picture":"https://p/a.png",
                                "updated_at":1700000000,"org":"acme","role":"user"})");
  auto id = convex_identity(claims, "drizzle-convex");
  REQUIRE(id.has_value());
  CHECK(*id == Json::parse(R"({"issuer":"https://clerk.example","subject":"user_2abc","tokenIdentifier":"https://clerk.example|user_2abc",
                               "email":"ada@example.com","emailVerified":true,"givenName":"Ada","pictureUrl":"https://p/a.png",
                               "updatedAt":"1700000000","org":"acme","role":"user"})"));
  std::string header = acting_as_authorization("prod:happy-otter-123|secret", *id);
  std::string prefix = "Convex prod:happy-otter-123|secret:";
  REQUIRE(header.substr(0, prefix.size()) == prefix);
  std::string decoded;
  REQUIRE(base64_decode(header.substr(prefix.size()), decoded));
  CHECK(Json::parse(decoded) == *id);
}

TEST_CASE("acting as: an API key's claims take the default issuer; no subject, no identity") {
  auto id = convex_identity(Json{{"sub", "billing"}}, "drizzle-convex");
  REQUIRE(id.has_value());
  CHECK((*id)["tokenIdentifier"] == "drizzle-convex|billing");
  CHECK_FALSE(convex_identity(Json{{"role", "anon"}}, "drizzle-convex").has_value());
  CHECK_FALSE(convex_identity(Json{{"sub", 7}}, "drizzle-convex").has_value());
}
