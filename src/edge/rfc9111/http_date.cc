#include "edge/rfc9111/http_date.h"

#include <cstdio>
#include <ctime>

namespace strata::edge::rfc9111 {
namespace {

constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kLongDays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                     "Thursday", "Friday", "Saturday"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool Digits(std::string_view s, size_t n, int* out) {
  if (s.size() < n) return false;
  int v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

int Month(std::string_view s) {
  for (int i = 0; i < 12; i++) {
    if (s == kMonths[i]) return i;
  }
  return -1;
}

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {  // Howard Hinnant's algorithm
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool Valid(int year, int mon, int day, int h, int m, int s) {
  static const int kDim[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return year >= 1900 && mon >= 0 && mon < 12 && day >= 1 && day <= kDim[mon] && h <= 23 &&
         m <= 59 && s <= 60;
}

std::optional<int64_t> Make(int year, int mon, int day, int h, int m, int s) {
  if (!Valid(year, mon, day, h, m, s)) return std::nullopt;
  return DaysFromCivil(year, unsigned(mon + 1), unsigned(day)) * 86400 + h * 3600 + m * 60 + s;
}

// "HH:MM:SS"
bool Time(std::string_view s, int* h, int* m, int* sec) {
  return s.size() == 8 && s[2] == ':' && s[5] == ':' && Digits(s, 2, h) &&
         Digits(s.substr(3), 2, m) && Digits(s.substr(6), 2, sec);
}

}  // namespace

std::optional<int64_t> ParseHttpDate(std::string_view s) {
  int day, year, h, m, sec;
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (29 chars)
  if (s.size() == 29 && s[3] == ',' && s[4] == ' ' && s[7] == ' ' && s[11] == ' ' && s[16] == ' ' &&
      s[25] == ' ' && s.substr(26) == "GMT") {
    bool day_ok = false;
    for (auto d : kDays) day_ok |= s.substr(0, 3) == d;
    int mon = Month(s.substr(8, 3));
    if (day_ok && mon >= 0 && Digits(s.substr(5), 2, &day) && Digits(s.substr(12), 4, &year) &&
        Time(s.substr(17, 8), &h, &m, &sec))
      return Make(year, mon, day, h, m, sec);
    return std::nullopt;
  }
  // asctime: "Sun Nov  6 08:49:37 1994" (24 chars; day padded with a space)
  if (s.size() == 24 && s[3] == ' ' && s[7] == ' ' && s[10] == ' ' && s[19] == ' ') {
    bool day_ok = false;
    for (auto d : kDays) day_ok |= s.substr(0, 3) == d;
    int mon = Month(s.substr(4, 3));
    std::string_view dd = s.substr(8, 2);
    bool dd_ok = dd[0] == ' ' ? Digits(dd.substr(1), 1, &day) : Digits(dd, 2, &day);
    if (day_ok && mon >= 0 && dd_ok && Time(s.substr(11, 8), &h, &m, &sec) &&
        Digits(s.substr(20), 4, &year))
      return Make(year, mon, day, h, m, sec);
    return std::nullopt;
  }
  // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
  size_t comma = s.find(',');
  if (comma != std::string_view::npos && comma >= 6 && comma <= 9) {
    bool day_ok = false;
    for (auto d : kLongDays) day_ok |= s.substr(0, comma) == d;
    std::string_view r = s.substr(comma + 1);
    if (!day_ok || r.size() != 23 || r[0] != ' ' || r[3] != '-' || r[7] != '-' || r[10] != ' ' ||
        r.substr(19) != " GMT")
      return std::nullopt;
    int mon = Month(r.substr(4, 3));
    int yy;
    if (mon < 0 || !Digits(r.substr(1), 2, &day) || !Digits(r.substr(8), 2, &yy) ||
        !Time(r.substr(11, 8), &h, &m, &sec))
      return std::nullopt;
    // RFC 9110: a two-digit year more than 50 years in the future is in the past century.
    year = yy + 2000;
    time_t now = time(nullptr);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    if (year > tmv.tm_year + 1900 + 50) year -= 100;
    return Make(year, mon, day, h, m, sec);
  }
  return std::nullopt;
}

std::string FormatHttpDate(int64_t t) {
  time_t tt = static_cast<time_t>(t);
  struct tm tmv;
  gmtime_r(&tt, &tmv);
  char buf[32];
  snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tmv.tm_wday], tmv.tm_mday,
           kMonths[tmv.tm_mon], tmv.tm_year + 1900, tmv.tm_hour, tmv.tm_min, tmv.tm_sec);
  return buf;
}

}  // namespace strata::edge::rfc9111
