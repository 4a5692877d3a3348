// HMAC-signed JWTs for the auth tests, made with OpenSSL directly.
#pragma once

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>

#include "server/access/jwt.hpp"

namespace dc::testing {

inline std::string hmac_bytes(const EVP_MD* md, const std::string& secret, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md, secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}

// header.claims.signature with the HMAC the header's alg names (HS256 when it names none of them).
inline std::string hmac_token(const Json& header, const Json& claims, const std::string& secret) {
  std::string signed_part = base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
  std::string alg = header.value("alg", "");
  const EVP_MD* md = alg == "HS384" ? EVP_sha384() : alg == "HS512" ? EVP_sha512() : EVP_sha256();
  return signed_part + "." + base64url_encode(hmac_bytes(md, secret, signed_part));
}

}  // namespace dc::testing
