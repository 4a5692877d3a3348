#include "server/access/jwt.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>

#include <array>
#include <cmath>

#include "protocol/json_read.hpp"

namespace dc {

namespace {

constexpr size_t kMaxTokenBytes = 16 * 1024;
constexpr size_t kClaimsDepth = 16;

Error invalid(std::string why) { return Error{ErrorCode::unauthenticated, std::move(why), std::nullopt}; }

int b64url_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

template <class T, void (*Free)(T*)>
struct Freer {
  void operator()(T* p) const { Free(p); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, Freer<EVP_MD_CTX, EVP_MD_CTX_free>>;
using Bignum = std::unique_ptr<BIGNUM, Freer<BIGNUM, BN_free>>;
using ParamBuild = std::unique_ptr<OSSL_PARAM_BLD, Freer<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using Params = std::unique_ptr<OSSL_PARAM, Freer<OSSL_PARAM, OSSL_PARAM_free>>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, Freer<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using EcdsaSig = std::unique_ptr<ECDSA_SIG, Freer<ECDSA_SIG, ECDSA_SIG_free>>;

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* k) { return std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free); }

// A public key from OSSL parameters (RSA: n, e; EC: group, point).
std::shared_ptr<EVP_PKEY> key_from(const char* type, OSSL_PARAM* params) {
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 || EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    return nullptr;
  }
  return own(key);
}

Result<std::string> b64_field(const Json& jwk, const char* name, const std::string& where) {
  std::string text = string_field(jwk, name);
  std::string bytes;
  if (text.empty() || !base64url_decode(text, bytes)) {
    return Error{ErrorCode::invalid_value, where + ": \"" + name + "\" must be base64url", std::nullopt};
  }
  return bytes;
}

Result<std::shared_ptr<EVP_PKEY>> rsa_key(const Json& jwk, const std::string& where) {
  auto n = b64_field(jwk, "n", where);
  if (!n) return std::move(n).error();
  auto e = b64_field(jwk, "e", where);
  if (!e) return std::move(e).error();
  Bignum bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()), static_cast<int>(n->size()), nullptr));
  Bignum bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()), static_cast<int>(e->size()), nullptr));
  ParamBuild bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return Error{ErrorCode::internal, where + ": out of memory building an RSA key", std::nullopt};
  }
  Params params(OSSL_PARAM_BLD_to_param(bld.get()));
  auto key = params ? key_from("RSA", params.get()) : nullptr;
  if (!key) return Error{ErrorCode::invalid_value, where + ": not a valid RSA public key", std::nullopt};
  // Shorter RSA keys are breakable: a JWKS holding one is a mistake worth stopping for.
  if (EVP_PKEY_get_bits(key.get()) < 2048) {
    return Error{ErrorCode::invalid_value, where + ": RSA keys must have at least 2048 bits", std::nullopt};
  }
  return key;
}

Result<std::shared_ptr<EVP_PKEY>> ec_key(const Json& jwk, const std::string& where) {
  auto x = b64_field(jwk, "x", where);
  if (!x) return std::move(x).error();
  auto y = b64_field(jwk, "y", where);
  if (!y) return std::move(y).error();
  if (x->size() != 32 || y->size() != 32) {
    return Error{ErrorCode::invalid_value, where + ": a P-256 key's x and y are 32 bytes each", std::nullopt};
  }
  std::string point = "\x04" + *x + *y;  // uncompressed SEC1 point
  ParamBuild bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
    return Error{ErrorCode::internal, where + ": out of memory building an EC key", std::nullopt};
  }
  Params params(OSSL_PARAM_BLD_to_param(bld.get()));
  auto key = params ? key_from("EC", params.get()) : nullptr;
  if (!key) return Error{ErrorCode::invalid_value, where + ": not a point of P-256", std::nullopt};
  return key;
}

const EVP_MD* digest_of(JwtAlg alg) {
  switch (alg) {
    case JwtAlg::hs384: return EVP_sha384();
    case JwtAlg::hs512: return EVP_sha512();
    default: return EVP_sha256();
  }
}

bool verify_hmac(JwtAlg alg, const std::string& secret, std::string_view signed_part, const std::string& sig) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int len = 0;
  if (!HMAC(digest_of(alg), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(signed_part.data()),
            signed_part.size(), mac.data(), &len)) {
    return false;
  }
  return sig.size() == len && CRYPTO_memcmp(mac.data(), sig.data(), len) == 0;
}

// JWS carries an ES256 signature as R‖S, 32 bytes each; OpenSSL verifies DER.
std::optional<std::string> es256_der(const std::string& raw) {
  if (raw.size() != 64) return std::nullopt;
  EcdsaSig sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return std::nullopt;
  std::string der(static_cast<size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &p) != len) return std::nullopt;
  return der;
}

bool verify_public(EVP_PKEY* key, std::string_view signed_part, const std::string& sig) {
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size()) == 1;
}

// A NumericDate claim: absent, or a finite number (seconds).
Result<std::optional<double>> time_claim(const Json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end()) return std::optional<double>();
  if (!it->is_number() || !std::isfinite(it->get<double>())) return invalid(std::string("the token's \"") + name + "\" is not a number");
  return std::optional<double>(it->get<double>());
}

}  // namespace

std::optional<JwtAlg> jwt_alg_from_name(std::string_view name) {
  if (name == "HS256") return JwtAlg::hs256;
  if (name == "HS384") return JwtAlg::hs384;
  if (name == "HS512") return JwtAlg::hs512;
  if (name == "RS256") return JwtAlg::rs256;
  if (name == "ES256") return JwtAlg::es256;
  return std::nullopt;
}

std::string_view jwt_alg_name(JwtAlg alg) {
  switch (alg) {
    case JwtAlg::hs256: return "HS256";
    case JwtAlg::hs384: return "HS384";
    case JwtAlg::hs512: return "HS512";
    case JwtAlg::rs256: return "RS256";
    case JwtAlg::es256: return "ES256";
  }
  return "?";
}

bool base64url_decode(std::string_view text, std::string& out) {
  out.clear();
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = b64url_value(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // A lone trailing character (6 bits) encodes no byte; leftover bits must be zero (one encoding per value).
  return bits != 6 && (acc & ((1u << bits) - 1)) == 0;
}

std::string base64url_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 0x3f]);
  return out;
}

bool looks_like_jwt(std::string_view token) {
  size_t dots = 0;
  for (char c : token) {
    if (c == '.') ++dots;
    else if (b64url_value(c) < 0) return false;
  }
  return dots == 2;
}

Result<std::vector<JwtPublicKey>> read_jwks(const Json& jwks, const std::string& where) {
  if (!jwks.is_object() || !jwks.contains("keys") || !jwks["keys"].is_array()) {
    return Error{ErrorCode::invalid_value, where + ": a JWKS is an object with a \"keys\" array", std::nullopt};
  }
  std::vector<JwtPublicKey> out;
  for (size_t i = 0; i < jwks["keys"].size(); ++i) {
    const Json& jwk = jwks["keys"][i];
    std::string at = where + "/keys/" + std::to_string(i);
    std::string kty = string_field(jwk, "kty");
    std::string use = string_field(jwk, "use", "sig");
    if (use != "sig") continue;
    JwtPublicKey k;
    k.kid = string_field(jwk, "kid");
    if (kty == "RSA") {
      auto key = rsa_key(jwk, at);
      if (!key) return std::move(key).error();
      k.rsa = true;
      k.key = std::move(key).value();
    } else if (kty == "EC" && string_field(jwk, "crv") == "P-256") {
      auto key = ec_key(jwk, at);
      if (!key) return std::move(key).error();
      k.key = std::move(key).value();
    } else {
      continue;
    }
    out.push_back(std::move(k));
  }
  return out;
}

Result<Json> JwtVerifier::verify(std::string_view token, int64_t now) const {
  if (token.size() > kMaxTokenBytes) return invalid("the token is longer than 16 KiB");
  size_t first = token.find('.');
  size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return invalid("the token is not three base64url parts");
  }
  std::string header_text, payload_text, sig;
  if (!base64url_decode(token.substr(0, first), header_text) || !base64url_decode(token.substr(first + 1, second - first - 1), payload_text) ||
      !base64url_decode(token.substr(second + 1), sig)) {
    return invalid("the token is not three base64url parts");
  }
  auto header = read_json(header_text, JsonLimits{4}, "token header", ErrorCode::unauthenticated);
  if (!header || !header->is_object()) return invalid("the token's header is not a JSON object");
  if (header->contains("crit")) return invalid("the token names critical header extensions this server does not know");
  std::string alg_name = string_field(*header, "alg");
  auto alg = jwt_alg_from_name(alg_name);
  if (!alg || !config_.algorithms.count(*alg)) {
    return invalid("the token's algorithm \"" + safe_text(alg_name, 20) + "\" is not accepted");
  }
  std::string_view signed_part = token.substr(0, second);
  bool valid = false;
  if (*alg == JwtAlg::hs256 || *alg == JwtAlg::hs384 || *alg == JwtAlg::hs512) {
    if (config_.secret.empty()) return invalid("no secret is configured for " + std::string(jwt_alg_name(*alg)));
    valid = verify_hmac(*alg, config_.secret, signed_part, sig);
  } else {
    bool want_rsa = *alg == JwtAlg::rs256;
    std::optional<std::string> kid;
    if (header->contains("kid")) {
      if (!(*header)["kid"].is_string()) return invalid("the token's \"kid\" is not a string");
      kid = (*header)["kid"].get<std::string>();
    }
    // The key must be of the algorithm's type: an RSA key never checks an ES256 signature, and so on.
    const JwtPublicKey* key = nullptr;
    size_t candidates = 0;
    for (const auto& k : config_.keys) {
      if (k.rsa != want_rsa) continue;
      if (kid && k.kid != *kid) continue;
      key = &k;
      ++candidates;
    }
    if (!key) return invalid(kid ? "no key with kid \"" + safe_text(*kid, 64) + "\" for " + alg_name : "no key for " + alg_name);
    if (!kid && candidates > 1) return invalid("the token has no \"kid\" and several keys could check it");
    if (want_rsa) {
      valid = verify_public(key->key.get(), signed_part, sig);
    } else {
      auto der = es256_der(sig);
      valid = der && verify_public(key->key.get(), signed_part, *der);
    }
  }
  if (!valid) return invalid("the token's signature does not verify");
  auto claims = read_json(payload_text, JsonLimits{kClaimsDepth}, "token claims", ErrorCode::unauthenticated);
  if (!claims || !claims->is_object()) return invalid("the token's claims are not a JSON object");
  const double skew = static_cast<double>(config_.clock_skew_seconds);
  const double t = static_cast<double>(now);
  auto exp = time_claim(*claims, "exp");
  if (!exp) return std::move(exp).error();
  if (*exp && t > **exp + skew) return invalid("the token expired");
  auto nbf = time_claim(*claims, "nbf");
  if (!nbf) return std::move(nbf).error();
  if (*nbf && t + skew < **nbf) return invalid("the token is not valid yet");
  auto iat = time_claim(*claims, "iat");
  if (!iat) return std::move(iat).error();
  if (*iat && t + skew < **iat) return invalid("the token was issued in the future");
  if (config_.issuer && string_field(*claims, "iss") != *config_.issuer) return invalid("the token's issuer is not accepted");
  if (config_.audience) {
    const Json aud = claims->contains("aud") ? (*claims)["aud"] : Json();
    bool match = aud.is_string() && aud.get<std::string>() == *config_.audience;
    if (aud.is_array()) {
      for (const auto& a : aud) match = match || (a.is_string() && a.get<std::string>() == *config_.audience);
    }
    if (!match) return invalid("the token is not for this audience");
  }
  return std::move(claims).value();
}

}  // namespace dc
