// Shared by the data type fuzz targets: decodes the input bytes into operation arguments (small
// numbers, flags and strings) and provides the check that stops the run on a mismatch. The string
// generator favours what the compact encodings treat specially: canonical and non-canonical
// decimal integers, the integer width and string length boundaries of the packed formats, a few
// short strings that collide often, and strings already used earlier in the same input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

// Aborts with the failed condition when a structure and its model disagree.
#define FUZZ_CHECK(cond)                                                              \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "check failed: %s at %s:%d\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                   \
    }                                                                                 \
  } while (0)

namespace strata::fuzz {

class OpReader {
 public:
  OpReader(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}

  bool done() const { return p_ >= end_; }
  size_t left() const { return size_t(end_ - p_); }

  // The next byte, or 0 once the input is used up.
  uint8_t Byte() { return p_ < end_ ? *p_++ : 0; }
  uint16_t U16() {
    uint16_t lo = Byte();
    return uint16_t(lo | (Byte() << 8));
  }
  uint64_t U64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= uint64_t(Byte()) << (8 * i);
    return v;
  }
  bool Bit() { return Byte() & 1; }
  // A number in [0, n); n must be positive.
  size_t Below(size_t n) { return n <= 256 ? Byte() % n : U16() % n; }

  // Up to `max` bytes taken verbatim from the input, the count first.
  std::string Raw(size_t max) {
    size_t n = Byte() % (max + 1);
    if (n > left()) n = left();
    std::string s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }

  // An integer, mostly from the boundaries the packed encodings care about.
  int64_t Int() {
    static constexpr int64_t kEdges[] = {0,
                                         1,
                                         -1,
                                         127,
                                         128,
                                         -128,
                                         -129,
                                         4095,
                                         4096,
                                         -4096,
                                         -4097,
                                         32767,
                                         32768,
                                         -32768,
                                         -32769,
                                         8388607,
                                         8388608,
                                         -8388608,
                                         -8388609,
                                         2147483647,
                                         2147483648,
                                         -2147483648LL,
                                         -2147483649LL,
                                         INT64_MAX,
                                         INT64_MIN,
                                         INT64_MAX - 1,
                                         INT64_MIN + 1};
    switch (Byte() % 4) {
      case 0:
        return kEdges[Byte() % (sizeof(kEdges) / sizeof(kEdges[0]))];
      case 1:
        return int64_t(U64());
      default:
        return int64_t(Byte()) - 128;
    }
  }

  // A string argument (field, member, value, pivot, ...).
  std::string Str() {
    static const char* const kOddInts[] = {"-0",
                                           "007",
                                           "00",
                                           "+5",
                                           " 1",
                                           "1 ",
                                           "0x10",
                                           "1e3",
                                           "1.0",
                                           "-",
                                           "--1",
                                           "-00",
                                           "0-",
                                           "9223372036854775808",
                                           "-9223372036854775809",
                                           "18446744073709551615",
                                           "18446744073709551616",
                                           "99999999999999999999",
                                           "123456789012345678901",
                                           "-123456789012345678901"};
    static constexpr size_t kLens[] = {62, 63, 64, 65, 127, 128, 254, 255, 256, 4095, 4096, 4097};
    std::string s;
    uint8_t kind = Byte() % 16;
    switch (kind) {
      case 5:
        s = std::to_string(int64_t(Byte()) - 128);
        break;
      case 6:
        s = std::to_string(Int());
        break;
      case 7:
        s = kOddInts[Byte() % (sizeof(kOddInts) / sizeof(kOddInts[0]))];
        if (Bit()) s.push_back('\0');
        break;
      case 8:
        s = std::to_string(int64_t(U64()));
        break;
      case 9:
        s = Raw(24);
        break;
      case 10: {
        uint8_t b = Byte();
        size_t len = b & 1 ? kLens[(b >> 1) % (sizeof(kLens) / sizeof(kLens[0]))] : U16() % 600;
        s.assign(len, char('A' + Byte() % 3));
        break;
      }
      case 11:
        break;  // the empty string
      case 12:
      case 13:
      case 14:
      case 15:
        if (!recent_.empty()) {
          s = recent_[Byte() % recent_.size()];
          return s;
        }
        [[fallthrough]];
      default: {
        // 1 to 3 letters of 4: collides often, so updates and deletes find their targets.
        s.assign(1 + Byte() % 3, 'a');
        uint8_t b = Byte();
        for (char& c : s) {
          c = char('a' + (b & 3));
          b = uint8_t(b >> 2);
        }
      }
    }
    if (recent_.size() < 16)
      recent_.push_back(s);
    else
      recent_[next_recent_++ % 16] = s;
    return s;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
  std::vector<std::string> recent_;
  size_t next_recent_ = 0;
};

}  // namespace strata::fuzz
