#include "kv/types/lcs.h"

#include <algorithm>
#include <memory>
#include <new>

namespace strata::kv::lcs {

uint64_t TableBytes(size_t alen, size_t blen) {
  unsigned __int128 n = (unsigned __int128)(alen + 1) * (blen + 1) * sizeof(uint32_t);
  return n >> 64 ? 0 : uint64_t(n);
}

bool Compute(std::string_view a, std::string_view b, bool want_seq, bool want_matches,
             uint64_t min_match_len, Result* out) {
  const uint32_t alen = uint32_t(a.size()), blen = uint32_t(b.size());
  const size_t row = size_t(blen) + 1;
  std::unique_ptr<uint32_t[]> table(new (std::nothrow) uint32_t[(size_t(alen) + 1) * row]);
  if (!table) return false;
  // t(i, j): LCS length of a[0, i) and b[0, j).
  auto t = [&](uint32_t i, uint32_t j) -> uint32_t& { return table[size_t(i) * row + j]; };
  for (uint32_t i = 0; i <= alen; i++) {
    for (uint32_t j = 0; j <= blen; j++) {
      if (i == 0 || j == 0)
        t(i, j) = 0;
      else if (a[i - 1] == b[j - 1])
        t(i, j) = t(i - 1, j - 1) + 1;
      else
        t(i, j) = std::max(t(i - 1, j), t(i, j - 1));
    }
  }
  out->len = t(alen, blen);
  out->seq.clear();
  out->matches.clear();
  if (!want_seq && !want_matches) return true;

  // Walk back from the end, collecting the subsequence and its contiguous ranges. A range is
  // open while consecutive matches extend it backwards; it closes at the first non-match, or
  // when it reaches the start of either string.
  if (want_seq) out->seq.assign(out->len, '\0');
  uint32_t left = out->len;
  const uint32_t kNone = alen;  // no range open (a range never starts at alen)
  uint32_t as = kNone, ae = 0, bs = 0, be = 0;
  uint32_t i = alen, j = blen;
  while (i > 0 && j > 0) {
    bool close = false;
    if (a[i - 1] == b[j - 1]) {
      if (want_seq) out->seq[left - 1] = a[i - 1];
      if (as == kNone) {
        as = ae = i - 1;
        bs = be = j - 1;
      } else if (as == i && bs == j) {
        as--;
        bs--;
      } else {
        close = true;
      }
      if (as == 0 || bs == 0) close = true;
      left--;
      i--;
      j--;
    } else {
      if (t(i - 1, j) > t(i, j - 1))
        i--;
      else
        j--;
      if (as != kNone) close = true;
    }
    if (close) {
      uint32_t len = ae - as + 1;
      if (want_matches && (min_match_len == 0 || len >= min_match_len))
        out->matches.push_back({as, ae, bs, be, len});
      as = kNone;
    }
  }
  return true;
}

}  // namespace strata::kv::lcs
