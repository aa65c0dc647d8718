// Longest common subsequence of two strings (the LCS command), by the classic dynamic
// programming table, with the matched ranges reported the way Redis walks the table back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strata::kv::lcs {

struct Match {
  uint32_t a_start, a_end;  // inclusive byte ranges in each string
  uint32_t b_start, b_end;
  uint32_t len;
};

struct Result {
  uint32_t len = 0;
  std::string seq;             // the subsequence, when asked for
  std::vector<Match> matches;  // contiguous matched ranges, last first, when asked for
};

// Bytes of the (a.size() + 1) * (b.size() + 1) table of 32-bit lengths the computation needs;
// 0 if that does not fit 64 bits.
uint64_t TableBytes(size_t alen, size_t blen);

// Computes the LCS of a and b. `want_seq`: fill seq; `want_matches`: fill matches with the
// ranges of at least min_match_len bytes (0 = all). False if the table cannot be allocated.
bool Compute(std::string_view a, std::string_view b, bool want_seq, bool want_matches,
             uint64_t min_match_len, Result* out);

}  // namespace strata::kv::lcs
