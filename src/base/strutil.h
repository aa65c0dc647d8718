// String <-> number conversions with Redis's exact acceptance rules, and small string helpers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strata {

// Strict signed 64-bit parse: optional '-', no '+', no spaces, no leading zeros (as Redis's
// string2ll). Returns false on any deviation or overflow.
bool ParseInt64(std::string_view s, int64_t* out);
// Same for unsigned values (no sign accepted).
bool ParseUint64(std::string_view s, uint64_t* out);
// Long double parse as Redis's string2ld: no spaces, no NaN, finite unless allow_inf.
bool ParseLongDouble(std::string_view s, long double* out);
// Double parse as Redis's string2d (strtod, no spaces, no NaN).
bool ParseDouble(std::string_view s, double* out);

// Decimal rendering of an integer into buf (>= 21 bytes); returns length.
size_t FormatInt64(int64_t v, char* buf);
std::string Int64ToString(int64_t v);
// Human form used by INCRBYFLOAT: up to 17 significant digits, no exponent, trailing zeros trimmed.
std::string LongDoubleToString(long double v);
// Form used for double replies (%.17g, "inf"/"-inf").
std::string DoubleToString(double v);

// Splits a line into arguments as Redis's sdssplitargs does (inline commands, FUNCTION LOAD's
// shebang): whitespace separated, "double quoted" with \n \r \t \b \a \\ \" \xHH escapes,
// 'single quoted' with the \' escape; a closing quote must be followed by a space or the end.
// False on unbalanced quotes. The first form appends the arguments' bytes to *storage and their
// (offset, length) to *spans.
bool SplitArgs(std::string_view line, std::string* storage,
               std::vector<std::pair<size_t, size_t>>* spans);
bool SplitArgs(std::string_view line, std::vector<std::string>* out);

// "100mb", "2gb", "1k" (1000), "1kb" (1024) ... as Redis's memtoll. Returns false when invalid.
bool ParseMemorySize(std::string_view s, uint64_t* out);

bool EqualsIgnoreCase(std::string_view a, std::string_view b);
void ToLowerInPlace(std::string* s);
std::string ToLower(std::string_view s);
std::string ToUpper(std::string_view s);

}  // namespace strata
