// RDB length and string encodings, the building blocks Redis uses in RDB files and in DUMP /
// FUNCTION DUMP payloads.
//
// A length is 1, 2, 5 or 9 bytes, told apart by the top two bits of the first byte:
//   00xxxxxx                  6-bit length
//   01xxxxxx xxxxxxxx         14-bit length, big-endian
//   10000000 + 4 bytes        32-bit length, big-endian
//   10000001 + 8 bytes        64-bit length, big-endian
//   11xxxxxx                  not a length: a string in a special encoding (low 6 bits)
// A string is a length and that many bytes, or one of the special encodings:
//   0xc0 + 1 byte, 0xc1 + 2, 0xc2 + 4  a decimal integer, signed, little-endian
//   0xc3 clen len + clen bytes         LZF-compressed (liblzf), len bytes once decompressed
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace strata::kv::rdb {

// The RDB format version of Redis 7.0, which DUMP payloads carry and RESTORE checks.
inline constexpr uint16_t kRdbVersion = 10;

void AppendRdbLength(std::string* out, uint64_t len);

// Writes `s` as Redis does: a canonical decimal integer that fits in 32 bits as an integer,
// otherwise (with `compress`, Redis's rdbcompression) LZF when that saves more than 4 bytes of a
// string longer than 20, otherwise plain.
void AppendRdbString(std::string* out, std::string_view s, bool compress = true);

// While one exists on a thread, AppendRdbString on that thread never compresses (snapshots
// written with `rdbcompression no`; each shard serializes its keys on its own thread).
class NoCompressionScope {
 public:
  explicit NoCompressionScope(bool active = true);
  ~NoCompressionScope();
  NoCompressionScope(const NoCompressionScope&) = delete;
  NoCompressionScope& operator=(const NoCompressionScope&) = delete;

 private:
  bool prev_;
};

// Reads lengths and strings off a buffer as Redis's loader does. A failed read (truncated or
// malformed input) returns false; the position is then unspecified.
class RdbReader {
 public:
  explicit RdbReader(std::string_view data) : data_(data) {}

  size_t pos() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }

  bool ReadByte(uint8_t* out);
  // A length, or with the 11 prefix the 6-bit encoding type; `encoded` (if given) tells which.
  bool ReadLength(uint64_t* len, bool* encoded = nullptr);
  // A string in any encoding, integers as their decimal text.
  bool ReadString(std::string* out);
  // `n` raw bytes (no length prefix).
  bool ReadBytes(size_t n, std::string_view* out);

 private:
  bool ReadLzf(std::string* out);

  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace strata::kv::rdb
