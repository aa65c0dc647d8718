#include "kv/types/bitops.h"

#include <bit>
#include <cstring>

namespace strata::kv::bits {
namespace {

uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

uint64_t Popcount(const uint8_t* p, size_t n) {
  uint64_t c = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) c += uint64_t(std::popcount(Load64(p + i)));
  for (; i < n; i++) c += uint64_t(std::popcount(unsigned(p[i])));
  return c;
}

}  // namespace

uint64_t CountRange(std::string_view s, uint64_t first, uint64_t last) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(s.data());
  uint64_t fb = first >> 3, lb = last >> 3;
  uint64_t c = Popcount(p + fb, size_t(lb - fb + 1));
  // Drop the bits of the edge bytes that lie outside the range.
  unsigned head = unsigned(first & 7), tail = 7 - unsigned(last & 7);
  if (head) c -= uint64_t(std::popcount(unsigned(p[fb] >> (8 - head))));
  if (tail) c -= uint64_t(std::popcount(unsigned(p[lb]) & ((1u << tail) - 1)));
  return c;
}

int64_t FindBit(std::string_view s, int bit, uint64_t first, uint64_t last) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(s.data());
  const uint8_t skip = bit ? 0x00 : 0xff;  // bytes holding no candidate
  const uint64_t skip64 = bit ? 0 : ~uint64_t(0);
  uint64_t pos = first;
  while (pos <= last) {
    if ((pos & 7) == 0) {
      uint64_t byte = pos >> 3;
      if (last - pos >= 63 && Load64(p + byte) == skip64) {
        pos += 64;
        continue;
      }
      if (last - pos >= 7 && p[byte] == skip) {
        pos += 8;
        continue;
      }
    }
    if (((p[pos >> 3] >> (7 - (pos & 7))) & 1) == unsigned(bit)) return int64_t(pos);
    pos++;
  }
  return -1;
}

uint64_t GetUnsigned(const uint8_t* p, uint64_t offset, int bits) {
  uint64_t v = 0;
  for (int i = 0; i < bits; i++, offset++)
    v = (v << 1) | ((p[offset >> 3] >> (7 - (offset & 7))) & 1);
  return v;
}

int64_t GetSigned(const uint8_t* p, uint64_t offset, int bits) {
  uint64_t v = GetUnsigned(p, offset, bits);
  if (bits < 64 && (v >> (bits - 1)) & 1) v |= ~uint64_t(0) << bits;  // sign-extend
  return int64_t(v);
}

void SetUnsigned(uint8_t* p, uint64_t offset, int bits, uint64_t value) {
  for (int i = bits - 1; i >= 0; i--, offset++) {
    uint8_t mask = uint8_t(1u << (7 - (offset & 7)));
    if ((value >> i) & 1)
      p[offset >> 3] |= mask;
    else
      p[offset >> 3] &= uint8_t(~mask);
  }
}

namespace {
// The (at most 9) bytes a field at `offset` touches, zero-padded past the end of s; returns the
// offset of the field inside them.
uint64_t PaddedWindow(std::string_view s, uint64_t offset, uint8_t* buf) {
  uint64_t byte = offset >> 3;
  memset(buf, 0, 9);
  for (uint64_t i = 0; i < 9 && byte + i < s.size(); i++) buf[i] = uint8_t(s[byte + i]);
  return offset & 7;
}
}  // namespace

uint64_t GetUnsignedPadded(std::string_view s, uint64_t offset, int bits) {
  uint8_t buf[9];
  uint64_t off = PaddedWindow(s, offset, buf);
  return GetUnsigned(buf, off, bits);
}

int64_t GetSignedPadded(std::string_view s, uint64_t offset, int bits) {
  uint8_t buf[9];
  uint64_t off = PaddedWindow(s, offset, buf);
  return GetSigned(buf, off, bits);
}

int CheckUnsigned(uint64_t value, int64_t incr, int bits, Overflow ow, uint64_t* result) {
  uint64_t max = bits == 64 ? ~uint64_t(0) : (uint64_t(1) << bits) - 1;
  // Headroom either way, as signed numbers; meaningful only when value <= max.
  int64_t up = int64_t(max - value);
  int64_t down = int64_t(uint64_t(0) - value);
  int dir;
  if (value > max || (incr > 0 && incr > up))
    dir = 1;
  else if (incr < 0 && incr < down)
    dir = -1;
  else
    return 0;
  if (ow == Overflow::kWrap)
    *result = (value + uint64_t(incr)) & max;
  else if (ow == Overflow::kSat)
    *result = dir > 0 ? max : 0;
  return dir;
}

int CheckSigned(int64_t value, int64_t incr, int bits, Overflow ow, int64_t* result) {
  int64_t max = bits == 64 ? INT64_MAX : (int64_t(1) << (bits - 1)) - 1;
  int64_t min = -max - 1;
  // Computed with wrap-around: for values outside [min, max] these are what they are in
  // Redis, which decides the direction reported for such SET values.
  int64_t up = int64_t(uint64_t(max) - uint64_t(value));
  int64_t down = int64_t(uint64_t(min) - uint64_t(value));
  int dir;
  if (value > max || (bits != 64 && incr > up) || (value >= 0 && incr > 0 && incr > up))
    dir = 1;
  else if (value < min || (bits != 64 && incr < down) || (value < 0 && incr < 0 && incr < down))
    dir = -1;
  else
    return 0;
  if (ow == Overflow::kWrap) {
    uint64_t c = uint64_t(value) + uint64_t(incr);
    if (bits < 64) {
      uint64_t high = ~uint64_t(0) << bits;
      c = ((c >> (bits - 1)) & 1) ? (c | high) : (c & ~high);
    }
    *result = int64_t(c);
  } else if (ow == Overflow::kSat) {
    *result = dir > 0 ? max : min;
  }
  return dir;
}

std::string Combine(Op op, const std::vector<std::string_view>& srcs) {
  size_t maxlen = 0;
  for (auto s : srcs) maxlen = std::max(maxlen, s.size());
  std::string res(maxlen, '\0');
  if (maxlen == 0 || srcs.empty()) return res;
  uint8_t* r = reinterpret_cast<uint8_t*>(res.data());
  if (!srcs[0].empty()) memcpy(r, srcs[0].data(), srcs[0].size());
  if (op == Op::kNot) {
    for (size_t j = 0; j < maxlen; j++) r[j] = uint8_t(~r[j]);
    return res;
  }
  for (size_t i = 1; i < srcs.size(); i++) {
    const uint8_t* s = reinterpret_cast<const uint8_t*>(srcs[i].data());
    size_t n = srcs[i].size();
    switch (op) {
      case Op::kAnd:
        for (size_t j = 0; j < n; j++) r[j] &= s[j];
        memset(r + n, 0, maxlen - n);  // missing bytes are zeros
        break;
      case Op::kOr:
        for (size_t j = 0; j < n; j++) r[j] |= s[j];
        break;
      case Op::kXor:
        for (size_t j = 0; j < n; j++) r[j] ^= s[j];
        break;
      case Op::kNot:
        break;
    }
  }
  return res;
}

}  // namespace strata::kv::bits
