#include "base/strutil.h"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace strata {

bool ParseUint64(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  if (s.size() == 1 && s[0] == '0') {
    *out = 0;
    return true;
  }
  if (s[0] < '1' || s[0] > '9') return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    uint64_t d = uint64_t(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

bool ParseInt64(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  bool neg = false;
  if (s[0] == '-') {
    neg = true;
    s.remove_prefix(1);
    if (s.empty()) return false;
    if (s[0] == '0') return false;  // "-0", "-01"
  }
  uint64_t u;
  if (!ParseUint64(s, &u)) return false;
  if (neg) {
    if (u > uint64_t(std::numeric_limits<int64_t>::max()) + 1) return false;
    *out = u == uint64_t(std::numeric_limits<int64_t>::max()) + 1
               ? std::numeric_limits<int64_t>::min()
               : -int64_t(u);
  } else {
    if (u > uint64_t(std::numeric_limits<int64_t>::max())) return false;
    *out = int64_t(u);
  }
  return true;
}

bool ParseLongDouble(std::string_view s, long double* out) {
  if (s.empty() || s.size() >= 5 * 1024) return false;
  if (isspace(static_cast<unsigned char>(s[0]))) return false;
  std::string buf(s);
  char* end;
  errno = 0;
  long double v = strtold(buf.c_str(), &end);
  if (size_t(end - buf.c_str()) != buf.size()) return false;
  if (isspace(static_cast<unsigned char>(buf.back()))) return false;
  if ((errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || std::fpclassify(v) == FP_ZERO)) ||
      std::isnan(v))
    return false;
  *out = v;
  return true;
}

bool ParseDouble(std::string_view s, double* out) {
  if (s.empty() || s.size() >= 5 * 1024) return false;
  if (isspace(static_cast<unsigned char>(s[0]))) return false;
  std::string buf(s);
  char* end;
  errno = 0;
  double v = strtod(buf.c_str(), &end);
  if (size_t(end - buf.c_str()) != buf.size()) return false;
  if (isspace(static_cast<unsigned char>(buf.back()))) return false;
  if ((errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || std::fpclassify(v) == FP_ZERO)) ||
      std::isnan(v))
    return false;
  *out = v;
  return true;
}

size_t FormatInt64(int64_t v, char* buf) {
  char tmp[24];
  size_t n = 0;
  uint64_t u = v < 0 ? uint64_t(0) - uint64_t(v) : uint64_t(v);
  do {
    tmp[n++] = char('0' + u % 10);
    u /= 10;
  } while (u);
  size_t len = 0;
  if (v < 0) buf[len++] = '-';
  while (n) buf[len++] = tmp[--n];
  return len;
}

std::string Int64ToString(int64_t v) {
  char buf[24];
  return std::string(buf, FormatInt64(v, buf));
}

std::string LongDoubleToString(long double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[5 * 1024];
  int len = snprintf(buf, sizeof(buf), "%.17Lf", v);
  if (len <= 0 || size_t(len) >= sizeof(buf)) return "0";
  if (strchr(buf, '.')) {
    char* p = buf + len - 1;
    while (*p == '0') {
      p--;
      len--;
    }
    if (*p == '.') len--;
  }
  if (len == 2 && buf[0] == '-' && buf[1] == '0') return "0";
  return std::string(buf, size_t(len));
}

std::string DoubleToString(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  // The same text as printf's "%.17g" (the standard defines it so), several times faster.
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::general, 17);
  return std::string(buf, r.ptr);
}

namespace {

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool SplitArgs(std::string_view line, std::string* storage,
               std::vector<std::pair<size_t, size_t>>* spans) {
  storage->clear();
  storage->reserve(line.size());
  size_t i = 0;
  for (;;) {
    while (i < line.size() && isspace(static_cast<unsigned char>(line[i]))) i++;
    if (i >= line.size()) return true;
    size_t start = storage->size();
    bool inq = false, insq = false, done = false;
    while (!done) {
      if (inq) {
        if (i >= line.size()) return false;
        char c = line[i];
        if (c == '\\' && i + 3 < line.size() && line[i + 1] == 'x' && HexVal(line[i + 2]) >= 0 &&
            HexVal(line[i + 3]) >= 0) {
          storage->push_back(char(HexVal(line[i + 2]) * 16 + HexVal(line[i + 3])));
          i += 3;
        } else if (c == '\\' && i + 1 < line.size()) {
          i++;
          char e = line[i];
          switch (e) {
            case 'n':
              e = '\n';
              break;
            case 'r':
              e = '\r';
              break;
            case 't':
              e = '\t';
              break;
            case 'b':
              e = '\b';
              break;
            case 'a':
              e = '\a';
              break;
            default:
              break;
          }
          storage->push_back(e);
        } else if (c == '"') {
          if (i + 1 < line.size() && !isspace(static_cast<unsigned char>(line[i + 1])))
            return false;
          done = true;
        } else {
          storage->push_back(c);
        }
      } else if (insq) {
        if (i >= line.size()) return false;
        char c = line[i];
        if (c == '\\' && i + 1 < line.size() && line[i + 1] == '\'') {
          i++;
          storage->push_back('\'');
        } else if (c == '\'') {
          if (i + 1 < line.size() && !isspace(static_cast<unsigned char>(line[i + 1])))
            return false;
          done = true;
        } else {
          storage->push_back(c);
        }
      } else {
        if (i >= line.size()) {
          done = true;
          break;
        }
        char c = line[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0') {
          done = true;
        } else if (c == '"') {
          inq = true;
        } else if (c == '\'') {
          insq = true;
        } else {
          storage->push_back(c);
        }
      }
      if (i < line.size()) i++;
    }
    spans->emplace_back(start, storage->size() - start);
  }
}

bool SplitArgs(std::string_view line, std::vector<std::string>* out) {
  std::string storage;
  std::vector<std::pair<size_t, size_t>> spans;
  if (!SplitArgs(line, &storage, &spans)) return false;
  out->clear();
  for (auto [off, len] : spans) out->emplace_back(storage, off, len);
  return true;
}

bool ParseMemorySize(std::string_view s, uint64_t* out) {
  size_t i = 0;
  while (i < s.size() && isdigit(static_cast<unsigned char>(s[i]))) i++;
  if (i == 0) return false;
  uint64_t n;
  if (!ParseUint64(s.substr(0, i), &n)) {
    if (s.substr(0, i) != std::string(i, '0')) return false;
    n = 0;
  }
  std::string unit = ToLower(s.substr(i));
  uint64_t mul;
  if (unit.empty() || unit == "b")
    mul = 1;
  else if (unit == "k")
    mul = 1000;
  else if (unit == "kb")
    mul = 1024;
  else if (unit == "m")
    mul = 1000ull * 1000;
  else if (unit == "mb")
    mul = 1024ull * 1024;
  else if (unit == "g")
    mul = 1000ull * 1000 * 1000;
  else if (unit == "gb")
    mul = 1024ull * 1024 * 1024;
  else
    return false;
  if (n > std::numeric_limits<uint64_t>::max() / mul) return false;
  *out = n * mul;
  return true;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    if (tolower(static_cast<unsigned char>(a[i])) != tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

void ToLowerInPlace(std::string* s) {
  for (char& c : *s) c = char(tolower(static_cast<unsigned char>(c)));
}

std::string ToLower(std::string_view s) {
  std::string r(s);
  ToLowerInPlace(&r);
  return r;
}

std::string ToUpper(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = char(toupper(static_cast<unsigned char>(c)));
  return r;
}

}  // namespace strata
