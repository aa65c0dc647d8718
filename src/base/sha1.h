// SHA-1 (FIPS 180-4). Used where a protocol fixes the digest, e.g. script identifiers, not for
// security.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace strata {

class Sha1 {
 public:
  using Digest = std::array<uint8_t, 20>;

  Sha1() { Reset(); }
  void Reset();
  void Update(const void* data, size_t len);
  void Update(std::string_view s) { Update(s.data(), s.size()); }
  // Finishes the digest; the object must be Reset() before reuse.
  Digest Final();

 private:
  void Block(const uint8_t* p);

  uint32_t h_[5];
  uint64_t total_ = 0;  // bytes hashed so far
  uint8_t buf_[64];
  size_t buf_len_ = 0;
};

Sha1::Digest Sha1Digest(std::string_view data);
// Lowercase hexadecimal digest, 40 characters.
std::string Sha1Hex(std::string_view data);
// Writes 40 lowercase hex characters (no terminator) to out.
void Sha1HexTo(std::string_view data, char* out);

}  // namespace strata
