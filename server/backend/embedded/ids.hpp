// Convex-like document ids: a varint table number, 16 random bytes and a
// 2-byte Fletcher-16 footer, in lowercase Crockford base32 (about 32 chars).
#pragma once

#include <cstdint>
#include <random>
#include <string>

namespace dc {

class IdGenerator {
 public:
  explicit IdGenerator(uint64_t seed);
  std::string next(uint32_t table_number);
  // New ids from a fresh random seed (after a deterministic start-up load).
  void reseed(uint64_t seed) { rng_.seed(seed); }

 private:
  std::mt19937_64 rng_;
};

// The table number encoded in an id made by IdGenerator, or -1.
int64_t id_table_number(const std::string& id);

}  // namespace dc
