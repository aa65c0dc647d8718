// Bit-level operations on string values, in Redis's bit order: bit 0 is the most significant bit
// of the first byte. Pure functions over byte arrays, used by the bitmap commands (SETBIT,
// BITCOUNT, BITPOS, BITOP, BITFIELD).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strata::kv::bits {

// Set bits among the bits [first, last] of s (both inclusive, last < 8 * s.size()).
uint64_t CountRange(std::string_view s, uint64_t first, uint64_t last);

// Position of the first bit equal to `bit` among the bits [first, last] of s, or -1.
int64_t FindBit(std::string_view s, int bit, uint64_t first, uint64_t last);

// `bits`-wide (1..64) integers at a bit offset, most significant bit first. The bytes touched
// must lie inside p.
uint64_t GetUnsigned(const uint8_t* p, uint64_t offset, int bits);
int64_t GetSigned(const uint8_t* p, uint64_t offset, int bits);
void SetUnsigned(uint8_t* p, uint64_t offset, int bits, uint64_t value);

// Same for reads that may run past the end of s: missing bytes read as zero.
uint64_t GetUnsignedPadded(std::string_view s, uint64_t offset, int bits);
int64_t GetSignedPadded(std::string_view s, uint64_t offset, int bits);

// BITFIELD overflow handling.
enum class Overflow { kWrap, kSat, kFail };

// Whether value + incr fits a `bits`-wide unsigned (1..63) or signed (1..64) integer: 0 if it
// does, 1 on overflow, -1 on underflow. Otherwise *result is the value to store (wrapped or
// saturated; untouched for kFail). Redis's exact rules, including its answers for SET values
// far outside the type's range.
int CheckUnsigned(uint64_t value, int64_t incr, int bits, Overflow ow, uint64_t* result);
int CheckSigned(int64_t value, int64_t incr, int bits, Overflow ow, int64_t* result);

// BITOP: combines the sources byte by byte, shorter ones padded with zeros; the result is as
// long as the longest source. kNot takes one source.
enum class Op { kAnd, kOr, kXor, kNot };
std::string Combine(Op op, const std::vector<std::string_view>& srcs);

}  // namespace strata::kv::bits
