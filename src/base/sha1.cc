#include "base/sha1.h"

#include <algorithm>
#include <cstring>

namespace strata {
namespace {

inline uint32_t Rotl(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

inline uint32_t LoadBe32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

}  // namespace

void Sha1::Reset() {
  h_[0] = 0x67452301u;
  h_[1] = 0xEFCDAB89u;
  h_[2] = 0x98BADCFEu;
  h_[3] = 0x10325476u;
  h_[4] = 0xC3D2E1F0u;
  total_ = 0;
  buf_len_ = 0;
}

void Sha1::Block(const uint8_t* p) {
  uint32_t w[80];
  for (int t = 0; t < 16; t++) w[t] = LoadBe32(p + 4 * t);
  for (int t = 16; t < 80; t++) w[t] = Rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
  uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4];
  for (int t = 0; t < 80; t++) {
    uint32_t f, k;
    if (t < 20) {
      f = (b & c) | (~b & d);
      k = 0x5A827999u;
    } else if (t < 40) {
      f = b ^ c ^ d;
      k = 0x6ED9EBA1u;
    } else if (t < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8F1BBCDCu;
    } else {
      f = b ^ c ^ d;
      k = 0xCA62C1D6u;
    }
    uint32_t tmp = Rotl(a, 5) + f + e + k + w[t];
    e = d;
    d = c;
    c = Rotl(b, 30);
    b = a;
    a = tmp;
  }
  h_[0] += a;
  h_[1] += b;
  h_[2] += c;
  h_[3] += d;
  h_[4] += e;
}

void Sha1::Update(const void* data, size_t len) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  total_ += len;
  if (buf_len_ > 0) {
    size_t take = std::min(len, sizeof(buf_) - buf_len_);
    memcpy(buf_ + buf_len_, p, take);
    buf_len_ += take;
    p += take;
    len -= take;
    if (buf_len_ < sizeof(buf_)) return;
    Block(buf_);
    buf_len_ = 0;
  }
  while (len >= 64) {
    Block(p);
    p += 64;
    len -= 64;
  }
  if (len > 0) {
    memcpy(buf_, p, len);
    buf_len_ = len;
  }
}

Sha1::Digest Sha1::Final() {
  uint64_t bits = total_ * 8;
  uint8_t pad[72];
  size_t pad_len = (buf_len_ < 56) ? 56 - buf_len_ : 120 - buf_len_;
  memset(pad, 0, sizeof(pad));
  pad[0] = 0x80;
  // The length goes after the padding, big-endian; Update() must not count it, so it is
  // appended to the block buffer by hand.
  Update(pad, pad_len);
  uint8_t len_be[8];
  for (int i = 0; i < 8; i++) len_be[i] = uint8_t(bits >> (56 - 8 * i));
  Update(len_be, 8);
  Digest out;
  for (int i = 0; i < 5; i++) {
    out[4 * i] = uint8_t(h_[i] >> 24);
    out[4 * i + 1] = uint8_t(h_[i] >> 16);
    out[4 * i + 2] = uint8_t(h_[i] >> 8);
    out[4 * i + 3] = uint8_t(h_[i]);
  }
  return out;
}

Sha1::Digest Sha1Digest(std::string_view data) {
  Sha1 s;
  s.Update(data);
  return s.Final();
}

void Sha1HexTo(std::string_view data, char* out) {
  static const char kHex[] = "0123456789abcdef";
  Sha1::Digest d = Sha1Digest(data);
  for (size_t i = 0; i < d.size(); i++) {
    out[2 * i] = kHex[d[i] >> 4];
    out[2 * i + 1] = kHex[d[i] & 15];
  }
}

std::string Sha1Hex(std::string_view data) {
  std::string out(40, '\0');
  Sha1HexTo(data, out.data());
  return out;
}

}  // namespace strata
