// The one key hash used everywhere (shard selection, table buckets, sketches): XXH3-64.
#pragma once

#include <cstdint>
#include <string_view>

#include <xxhash.h>

namespace strata {

inline uint64_t HashKey(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

inline uint64_t HashKey(std::string_view key, uint64_t seed) {
  return XXH3_64bits_withSeed(key.data(), key.size(), seed);
}

}  // namespace strata
