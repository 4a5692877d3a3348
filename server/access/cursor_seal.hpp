// Paginate cursors for callers whose rules hide rows or columns: a plain
// cursor is base64 of the last row's sort keys, its _id and _creationTime
// among them, which such a role may not read, and a forged one positions a
// read anywhere. Sealed with AES-256-GCM (a random 96-bit nonce each, the
// tag over everything), a cursor is opaque and cannot be forged or altered.
// The key comes from the auth file's "cursorKey" (so every replica, and a
// restarted server, opens the others' cursors) or is made at start.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace dc {

class CursorSeal {
 public:
  static constexpr size_t kKeyBytes = 32;
  explicit CursorSeal(const std::array<unsigned char, kKeyBytes>& key) : key_(key) {}
  // A key from the system's random source: cursors sealed with it die with the process.
  static CursorSeal random();

  // URL-safe base64 of nonce, ciphertext and tag.
  std::string seal(std::string_view plain) const;
  // The plain cursor; nullopt when `sealed` was not made with this key, or was altered.
  std::optional<std::string> open(std::string_view sealed) const;

 private:
  std::array<unsigned char, kKeyBytes> key_;
};

}  // namespace dc
