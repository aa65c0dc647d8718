#include "kv/rdb/rdb_string.h"

#include <lzf.h>

#include <climits>
#include <limits>

namespace strata::kv::rdb {
namespace {

// First byte of a length (top two bits) and the special string encodings (low six bits).
constexpr uint8_t k6BitLen = 0;
constexpr uint8_t k14BitLen = 1;
constexpr uint8_t kEncVal = 3;
constexpr uint8_t k32BitLen = 0x80;
constexpr uint8_t k64BitLen = 0x81;
constexpr uint8_t kEncInt8 = 0;
constexpr uint8_t kEncInt16 = 1;
constexpr uint8_t kEncInt32 = 2;
constexpr uint8_t kEncLzf = 3;

// An LZF back reference turns at most 3 input bytes into 264 output bytes, so a compressed
// length this far below the claimed one cannot be right; checked before allocating.
constexpr uint64_t kMaxLzfExpansion = 264;

void AppendBigEndian(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; i--) out->push_back(char((v >> (8 * i)) & 0xff));
}

// The value of `s` if it is the canonical decimal form of a 32-bit integer ("0", "-5", "123";
// not "007", "-0", "+1" or " 1"), which is when Redis stores it as an integer.
bool CanonicalInt32(std::string_view s, int32_t* value) {
  if (s.empty() || s.size() > 11) return false;
  size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size()) return false;
  if (s[i] == '0') {
    if (s.size() != 1) return false;  // leading zero, or "-0"
    *value = 0;
    return true;
  }
  int64_t v = 0;
  for (; i < s.size(); i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  if (s[0] == '-') v = -v;
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
    return false;
  }
  *value = int32_t(v);
  return true;
}

void AppendInteger(std::string* out, int32_t v) {
  int bytes;
  uint8_t enc;
  if (v >= INT8_MIN && v <= INT8_MAX) {
    enc = kEncInt8, bytes = 1;
  } else if (v >= INT16_MIN && v <= INT16_MAX) {
    enc = kEncInt16, bytes = 2;
  } else {
    enc = kEncInt32, bytes = 4;
  }
  out->push_back(char((kEncVal << 6) | enc));
  auto u = uint32_t(v);
  for (int i = 0; i < bytes; i++) out->push_back(char((u >> (8 * i)) & 0xff));
}

// LZF as Redis writes it; false when compressing would not save more than 4 bytes.
bool AppendLzf(std::string* out, std::string_view s) {
  if (s.size() <= 20 || s.size() > UINT_MAX) return false;
  std::string packed(s.size() - 4, '\0');
  unsigned int clen =
      lzf_compress(s.data(), unsigned(s.size()), packed.data(), unsigned(packed.size()));
  if (clen == 0) return false;
  out->push_back(char((kEncVal << 6) | kEncLzf));
  AppendRdbLength(out, clen);
  AppendRdbLength(out, s.size());
  out->append(packed.data(), clen);
  return true;
}

}  // namespace

void AppendRdbLength(std::string* out, uint64_t len) {
  if (len < (1u << 6)) {
    out->push_back(char((k6BitLen << 6) | len));
  } else if (len < (1u << 14)) {
    out->push_back(char((k14BitLen << 6) | (len >> 8)));
    out->push_back(char(len & 0xff));
  } else if (len <= UINT32_MAX) {
    out->push_back(char(k32BitLen));
    AppendBigEndian(out, len, 4);
  } else {
    out->push_back(char(k64BitLen));
    AppendBigEndian(out, len, 8);
  }
}

namespace {
thread_local bool tl_no_compression = false;
}

NoCompressionScope::NoCompressionScope(bool active) : prev_(tl_no_compression) {
  if (active) tl_no_compression = true;
}
NoCompressionScope::~NoCompressionScope() { tl_no_compression = prev_; }

void AppendRdbString(std::string* out, std::string_view s, bool compress) {
  if (tl_no_compression) compress = false;
  int32_t v;
  if (CanonicalInt32(s, &v)) return AppendInteger(out, v);
  if (compress && AppendLzf(out, s)) return;
  AppendRdbLength(out, s.size());
  out->append(s);
}

bool RdbReader::ReadBytes(size_t n, std::string_view* out) {
  if (n > remaining()) return false;
  *out = data_.substr(pos_, n);
  pos_ += n;
  return true;
}

bool RdbReader::ReadByte(uint8_t* out) {
  if (remaining() < 1) return false;
  *out = uint8_t(data_[pos_++]);
  return true;
}

bool RdbReader::ReadLength(uint64_t* len, bool* encoded) {
  uint8_t first;
  if (!ReadByte(&first)) return false;
  if (encoded) *encoded = false;
  switch (first >> 6) {
    case kEncVal:
      if (encoded) *encoded = true;
      *len = first & 0x3f;
      return true;
    case k6BitLen:
      *len = first & 0x3f;
      return true;
    case k14BitLen: {
      uint8_t second;
      if (!ReadByte(&second)) return false;
      *len = (uint64_t(first & 0x3f) << 8) | second;
      return true;
    }
  }
  int bytes = first == k32BitLen ? 4 : first == k64BitLen ? 8 : 0;
  std::string_view raw;
  if (bytes == 0 || !ReadBytes(bytes, &raw)) return false;
  *len = 0;
  for (unsigned char c : raw) *len = (*len << 8) | c;
  return true;
}

bool RdbReader::ReadString(std::string* out) {
  uint64_t len;
  bool encoded;
  if (!ReadLength(&len, &encoded)) return false;
  std::string_view raw;
  if (!encoded) {
    if (!ReadBytes(len, &raw)) return false;
    out->assign(raw);
    return true;
  }
  int bytes = len == kEncInt8 ? 1 : len == kEncInt16 ? 2 : len == kEncInt32 ? 4 : 0;
  if (bytes == 0) return len == kEncLzf && ReadLzf(out);
  if (!ReadBytes(bytes, &raw)) return false;
  uint32_t u = 0;
  for (int i = bytes - 1; i >= 0; i--) u = (u << 8) | uint8_t(raw[i]);
  int64_t v = bytes == 1 ? int8_t(u) : bytes == 2 ? int16_t(u) : int32_t(u);
  *out = std::to_string(v);
  return true;
}

bool RdbReader::ReadLzf(std::string* out) {
  uint64_t clen, len;
  std::string_view packed;
  // As in Redis, both lengths are read as plain lengths (an 11 prefix gives its low six bits).
  if (!ReadLength(&clen) || !ReadLength(&len) || !ReadBytes(clen, &packed)) return false;
  if (clen > UINT_MAX || len > UINT_MAX || len > clen * kMaxLzfExpansion) return false;
  out->resize(len);
  // Success is decompressing to exactly `len` bytes; like Redis, a zero `len` always succeeds.
  return lzf_decompress(packed.data(), unsigned(clen), out->data(), unsigned(len)) == len;
}

}  // namespace strata::kv::rdb
