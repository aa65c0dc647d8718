#include "base/glob.h"

#include <cctype>
#include <cstddef>

namespace strata {
namespace {

inline char Fold(char c, bool nocase) {
  return nocase ? char(tolower(static_cast<unsigned char>(c))) : c;
}

// Matches one pattern element at p[pi] (not '*') against c. Sets *next to the index after the
// element. Returns whether it matched.
bool MatchElement(std::string_view p, size_t pi, char c, bool nocase, size_t* next) {
  char pc = p[pi];
  if (pc == '?') {
    *next = pi + 1;
    return true;
  }
  if (pc == '\\' && pi + 1 < p.size()) {
    *next = pi + 2;
    return Fold(p[pi + 1], nocase) == Fold(c, nocase);
  }
  if (pc != '[') {
    *next = pi + 1;
    return Fold(pc, nocase) == Fold(c, nocase);
  }
  // Character class.
  size_t i = pi + 1;
  bool negate = i < p.size() && p[i] == '^';
  if (negate) i++;
  bool match = false;
  for (;;) {
    if (i >= p.size()) break;  // unterminated class: ends at the pattern's end
    if (p[i] == '\\' && i + 1 < p.size()) {
      if (Fold(p[i + 1], nocase) == Fold(c, nocase)) match = true;
      i += 2;
    } else if (p[i] == ']') {
      i++;
      break;
    } else if (i + 2 < p.size() && p[i + 1] == '-') {
      char lo = Fold(p[i], nocase), hi = Fold(p[i + 2], nocase), x = Fold(c, nocase);
      if (lo > hi) {
        char t = lo;
        lo = hi;
        hi = t;
      }
      if (x >= lo && x <= hi) match = true;
      i += 3;
    } else {
      if (Fold(p[i], nocase) == Fold(c, nocase)) match = true;
      i++;
    }
  }
  *next = i;
  return negate ? !match : match;
}

}  // namespace

bool GlobMatch(std::string_view p, std::string_view s, bool nocase) {
  size_t pi = 0, si = 0;
  size_t star_p = std::string_view::npos, star_s = 0;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '*') {
      while (pi < p.size() && p[pi] == '*') pi++;
      if (pi == p.size()) return true;
      star_p = pi;
      star_s = si;
      continue;
    }
    size_t next;
    if (pi < p.size() && MatchElement(p, pi, s[si], nocase, &next)) {
      pi = next;
      si++;
      continue;
    }
    if (star_p == std::string_view::npos) return false;
    pi = star_p;
    si = ++star_s;
  }
  while (pi < p.size() && p[pi] == '*') pi++;
  return pi == p.size();
}

}  // namespace strata
