#include "server/access/cursor_seal.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>
#include <stdexcept>

#include "protocol/value_json.hpp"

namespace dc {

namespace {

constexpr size_t kNonce = 12;
constexpr size_t kTag = 16;
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

CipherCtx cipher_ctx() {
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!ctx) throw std::bad_alloc();
  return ctx;
}

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

std::string url_safe(std::string b64) {
  for (char& c : b64) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return b64;
}

}  // namespace

CursorSeal CursorSeal::random() {
  std::array<unsigned char, kKeyBytes> key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) throw std::runtime_error("no random bytes for the cursor key");
  return CursorSeal(key);
}

std::string CursorSeal::seal(std::string_view plain) const {
  std::string out(kNonce + plain.size() + kTag, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  if (RAND_bytes(nonce, static_cast<int>(kNonce)) != 1) throw std::runtime_error("no random bytes for a cursor nonce");
  auto ctx = cipher_ctx();
  int n = 0;
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nonce + kNonce, &n, bytes(plain), static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), nonce + kNonce + n, &n) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTag), nonce + kNonce + plain.size()) != 1) {
    throw std::runtime_error("sealing a cursor failed");
  }
  return url_safe(base64_encode(out));
}

std::optional<std::string> CursorSeal::open(std::string_view sealed) const {
  std::string raw;
  if (sealed.size() > 64 * 1024 || !base64_decode(sealed, raw) || raw.size() < kNonce + kTag) return std::nullopt;
  size_t length = raw.size() - kNonce - kTag;
  std::string plain(length, '\0');
  auto* in = reinterpret_cast<unsigned char*>(raw.data());
  auto ctx = cipher_ctx();
  int n = 0;
  if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), in) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &n, in + kNonce, static_cast<int>(length)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTag), in + kNonce + length) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + n, &n) != 1) {
    return std::nullopt;  // the tag did not match: another key, or altered
  }
  return plain;
}

}  // namespace dc
