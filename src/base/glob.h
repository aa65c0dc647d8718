// Redis-compatible glob matching (KEYS, SCAN MATCH, CONFIG GET): '*', '?', '[...]' with '^'
// negation and ranges, '\' escapes. Iterative with a single backtrack point, so the cost is
// bounded by O(pattern * string) and never recurses, whatever the pattern.
#pragma once

#include <string_view>

namespace strata {

bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase = false);

}  // namespace strata
