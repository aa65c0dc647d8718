// Listpack: a 6-byte header (total bytes, little-endian u32; element count, little-endian u16,
// 65535 meaning "count them"), the elements, and a 0xff terminator. Each element is an encoding
// byte (with the length or value in it for small ones), its data, and a backlen: the size of
// encoding + data in 1 to 5 bytes of 7 bits, so the list can be walked from the end.
//
//   0xxxxxxx            7-bit unsigned integer
//   10xxxxxx            string of up to 63 bytes
//   110xxxxx + 1 byte   13-bit signed integer
//   1110xxxx + 1 byte   string of up to 4095 bytes (length big-endian in the two bytes)
//   11110000 + 4 bytes  string, 32-bit little-endian length
//   11110001..11110100  16, 24, 32 and 64-bit signed integers, little-endian
#include <string>

#include "base/strutil.h"
#include "kv/rdb/packed.h"

namespace strata::kv::rdb {
namespace {

constexpr size_t kHeader = 6;
constexpr uint8_t kEof = 0xff;
constexpr uint16_t kUnknownCount = 65535;

uint64_t LoadLe(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

size_t BacklenBytes(size_t len) {
  // Redis's thresholds (one below each power of 2^7 already takes the wider form).
  if (len < 128) return 1;
  if (len < 16383) return 2;
  if (len < 2097151) return 3;
  if (len < 268435455) return 4;
  return 5;
}

// The backlen stored ending just before `end` (reads towards the start, at most 5 bytes and never
// before `start`).
bool ReadBacklen(const uint8_t* start, const uint8_t* end, uint64_t* out) {
  uint64_t v = 0;
  int shift = 0;
  const uint8_t* p = end;
  for (int i = 0; i < 5; i++) {
    if (p == start) return false;
    p--;
    v |= uint64_t(*p & 127) << shift;
    if (!(*p & 128)) {
      *out = v;
      return true;
    }
    shift += 7;
  }
  return false;
}

bool CanonicalInt(std::string_view s, int64_t* v) {
  if (s.empty() || s.size() > 20 || !ParseInt64(s, v)) return false;
  return std::to_string(*v) == s;
}

}  // namespace

bool ListpackDecode(std::string_view lp, std::vector<std::string>* out) {
  const auto* base = reinterpret_cast<const uint8_t*>(lp.data());
  size_t size = lp.size();
  if (size < kHeader + 1) return false;
  if (LoadLe(base, 4) != size) return false;
  uint16_t declared = uint16_t(LoadLe(base + 4, 2));
  if (base[size - 1] != kEof) return false;
  const uint8_t* p = base + kHeader;
  const uint8_t* end = base + size - 1;  // the terminator
  size_t count = 0;
  while (p < end) {
    const uint8_t* entry = p;
    uint8_t b = *p;
    size_t head;    // encoding bytes
    uint64_t dlen;  // data bytes
    bool is_str = true;
    int64_t num = 0;
    size_t avail = size_t(end - p);
    if ((b & 0x80) == 0) {
      head = 1, dlen = 0, is_str = false, num = b & 0x7f;
    } else if ((b & 0xc0) == 0x80) {
      head = 1, dlen = b & 0x3f;
    } else if ((b & 0xe0) == 0xc0) {
      if (avail < 2) return false;
      head = 2, dlen = 0, is_str = false;
      uint16_t u = uint16_t(((b & 0x1f) << 8) | p[1]);
      num = (u & 0x1000) ? int64_t(u) - 0x2000 : int64_t(u);
    } else if ((b & 0xf0) == 0xe0) {
      if (avail < 2) return false;
      head = 2, dlen = (uint64_t(b & 0x0f) << 8) | p[1];
    } else if (b == 0xf0) {
      if (avail < 5) return false;
      head = 5, dlen = LoadLe(p + 1, 4);
    } else if (b >= 0xf1 && b <= 0xf4) {
      int n = b == 0xf1 ? 2 : b == 0xf2 ? 3 : b == 0xf3 ? 4 : 8;
      if (avail < size_t(1 + n)) return false;
      head = size_t(1 + n), dlen = 0, is_str = false;
      uint64_t u = LoadLe(p + 1, n);
      if (n < 8) {
        uint64_t sign = uint64_t(1) << (8 * n - 1);
        num = (u & sign) ? int64_t(u) - int64_t(sign << 1) : int64_t(u);
      } else {
        num = int64_t(u);
      }
    } else {
      return false;  // 0xf5..0xfe are unused; 0xff before the end is a misplaced terminator
    }
    if (dlen > avail || head + dlen > avail) return false;
    size_t elen = head + size_t(dlen);
    size_t blen = BacklenBytes(elen);
    if (elen + blen > avail) return false;
    uint64_t back;
    if (!ReadBacklen(entry + elen, entry + elen + blen, &back) || back != elen) return false;
    if (is_str)
      out->emplace_back(reinterpret_cast<const char*>(entry + head), size_t(dlen));
    else
      out->push_back(std::to_string(num));
    p = entry + elen + blen;
    count++;
  }
  if (p != end) return false;
  return declared == kUnknownCount || declared == count;
}

ListpackWriter::ListpackWriter() { buf_.assign(kHeader, '\0'); }

void ListpackWriter::AppendBacklen(size_t len) {
  size_t n = BacklenBytes(len);
  // Most significant group first; every byte but the first written carries the 128 flag, so a
  // reader walking backwards stops at the first byte.
  for (size_t i = 0; i < n; i++) {
    size_t shift = 7 * (n - 1 - i);
    uint8_t b = uint8_t((len >> shift) & 127);
    if (i > 0) b |= 128;
    buf_.push_back(char(b));
  }
}

void ListpackWriter::AppendInt(int64_t v) {
  size_t start = buf_.size();
  if (v >= 0 && v <= 127) {
    buf_.push_back(char(v));
  } else if (v >= -4096 && v <= 4095) {
    uint16_t u = uint16_t(v) & 0x1fff;
    buf_.push_back(char(0xc0 | (u >> 8)));
    buf_.push_back(char(u & 0xff));
  } else {
    int n;
    uint8_t enc;
    if (v >= INT16_MIN && v <= INT16_MAX)
      n = 2, enc = 0xf1;
    else if (v >= -(1 << 23) && v < (1 << 23))
      n = 3, enc = 0xf2;
    else if (v >= INT32_MIN && v <= INT32_MAX)
      n = 4, enc = 0xf3;
    else
      n = 8, enc = 0xf4;
    buf_.push_back(char(enc));
    uint64_t u = uint64_t(v);
    for (int i = 0; i < n; i++) buf_.push_back(char((u >> (8 * i)) & 0xff));
  }
  AppendBacklen(buf_.size() - start);
  count_++;
}

void ListpackWriter::Append(std::string_view s) {
  int64_t v;
  if (CanonicalInt(s, &v)) return AppendInt(v);
  size_t start = buf_.size();
  if (s.size() < 64) {
    buf_.push_back(char(0x80 | s.size()));
  } else if (s.size() < 4096) {
    buf_.push_back(char(0xe0 | (s.size() >> 8)));
    buf_.push_back(char(s.size() & 0xff));
  } else {
    buf_.push_back(char(0xf0));
    for (int i = 0; i < 4; i++) buf_.push_back(char((s.size() >> (8 * i)) & 0xff));
  }
  buf_.append(s);
  AppendBacklen(buf_.size() - start);
  count_++;
}

std::string ListpackWriter::Finish() {
  buf_.push_back(char(kEof));
  size_t total = buf_.size();
  for (int i = 0; i < 4; i++) buf_[size_t(i)] = char((total >> (8 * i)) & 0xff);
  uint16_t n = count_ < kUnknownCount ? uint16_t(count_) : kUnknownCount;
  buf_[4] = char(n & 0xff);
  buf_[5] = char(n >> 8);
  std::string out = std::move(buf_);
  buf_.assign(kHeader, '\0');
  count_ = 0;
  return out;
}

}  // namespace strata::kv::rdb
