// The auth file (auth.md section 2) and credentials → caller (section 3).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "server/access/authenticator.hpp"
#include "tests/access/tokens.hpp"

using namespace dc;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kNow = 1800000000;
const std::string kSecret = "a secret of at least thirty-two characters";

std::string hex(const std::array<unsigned char, 32>& d) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : d) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

// auth.md's example file, without its comments and its JWKS.
Json example() {
  return Json::parse(R"({
    "jwt": {"secret": ")" + kSecret + R"(", "algorithms": ["HS256"], "issuer": "https://issuer.example",
            "audience": "drizzle-convex", "roleClaim": "app.role", "clockSkewSeconds": 30},
    "apiKeys": [{"name": "billing-service", "sha256": ")" + hex(sha256_of("dck_billing_key")) + R"(", "role": "service",
                 "claims": {"sub": "billing"}}],
    "defaultRole": "user",
    "anonymousRole": "anon",
    "roles": {
      "service": {"bypass": true},
      "anon": {"tables": {"posts": {"select": {"filter": {"published": true}, "live": false}}}},
      "user": {
        "limits": {"maxLimit": 100, "maxDepth": 3, "requestsPerSecond": 20, "burst": 40},
        "tables": {
          "posts": {
            "select": {"filter": {"OR": [{"published": true}, {"authorId": {"$claim": "sub"}}]},
                       "columns": ["_id", "_creationTime", "authorId", "title", "body", "published"], "live": true},
            "insert": {"columns": ["title", "body", "published"], "set": {"authorId": {"$claim": "sub"}, "views": 0},
                       "check": {"authorId": {"$claim": "sub"}}},
            "update": {"filter": {"authorId": {"$claim": "sub"}}, "columns": ["title", "body", "published"],
                       "check": {"authorId": {"$claim": "sub"}}},
            "delete": {"filter": {"authorId": {"$claim": "sub"}}}
          },
          "users": {"select": {"columns": ["_id", "name"]}}
        }
      }
    }
  })");
}

Error refusal(const Json& file) {
  auto c = read_auth_config(file, ".");
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().code == ErrorCode::invalid_value);
  return c.error();
}

Authenticator authenticator() {
  auto c = read_auth_config(example(), ".");
  REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.error().message));
  return Authenticator(std::make_shared<const AuthConfig>(std::move(c).value()));
}

Json claims(Json extra = Json::object()) {
  Json c{{"sub", "u1"}, {"iss", "https://issuer.example"}, {"aud", "drizzle-convex"}, {"exp", kNow + 60}};
  c.update(extra);
  return c;
}

std::string bearer(const Json& c) { return "Bearer " + dc::testing::hmac_token(Json{{"alg", "HS256"}}, c, kSecret); }

}  // namespace

TEST_CASE("auth file: auth.md's example reads into roles and rules") {
  auto c = read_auth_config(example(), ".");
  REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.error().message));
  CHECK(c->role_claim == "app.role");
  CHECK(c->jwt->algorithms == std::set<JwtAlg>{JwtAlg::hs256});
  CHECK(c->roles.at("service").bypass);
  const TablePolicy& posts = c->roles.at("user").tables.at("posts");
  CHECK(posts.select->columns->count("title"));
  CHECK_FALSE(posts.select->columns->count("views"));
  CHECK(posts.insert->set["views"] == 0);
  CHECK(posts.delete_->filter.has_value());
  CHECK_FALSE(c->roles.at("anon").tables.at("posts").select->live);
  CHECK(c->roles.at("user").limits.max_limit == 100);
  CHECK(c->api_keys.at(0).role == "service");
}

TEST_CASE("auth file: each bad part is named by its JSON Pointer") {
  Json f = example();
  f["roles"]["user"]["tables"]["posts"]["selekt"] = Json::object();
  CHECK(refusal(f).path == "/roles/user/tables/posts/selekt");
  f = example();
  f["jwt"]["algorithms"] = {"none"};
  CHECK(refusal(f).message == "\"none\" is never accepted");
  f = example();
  f["jwt"]["secret"] = "short";
  CHECK(refusal(f).path == "/jwt/secret");
  f = example();
  f["jwt"]["algorithms"] = {"HS256", "RS256"};
  auto e = refusal(f);
  CHECK(e.path == "/jwt/algorithms/1");
  CHECK(e.message == "RS256 needs a RSA key in \"jwks\"");
  f = example();
  f["apiKeys"][0]["role"] = "root";
  CHECK(refusal(f).path == "/apiKeys/0/role");
  f = example();
  f["apiKeys"][0]["sha256"] = "abc";
  CHECK(refusal(f).path == "/apiKeys/0/sha256");
  f = example();
  f["apiKeys"][0].erase("sha256");  // read past the object's end before (found by fuzz_auth)
  CHECK(refusal(f).path == "/apiKeys/0/sha256");
  f = example();
  f["cursorKey"] = "c2hvcnQ=";
  CHECK(refusal(f).path == "/cursorKey");
  f = example();
  f["defaultRole"] = "nobody";
  CHECK(refusal(f).path == "/defaultRole");
  f = example();
  f["roles"]["user"]["limits"]["maxLimit"] = 0;
  CHECK(refusal(f).path == "/roles/user/limits/maxLimit");
  f = example();
  f["roles"]["user"]["tables"]["posts"]["delete"]["columns"] = {"x"};  // delete has no columns
  CHECK(refusal(f).path == "/roles/user/tables/posts/delete/columns");
  f = example();
  f["roles"]["user"]["tables"]["posts"]["select"]["filter"] = "published";
  CHECK(refusal(f).path == "/roles/user/tables/posts/select/filter");
}

TEST_CASE("auth file: load_auth_file reads the JWKS and secret files next to it") {
  fs::path dir = fs::temp_directory_path() / ("dc-auth-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    std::ofstream(dir / "secret.txt") << kSecret << "\n";
    Json f = example();
    f["jwt"].erase("secret");
    f["jwt"]["secretFile"] = "secret.txt";
    std::ofstream(dir / "auth.json") << f.dump();
  }
  auto c = load_auth_file((dir / "auth.json").string());
  REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.error().message));
  CHECK(c->jwt->secret == kSecret);  // the file's trailing newline is not part of it
  fs::remove_all(dir);
}

TEST_CASE("auth file: a malformed file's error names the place, never the text (a secret must not reach the log)") {
  fs::path dir = fs::temp_directory_path() / ("dc-auth-bad-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string secret = "s3cr3t-line-one";
  for (const std::string& text : {"{\"jwt\": {\"secret\": \"" + secret + "\n-and-line-two-of-the-secret\"}}",
                                  "{\"jwt\": {\"secret\": " + secret + "}}", "{\"jwt\": {\"secret\": \"" + secret}) {
    std::ofstream(dir / "auth.json") << text;
    auto c = load_auth_file((dir / "auth.json").string());
    REQUIRE_FALSE(c.ok());
    CAPTURE(c.error().message);
    CHECK(c.error().message.find("s3cr3t") == std::string::npos);
    CHECK(c.error().message.find("line-two") == std::string::npos);
    CHECK(c.error().message.find("json.exception") == std::string::npos);
    CHECK(c.error().message.find("at line ") != std::string::npos);  // where, as line and column
  }
  fs::remove_all(dir);
}

TEST_CASE("credentials: a role claim that is present but not a non-empty string is refused, not given the default role") {
  auto a = authenticator();
  for (const Json& role : {Json(42), Json(""), Json::array({"admin"}), Json::object({{"name", "user"}}), Json(nullptr), Json(true)}) {
    CAPTURE(role.dump());
    auto r = a.authenticate(bearer(claims({{"app", {{"role", role}}}})), kNow);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::unauthenticated);
    CHECK(r.error().message.find("must be a non-empty string") != std::string::npos);
  }
  // A path blocked by a non-object: the role claim is there, in the wrong shape.
  for (const Json& app : {Json("admin"), Json::array({"admin"}), Json(7)}) {
    auto r = a.authenticate(bearer(claims({{"app", app}})), kNow);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::unauthenticated);
  }
}

TEST_CASE("credentials: a token's role claim, the default role, API keys, anonymous") {
  auto a = authenticator();
  auto user = a.authenticate(bearer(claims({{"app", {{"role", "anon"}}}})), kNow);
  REQUIRE(user.ok());
  CHECK(user->role == "anon");  // the dotted roleClaim
  auto plain = a.authenticate(bearer(claims()), kNow);
  REQUIRE(plain.ok());
  CHECK(plain->role == "user");  // no role claim: defaultRole
  CHECK(plain->subject == "u1");
  CHECK(plain->expires_at == kNow + 60);
  auto key = a.authenticate("Bearer dck_billing_key", kNow);
  REQUIRE(key.ok());
  CHECK(key->role == "service");
  CHECK(key->claims["sub"] == "billing");
  auto anon = a.authenticate("", kNow);
  REQUIRE(anon.ok());
  CHECK(anon->role == "anon");
}

TEST_CASE("credentials: each refusal is a 401 with its reason for the WWW-Authenticate challenge") {
  auto a = authenticator();
  auto check = [&](std::string_view header, const std::string& message) {
    auto r = a.authenticate(header, kNow);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::unauthenticated);
    CHECK(r.error().message == message);
    CHECK(r.error().detail == message);  // net/reply makes the challenge from it
  };
  check("Bearer dck_wrong_key", "unknown API key");
  check("Basic dXNlcjpwYXNz", "the Authorization header must be \"Bearer <token>\"");
  check(bearer(claims({{"app", {{"role", "root"}}}})), "the token's role \"root\" is not defined");
  check(bearer(claims({{"exp", kNow - 100}})), "the token expired");
  check(bearer(claims({{"aud", "other"}})), "the token is not for this audience");
  // Without an anonymous role, no credentials is a plain challenge.
  auto c = read_auth_config(example(), ".");
  REQUIRE(c.ok());
  c->anonymous_role.reset();
  Authenticator strict(std::make_shared<const AuthConfig>(std::move(c).value()));
  auto none = strict.authenticate("", kNow);
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().detail.empty());  // a bare `Bearer` challenge
}

TEST_CASE("credentials: a cached token is refused once it expires") {
  auto a = authenticator();
  std::string h = bearer(claims({{"exp", kNow + 10}}));
  REQUIRE(a.authenticate(h, kNow).ok());
  REQUIRE(a.authenticate(h, kNow + 5).ok());        // from the cache
  REQUIRE(a.authenticate(h, kNow + 10 + 30).ok());  // inside the skew
  auto late = a.authenticate(h, kNow + 10 + 31);
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().message == "the token expired");
}
