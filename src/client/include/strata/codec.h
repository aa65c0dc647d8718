// Codecs: how a typed value becomes the bytes stored under a key, and back.
//
// A codec C for values of type T satisfies `strata::Codec<C, T>`:
//   std::string c.Encode(const T&) const   - never fails for a valid T (see each codec);
//   T c.Decode(std::string_view) const     - throws strata::DecodeError when the bytes are not
//                                            a valid encoding of a T (never returns garbage).
// Round trip: Decode(Encode(v)) == v for every valid v.
//
// Codecs are stateless value types: every member function is const, holds no lock and may be
// called from any number of threads at once.
#pragma once

#include <charconv>
#include <concepts>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include <nlohmann/json.hpp>

namespace strata {

// The stored bytes are not a valid encoding for the codec that reads them.
class DecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <class C, class T>
concept Codec = std::copy_constructible<C> && requires(const C& c, const T& v, std::string_view b) {
  { c.Encode(v) } -> std::convertible_to<std::string>;
  { c.Decode(b) } -> std::same_as<T>;
};

// Bytes as they are: any std::string (binary safe, embedded NULs kept) both ways. Never throws.
struct BytesCodec {
  using value_type = std::string;
  std::string Encode(const std::string& v) const { return v; }
  std::string Decode(std::string_view b) const { return std::string(b); }
};

// UTF-8 text. Decode throws DecodeError on bytes that are not well-formed UTF-8 (overlong forms,
// surrogates and code points above U+10FFFF included); Encode throws std::invalid_argument on
// such a string, so only valid text is ever stored.
struct StringCodec {
  using value_type = std::string;
  std::string Encode(const std::string& v) const {
    if (!IsValidUtf8(v)) throw std::invalid_argument("StringCodec: value is not valid UTF-8");
    return v;
  }
  std::string Decode(std::string_view b) const {
    if (!IsValidUtf8(b)) throw DecodeError("StringCodec: stored bytes are not valid UTF-8");
    return std::string(b);
  }

  static bool IsValidUtf8(std::string_view s) {
    size_t i = 0;
    const size_t n = s.size();
    while (i < n) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c < 0x80) {
        ++i;
        continue;
      }
      size_t len;
      uint32_t cp;
      if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
      } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
      } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
      } else {
        return false;  // continuation byte, overlong 2-byte lead (C0/C1) or F5..FF
      }
      if (n - i < len) return false;
      for (size_t k = 1; k < len; ++k) {
        const auto cc = static_cast<unsigned char>(s[i + k]);
        if ((cc & 0xC0) != 0x80) return false;
        cp = (cp << 6) | (cc & 0x3F);
      }
      if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return false;  // overlong
      if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
      i += len;
    }
    return true;
  }
};

// A signed 64-bit integer in the canonical decimal form Redis INCR/DECR store and accept: an
// optional '-' and digits, no '+', no spaces, no leading zeros, no "-0". Decode accepts exactly
// the strings Encode produces; anything else (out of range too) throws DecodeError.
struct Int64Codec {
  using value_type = int64_t;
  std::string Encode(const int64_t& v) const {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof(buf), v);
    return std::string(buf, r.ptr);
  }
  int64_t Decode(std::string_view b) const {
    int64_t v = 0;
    const char* end = b.data() + b.size();
    auto r = std::from_chars(b.data(), end, v);
    if (b.empty() || r.ec != std::errc() || r.ptr != end || Encode(v) != b) {
      throw DecodeError("Int64Codec: value is not an integer or out of range");
    }
    return v;
  }
};

// Any T nlohmann::json can convert to and from (to_json/from_json or the built-in conversions),
// stored as compact JSON text. Decode throws DecodeError on malformed JSON or on JSON that does
// not convert to T. Encode lets nlohmann's exceptions through (e.g. a std::string member that is
// not valid UTF-8: nlohmann::json::type_error).
template <class T>
struct JsonCodec {
  using value_type = T;
  std::string Encode(const T& v) const { return nlohmann::json(v).dump(); }
  T Decode(std::string_view b) const {
    try {
      return nlohmann::json::parse(b).template get<T>();
    } catch (const nlohmann::json::exception& e) {
      throw DecodeError(std::string("JsonCodec: ") + e.what());
    }
  }
};

static_assert(Codec<BytesCodec, std::string>);
static_assert(Codec<StringCodec, std::string>);
static_assert(Codec<Int64Codec, int64_t>);

}  // namespace strata
