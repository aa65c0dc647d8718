// Readers for the encodings Redis 7.0 no longer writes but still loads: ziplist, zipmap, intset.
//
// Ziplist: header (total bytes u32, offset of the last entry u32, entry count u16, 65535 meaning
// "count them"; all little-endian), entries, 0xff. An entry is the previous entry's size (1 byte,
// or 0xfe and a u32), an encoding, and the data:
//   00xxxxxx / 01xxxxxx + 1 byte / 10000000 + 4 bytes   string, 6/14/32-bit big-endian length
//   0xc0 int16, 0xd0 int32, 0xe0 int64, 0xf0 int24, 0xfe int8 (little-endian)
//   0xf1..0xfd                                          the value 0..12 itself
// Zipmap: a count byte (254 or more: unknown), then per pair a length (1 byte, or 254 and a u32),
// the field, a length, a "free" byte, the value and that many unused bytes; 0xff ends it.
// Intset: width (2, 4 or 8, u32), count (u32), then the integers ascending, little-endian.
#include <string>

#include "kv/rdb/packed.h"

namespace strata::kv::rdb {
namespace {

uint64_t LoadLe(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

int64_t SignExtend(uint64_t u, int bytes) {
  if (bytes == 8) return int64_t(u);
  uint64_t sign = uint64_t(1) << (8 * bytes - 1);
  return (u & sign) ? int64_t(u) - int64_t(sign << 1) : int64_t(u);
}

}  // namespace

bool ZiplistDecode(std::string_view zl, std::vector<std::string>* out) {
  const auto* base = reinterpret_cast<const uint8_t*>(zl.data());
  size_t size = zl.size();
  constexpr size_t kHeader = 10;
  if (size < kHeader + 1) return false;
  if (LoadLe(base, 4) != size) return false;
  uint64_t tail = LoadLe(base + 4, 4);
  uint16_t declared = uint16_t(LoadLe(base + 8, 2));
  if (base[size - 1] != 0xff) return false;
  if (tail > size - 1) return false;
  const uint8_t* p = base + kHeader;
  const uint8_t* end = base + size - 1;
  size_t count = 0, prev_len = 0;
  const uint8_t* last = nullptr;
  while (p < end) {
    const uint8_t* entry = p;
    size_t avail = size_t(end - p);
    size_t prevlen_bytes;
    uint64_t prevlen;
    if (p[0] < 254) {
      prevlen_bytes = 1, prevlen = p[0];
    } else if (p[0] == 254) {
      if (avail < 5) return false;
      prevlen_bytes = 5, prevlen = LoadLe(p + 1, 4);
    } else {
      return false;
    }
    if (prevlen != prev_len) return false;
    p += prevlen_bytes;
    avail -= prevlen_bytes;
    if (avail < 1) return false;
    uint8_t enc = p[0];
    size_t head;
    uint64_t dlen = 0;
    bool is_str = true;
    int64_t num = 0;
    switch (enc >> 6) {
      case 0:
        head = 1, dlen = enc & 0x3f;
        break;
      case 1:
        if (avail < 2) return false;
        head = 2, dlen = (uint64_t(enc & 0x3f) << 8) | p[1];
        break;
      case 2:
        if (enc != 0x80 || avail < 5) return false;
        head = 5,
        dlen = (uint64_t(p[1]) << 24) | (uint64_t(p[2]) << 16) | (uint64_t(p[3]) << 8) | p[4];
        break;
      default: {
        is_str = false;
        int n;
        if (enc == 0xc0)
          n = 2;
        else if (enc == 0xd0)
          n = 4;
        else if (enc == 0xe0)
          n = 8;
        else if (enc == 0xf0)
          n = 3;
        else if (enc == 0xfe)
          n = 1;
        else if (enc >= 0xf1 && enc <= 0xfd)
          n = 0;
        else
          return false;
        if (avail < size_t(1 + n)) return false;
        head = size_t(1 + n);
        num = n == 0 ? int64_t(enc & 0x0f) - 1 : SignExtend(LoadLe(p + 1, n), n);
      }
    }
    if (dlen > avail || head + dlen > avail) return false;
    if (is_str)
      out->emplace_back(reinterpret_cast<const char*>(p + head), size_t(dlen));
    else
      out->push_back(std::to_string(num));
    p += head + size_t(dlen);
    prev_len = size_t(p - entry);
    last = entry;
    count++;
  }
  if (p != end) return false;
  if (last ? size_t(last - base) != tail : tail != kHeader) return false;
  return declared == 65535 || declared == count;
}

bool ZipmapDecode(std::string_view zm, std::vector<std::string>* out) {
  const auto* p = reinterpret_cast<const uint8_t*>(zm.data());
  const uint8_t* end = p + zm.size();
  if (zm.size() < 2) return false;
  uint8_t declared = *p++;
  size_t pairs = 0;
  auto read_len = [&](uint64_t* len) {
    if (p >= end) return false;
    if (*p < 254) {
      *len = *p++;
      return true;
    }
    if (*p == 254 && end - p >= 5) {
      *len = LoadLe(p + 1, 4);
      p += 5;
      return true;
    }
    return false;
  };
  while (p < end && *p != 255) {
    uint64_t klen, vlen;
    if (!read_len(&klen) || klen > uint64_t(end - p)) return false;
    out->emplace_back(reinterpret_cast<const char*>(p), size_t(klen));
    p += klen;
    if (!read_len(&vlen) || p >= end) return false;
    uint8_t free = *p++;
    if (vlen > uint64_t(end - p) || vlen + free > uint64_t(end - p)) return false;
    out->emplace_back(reinterpret_cast<const char*>(p), size_t(vlen));
    p += vlen + free;
    pairs++;
  }
  if (p + 1 != end || *p != 255) return false;
  return declared >= 254 || declared == pairs;
}

bool IntsetDecode(std::string_view is, std::vector<int64_t>* out) {
  const auto* p = reinterpret_cast<const uint8_t*>(is.data());
  if (is.size() < 8) return false;
  uint32_t width = uint32_t(LoadLe(p, 4));
  uint32_t n = uint32_t(LoadLe(p + 4, 4));
  if (width != 2 && width != 4 && width != 8) return false;
  if ((is.size() - 8) % width != 0 || (is.size() - 8) / width != n) return false;
  if (n == 0) return false;  // Redis rejects an empty intset
  out->reserve(out->size() + n);
  int64_t prev = 0;
  for (uint32_t i = 0; i < n; i++) {
    int64_t v = SignExtend(LoadLe(p + 8 + size_t(i) * width, int(width)), int(width));
    if (i > 0 && v <= prev) return false;  // must be strictly ascending
    out->push_back(v);
    prev = v;
  }
  return true;
}

}  // namespace strata::kv::rdb
