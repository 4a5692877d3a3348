// A bearer token as a client sends it: the JWT verifier with every
// algorithm configured (an HMAC secret, and an RSA and an EC key made at
// start). A finding is a crash, a sanitizer report, or an accepted token:
// the fuzzer cannot sign, so nothing it makes may verify.
#include <openssl/core_names.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <cstdlib>

#include "server/access/jwt.hpp"

namespace {

std::string bn_bytes(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) std::abort();
  std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

const dc::JwtVerifier& verifier() {
  static const dc::JwtVerifier v = [] {
    EVP_PKEY* rsa = EVP_RSA_gen(2048);
    EVP_PKEY* ec = EVP_EC_gen("P-256");
    unsigned char point[65];
    size_t len = 0;
    if (!rsa || !ec || EVP_PKEY_get_octet_string_param(ec, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &len) != 1) std::abort();
    std::string p(reinterpret_cast<char*>(point), len);
    dc::Json jwks{{"keys",
                   {{{"kty", "RSA"}, {"kid", "r1"}, {"n", dc::base64url_encode(bn_bytes(rsa, OSSL_PKEY_PARAM_RSA_N))},
                     {"e", dc::base64url_encode(bn_bytes(rsa, OSSL_PKEY_PARAM_RSA_E))}},
                    {{"kty", "EC"}, {"crv", "P-256"}, {"kid", "e1"}, {"x", dc::base64url_encode(p.substr(1, 32))},
                     {"y", dc::base64url_encode(p.substr(33, 32))}}}}};
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ec);
    auto keys = dc::read_jwks(jwks, "jwks");
    if (!keys) std::abort();
    dc::JwtConfig c;
    c.secret = "a secret of at least thirty-two characters";
    c.keys = std::move(keys).value();
    c.algorithms = {dc::JwtAlg::hs256, dc::JwtAlg::hs384, dc::JwtAlg::hs512, dc::JwtAlg::rs256, dc::JwtAlg::es256};
    c.audience = "drizzle-convex";
    return dc::JwtVerifier(std::move(c));
  }();
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view token(reinterpret_cast<const char*>(data), size);
  auto r = verifier().verify(token, 1800000000);
  if (r.ok()) std::abort();
  (void)dc::looks_like_jwt(token);
  return 0;
}
