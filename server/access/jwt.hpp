// JSON Web Token verification (RFC 7515/7519) on OpenSSL 3's EVP API, for
// the auth contract (../shared/docs/auth.md section 3): the algorithm is
// pinned (the header's `alg` must be configured, and must match the key's
// type: an RSA public key is never used as an HMAC secret), `none` is never
// accepted, keys for RS256/ES256 come from a JWKS and are picked by `kid`,
// and `exp`/`nbf`/`iat` are checked with a clock skew, `iss`/`aud` when
// configured. Every failure is UNAUTHENTICATED with a description fit for
// `WWW-Authenticate: Bearer error="invalid_token"`.
//
// No library of Debian's was taken for this: libcpp-jwt-dev wraps the same
// EVP calls but accepts tokens without pinning the key type per algorithm
// and hides which check failed; the checks above are short on EVP directly.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/error.hpp"
#include "protocol/value_json.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace dc {

enum class JwtAlg { hs256, hs384, hs512, rs256, es256 };
std::optional<JwtAlg> jwt_alg_from_name(std::string_view name);
std::string_view jwt_alg_name(JwtAlg alg);

// One public key of a JWKS: RSA (n, e) or EC P-256 (x, y).
struct JwtPublicKey {
  std::string kid;       // empty when the JWK has none
  bool rsa = false;      // else EC P-256
  std::shared_ptr<EVP_PKEY> key;
};

// Reads a JWKS document ({"keys": [...]}); `where` names it in errors.
// Keys of other types (oct, OKP, other curves) or for other uses are skipped.
Result<std::vector<JwtPublicKey>> read_jwks(const Json& jwks, const std::string& where);

struct JwtConfig {
  std::string secret;                  // HS256/384/512; empty: no HMAC key
  std::vector<JwtPublicKey> keys;      // RS256, ES256
  std::set<JwtAlg> algorithms;         // pinned; empty accepts nothing
  std::optional<std::string> issuer;
  std::optional<std::string> audience;
  int64_t clock_skew_seconds = 30;
};

class JwtVerifier {
 public:
  explicit JwtVerifier(JwtConfig config) : config_(std::move(config)) {}
  // The verified claims, or UNAUTHENTICATED saying which check failed.
  // `now` is Unix time in seconds.
  Result<Json> verify(std::string_view token, int64_t now) const;

 private:
  JwtConfig config_;
};

// A token of three base64url parts (the only shape auth.md treats as a JWT).
bool looks_like_jwt(std::string_view token);

// base64url without padding (RFC 7515 section 2): false on any other character.
bool base64url_decode(std::string_view text, std::string& out);
std::string base64url_encode(std::string_view bytes);

}  // namespace dc
