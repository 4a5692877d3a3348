#include "server/backend/embedded/ids.hpp"

namespace dc {

namespace {

constexpr char kAlphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

uint16_t fletcher16(const std::string& bytes) {
  uint16_t a = 0, b = 0;
  for (char c : bytes) {
    a = static_cast<uint16_t>((a + static_cast<unsigned char>(c)) % 255);
    b = static_cast<uint16_t>((b + a) % 255);
  }
  return static_cast<uint16_t>((b << 8) | a);
}

std::string base32(const std::string& bytes) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : bytes) {
    acc = (acc << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(kAlphabet[(acc >> bits) & 31]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (5 - bits)) & 31]);
  return out;
}

bool unbase32(const std::string& text, std::string& out) {
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const char* p = std::char_traits<char>::find(kAlphabet, 32, c);
    if (!p) return false;
    acc = (acc << 5) | static_cast<uint32_t>(p - kAlphabet);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return true;
}

}  // namespace

IdGenerator::IdGenerator(uint64_t seed) : rng_(seed) {}

std::string IdGenerator::next(uint32_t table_number) {
  std::string bytes;
  uint32_t n = table_number;
  do {
    uint8_t b = n & 0x7f;
    n >>= 7;
    bytes.push_back(static_cast<char>(n ? (b | 0x80) : b));
  } while (n);
  for (int i = 0; i < 2; ++i) {
    uint64_t r = rng_();
    for (int k = 0; k < 8; ++k) bytes.push_back(static_cast<char>((r >> (8 * k)) & 0xff));
  }
  uint16_t footer = fletcher16(bytes);  // XOR version 0
  bytes.push_back(static_cast<char>(footer & 0xff));
  bytes.push_back(static_cast<char>(footer >> 8));
  return base32(bytes);
}

int64_t id_table_number(const std::string& id) {
  std::string bytes;
  if (id.size() < 31 || id.size() > 37 || !unbase32(id, bytes) || bytes.size() < 19) return -1;
  std::string body = bytes.substr(0, bytes.size() - 2);
  uint16_t footer = static_cast<uint16_t>(static_cast<unsigned char>(bytes[bytes.size() - 2]) |
                                          (static_cast<unsigned char>(bytes[bytes.size() - 1]) << 8));
  if (fletcher16(body) != footer) return -1;
  int64_t n = 0;
  int shift = 0;
  for (char c : body) {
    auto b = static_cast<unsigned char>(c);
    n |= static_cast<int64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return n;
    shift += 7;
    if (shift > 28) return -1;
  }
  return -1;
}

}  // namespace dc
