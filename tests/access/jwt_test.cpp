// The JWT checks of ../shared/docs/auth.md section 3, each credential case
// with its reason. Tokens are signed here with OpenSSL directly (keys made
// per run), independently of the verifier's code.
#include <doctest/doctest.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <random>

#include "server/access/jwt.hpp"
#include "tests/access/tokens.hpp"

using namespace dc;

namespace {

constexpr int64_t kNow = 1800000000;
const std::string kSecret = "a secret of at least thirty-two characters";

std::shared_ptr<EVP_PKEY> rsa_key() {
  static auto key = std::shared_ptr<EVP_PKEY>(EVP_RSA_gen(2048), EVP_PKEY_free);
  return key;
}
std::shared_ptr<EVP_PKEY> ec_key() {
  static auto key = std::shared_ptr<EVP_PKEY>(EVP_EC_gen("P-256"), EVP_PKEY_free);
  return key;
}

std::string sign_with(EVP_PKEY* key, std::string_view data) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  REQUIRE(EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1);
  REQUIRE(EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1);
  std::string sig(len, '\0');
  REQUIRE(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len, reinterpret_cast<const unsigned char*>(data.data()),
                         data.size()) == 1);
  sig.resize(len);
  EVP_MD_CTX_free(ctx);
  return sig;
}

// DER ECDSA signature → JWS's R‖S.
std::string raw_es256(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  REQUIRE(sig);
  std::string out(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(out.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(out.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return out;
}

std::string token(const Json& header, const Json& claims, const std::string& secret = kSecret) {
  std::string alg = header.value("alg", "");
  if (alg.starts_with("HS")) return dc::testing::hmac_token(header, claims, secret);
  std::string signed_part = base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
  std::string sig;
  if (alg == "RS256") sig = sign_with(rsa_key().get(), signed_part);
  else if (alg == "ES256") sig = raw_es256(sign_with(ec_key().get(), signed_part));
  return signed_part + "." + base64url_encode(sig);
}

std::string bn_param(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  REQUIRE(EVP_PKEY_get_bn_param(key, name, &bn) == 1);
  std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

Json jwks() {
  unsigned char point[65];
  size_t len = 0;
  REQUIRE(EVP_PKEY_get_octet_string_param(ec_key().get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &len) == 1);
  REQUIRE(len == 65);
  std::string p(reinterpret_cast<char*>(point), len);
  return Json{{"keys",
               {{{"kty", "RSA"}, {"kid", "r1"}, {"n", base64url_encode(bn_param(rsa_key().get(), OSSL_PKEY_PARAM_RSA_N))},
                 {"e", base64url_encode(bn_param(rsa_key().get(), OSSL_PKEY_PARAM_RSA_E))}},
                {{"kty", "EC"}, {"crv", "P-256"}, {"kid", "e1"}, {"x", base64url_encode(p.substr(1, 32))}, {"y", base64url_encode(p.substr(33, 32))}},
                {{"kty", "oct"}, {"k", "c2VjcmV0"}}}}};
}

JwtVerifier verifier(std::set<JwtAlg> algorithms = {JwtAlg::hs256, JwtAlg::hs384, JwtAlg::hs512, JwtAlg::rs256, JwtAlg::es256}) {
  JwtConfig c;
  c.secret = kSecret;
  auto keys = read_jwks(jwks(), "jwks.json");
  REQUIRE(keys.ok());
  c.keys = std::move(keys).value();
  c.algorithms = std::move(algorithms);
  c.issuer = "https://issuer.example";
  c.audience = "drizzle-convex";
  c.clock_skew_seconds = 30;
  return JwtVerifier(std::move(c));
}

const Json kClaims{{"sub", "u1"}, {"role", "user"}, {"iss", "https://issuer.example"}, {"aud", "drizzle-convex"}, {"exp", kNow + 60},
                   {"iat", kNow - 10}};

std::string refusal(const Result<Json>& r) {
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::unauthenticated);
  return r.error().message;
}

}  // namespace

TEST_CASE("jwt: HS256/384/512, RS256 and ES256 tokens verify and give their claims") {
  auto v = verifier();
  for (const char* alg : {"HS256", "HS384", "HS512", "RS256", "ES256"}) {
    CAPTURE(std::string(alg));
    Json header{{"alg", alg}, {"typ", "JWT"}};
    if (std::string(alg) == "RS256") header["kid"] = "r1";
    if (std::string(alg) == "ES256") header["kid"] = "e1";
    auto r = v.verify(token(header, kClaims), kNow);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    CHECK((*r)["sub"] == "u1");
  }
}

TEST_CASE("jwt: each bad credential is refused with its reason") {
  auto v = verifier();
  Json hs{{"alg", "HS256"}};
  CHECK(refusal(v.verify(token(hs, kClaims, "another secret, also thirty-two characters"), kNow)) == "the token's signature does not verify");
  // alg none: unsigned, never accepted.
  std::string none = base64url_encode(R"({"alg":"none"})") + "." + base64url_encode(kClaims.dump()) + ".";
  CHECK(refusal(v.verify(none, kNow)) == "the token's algorithm \"none\" is not accepted");
  // Expired (past the skew), not yet valid, issued in the future; inside the skew they pass.
  Json c = kClaims;
  c["exp"] = kNow - 31;
  CHECK(refusal(v.verify(token(hs, c), kNow)) == "the token expired");
  c["exp"] = kNow - 29;
  CHECK(v.verify(token(hs, c), kNow).ok());
  c = kClaims;
  c["nbf"] = kNow + 31;
  CHECK(refusal(v.verify(token(hs, c), kNow)) == "the token is not valid yet");
  c = kClaims;
  c["iat"] = kNow + 3600;
  CHECK(refusal(v.verify(token(hs, c), kNow)) == "the token was issued in the future");
  c = kClaims;
  c["exp"] = "tomorrow";
  CHECK(refusal(v.verify(token(hs, c), kNow)) == "the token's \"exp\" is not a number");
  c = kClaims;
  c["aud"] = "someone-else";
  CHECK(refusal(v.verify(token(hs, c), kNow)) == "the token is not for this audience");
  c["aud"] = Json::array({"x", "drizzle-convex"});
  CHECK(v.verify(token(hs, c), kNow).ok());
  c = kClaims;
  c["iss"] = "https://evil.example";
  CHECK(refusal(v.verify(token(hs, c), kNow)) == "the token's issuer is not accepted");
  CHECK(refusal(v.verify(token(Json{{"alg", "RS256"}, {"kid", "nope"}}, kClaims), kNow)) == "no key with kid \"nope\" for RS256");
  CHECK(refusal(v.verify("abc.def", kNow)) == "the token is not three base64url parts");
  CHECK(refusal(v.verify("a+c.def.ghi", kNow)) == "the token is not three base64url parts");
  CHECK(refusal(v.verify(token(Json{{"alg", "HS256"}, {"crit", {"exp"}}}, kClaims), kNow)) ==
        "the token names critical header extensions this server does not know");
}

TEST_CASE("jwt: the algorithm is pinned and must match the key's type") {
  // Only RS256 configured: an HS256 token is refused even with the right secret.
  auto rs_only = verifier({JwtAlg::rs256});
  CHECK(refusal(rs_only.verify(token(Json{{"alg", "HS256"}}, kClaims), kNow)) == "the token's algorithm \"HS256\" is not accepted");
  // The classic confusion: HS256 "signed" with the RSA public key's bytes as the HMAC secret.
  auto v = verifier();
  std::string public_key_bytes = bn_param(rsa_key().get(), OSSL_PKEY_PARAM_RSA_N);
  CHECK(refusal(v.verify(token(Json{{"alg", "HS256"}, {"kid", "r1"}}, kClaims, public_key_bytes), kNow)) ==
        "the token's signature does not verify");
  // An ES256 header naming the RSA key's kid: no EC key has that kid.
  std::string es = token(Json{{"alg", "ES256"}, {"kid", "e1"}}, kClaims);
  std::string relabelled = base64url_encode(Json{{"alg", "ES256"}, {"kid", "r1"}}.dump()) + es.substr(es.find('.'));
  CHECK(refusal(v.verify(relabelled, kNow)) == "no key with kid \"r1\" for ES256");
  // An RS256 signature presented as ES256 is the wrong length for R‖S.
  std::string rs = token(Json{{"alg", "RS256"}, {"kid", "r1"}}, kClaims);
  std::string as_es = base64url_encode(Json{{"alg", "ES256"}, {"kid", "e1"}}.dump()) + rs.substr(rs.find('.'));
  CHECK(refusal(v.verify(as_es, kNow)) == "the token's signature does not verify");
}

TEST_CASE("jwt: read_jwks refuses short RSA keys and points off the curve, skips other key types") {
  auto keys = read_jwks(jwks(), "jwks.json");
  REQUIRE(keys.ok());
  CHECK(keys->size() == 2);  // the oct key is skipped
  auto bad = read_jwks(Json{{"keys", {{{"kty", "EC"}, {"crv", "P-256"}, {"x", base64url_encode(std::string(32, '\1'))},
                                       {"y", base64url_encode(std::string(32, '\2'))}}}}},
                       "jwks.json");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "jwks.json/keys/0: not a point of P-256");
  auto short_rsa = std::shared_ptr<EVP_PKEY>(EVP_RSA_gen(1024), EVP_PKEY_free);
  auto weak = read_jwks(Json{{"keys", {{{"kty", "RSA"}, {"n", base64url_encode(bn_param(short_rsa.get(), OSSL_PKEY_PARAM_RSA_N))},
                                        {"e", base64url_encode(bn_param(short_rsa.get(), OSSL_PKEY_PARAM_RSA_E))}}}}},
                        "jwks.json");
  REQUIRE_FALSE(weak.ok());
  CHECK(weak.error().message == "jwks.json/keys/0: RSA keys must have at least 2048 bits");
}

TEST_CASE("jwt: base64url is strict: one encoding per value, no padding, no other alphabet") {
  std::string out;
  CHECK(base64url_decode("aGk", out));
  CHECK(out == "hi");
  CHECK_FALSE(base64url_decode("aGl", out));   // leftover bits set: a second spelling of "hi"
  CHECK_FALSE(base64url_decode("aGk=", out));  // padding
  CHECK_FALSE(base64url_decode("a", out));     // six bits encode no byte
  CHECK_FALSE(base64url_decode("a/k", out));
  for (int n = 0; n < 40; ++n) {
    std::string bytes;
    for (int i = 0; i < n; ++i) bytes.push_back(static_cast<char>(i * 37 + n));
    REQUIRE(base64url_decode(base64url_encode(bytes), out));
    CHECK(out == bytes);
  }
}

TEST_CASE("jwt: 20,000 mutated tokens: never accepted unless unchanged, never a crash") {
  auto v = verifier();
  std::vector<std::string> valid = {token(Json{{"alg", "HS256"}}, kClaims), token(Json{{"alg", "RS256"}, {"kid", "r1"}}, kClaims),
                                    token(Json{{"alg", "ES256"}, {"kid", "e1"}}, kClaims)};
  std::mt19937 rng(12345);
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ \x01\xff";
  int accepted_changed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string t = valid[static_cast<size_t>(i) % valid.size()];
    const std::string original = t;
    int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      size_t at = rng() % t.size();
      switch (rng() % 3) {
        case 0: t[at] = alphabet[rng() % alphabet.size()]; break;
        case 1: t.erase(at, 1 + rng() % 4); break;
        default: t.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
      }
      if (t.empty()) t.push_back('.');  // not t = ".": GCC 12 at -O3 warns falsely (-Wrestrict, bug 105329)
    }
    auto r = v.verify(t, kNow);
    if (r.ok() && t != original) {
      // Changing a base64url character's unused low bits is caught by the strict decoder, so any accepted change is a finding.
      ++accepted_changed;
      MESSAGE("accepted a changed token: " << t);
    }
    if (!r.ok()) CHECK(r.error().code == ErrorCode::unauthenticated);
  }
  CHECK(accepted_changed == 0);
}
