// Range requests served from a complete stored response (RFC 9110 §14). Parsing saturates
// instead of overflowing, never trusts a range beyond the representation, coalesces
// overlapping/adjacent ranges, and falls back to the full 200 when the header is invalid, has
// too many ranges, or the ranges cover the whole representation (all allowed by the RFC).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strata::edge::rfc9111 {

struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive
  uint64_t length() const { return last - first + 1; }
};

enum class RangeVerdict : uint8_t { kFull, kPartial, kUnsatisfiable };

constexpr size_t kMaxRanges = 16;

RangeVerdict EvaluateRange(std::string_view header, uint64_t size, std::vector<ByteRange>* out);

// multipart/byteranges framing for several ranges: part headers (one per range) and the closing
// delimiter; the body is part_head[i] + data(range i) ... + tail.
struct Multipart {
  std::string boundary;
  std::vector<std::string> part_heads;
  std::string tail;
  uint64_t total_length = 0;
};
Multipart BuildMultipart(const std::vector<ByteRange>& ranges, uint64_t size,
                         std::string_view content_type, std::string_view boundary);

std::string ContentRange(const ByteRange& r, uint64_t size);

}  // namespace strata::edge::rfc9111
